"""SQL of the GraphQL read layer: each relationship level of a query is one statement for
all the rows of that level (never one per row), so a query's statement count follows its
shape, not its page size."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.repository import CHUNK, _chunks, driver_fetch, searched, view_columns
from mdm.db.tables import GOLDEN, crosswalk, golden_history
from mdm.domains import Domain


async def goldens_by_id(
    session: AsyncSession, domain: Domain, ids: Sequence[str], *, lineage: bool = False
) -> list[Row[Any]]:
    """Golden rows of these ids, merged-away ones included (the caller follows them); their
    lineage only when asked (the largest column, which a view does not show)."""
    table = GOLDEN[domain.name]
    columns = table.c if lineage else view_columns(table)
    rows: list[Row[Any]] = []
    for chunk in _chunks(sorted(set(ids))):
        rows += (await session.execute(select(*columns).where(table.c.id.in_(chunk)))).all()
    return rows


def _by_ids(table: str, columns: Sequence[Any], where: str = "", order: str = "") -> str:
    """PostgreSQL text of a read of rows whose `golden id` is one of an array ($1)."""
    names = ", ".join(str(c.name) for c in columns)
    return f"SELECT {names} FROM {table} WHERE {where or 'id'} = ANY($1::varchar[]){order}"


# A page's references and crosswalks on PostgreSQL as the driver's own SQL, one array parameter,
# on the request's connection (`driver_fetch`): through SQLAlchemy the expanding IN rendered a
# bind (and its cast) per id and each row went through its result machinery; the 100-project
# query's server time 22 -> 14 ms median (bench/README.md)
_VIEWS_PG = {name: _by_ids(name, view_columns(table)) for name, table in GOLDEN.items()}
_CROSSWALKS_PG = _by_ids(
    "crosswalk",
    (crosswalk.c.golden_id, crosswalk.c.system, crosswalk.c.source_id),
    "golden_id",
    " AND ended_at IS NULL ORDER BY golden_id, system, source_id",
)


async def golden_views(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> Sequence[Mapping[Any, Any]]:
    """The columns a view shows of these golden records (merged-away ones included), as
    mappings by column name; one statement on PostgreSQL however many ids."""
    if session.get_bind().dialect.name == "postgresql":
        return await driver_fetch(session, _VIEWS_PG[domain.name], sorted(set(ids)))
    return [r._mapping for r in await goldens_by_id(session, domain, ids)]


async def live_crosswalks(session: AsyncSession, ids: Sequence[str]) -> list[Any]:
    """The live crosswalks of these golden records: (golden id, system, source id) rows, in that order."""
    if session.get_bind().dialect.name == "postgresql":
        return await driver_fetch(session, _CROSSWALKS_PG, sorted(set(ids)))
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


# ---- the estate at a past instant: each record's newest version at or before it ----------------

FOLDED = "merge"  # a merged-away record's last version: it was no longer a record of its own


def _as_of(domain: Domain, at: datetime) -> Select[Any]:
    """Each record's version in force at `at`, leaving out those merged away by then."""
    h, newer = golden_history, golden_history.alias("newer")
    newest = (
        select(func.max(newer.c.version))
        .where(newer.c.golden_id == h.c.golden_id, newer.c.changed_at <= at)
        .scalar_subquery()
    )
    return select(h).where(h.c.domain == domain.name, h.c.changed_at <= at, h.c.version == newest,
                           h.c.action != FOLDED)  # fmt: skip


def _field(name: str, part: str | None = None) -> Any:
    return golden_history.c.data[(name, part) if part else name].as_string()


async def versions_at(session: AsyncSession, domain: Domain, ids: Sequence[str], at: datetime) -> list[Row[Any]]:
    """The versions of these records in force at `at` (those that existed then)."""
    rows: list[Row[Any]] = []
    for chunk in _chunks(sorted(set(ids))):
        rows += (await session.execute(_as_of(domain, at).where(golden_history.c.golden_id.in_(chunk)))).all()
    return rows


def _listed_at(
    session: AsyncSession, domain: Domain, at: datetime, *, q: str | None, status: str | None,
    updated_since: datetime | None, readable: frozenset[str], equals: dict[str, Any] | None,
) -> Select[Any] | None:  # fmt: skip
    """`repository._listed` on the versions in force at `at`: the same filters, on their data."""
    h = golden_history
    stmt = _as_of(domain, at)
    if status:
        stmt = stmt.where(_field("status") == status)
    for name, value in (equals or {}).items():
        stmt = stmt.where(_field(name) == value)
    if updated_since:
        stmt = stmt.where(h.c.changed_at >= updated_since)
    if q:
        found = searched(session, domain, q, readable, _field)
        if found is None:
            return None
        stmt = stmt.where(found)
    return stmt


async def page_at(
    session: AsyncSession, domain: Domain, at: datetime, *, limit: int, after_id: str | None, **filters: Any
) -> list[Row[Any]]:
    """A page of the records in force at `at`, by id."""
    stmt = _listed_at(session, domain, at, **filters)
    if stmt is None:
        return []
    if after_id:
        stmt = stmt.where(golden_history.c.golden_id > after_id)
    return list((await session.execute(stmt.order_by(golden_history.c.golden_id).limit(limit))).all())


async def count_at(session: AsyncSession, domain: Domain, at: datetime, **filters: Any) -> int:
    stmt = _listed_at(session, domain, at, **filters)
    if stmt is None:
        return 0
    return int((await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one())


async def crosswalks_at(session: AsyncSession, ids: Sequence[str], at: datetime) -> list[Any]:
    """The crosswalks of these golden records that were live at `at`."""
    rows: list[Any] = []
    for chunk in _chunks(sorted(set(ids))):
        stmt = (
            select(crosswalk.c.golden_id, crosswalk.c.system, crosswalk.c.source_id)
            .where(crosswalk.c.golden_id.in_(chunk), crosswalk.c.created_at <= at)
            .where((crosswalk.c.ended_at.is_(None)) | (crosswalk.c.ended_at > at))
            .order_by(crosswalk.c.golden_id, crosswalk.c.system, crosswalk.c.source_id)
        )
        rows += (await session.execute(stmt)).all()
    return rows
