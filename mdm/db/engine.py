"""Engine and session wiring for SQLite (embedded default) and PostgreSQL.

SQLite writes take the write lock up front (`BEGIN IMMEDIATE`), so two writers never
both read-then-write; reads use a second engine with deferred transactions.
"""

import asyncio
import contextlib
import logging
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


@dataclass(frozen=True)
class Timeouts:
    """How long the hub waits on its database before it answers 503 (seconds; None: no
    limit, for batch commands). `connect`: a new connection, or one from a full pool;
    `statement`: one statement (PostgreSQL cancels it, and the driver gives up then should
    the server not answer at all); on SQLite, how long a writer queues for the lock. A frozen
    server is answered within about connect + 2 x statement (the statement, then the rollback
    of the connection it broke)."""

    connect: float | None = None
    statement: float | None = None


# SQLite write-ahead log pages a commit may leave before it copies them into the database
# itself: SQLite's 1,000 by default; with `background_checkpoints` the server's checkpointer
# does it, and this is only the bound should it fall behind
BACKGROUND_AUTOCHECKPOINT = 20_000
WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes the write-ahead log file keeps once checkpointed


def _make_engine(
    url: str,
    *,
    immediate: bool = False,
    pool_size: int = 10,
    timeouts: Timeouts = Timeouts(),
    autocheckpoint: int = 1000,
) -> AsyncEngine:
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": msgspec.json.decode}
    busy = timeouts.statement if timeouts.statement is not None else 30.0
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": busy}
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=False)
        args: dict[str, Any] = {}
        if timeouts.connect is not None:
            args["timeout"] = timeouts.connect
            kwargs["pool_timeout"] = timeouts.connect
        if timeouts.statement is not None:
            args["command_timeout"] = timeouts.statement
            args["server_settings"] = {"statement_timeout": str(int(timeouts.statement * 1000))}
        kwargs["connect_args"] = args
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let the "begin" hook below issue BEGIN
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint}")
            cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")  # the log file shrinks back after a burst
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
    timeouts: Timeouts = Timeouts()

    @classmethod
    def connect(
        cls, url: str, pool_size: int = 10, timeouts: Timeouts = Timeouts(), *, background_checkpoints: bool = False
    ) -> "Database":
        """`background_checkpoints` (SQLite; the server): commits leave the write-ahead log to
        `checkpoints`, which the caller runs."""
        pages = BACKGROUND_AUTOCHECKPOINT if background_checkpoints else 1000
        write = _make_engine(url, immediate=True, pool_size=pool_size, timeouts=timeouts, autocheckpoint=pages)
        read = _make_engine(url, pool_size=pool_size, timeouts=timeouts) if is_sqlite(url) else write
        return cls(url=url, write=write, read=read, timeouts=timeouts)

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
        """One round trip to the database (readiness); raises when it does not answer, and
        TimeoutError when it does not answer within the connect timeout (5 s without one)."""

        async def once() -> None:
            async with self.read.connect() as conn:
                await conn.execute(text("SELECT 1"))

        await asyncio.wait_for(once(), self.timeouts.connect or 5.0)

    async def dispose(self) -> None:
        await self.write.dispose()
        if self.read is not self.write:
            await self.read.dispose()


CHECKPOINT_EVERY = 0.25  # seconds: ~1,000 log pages at 300 single upserts a second


async def checkpoints(db: Database, stop: asyncio.Event, every: float = CHECKPOINT_EVERY) -> None:
    """SQLite: copy the write-ahead log into the database every `every` seconds, on a reader's
    connection, until `stop` is set. A commit that passes SQLite's checkpoint threshold copies
    the log itself, fsync included: one commit in ten of a server's write groups took 11 ms
    instead of 1 (bench/README.md). PASSIVE: it waits for no reader and no writer. On
    PostgreSQL, nothing to do."""
    if not is_sqlite(db.url):
        return
    log = logging.getLogger("mdm.db")
    failed = 0
    while not stop.is_set():
        try:
            async with db.read.connect() as conn:  # on the driver: outside a transaction, no statement events
                sqlite: Any = (await conn.get_raw_connection()).driver_connection
                await sqlite.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
            failed = 0
        except Exception as exc:  # a busy or unreachable database: the next round tries again
            failed += 1
            if failed % 240 == 1:  # the first failure, then once a minute while it lasts
                log.warning("write-ahead log checkpoint failed (%d in a row; commits copy it past %d pages): %s",
                            failed, BACKGROUND_AUTOCHECKPOINT, exc)  # fmt: skip
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
