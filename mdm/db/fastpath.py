"""The resolve hot path on the raw driver (asyncpg, stdlib sqlite3), beside SQLAlchemy.

Measured on this stack, an indexed read through SQLAlchemy async costs 4-10x the CPU of
the same read on the raw driver; resolve is the call every integration makes before it
posts, so it reads here. Writes never do. Statements are built once per domain from
the same table metadata, so they cannot drift from the schema.
"""

import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import msgspec

from contracts.v1 import Address
from mdm.db.convert import from_driver, json_value
from mdm.db.engine import Timeouts
from mdm.db.merges import follow, follow_rows
from mdm.db.tables import GOLDEN
from mdm.domains import BY_NAME, DOMAINS, Domain

Key = tuple[str, str, str]  # (domain, system, source_id)


def _sqlite_path(url: str) -> str:
    # sqlite+aiosqlite:///./mdm.db -> ./mdm.db ; sqlite+aiosqlite:////abs/path -> /abs/path
    return url.split(":///", 1)[1]


def _columns(domain: Domain) -> list[str]:
    """The view's columns, after merged_into (which every statement selects first)."""
    return [str(c.name) for c in GOLDEN[domain.name].columns if c.name not in ("lineage", "merged_into")]


_COLUMNS = {d.name: _columns(d) for d in DOMAINS}
Converter = Callable[[Any], Any]


def _sqlite_timestamp(value: str | None) -> str | None:
    """'2026-11-22 02:49:41.296354' (naive UTC, as stored) -> the API's '…T02:49:41.296354Z'."""
    if value is None:
        return None
    return value.removesuffix(".000000").replace(" ", "T", 1) + "Z"


_ADDRESS_KEYS = tuple(f.name for f in msgspec.structs.fields(Address))


def _address(value: Any) -> Any:
    """Stored without empty parts; answered with every part, as the contract reads."""
    value = json_value(value)
    return None if value is None else {k: value.get(k) for k in _ADDRESS_KEYS}


def _overrides(value: Any) -> list[str]:
    return sorted(json_value(value) or {})


def _converters(domain: Domain, sqlite: bool) -> list[tuple[str, Converter]]:
    """One converter per column, chosen once: driver value -> the API's builtin value."""
    out: list[tuple[str, Converter]] = []
    for name in _COLUMNS[domain.name]:
        if name == "overrides":
            fn: Converter = _overrides
        elif name in ("created_at", "updated_at"):
            fn = _sqlite_timestamp if sqlite else from_driver("text")
        elif domain.has_field(name) and domain.field(name).kind == "address":
            fn = _address  # answered with every part, as the read contract has it
        elif domain.has_field(name):
            fn = from_driver(domain.field(name).kind, sqlite=sqlite)
        else:
            fn = from_driver("text")
        out.append((name, fn))
    return out


def _resolve_sql(domain: Domain, placeholder: str) -> str:
    cols = ", ".join(f"g.{c}" for c in _COLUMNS[domain.name])
    p = [placeholder.format(i) for i in (1, 2, 3)]
    return (
        f"SELECT g.merged_into, {cols} FROM crosswalk c JOIN {domain.name} g ON g.id = c.golden_id "
        f"WHERE c.domain = {p[0]} AND c.system = {p[1]} AND c.source_id = {p[2]} AND c.ended_at IS NULL"
    )


def _by_id_sql(domain: Domain, placeholder: str) -> str:
    cols = ", ".join(_COLUMNS[domain.name])
    return f"SELECT merged_into, {cols} FROM {domain.name} WHERE id = {placeholder.format(1)}"


