"""SQL of held source records (mdm.records.service decides when a record is held)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Row, and_, bindparam, delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db import driver
from mdm.db.repository import SourceKey, _by_source_key, _chunks
from mdm.db.tables import held_key, held_source
from mdm.domains import Domain


async def held_rows(session: AsyncSession, domain: Domain, keys: Sequence[SourceKey]) -> list[Row[Any]]:
    return await _by_source_key(session, held_source, domain, keys)


# built once: an IN list built per call leaves objects in reference cycles, whose collection
# pauses a server's writes (tests/integration/test_write_garbage.py)
_HELD_BY_KEYS = (
    select(held_key.c.system, held_key.c.source_id)
    .where(held_key.c.domain == bindparam("domain"), held_key.c.key.in_(bindparam("keys", expanding=True)))
    .distinct()
    .limit(bindparam("limit", type_=Integer))
)


_ANY_HELD = select(held_key.c.key).where(held_key.c.domain == bindparam("domain")).limit(1)


async def held_by_keys(session: AsyncSession, domain: Domain, keys: Sequence[str], limit: int) -> list[Row[Any]]:
    """Held records sharing a blocking key with these (at most `limit`, oldest first)."""
    if not await driver.rows(session, _ANY_HELD, {"domain": domain.name}):  # the common case: one query
        return []
    found: dict[SourceKey, None] = {}
    for chunk in _chunks(sorted(set(keys))):
        params = {"domain": domain.name, "keys": list(chunk), "limit": limit}
        found |= dict.fromkeys((r.system, r.source_id) for r in (await session.execute(_HELD_BY_KEYS, params)).all())
        if len(found) >= limit:
            break
    rows = await held_rows(session, domain, list(found)[:limit])
    return sorted(rows, key=lambda r: r.received_at)


async def put_held(
    session: AsyncSession, domain: Domain, rows: list[dict[str, Any]], keys: dict[SourceKey, frozenset[str]]
) -> None:
    """Store (or replace) held records and their blocking keys."""
    await drop_held(session, domain, [(r["system"], r["source_id"]) for r in rows])
    await driver.insert(session, held_source, [{"domain": domain.name, **r} for r in rows])
    found = [{"domain": domain.name, "key": k, "system": s, "source_id": i} for (s, i), ks in keys.items() for k in ks]
    await driver.insert(session, held_key, found)


async def drop_held(session: AsyncSession, domain: Domain, keys: Sequence[SourceKey]) -> None:
    """Forget held records (released, linked or made golden) and their keys."""
    for table in (held_key, held_source):
        for chunk in _chunks(list(keys)):
            match = or_(*(and_(table.c.system == s, table.c.source_id == i) for s, i in chunk))
            await session.execute(delete(table).where(table.c.domain == domain.name, match))


async def list_held(session: AsyncSession, domain: Domain, after: SourceKey | None, limit: int) -> list[Row[Any]]:
    """A domain's held records in (system, source_id) order, after a key."""
    stmt = select(held_source).where(held_source.c.domain == domain.name)
    if after is not None:
        later = or_(held_source.c.system > after[0],
                    and_(held_source.c.system == after[0], held_source.c.source_id > after[1]))  # fmt: skip
        stmt = stmt.where(later)
    stmt = stmt.order_by(held_source.c.system, held_source.c.source_id).limit(limit)
    return list((await session.execute(stmt)).all())


async def count_held(session: AsyncSession) -> dict[str, int]:
    stmt = select(held_source.c.domain, func.count()).group_by(held_source.c.domain)
    return {str(row[0]): int(row[1]) for row in (await session.execute(stmt)).all()}


async def try_locks(session: AsyncSession, ids: Sequence[int]) -> bool:
    """Take these advisory locks now if no one holds them (PostgreSQL; SQLite writers are
    serial): a release pass skips a held record another writer is busy with, never waits."""
    if not ids or session.get_bind().dialect.name != "postgresql":
        return True
    stmt = text("SELECT bool_and(pg_try_advisory_xact_lock(k)) FROM unnest(CAST(:ks AS bigint[])) AS k")
    return bool((await session.execute(stmt, {"ks": sorted(set(ids))})).scalar())
