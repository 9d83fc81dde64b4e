"""The SQL of the records core, in one place: every statement the service runs.

Functions take the request's session and never commit; batch-shaped queries (IN lists,
executemany) keep bulk ingestion to a handful of round trips per batch.
"""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy import (
    Column,
    ColumnElement,
    Row,
    Select,
    String,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db import driver
from mdm.db.convert import JSON_KINDS, from_driver
from mdm.db.tables import (
    GOLDEN,
    audit_log,
    crosswalk,
    golden_history,
    golden_identifier,
    match_candidate,
    match_decision,
    match_key,
    source_record,
    source_system,
)
from mdm.domains import BY_NAME, Domain

SourceKey = tuple[str, str]  # (system, source_id)
NOT_A_MATCH = "not_a_match"  # the match_candidate status a steward's rejection sets
PENDING = "pending"  # the status of a queued pair no steward decided yet
CHUNK = 500  # bound on IN-list sizes


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


_EACH: dict[tuple[Any, ...], Select[Any]] = {}  # _each's statements by shape: a few per call site


async def _each(
    session: AsyncSession,
    columns: Sequence[Any],
    column: Any,
    values: Sequence[Any],
    *,
    equal: Sequence[tuple[Column[Any], Any]] = (),
    null: Sequence[Column[Any]] = (),
    lock: bool = False,
) -> Sequence[Any]:
    """Rows whose `column` equals one of `values`, each `equal` column its value and each
    `null` column NULL, in one statement.

    On PostgreSQL each value drives its own index lookup (unnest, joined LATERAL), a plan
    that does not depend on table statistics. With an IN list, the generic plan that
    PostgreSQL caches for asyncpg's prepared statements used only part of the index on a
    never-analyzed table and filtered every row: 15 ms became 1.2 s per batch at 100k rows.
    One value (a single upsert's lookups) is a plain `=`: the unnest's join was planned, on a
    table not yet analyzed, as a hash join over every row matching the other terms (a
    system's every crosswalk, 1.6 ms) instead of one index probe.

    Each statement's shape is built once and bound anew per call: a LATERAL subquery built
    per call left ~250 objects in reference cycles, three per write group, and the
    collector's passes over them paused a server's single upserts 30-120 ms every second."""
    dialect = session.get_bind().dialect.name
    form = "one" if len(values) == 1 else "unnest" if dialect == "postgresql" else "in"
    key = (form, tuple(columns), column, tuple(c for c, _ in equal), tuple(null), lock)
    stmt = _EACH.get(key)
    if stmt is None:
        stmt = _EACH[key] = _each_statement(form, columns, column, [c for c, _ in equal], null, lock)
    params: dict[str, Any] = {f"each_{i}": value for i, (_, value) in enumerate(equal)}
    if form == "one":
        params["each_values"] = values[0]
    else:  # SQLite's IN reads its values from one JSON array: the statement does not vary with their count
        params["each_values"] = list(values) if form == "unnest" else msgspec.json.encode(list(values)).decode()
    return await driver.rows(session, stmt, params)


def _each_statement(
    form: str, columns: Sequence[Any], column: Any, equal: list[Column[Any]], null: Sequence[Column[Any]], lock: bool
) -> Select[Any]:
    conds = [c == bindparam(f"each_{i}") for i, c in enumerate(equal)] + [c.is_(None) for c in null]
    if form == "one":
        stmt = select(*columns).where(column == bindparam("each_values"), *conds)
    elif form == "in":
        listed: Select[Any] = select(literal_column("value")).select_from(
            func.json_each(bindparam("each_values", type_=String))
        )
        stmt = select(*columns).where(column.in_(listed.scalar_subquery()), *conds)
    else:
        keys = func.unnest(bindparam("each_values", type_=ARRAY(column.type))).table_valued("v").render_derived("k")
        # OFFSET 0 keeps PostgreSQL from pulling the subquery up into a plain join, which it then
        # planned (generic plan, table not analyzed) as a hash join over every row matching the
        # other terms: a group of 16 upserts read a system's every crosswalk and source record
        inner = select(*columns).where(column == keys.c.v, *conds).offset(0)
        hit = (inner.with_for_update() if lock else inner).lateral("hit")
        return select(hit).select_from(keys).join(hit, true())
    return stmt.with_for_update() if lock else stmt


def lock_id(*parts: object) -> int:
    """A signed 64-bit advisory-lock id for a logical key."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_ADVISORY_LOCKS = text("SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(CAST(:ks AS bigint[])) AS k ORDER BY 1) s")


async def advisory_locks(session: AsyncSession, ids: Iterable[int]) -> None:
    """Serialize writers of the same logical keys (PostgreSQL; SQLite writers are serial)."""
    ordered = sorted(set(ids))
    if not ordered or session.get_bind().dialect.name != "postgresql":
        return
    await driver.rows(session, _ADVISORY_LOCKS, {"ks": ordered})


_KNOWN_SYSTEMS = select(source_system).order_by(source_system.c.code)


async def known_systems(session: AsyncSession) -> dict[str, Any]:
    return {r.code: r for r in await driver.rows(session, _KNOWN_SYSTEMS)}


_REGISTERED: dict[str, set[str]] = {}  # database URL -> source systems seen registered there


async def registered(session: AsyncSession, codes: Iterable[str]) -> set[str]:
    """Those of `codes` that are registered source systems. A system is registered once and
    never removed (no command or migration deletes one), so a code seen registered is not read
    again: a write group reads the table only when it names a system not seen yet. (A database
    replaced under a running server, `mdm restore --replace`, could lack one: the README has
    the server stopped first.)"""
    wanted = set(codes)
    seen = _REGISTERED.setdefault(str(session.get_bind().engine.url), set())
    if not wanted <= seen:
        seen |= set(await known_systems(session))
    return wanted & seen


async def add_system(session: AsyncSession, code: str, name: str, at: datetime) -> None:
    await session.execute(insert(source_system).values(code=code, name=name, created_at=at))


async def _by_source_key(
    session: AsyncSession, table: Table, domain: Domain, keys: Sequence[SourceKey]
) -> list[Row[Any]]:
    """Rows of a table keyed by (domain, system, source_id): crosswalk or source_record."""
    by_system: dict[str, list[str]] = {}
    for system, source_id in keys:
        by_system.setdefault(system, []).append(source_id)
    rows: list[Row[Any]] = []
    for system, ids in by_system.items():
        for chunk in _chunks(ids):
            equal = ((table.c.domain, domain.name), (table.c.system, system))
            rows += await _each(session, [table], table.c.source_id, chunk, equal=equal)
    return rows


async def crosswalks_for(session: AsyncSession, domain: Domain, keys: Sequence[SourceKey]) -> dict[SourceKey, Row[Any]]:
    """Crosswalk rows (active or ended) of these source keys."""
    return {(row.system, row.source_id): row for row in await _by_source_key(session, crosswalk, domain, keys)}


async def live_ids_by_first_key_field(
    session: AsyncSession, domain: Domain, fields: tuple[str, ...], first_values: Sequence[Any]
) -> list[Row[Any]]:
    """Live golden rows whose first key field is one of these values (callers filter the rest)."""
    table = GOLDEN[domain.name]
    cols = [table.c.id, *(table.c[f] for f in fields)]
    rows: list[Row[Any]] = []
    for chunk in _chunks(list(set(first_values))):
        rows += await _each(session, cols, table.c[fields[0]], chunk, null=[table.c.merged_into])
    return rows


async def goldens(session: AsyncSession, domain: Domain, ids: Sequence[str], *, lock: bool) -> list[Row[Any]]:
    table = GOLDEN[domain.name]
    rows: list[Row[Any]] = []
    for chunk in _chunks(sorted(set(ids))):
        rows += await _each(session, [table], table.c.id, chunk, lock=lock)
    return rows


async def golden_rows(
    session: AsyncSession, domain: Domain, ids: Sequence[str], names: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    """The named fields of the live golden records among `ids`, as the driver answers
    them (a tuple: a cache key; `row_values` makes builtins of it): what scoring reads,
    without the lineage and overrides a whole row carries. On the raw driver, like
    blocks_of: ingestion reads a few candidates per record."""
    postgres = session.get_bind().dialect.name == "postgresql"
    columns = _scored_columns(domain, names, postgres)
    table = GOLDEN[domain.name].name
    found: dict[str, tuple[Any, ...]] = {}
    for chunk in _chunks(sorted(set(ids))):
        if postgres:
            sql = f"SELECT {columns} FROM {table} WHERE id = ANY($1::varchar[])"
            rows = await driver.execute(session, sql, [list(chunk)])
        else:
            sql = f"SELECT {columns} FROM {table} WHERE id IN ({', '.join('?' * len(chunk))})"
            rows = await driver.execute(session, sql, list(chunk))
        for row in rows:
            if row[1] is None:
                found[row[0]] = tuple(row)[2:]
    return found


def _scored_columns(domain: Domain, names: Sequence[str], postgres: bool) -> str:
    """id, merged_into and the named fields; on PostgreSQL JSON as its text, as SQLite
    answers it, so that a row stays hashable (a cache key)."""
    as_text = JSON_KINDS if postgres else ()
    fields = [domain.field(name) for name in names]
    return ", ".join(["id", "merged_into", *(f"{f.name}::text" if f.kind in as_text else f.name for f in fields)])


# Rows of golden records (source records, blocking keys, identifiers) are looked up by
# golden_id alone: an id carries its domain's prefix, so a `domain = ?` term adds nothing, and
# it steered plans made without statistics to the primary key, whose first column holds one
# value per domain, so that every row of the domain was read for a few ids: SQLite's (200,000
# source records, 0.3 s instead of 16 ms) and PostgreSQL's generic plans for prepared
# statements on a table not yet analyzed (a single update read 50,000 blocking keys: 4-9 ms).
_LIVE_SOURCES = "FROM source_record WHERE ended_at IS NULL AND golden_id"
_IN_ORDER = "ORDER BY golden_id, system, source_id"


async def live_payloads(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The payloads (JSON text: hashable, a cache key) of the live source records of golden
    records, in (system, source id) order: what matching compares beside the golden values."""
    postgres = session.get_bind().dialect.name == "postgresql"
    found: dict[str, list[str]] = {}
    for chunk in _chunks(sorted(set(ids))):
        if postgres:
            sql = f"SELECT golden_id, payload::text {_LIVE_SOURCES} = ANY($1::varchar[]) {_IN_ORDER}"
            rows = await driver.execute(session, sql, [list(chunk)])
        else:
            sql = f"SELECT golden_id, payload {_LIVE_SOURCES} IN ({', '.join('?' * len(chunk))}) {_IN_ORDER}"
            rows = await driver.execute(session, sql, list(chunk))
        for golden_id, payload in rows:
            found.setdefault(golden_id, []).append(payload)
    return {golden_id: tuple(payloads) for golden_id, payloads in found.items()}


Candidates = dict[str, tuple[tuple[Any, ...], tuple[str, ...]]]


async def candidate_rows(
    session: AsyncSession, domain: Domain, ids: Sequence[str], names: Sequence[str]
) -> tuple[Candidates, set[tuple[str, str]]]:
    """`golden_rows` of the live golden records among `ids`, each with its `live_payloads`,
    and the pairs among `ids` a steward marked not a match (`not_a_match`; on PostgreSQL those
    of ids with a golden row, which every id a pair names has): on PostgreSQL in
    one statement (a write group with new records reads these once; three round trips were
    ~0.4 ms of a worker's CPU), elsewhere in two or three."""
    if session.get_bind().dialect.name != "postgresql":
        payloads = await live_payloads(session, domain, ids)
        rows = await golden_rows(session, domain, ids, names)
        return {i: (row, payloads.get(i, ())) for i, row in rows.items()}, await not_a_match(session, domain, ids)
    columns = _scored_columns(domain, names, postgres=True)
    sources = f"ARRAY(SELECT payload::text {_LIVE_SOURCES} = g.id ORDER BY system, source_id)"
    # status is read, not filtered on, and the order is the unique index's: without both, the
    # generic plan on a table not yet analyzed scanned the domain's pairs by the status index
    apart = (
        "array_remove(ARRAY(SELECT CASE WHEN status = $3 THEN right_id END "
        "FROM match_candidate WHERE domain = $2 AND left_id = g.id ORDER BY right_id), NULL)"
    )
    sql = f"SELECT {columns}, {sources}, {apart} FROM {GOLDEN[domain.name].name} g WHERE id = ANY($1::varchar[])"
    wanted = set(ids)
    found: Candidates = {}
    pairs: set[tuple[str, str]] = set()
    for chunk in _chunks(sorted(wanted)):
        for row in await driver.execute(session, sql, [list(chunk), domain.name, NOT_A_MATCH]):
            if row[1] is None:
                found[row[0]] = (tuple(row)[2:-2], tuple(row[-2]))
            pairs |= {(row[0], right) for right in row[-1] if right in wanted}
    return found, pairs


def row_values(domain: Domain, names: Sequence[str], row: tuple[Any, ...]) -> dict[str, Any]:
    """A `golden_rows` row as builtins, as SQLAlchemy and from_column would make them."""
    converters = _converters(domain.name, tuple(names))
    return {name: convert(value) for (name, convert), value in zip(converters, row, strict=True)}


@lru_cache(maxsize=256)
def _converters(domain: str, names: tuple[str, ...]) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Chosen once per domain and field list: `row_values` runs for every candidate row."""
    return tuple((name, from_driver(BY_NAME[domain].field(name).kind)) for name in names)


async def live_source_keys(session: AsyncSession, domain: Domain) -> list[tuple[str, str, str]]:
    """(system, source id, golden id) of every live source record of a domain (for sampling)."""
    t = source_record
    stmt = select(t.c.system, t.c.source_id, t.c.golden_id).where(t.c.domain == domain.name, t.c.ended_at.is_(None))
    return [(s, i, g) for s, i, g in (await session.execute(stmt.order_by(t.c.system, t.c.source_id))).all()]


async def live_ids(session: AsyncSession, domain: Domain) -> list[str]:
    """Every live golden id of a domain (for sampling: one narrow column, in id order)."""
    table = GOLDEN[domain.name]
    stmt = select(table.c.id).where(table.c.merged_into.is_(None)).order_by(table.c.id)
    return list((await session.execute(stmt)).scalars())


async def golden_values(
    session: AsyncSession, domain: Domain, ids: Sequence[str], names: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The named field values (builtins) of the live golden records among `ids`."""
    rows = await golden_rows(session, domain, ids, names)
    return {golden_id: row_values(domain, names, row) for golden_id, row in rows.items()}


async def sources_of(session: AsyncSession, domain: Domain, golden_ids: Sequence[str]) -> list[Row[Any]]:
    rows: list[Row[Any]] = []
    for chunk in _chunks(sorted(set(golden_ids))):  # by golden_id alone (see _LIVE_SOURCES)
        rows += await _each(session, [source_record], source_record.c.golden_id, chunk)
    return rows


async def source_rows(session: AsyncSession, domain: Domain, keys: Sequence[SourceKey]) -> list[Row[Any]]:
    return await _by_source_key(session, source_record, domain, keys)


async def ref_targets(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> dict[str, str | None]:
    """id -> merged_into for those ids that exist in the domain's golden table."""
    table = GOLDEN[domain.name]
    out: dict[str, str | None] = {}
    for chunk in _chunks(sorted(set(ids))):
        rows = await _each(session, [table.c.id, table.c.merged_into], table.c.id, chunk)
        out.update({r.id: r.merged_into for r in rows})
    return out


async def folded_into(session: AsyncSession, domain: Domain, golden_id: str) -> set[str]:
    """The records merged into a record, and into those, and so on: all it stands for."""
    table = GOLDEN[domain.name]
    found: set[str] = set()
    frontier = [golden_id]
    while frontier:
        rows = (await session.execute(select(table.c.id).where(table.c.merged_into.in_(frontier)))).scalars()
        frontier = [i for i in rows if i not in found]
        found.update(frontier)
    return found


async def parent_of(session: AsyncSession, domain: Domain, field: str, golden_id: str) -> str | None:
    table = GOLDEN[domain.name]
    return (await session.execute(select(table.c[field]).where(table.c.id == golden_id))).scalar()


async def overlapping(
    session: AsyncSession,
    domain: Domain,
    scope: dict[str, Any],
    start: Any,
    end: Any,
    exclude_ids: Sequence[str],
    start_field: str,
    end_field: str,
) -> str | None:
    """A live record of the same scope, not among `exclude_ids`, whose [start, end] meets this one."""
    table = GOLDEN[domain.name]
    conds: list[ColumnElement[bool]] = [table.c.merged_into.is_(None), table.c.id.not_in(list(exclude_ids))]
    for name, value in scope.items():
        conds.append(table.c[name].is_(None) if value is None else table.c[name] == value)
    conds.append(or_(table.c[end_field].is_(None), table.c[end_field] >= start))
    if end is not None:
        conds.append(table.c[start_field] <= end)
    return (await session.execute(select(table.c.id).where(*conds).limit(1))).scalar()


async def insert_goldens(session: AsyncSession, domain: Domain, rows: list[dict[str, Any]]) -> None:
    await driver.insert(session, GOLDEN[domain.name], rows)


async def update_goldens(session: AsyncSession, domain: Domain, rows: list[dict[str, Any]]) -> None:
    """Write changed golden rows; each guarded by its previous version."""
    if not rows:
        return
    columns = tuple(c for c in rows[0] if c not in ("id", "prev_version"))
    params = [{"b_id": r["id"], "b_prev": r["prev_version"], **{f"b_{c}": r[c] for c in columns}} for r in rows]
    await driver.many(session, _update_goldens(domain.name, columns), params)


@lru_cache(maxsize=64)
def _update_goldens(domain: str, columns: tuple[str, ...]) -> Update:
    table = GOLDEN[domain]
    return (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_prev"))
        .values({c: bindparam(f"b_{c}") for c in columns})
    )


async def insert_crosswalks(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await driver.insert(session, crosswalk, rows)


async def reopen_crosswalks(session: AsyncSession, domain: Domain, rows: list[dict[str, Any]]) -> None:
    """Point existing crosswalk rows (ended or moved) at a golden record again."""
    await driver.many(session, _REOPEN_CROSSWALKS, _keyed(domain, rows))


def _update_by_source_key(table: Table, columns: Sequence[str]) -> Update:
    """An UPDATE of the row of one (domain, system, source_id), each value a `b_` parameter."""
    return (
        update(table)
        .where(
            table.c.domain == bindparam("b_domain"),
            table.c.system == bindparam("b_system"),
            table.c.source_id == bindparam("b_source_id"),
        )
        .values({c: bindparam(f"b_{c}") for c in columns})
    )


def _keyed(domain: Domain, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` as _update_by_source_key's parameters."""
    return [{"b_domain": domain.name, **{f"b_{k}": v for k, v in r.items()}} for r in rows]


_REOPEN_CROSSWALKS = _update_by_source_key(crosswalk, ("golden_id", "ended_at"))


async def insert_sources(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await driver.insert(session, source_record, rows)


_UPDATE_SOURCES = _update_by_source_key(
    source_record, ("golden_id", "payload", "payload_hash", "received_at", "correlation_id", "ended_at")
)


async def update_sources(session: AsyncSession, domain: Domain, rows: list[dict[str, Any]]) -> None:
    await driver.many(session, _UPDATE_SOURCES, _keyed(domain, rows))


async def match_keys_of(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> dict[str, set[str]]:
    """The blocking keys stored for golden records (by golden_id alone: see _LIVE_SOURCES)."""
    found: dict[str, set[str]] = {i: set() for i in ids}
    for chunk in _chunks(sorted(set(ids))):
        rows = await _each(session, [match_key.c.golden_id, match_key.c.key], match_key.c.golden_id, chunk)
        for golden_id, key in rows:
            found[golden_id].add(key)
    return found


async def change_match_keys(
    session: AsyncSession, domain: Domain, removed: list[tuple[str, str]], added: list[tuple[str, str]]
) -> None:
    """Drop and add (golden id, key) pairs."""
    await driver.many(session, _DROP_MATCH_KEY, [{"d": domain.name, "g": g, "k": k} for g, k in removed])
    await driver.insert(session, match_key, [{"domain": domain.name, "key": k, "golden_id": g} for g, k in added])


_DROP_MATCH_KEY = delete(match_key).where(
    match_key.c.domain == bindparam("d"), match_key.c.golden_id == bindparam("g"), match_key.c.key == bindparam("k")
)


Link = tuple[str, str, str]  # (scheme, country or "", value)


async def identifiers_of(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> dict[str, set[Link]]:
    """The linking identifiers stored for golden records (by golden_id alone: see _LIVE_SOURCES)."""
    t = golden_identifier
    found: dict[str, set[Link]] = {i: set() for i in ids}
    for chunk in _chunks(sorted(set(ids))):
        rows = await _each(session, [t.c.golden_id, t.c.scheme, t.c.country, t.c.value], t.c.golden_id, chunk)
        for golden_id, scheme, country, value in rows:
            found[golden_id].add((scheme, country, value))
    return found


async def change_identifiers(
    session: AsyncSession, domain: Domain, removed: list[tuple[str, Link]], added: list[tuple[str, Link]]
) -> None:
    """Drop and add (golden id, identifier) pairs."""
    gone = [{"d": domain.name, "g": g, "s": s, "c": c, "v": v} for g, (s, c, v) in removed]
    await driver.many(session, _DROP_IDENTIFIER, gone)
    rows = [{"domain": domain.name, "scheme": s, "country": c, "value": v, "golden_id": g} for g, (s, c, v) in added]
    await driver.insert(session, golden_identifier, rows)


_DROP_IDENTIFIER = delete(golden_identifier).where(
    golden_identifier.c.domain == bindparam("d"), golden_identifier.c.golden_id == bindparam("g"),
    golden_identifier.c.scheme == bindparam("s"), golden_identifier.c.country == bindparam("c"),
    golden_identifier.c.value == bindparam("v"),
)  # fmt: skip


_PG_IDENTIFIERS = (
    "SELECT k.s, k.c, k.v, hit.golden_id FROM unnest($2::varchar[], $3::varchar[], $4::varchar[]) AS k(s, c, v)"
    " CROSS JOIN LATERAL (SELECT golden_id FROM golden_identifier WHERE domain = $1 AND scheme = k.s"
    " AND country = k.c AND value = k.v LIMIT 50) AS hit"
)


async def ids_by_identifier(session: AsyncSession, domain: Domain, links: Sequence[Link]) -> dict[Link, set[str]]:
    """Live golden ids holding each of these identifiers.

    On PostgreSQL each identifier is one lookup of the primary key (a LATERAL with LIMIT,
    which the planner cannot flatten): joined by value, a never-analyzed table was read
    whole per batch, slower with every record loaded."""
    wanted = sorted(set(links))
    found: dict[Link, set[str]] = {}
    if session.get_bind().dialect.name == "postgresql":
        for chunk in _chunks(wanted, 1000):
            columns = [list(c) for c in zip(*chunk, strict=True)]
            for scheme, country, value, golden_id in await driver.execute(session, _PG_IDENTIFIERS,
                                                                          [domain.name, *columns]):  # fmt: skip
                found.setdefault((scheme, country, value), set()).add(golden_id)
        return found
    t, asked = golden_identifier, set(wanted)
    for chunk in _chunks(sorted({v for _, _, v in wanted})):
        stmt = select(t.c.scheme, t.c.country, t.c.value, t.c.golden_id).where(
            t.c.value.in_(list(chunk)), t.c.domain == domain.name
        )
        for scheme, country, value, golden_id in (await session.execute(stmt)).all():
            if (scheme, country, value) in asked:
                found.setdefault((scheme, country, value), set()).add(golden_id)
    return found


@lru_cache(maxsize=128)
def _sqlite_blocks(n: int) -> str:
    """UNION ALL of `n` limited block reads."""
    part = (
        "SELECT * FROM (SELECT key, golden_id FROM match_key"
        " WHERE domain = :d AND key = :k{} ORDER BY golden_id LIMIT :cap)"
    )
    return " UNION ALL ".join(part.format(i) for i in range(n))


_PG_BLOCKS = (
    "SELECT k.v, hit.golden_id FROM unnest($2::varchar[]) AS k(v) CROSS JOIN LATERAL"
    " (SELECT golden_id FROM match_key WHERE domain = $1 AND key = k.v ORDER BY golden_id LIMIT $3) AS hit"
)


async def driver_fetch(session: AsyncSession, sql: str, *args: Any) -> list[Any]:
    """Rows of the driver's own SQL on the session's asyncpg connection (records, read by
    name or position): the GraphQL layer's reads (mdm.db.driver.execute takes turns with
    SQLAlchemy's statements on the connection, since a request's loaders read side by side)."""
    return await driver.execute(session, sql, list(args))


async def blocks_of(session: AsyncSession, domain: Domain, keys: Sequence[str], cap: int) -> dict[str, list[str]]:
    """Golden ids under each blocking key, the first `cap` per key in id order.

    Each key reads at most `cap` index entries, however large its block has grown: a
    LATERAL subquery with LIMIT per key on PostgreSQL, a UNION ALL of limited subqueries
    on SQLite (a window over an IN list read every entry of every large block). On the
    raw driver: ingestion reads several blocks per record, and through SQLAlchemy the
    read cost twice as much (bench/README.md)."""
    found: dict[str, list[str]] = {}
    if session.get_bind().dialect.name == "postgresql":
        for chunk in _chunks(list(keys), 1000):
            for key, golden_id in await driver.execute(session, _PG_BLOCKS, [domain.name, chunk, cap]):
                found.setdefault(key, []).append(golden_id)
        return found
    for chunk in _chunks(list(keys), 100):
        params = {"d": domain.name, "cap": cap} | {f"k{i}": key for i, key in enumerate(chunk)}
        for key, golden_id in await driver.execute(session, _sqlite_blocks(len(chunk)), params):
            found.setdefault(key, []).append(golden_id)
    return found


async def insert_decisions(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await driver.insert(session, match_decision, rows)


async def decisions_about(session: AsyncSession, domain: Domain, golden_id: str) -> list[Row[Any]]:
    """Match decisions that made or named a golden record, newest first."""
    stmt = (
        select(match_decision)
        .where(
            match_decision.c.domain == domain.name,
            or_(match_decision.c.golden_id == golden_id, match_decision.c.candidate_id == golden_id),
        )
        .order_by(match_decision.c.id.desc())
    )
    return list((await session.execute(stmt)).all())


async def blocks(session: AsyncSession, domain: Domain, *, by_member: bool = False) -> list[tuple[str, int]]:
    """Every blocking key of a domain held by two or more golden records, with its size, in
    key order; `by_member`: in the order of each block's first member (golden id), so the
    several blocks one pair of duplicates shares come one after another (a scan then reads
    and compares those records once, not once per kind of key)."""
    size = func.count().label("size")
    first = func.min(match_key.c.golden_id)
    stmt = (
        select(match_key.c.key, size)
        .where(match_key.c.domain == domain.name)
        .group_by(match_key.c.key)
        .having(func.count() >= 2)
        .order_by(*((first, match_key.c.key) if by_member else (match_key.c.key,)))
    )
    return [(k, int(n)) for k, n in (await session.execute(stmt)).all()]


async def queue_candidates(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Row[Any]]:
    """Add candidate pairs; a pair already queued (in any status) is left as it is.
    Answers the new ones (id, domain, left_id, right_id, score)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    added: list[Row[Any]] = []
    c = match_candidate.c
    for chunk in _chunks(rows, 500):  # one multi-row INSERT a chunk: RETURNING says what was new
        stmt = insert_(match_candidate).values(list(chunk))
        stmt = stmt.on_conflict_do_nothing(index_elements=["domain", "left_id", "right_id"])
        added += (await session.execute(stmt.returning(c.id, c.domain, c.left_id, c.right_id, c.score))).all()
    return added


def candidate_row(
    domain: Domain,
    first: str,
    second: str,
    score: float,
    rules_version: int,
    explanation: list[dict[str, Any]],
    *,
    status: str,
    source: str,
    at: datetime,
) -> dict[str, Any]:
    """A match_candidate row; the pair is kept with the smaller id on the left, and the
    explanation's left and right values turned to match."""
    left, right = sorted((first, second))
    if left != first:
        explanation = [{**e, "left": e.get("right"), "right": e.get("left")} if "left" in e or "right" in e else e
                       for e in explanation]  # fmt: skip
    return {"domain": domain.name, "left_id": left, "right_id": right, "score": score, "rules_version": rules_version,
            "explanation": explanation, "status": status, "source": source, "created_at": at}  # fmt: skip


async def set_pair_status(session: AsyncSession, row: dict[str, Any]) -> None:
    """Queue a pair with a status, or change the status of the pair already queued."""
    dialect = session.get_bind().dialect.name
    ins = pg_insert(match_candidate) if dialect == "postgresql" else sqlite_insert(match_candidate)
    stmt = ins.values(row).on_conflict_do_update(
        index_elements=["domain", "left_id", "right_id"], set_={"status": ins.excluded.status}
    )
    await session.execute(stmt)


_ANY_APART = (
    select(match_candidate.c.id)
    .where(match_candidate.c.domain == bindparam("d"), match_candidate.c.status == NOT_A_MATCH)
    .limit(1)
)


async def not_a_match(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> set[tuple[str, str]]:
    """The pairs among `ids` a steward marked "not a match", each as (smaller id, larger id)."""
    if not await driver.rows(session, _ANY_APART, {"d": domain.name}):
        return set()  # none in the domain yet: one index probe instead of a read per id
    wanted = set(ids)
    found = await _queued(session, domain, wanted)
    return {(a, b) for a, b, status, _ in found if b in wanted and status == NOT_A_MATCH}


async def pending_under_other_rules(
    session: AsyncSession, domain: Domain, pairs: Iterable[tuple[str, str]], version: int
) -> set[tuple[str, str]]:
    """Those of `pairs` (smaller id, larger id) pending in the queue and scored under another
    rules version than `version`: no steward decided them, and those rules never weighed them."""
    wanted = set(pairs)
    found = await _queued(session, domain, {a for a, _ in wanted})
    return {(a, b) for a, b, status, v in found if (a, b) in wanted and status == PENDING and v != version}


async def rescore_candidates(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Put the score, explanation and rules version of `rows` (`candidate_row`s) on the queued
    pairs they name."""
    await driver.many(session, _RESCORE, [{"d": r["domain"], "l": r["left_id"], "r": r["right_id"], "s": r["score"],
                                           "e": r["explanation"], "v": r["rules_version"]} for r in rows])  # fmt: skip


_RESCORE = (
    update(match_candidate)
    .where(
        match_candidate.c.domain == bindparam("d"),
        match_candidate.c.left_id == bindparam("l"),
        match_candidate.c.right_id == bindparam("r"),
        match_candidate.c.status == PENDING,
    )
    .values(score=bindparam("s"), explanation=bindparam("e"), rules_version=bindparam("v"))
)


async def _queued(session: AsyncSession, domain: Domain, lefts: set[str]) -> list[tuple[str, str, str, int]]:
    """(left, right, status, rules version) of the queued pairs whose left id is one of `lefts`."""
    c = match_candidate.c
    found: list[tuple[str, str, str, int]] = []
    for chunk in _chunks(sorted(lefts)):
        # status filtered by the caller, not in SQL: with it, a generic plan may pick the status index
        cols = [c.left_id, c.right_id, c.status, c.rules_version]
        rows = await _each(session, cols, c.left_id, chunk, equal=[(c.domain, domain.name)])
        found += [(a, b, status, v) for a, b, status, v in rows]
    return found


async def linked_decisions(session: AsyncSession, domain: Domain) -> list[Row[Any]]:
    """The automatic links made by score, oldest first."""
    stmt = select(match_decision).where(match_decision.c.domain == domain.name, match_decision.c.outcome == "linked")
    return list((await session.execute(stmt.order_by(match_decision.c.id))).all())


async def candidate_pairs(session: AsyncSession, domain: Domain, status: str | None = None) -> list[Row[Any]]:
    stmt = select(match_candidate).where(match_candidate.c.domain == domain.name)
    if status:
        stmt = stmt.where(match_candidate.c.status == status)
    return list((await session.execute(stmt.order_by(match_candidate.c.id))).all())


async def insert_history(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await driver.insert(session, golden_history, rows)


async def audit_rows(
    session: AsyncSession,
    equal: dict[str, Any],
    *,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[Row[Any]]:
    """Audit rows newest first, filtered by equal columns and a time window."""
    stmt = select(audit_log).where(*(audit_log.c[k] == v for k, v in equal.items()))
    if since:
        stmt = stmt.where(audit_log.c.at >= since)
    if until:
        stmt = stmt.where(audit_log.c.at < until)
    if before_id is not None:
        stmt = stmt.where(audit_log.c.id < before_id)
    return list((await session.execute(stmt.order_by(audit_log.c.id.desc()).limit(limit))).all())


async def accepted_writes(session: AsyncSession, since: datetime) -> list[Row[Any]]:
    """Record writes that went through since an instant, newest first (for policy dry-runs)."""
    stmt = select(audit_log).where(
        audit_log.c.at >= since,
        audit_log.c.action.in_(("upsert", "create", "patch")),
        audit_log.c.outcome.not_in(("rejected", "denied")),
    )
    return list((await session.execute(stmt.order_by(audit_log.c.id.desc()))).all())


async def live_ids_page(session: AsyncSession, domain: Domain, after_id: str | None, limit: int) -> list[str]:
    """Ids of live golden records in id order, one page at a time."""
    table = GOLDEN[domain.name]
    stmt = select(table.c.id).where(table.c.merged_into.is_(None))
    if after_id:
        stmt = stmt.where(table.c.id > after_id)
    return list((await session.execute(stmt.order_by(table.c.id).limit(limit))).scalars())


def audit_row(
    at: datetime,
    principal: str,
    roles: Iterable[str],
    action: str,
    outcome: str,
    *,
    domain: str | None = None,
    record_id: str | None = None,
    fields: list[str] | None = None,
    correlation_id: str | None = None,
    detail: str | None = None,
) -> dict[str, Any]:
    """One audit_log row: writes, refusals, policy changes and sign-ins all take this shape."""
    return {"at": at, "principal": principal, "roles": sorted(roles), "action": action, "domain": domain,
            "record_id": record_id, "fields": fields, "correlation_id": correlation_id, "outcome": outcome,
            "detail": detail}  # fmt: skip


async def insert_audit(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await driver.insert(session, audit_log, rows)


# ---- reads for the API -------------------------------------------------------------


async def count_live(session: AsyncSession, domain: Domain) -> int:
    table = GOLDEN[domain.name]
    stmt = select(func.count()).select_from(table).where(table.c.merged_into.is_(None))
    return int((await session.execute(stmt)).scalar_one())


async def golden_row(session: AsyncSession, domain: Domain, golden_id: str) -> Row[Any] | None:
    table = GOLDEN[domain.name]
    return (await session.execute(select(table).where(table.c.id == golden_id))).first()


async def list_goldens(
    session: AsyncSession,
    domain: Domain,
    *,
    limit: int,
    after_id: str | None,
    q: str | None,
    status: str | None,
    updated_since: datetime | None,
    readable: frozenset[str],
    equals: dict[str, Any] | None = None,
    identifier: Link | None = None,
) -> list[Row[Any]]:
    table = GOLDEN[domain.name]
    stmt = _listed(session, domain, q=q, status=status, updated_since=updated_since, readable=readable,
                   equals=equals, identifier=identifier)  # fmt: skip
    if stmt is None:
        return []
    if after_id:
        stmt = stmt.where(table.c.id > after_id)
    return list((await session.execute(stmt.order_by(table.c.id).limit(limit))).all())


async def count_goldens(
    session: AsyncSession,
    domain: Domain,
    *,
    q: str | None,
    status: str | None,
    updated_since: datetime | None,
    readable: frozenset[str],
    equals: dict[str, Any] | None = None,
    identifier: Link | None = None,
) -> int:
    """How many live records the same filters as `list_goldens` select (every page)."""
    stmt = _listed(session, domain, q=q, status=status, updated_since=updated_since, readable=readable,
                   equals=equals, identifier=identifier)  # fmt: skip
    if stmt is None:
        return 0
    return int((await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one())


def view_columns(table: Table) -> list[Column[Any]]:
    """A golden table's columns a view shows: all but the lineage, its largest."""
    return [c for c in table.c if c.name != "lineage"]


def _listed(
    session: AsyncSession,
    domain: Domain,
    *,
    q: str | None,
    status: str | None,
    updated_since: datetime | None,
    readable: frozenset[str],
    equals: dict[str, Any] | None = None,
    identifier: Link | None = None,
) -> Select[Any] | None:
    """The live records a list's filters select; None when `q` has no readable field to search.
    `equals`: fields that must hold these values; `identifier`: a linking identifier
    (scheme, country, value) the record must hold."""
    table = GOLDEN[domain.name]
    stmt = select(*view_columns(table)).where(table.c.merged_into.is_(None))
    if status:
        stmt = stmt.where(table.c.status == status)
    for name, value in (equals or {}).items():
        stmt = stmt.where(table.c[name] == value)
    if identifier is not None:
        t = golden_identifier
        scheme, country, value = identifier
        holders = select(t.c.golden_id).where(
            t.c.domain == domain.name, t.c.scheme == scheme, t.c.country == country, t.c.value == value
        )
        stmt = stmt.where(table.c.id.in_(holders))
    if updated_since:
        stmt = stmt.where(table.c.updated_at >= updated_since)
    if q:
        found = searched(session, domain, q, readable, lambda name, part: (
            table.c[name][part].as_string() if part else table.c[name]))  # fmt: skip
        if found is None:
            return None
        stmt = stmt.where(found)
    return stmt


def searched(
    session: AsyncSession, domain: Domain, q: str, readable: frozenset[str], column: Callable[[str, str | None], Any]
) -> Any | None:
    """The condition `q` puts on a list: any searchable field the caller may read holds it
    (case-folded; a person's name by its parts), `column(field, part)` naming where a field
    is; None when there is no such field: searching fields the caller may not read would
    leak them."""
    fold = func.mdm_fold if session.get_bind().dialect.name == "sqlite" else func.lower
    escaped = q.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    parts = [
        column(f.name, part)
        for f in domain.fields
        if f.searchable and f.name in readable
        for part in (("given", "family", "preferred") if f.kind == "person_name" else (None,))
    ]
    return or_(*(fold(c).like(f"%{escaped}%", escape="\\") for c in parts)) if parts else None


async def history(session: AsyncSession, domain: Domain, golden_id: str) -> list[Row[Any]]:
    stmt = (
        select(golden_history)
        .where(golden_history.c.domain == domain.name, golden_history.c.golden_id == golden_id)
        .order_by(golden_history.c.version.desc())
    )
    return list((await session.execute(stmt)).all())


async def version_as_of(session: AsyncSession, domain: Domain, golden_id: str, at: datetime) -> Row[Any] | None:
    stmt = (
        select(golden_history)
        .where(
            golden_history.c.domain == domain.name,
            golden_history.c.golden_id == golden_id,
            golden_history.c.changed_at <= at,
        )
        .order_by(golden_history.c.version.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).first()


async def crosswalks_of(session: AsyncSession, domain: Domain, golden_id: str) -> list[Row[Any]]:
    stmt = (
        select(crosswalk)
        .where(crosswalk.c.domain == domain.name, crosswalk.c.golden_id == golden_id)
        .order_by(crosswalk.c.system, crosswalk.c.source_id)
    )
    return list((await session.execute(stmt)).all())


async def crosswalk_row(session: AsyncSession, domain: Domain, system: str, source_id: str) -> Row[Any] | None:
    stmt = select(crosswalk).where(
        and_(crosswalk.c.domain == domain.name, crosswalk.c.system == system, crosswalk.c.source_id == source_id)
    )
    return (await session.execute(stmt)).first()