class FastReads:
    """Raw-driver reads for resolve and bulk resolve."""

    def __init__(self, url: str, pool_size: int = 10, timeouts: Timeouts = Timeouts()):
        self.url = url
        self.pool_size = pool_size
        self.timeouts = timeouts
        self.pool: Any = None
        self.sqlite: sqlite3.Connection | None = None
        self.views = {d.name: _converters(d, self.is_sqlite) for d in DOMAINS}

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def on_read_db(self) -> "FastReads":
        """These reads on the read database alone (see ReplicaFirst): here, the one database."""
        return self

    async def start(self) -> None:
        if self.is_sqlite:
            self.sqlite = sqlite3.connect(_sqlite_path(self.url), check_same_thread=False, isolation_level=None)
            self.sqlite.execute("PRAGMA busy_timeout=5000")
            self.sqlite.execute("PRAGMA query_only=1")
            self.sqlite.execute("PRAGMA mmap_size=1073741824")  # reads straight from the page cache
        else:
            import asyncpg

            dsn = self.url.replace("postgresql+asyncpg://", "postgresql://")

            async def init(conn: Any) -> None:
                await conn.set_type_codec(
                    "jsonb",
                    encoder=lambda v: msgspec.json.encode(v).decode(),
                    decoder=msgspec.json.decode,
                    schema="pg_catalog",
                )

            # no connection at start (min_size=0): a server started while its database is down
            # serves 503s until it is back, instead of failing to start
            t = self.timeouts
            self.pool = await asyncpg.create_pool(dsn, min_size=0, max_size=self.pool_size, init=init,
                                                  timeout=t.connect or 60.0, command_timeout=t.statement)  # fmt: skip

    async def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
            self.sqlite = None
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    async def _fetchrow(self, sql_pg: str, sql_lite: str, *args: Any) -> Any:
        if self.sqlite is not None:
            return self.sqlite.execute(sql_lite, args).fetchone()
        return await self.pool.fetchrow(sql_pg, *args)

    async def resolve(self, domain: Domain, system: str, source_id: str) -> tuple[dict[str, Any], list[str]] | None:
        """The live record a source key maps to, and the merged-away ids passed on the way."""
        row = await self._fetchrow(_RESOLVE_PG[domain.name], _RESOLVE_LITE[domain.name], domain.name, system, source_id)
        if row is None:
            return None
        if row[0]:  # merged away: rare, so the walk is only set up then
            by_id = (_BY_ID_PG[domain.name], _BY_ID_LITE[domain.name])
            found = await follow_rows(row, lambda i: self._fetchrow(*by_id, i), merged_into=lambda r: r[0],
                                      id_of=lambda r: r[1])  # fmt: skip
            if found is None:
                return None
            row, passed = found
        else:
            passed = []
        return {name: fn(row[i]) for i, (name, fn) in enumerate(self.views[domain.name], start=1)}, passed

    async def bulk_resolve(self, keys: Sequence[Key]) -> list[tuple[str | None, list[str]]]:
        """(golden id or None, merged path) per key, in order, in one round trip per table."""
        if self.sqlite is not None:
            cur = self.sqlite.execute(_BULK_LITE, (msgspec.json.encode(keys).decode(),))
            found = dict(cur.fetchall())
        else:
            rows = await self.pool.fetch(_BULK_PG, [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])
            found = {r[0] - 1: r[1] for r in rows}
        ids = [found.get(i) for i in range(len(keys))]
        merged = await self._merged_targets([(keys[i][0], gid) for i, gid in enumerate(ids) if gid])
        out: list[tuple[str | None, list[str]]] = []
        for (domain, _, _), gid in zip(keys, ids, strict=True):
            if gid is None or (domain, gid) not in merged:
                out.append((gid, []))
                continue
            end = follow(gid, partial(_survivor, merged, domain))
            out.append(end if end is not None else (None, []))
        return out

    async def _merged_targets(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Where merged-away ids among these point; chains are followed by the caller."""
        result: dict[tuple[str, str], str] = {}
        by_domain: dict[str, set[str]] = {}
        for d, gid in pairs:
            if d in BY_NAME:
                by_domain.setdefault(d, set()).add(gid)
        while by_domain:
            nxt: dict[str, set[str]] = {}
            for d, gids in by_domain.items():
                if self.sqlite is not None:
                    rows = self.sqlite.execute(
                        f"SELECT g.id, g.merged_into FROM json_each(?) j JOIN {d} g ON g.id = j.value "
                        "WHERE g.merged_into IS NOT NULL",
                        (msgspec.json.encode(sorted(gids)).decode(),),
                    ).fetchall()
                else:
                    rows = await self.pool.fetch(
                        f"SELECT id, merged_into FROM {d} WHERE id = ANY($1::text[]) AND merged_into IS NOT NULL",
                        sorted(gids),
                    )
                for gid, target in rows:
                    result[(d, gid)] = target
                    if (d, target) not in result:
                        nxt.setdefault(d, set()).add(target)
            by_domain = nxt
        return result


class ReplicaFirst:
    """Resolve on a read replica; a key it does not know yet (written since its last replay)
    is asked of the primary, so a new source record resolves as soon as its write is
    answered. Anything else answers as the replica has it, up to its replay delay old (an
    update, a merge, a key moved to another record)."""

    def __init__(self, replica: FastReads, primary: FastReads):
        self.replica, self.primary = replica, primary

    @property
    def on_read_db(self) -> FastReads:
        """The replica alone: for GraphQL, whose every other read of an answer is there too."""
        return self.replica

    async def start(self) -> None:
        await self.replica.start()
        await self.primary.start()

    async def close(self) -> None:
        await self.replica.close()
        await self.primary.close()

    async def resolve(self, domain: Domain, system: str, source_id: str) -> tuple[dict[str, Any], list[str]] | None:
        found = await self.replica.resolve(domain, system, source_id)
        return found if found is not None else await self.primary.resolve(domain, system, source_id)

    async def bulk_resolve(self, keys: Sequence[Key]) -> list[tuple[str | None, list[str]]]:
        out = await self.replica.bulk_resolve(keys)
        missing = [i for i, (gid, _) in enumerate(out) if gid is None]
        if missing:
            for i, found in zip(missing, await self.primary.bulk_resolve([keys[i] for i in missing]), strict=True):
                out[i] = found
        return out


def fast_reads(url: str, read_url: str | None, pool_size: int, timeouts: Timeouts) -> FastReads | ReplicaFirst:
    """The raw-driver reads of one worker: on the database, or replica first."""
    primary = FastReads(url, pool_size, timeouts)
    return primary if not read_url else ReplicaFirst(FastReads(read_url, pool_size, timeouts), primary)


def _survivor(merged: dict[tuple[str, str], str], domain: str, golden_id: str) -> str | None:
    return merged.get((domain, golden_id))


_RESOLVE_PG = {d.name: _resolve_sql(d, "${}") for d in DOMAINS}
_RESOLVE_LITE = {d.name: _resolve_sql(d, "?") for d in DOMAINS}
_BY_ID_PG = {d.name: _by_id_sql(d, "${}") for d in DOMAINS}
_BY_ID_LITE = {d.name: _by_id_sql(d, "?") for d in DOMAINS}
_BULK_PG = (
    "SELECT k.ord, c.golden_id FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY "
    "AS k(domain, system, source_id, ord) JOIN crosswalk c ON c.domain = k.domain AND c.system = k.system "
    "AND c.source_id = k.source_id AND c.ended_at IS NULL"
)
_BULK_LITE = (
    "SELECT CAST(j.key AS INTEGER), c.golden_id FROM json_each(?) j JOIN crosswalk c "
    "ON c.domain = json_extract(j.value, '$[0]') AND c.system = json_extract(j.value, '$[1]') "
    "AND c.source_id = json_extract(j.value, '$[2]') AND c.ended_at IS NULL"
)
