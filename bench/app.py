"""The app the benchmark serves: the real `create_app(settings)` plus two reference routes.

`/bench/constant` answers a constant Struct (the framework's ceiling on this server) and
`/bench/raw-resolve` does the same indexed crosswalk lookup as resolve with the raw driver
and no ORM (the database ceiling). Both are registered on the same Litestar app, so they
pass through the same middleware as `/v1/customers/resolve`.
"""

import sqlite3
from typing import Any

import msgspec
from litestar import Litestar, Request, get
from litestar.exceptions import NotFoundException

from mdm.app import create_app
from mdm.db.engine import is_sqlite
from mdm.settings import Settings

RAW_SQL = "SELECT golden_id FROM crosswalk WHERE domain = {0} AND system = {1} AND source_id = {2} AND ended_at IS NULL"
RAW_SQL_PG = RAW_SQL.format("$1", "$2", "$3")
RAW_SQL_LITE = RAW_SQL.format("?", "?", "?")


class Constant(msgspec.Struct, kw_only=True):
    status: str
    service: str
    version: int


class RawResolved(msgspec.Struct, kw_only=True):
    id: str


CONSTANT = Constant(status="ok", service="mdm", version=1)


@get("/bench/constant", include_in_schema=False)
async def constant() -> Constant:
    """The framework ceiling: no I/O at all."""
    return CONSTANT


@get("/bench/raw-resolve", include_in_schema=False)
async def raw_resolve(request: Request, system: str, source_id: str) -> RawResolved:
    """The database ceiling: one indexed crosswalk read on the raw driver."""
    raw: RawReads = request.app.state.raw
    golden_id = await raw.golden_id("customer", system, source_id)
    if golden_id is None:
        raise NotFoundException(f"no active customer for {system}/{source_id}")
    return RawResolved(id=golden_id)


class RawReads:
    """A stdlib sqlite3 connection (called synchronously) or an asyncpg pool, nothing else."""

    def __init__(self, url: str, pool_size: int):
        self.url = url
        self.pool_size = pool_size
        self.sqlite: sqlite3.Connection | None = None
        self.pool: Any = None

    async def start(self) -> None:
        if is_sqlite(self.url):
            path = self.url.split(":///", 1)[1]
            self.sqlite = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.sqlite.execute("PRAGMA query_only=1")
        else:
            import asyncpg

            dsn = self.url.replace("postgresql+asyncpg://", "postgresql://")
            self.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=self.pool_size)

    async def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        if self.pool is not None:
            await self.pool.close()

    async def golden_id(self, domain: str, system: str, source_id: str) -> str | None:
        if self.sqlite is not None:
            row = self.sqlite.execute(RAW_SQL_LITE, (domain, system, source_id)).fetchone()
        else:
            row = await self.pool.fetchrow(RAW_SQL_PG, domain, system, source_id)
        return None if row is None else row[0]


def create_bench_app() -> Litestar:
    """`create_app` from MDM_* settings, plus the two reference routes and their raw driver."""
    settings = Settings.from_env()
    app = create_app(settings)
    raw = RawReads(settings.database_url, settings.pool_size)

    async def start_raw(app: Litestar) -> None:
        app.state.raw = raw
        await raw.start()

    async def close_raw(app: Litestar) -> None:
        await raw.close()

    app.on_startup.append(start_raw)
    app.on_shutdown.append(close_raw)
    app.register(constant)
    app.register(raw_resolve)
    return app
