"""SQL of the backlogs an operator watches (mdm.api.metrics): open review candidates and held
source records, by domain and by how long they have waited."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Table, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.tables import held_source, match_candidate

# an age band is named by its upper bound; the last has none
AGES: tuple[tuple[str, timedelta | None], ...] = (
    ("1d", timedelta(days=1)),
    ("7d", timedelta(days=7)),
    ("30d", timedelta(days=30)),
    ("older", None),
)


async def _by_age(session: AsyncSession, table: Table, since: Column[Any], now: datetime,
                  *where: Any) -> dict[str, dict[str, int]]:  # fmt: skip
    """{domain: {age band: count}}, in one statement (a CASE per band)."""
    bands = []
    lower: timedelta | None = None
    for _name, upper in AGES:
        tests = [since > now - upper] if upper is not None else []
        tests += [since <= now - lower] if lower is not None else []
        bands.append(func.sum(case((and_(*tests), 1), else_=0)))
        lower = upper
    stmt = select(table.c.domain, *bands).where(*where).group_by(table.c.domain)
    return {r[0]: {name: int(r[i + 1] or 0) for i, (name, _) in enumerate(AGES)}
            for r in (await session.execute(stmt)).all()}  # fmt: skip


async def open_candidates(session: AsyncSession, now: datetime) -> dict[str, dict[str, int]]:
    c = match_candidate.c
    return await _by_age(session, match_candidate, c.created_at, now, c.status == "pending")


async def held(session: AsyncSession, now: datetime) -> dict[str, dict[str, int]]:
    return await _by_age(session, held_source, held_source.c.received_at, now)
