"""Engine and session wiring for SQLite (embedded default) and PostgreSQL.

SQLite writes take the write lock up front (`BEGIN IMMEDIATE`), so two writers never
both read-then-write; reads use a second engine with deferred transactions.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def _json_dumps(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _fold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _make_engine(url: str, *, immediate: bool = False, pool_size: int = 10) -> AsyncEngine:
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": msgspec.json.decode}
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=False)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            # SQLite's lower() folds ASCII only; search needs "Ärzte" to find "ÄRZTE"
            dbapi_conn.create_function("mdm_fold", 1, _fold, deterministic=True)

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@dataclass
class Database:
    """The app's engines: `write` for requests that change data, `read` for the rest."""

    url: str
    write: AsyncEngine
    read: AsyncEngine

    @classmethod
    def connect(cls, url: str, pool_size: int = 10) -> "Database":
        write = _make_engine(url, immediate=True, pool_size=pool_size)
        read = _make_engine(url, pool_size=pool_size) if is_sqlite(url) else write
        return cls(url=url, write=write, read=read)

    @classmethod
    @asynccontextmanager
    async def opened(cls, url: str) -> AsyncIterator["Database"]:
        """A database for one command or script, disposed of at the end."""
        db = cls.connect(url)
        try:
            yield db
        finally:
            await db.dispose()

    @property
    def dialect(self) -> str:
        return self.write.dialect.name

    def sessionmaker(self, *, write: bool) -> async_sessionmaker[AsyncSession]:
        return async_sessionmaker(self.write if write else self.read, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction outside a request (CLI, import, demo)."""
        async with self.sessionmaker(write=True)() as session, session.begin():
            yield session

    async def ping(self) -> None:
        """One round trip to the database (readiness); raises when it does not answer."""
        async with self.read.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.write.dispose()
        if self.read is not self.write:
            await self.read.dispose()
