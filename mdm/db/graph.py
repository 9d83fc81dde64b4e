"""SQL of the GraphQL read layer: each relationship level of a query is one statement for
all the rows of that level (never one per row), so a query's statement count follows its
shape, not its page size."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.repository import CHUNK, _chunks
from mdm.db.tables import GOLDEN, crosswalk, golden_history
from mdm.domains import Domain


async def goldens_by_id(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> list[Row[Any]]:
    """Whole golden rows of these ids, merged-away ones included (the caller follows them)."""
    table = GOLDEN[domain.name]
    rows: list[Row[Any]] = []
    for chunk in _chunks(sorted(set(ids))):
        rows += (await session.execute(select(table).where(table.c.id.in_(chunk)))).all()
    return rows


async def live_crosswalks(session: AsyncSession, ids: Sequence[str]) -> list[Any]:
    """The live crosswalks of these golden records, by golden id, system and source id."""
    rows: list[Any] = []
    for chunk in _chunks(sorted(set(ids))):
        stmt = (
            select(crosswalk.c.golden_id, crosswalk.c.system, crosswalk.c.source_id)
            .where(crosswalk.c.golden_id.in_(chunk), crosswalk.c.ended_at.is_(None))
            .order_by(crosswalk.c.golden_id, crosswalk.c.system, crosswalk.c.source_id)
        )
        rows += (await session.execute(stmt)).all()
    return rows


async def referrers(
    session: AsyncSession, domain: Domain, field: str, ids: Sequence[str], first: int
) -> list[Row[Any]]:
    """Live records of `domain` whose `field` names one of `ids`: the first `first` of each
    (by id), ranked in SQL so a record referred to by thousands reads only `first` of them."""
    table = GOLDEN[domain.name]
    column = table.c[field]
    rows: list[Row[Any]] = []
    for chunk in _chunks(sorted(set(ids)), max(1, CHUNK // 5)):
        rank = func.row_number().over(partition_by=column, order_by=table.c.id).label("mdm_rank")
        inner = select(table, rank).where(column.in_(chunk), table.c.merged_into.is_(None)).subquery()
        stmt = select(inner).where(inner.c.mdm_rank <= first).order_by(inner.c[field], inner.c.id)
        rows += (await session.execute(stmt)).all()
    return rows


async def histories(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> list[Row[Any]]:
    """Every version of these golden records, newest first per record."""
    t = golden_history
    rows: list[Row[Any]] = []
    for chunk in _chunks(sorted(set(ids))):
        stmt = (
            select(t)
            .where(t.c.domain == domain.name, t.c.golden_id.in_(chunk))
            .order_by(t.c.golden_id, t.c.version.desc())
        )
        rows += (await session.execute(stmt)).all()
    return rows


async def in_scope(session: AsyncSession, domain: Domain, scope: dict[str, Any]) -> list[Row[Any]]:
    """Live records whose fields equal these values (an empty value matches only empty)."""
    table = GOLDEN[domain.name]
    stmt = select(table).where(table.c.merged_into.is_(None))
    for name, value in scope.items():
        stmt = stmt.where(table.c[name].is_(None) if value is None else table.c[name] == value)
    return list((await session.execute(stmt.order_by(table.c.id))).all())
