"""SQL of trained match rules: versions per domain (`match_rules_version`) and the term
frequencies each was trained with (`match_term`)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.tables import match_rules_version, match_term

TERMS_CHUNK = 5_000


async def adopted(session: AsyncSession) -> dict[str, int]:
    """domain -> the newest adopted version (domains with none are absent)."""
    t = match_rules_version
    stmt = select(t.c.domain, func.max(t.c.version)).where(t.c.adopted_at.is_not(None)).group_by(t.c.domain)
    return {domain: int(version) for domain, version in (await session.execute(stmt)).all()}


async def newest(session: AsyncSession, domain: str) -> int:
    """The newest version written for a domain, adopted or not (0: none)."""
    t = match_rules_version
    stmt = select(func.max(t.c.version)).where(t.c.domain == domain)
    return int((await session.execute(stmt)).scalar_one() or 0)


async def version(session: AsyncSession, domain: str, number: int) -> Row[Any] | None:
    t = match_rules_version
    return (await session.execute(select(t).where(t.c.domain == domain, t.c.version == number))).first()


async def versions(session: AsyncSession, domain: str) -> list[Row[Any]]:
    t = match_rules_version
    columns = [c for c in t.c if c.name not in ("text", "report")]
    return list(
        (await session.execute(select(*columns).where(t.c.domain == domain).order_by(t.c.version.desc()))).all()
    )


async def add(
    session: AsyncSession, domain: str, number: int, text: str, report: dict[str, Any], by: str, at: datetime
) -> None:
    await session.execute(
        insert(match_rules_version).values(
            domain=domain, version=number, text=text, report=report, created_at=at, created_by=by
        )
    )


async def adopt(session: AsyncSession, domain: str, number: int, by: str, at: datetime) -> bool:
    """Mark a version adopted; False when there is no such version."""
    t = match_rules_version
    stmt = update(t).where(t.c.domain == domain, t.c.version == number).values(adopted_at=at, adopted_by=by)
    return bool((await session.execute(stmt.returning(t.c.version))).first())


async def withdraw(session: AsyncSession, domain: str) -> None:
    """No version of the domain adopted any more: its defaults are in force again."""
    t = match_rules_version
    await session.execute(update(t).where(t.c.domain == domain).values(adopted_at=None, adopted_by=None))


async def add_terms(session: AsyncSession, domain: str, number: int, terms: Mapping[str, Mapping[str, int]]) -> None:
    rows = [
        {"domain": domain, "version": number, "comparison": comparison, "value": value[:200], "count": count}
        for comparison, counts in terms.items()
        for value, count in counts.items()
    ]
    for start in range(0, len(rows), TERMS_CHUNK):
        await session.execute(insert(match_term), rows[start : start + TERMS_CHUNK])


async def terms(session: AsyncSession, domain: str, number: int) -> dict[str, dict[str, int]]:
    t = match_term
    stmt = select(t.c.comparison, t.c.value, t.c.count).where(t.c.domain == domain, t.c.version == number)
    out: dict[str, dict[str, int]] = {}
    for comparison, value, count in (await session.execute(stmt)).all():
        out.setdefault(comparison, {})[value] = int(count)
    return out
