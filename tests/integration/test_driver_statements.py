"""Statements run on the driver (mdm.db.driver) behave as SQLAlchemy's would: inside the
session's transaction, with the same values going in and coming out, and the same errors."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from mdm.db import driver
from mdm.db.engine import Database
from mdm.db.tables import audit_log, source_system
from tests.factory import unique

_BY_PRINCIPAL = select(audit_log).where(audit_log.c.principal == bindparam("p")).order_by(audit_log.c.id)


def _row(principal: str, at: datetime) -> dict[str, object]:
    return {"at": at, "principal": principal, "roles": ["steward", "reader"], "action": "upsert", "domain": None,
            "record_id": "cus_1", "fields": ["name"], "correlation_id": None, "outcome": "ok",
            "detail": "ünïcödé"}  # fmt: skip


def test_rows_written_on_the_driver_read_back_alike_through_sqlalchemy(database_url):
    principal = unique("driver")
    at = datetime(2026, 12, 7, 16, 30, 1, 250000, tzinfo=UTC)

    async def run() -> tuple[list[object], list[object]]:
        async with Database.opened(database_url) as db:
            async with db.transaction() as session:
                await driver.insert(session, audit_log, [_row(principal, at), _row(principal, at)])
            async with db.transaction() as session:
                ours = await driver.rows(session, _BY_PRINCIPAL, {"p": principal})
                theirs = (await session.execute(_BY_PRINCIPAL, {"p": principal})).all()
            return ours, list(theirs)

    ours, theirs = asyncio.run(run())
    assert len(ours) == 2
    assert [tuple(r) for r in ours] == [tuple(r) for r in theirs]  # JSON and timestamps decoded alike
    first = ours[0]
    assert first.roles == ["steward", "reader"]  # type: ignore[attr-defined]
    assert first.detail == "ünïcödé"  # type: ignore[attr-defined]
    assert first.at == at  # type: ignore[attr-defined]
    assert first._mapping["principal"] == principal  # type: ignore[attr-defined]


def test_a_driver_statement_is_rolled_back_with_its_transaction(database_url):
    """The first statement of a transaction may be the driver's: it still begins the transaction."""
    principal = unique("rollback")

    async def failed_write(db: Database) -> None:
        async with db.transaction() as session:
            await driver.insert(session, audit_log, [_row(principal, datetime.now(UTC))])
            raise RuntimeError("the request failed after the write")

    async def run() -> list[object]:
        async with Database.opened(database_url) as db:
            with pytest.raises(RuntimeError):
                await failed_write(db)
            async with db.transaction() as session:
                return await driver.rows(session, _BY_PRINCIPAL, {"p": principal})

    assert asyncio.run(run()) == []


def test_a_constraint_the_driver_hits_is_sqlalchemys_integrity_error(database_url):
    code = unique("sys")[:30]
    row = {"code": code, "name": "Duplicate", "created_at": datetime.now(UTC)}

    async def duplicate(db: Database) -> None:
        async with db.transaction() as session:
            await driver.insert(session, source_system, [row, row])

    async def run() -> int:
        async with Database.opened(database_url) as db:
            with pytest.raises(IntegrityError):
                await duplicate(db)
            async with db.transaction() as session:
                found = select(source_system.c.code).where(source_system.c.code == bindparam("c"))
                return len(await driver.rows(session, found, {"c": code}))

    assert asyncio.run(run()) == 0  # the first row went with the failed transaction


def test_a_savepoint_rolls_back_the_driver_statements_inside_it(database_url):
    principal = unique("savepoint")

    async def run() -> list[object]:
        async with Database.opened(database_url) as db:
            async with db.transaction() as session:
                await driver.rows(session, _BY_PRINCIPAL, {"p": principal})  # the connection is known
                nested = await session.begin_nested()
                await driver.insert(session, audit_log, [_row(principal, datetime.now(UTC))])
                await nested.rollback()
            async with db.transaction() as session:
                return await driver.rows(session, _BY_PRINCIPAL, {"p": principal})

    assert asyncio.run(run()) == []


def test_a_none_in_a_json_column_is_stored_as_sqlalchemy_stores_it(database_url):
    """JSON null, not SQL NULL: a report's `fields IS NULL` reads both writers' rows alike."""
    ours, theirs = unique("none-driver"), unique("none-sqlalchemy")
    is_null = select(audit_log.c.fields.is_(None)).where(audit_log.c.principal == bindparam("p"))

    async def run() -> tuple[object, object]:
        async with Database.opened(database_url) as db:
            async with db.transaction() as session:
                await driver.insert(session, audit_log, [{**_row(ours, datetime.now(UTC)), "fields": None}])
                await session.execute(insert(audit_log), [{**_row(theirs, datetime.now(UTC)), "fields": None}])
            async with db.transaction() as session:
                return (
                    (await session.execute(is_null, {"p": ours})).scalar_one(),
                    (await session.execute(is_null, {"p": theirs})).scalar_one(),
                )

    mine, sqlalchemys = asyncio.run(run())
    assert mine == sqlalchemys


async def _drop_connection(db: Database, backend: str) -> None:
    """The database drops the pooled connection: PostgreSQL terminates its backend; an SQLite
    connection is closed under the pool."""
    async with db.transaction() as session:
        if backend == "postgresql":
            (pid,) = (await driver.rows(session, text("SELECT pg_backend_pid()")))[0]
        else:
            sqlite = (await driver.connection(session))[1]
    if backend == "postgresql":
        async with Database.opened(db.url) as other, other.transaction() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    else:
        await sqlite.close()


def test_a_connection_the_database_dropped_leaves_the_pool(database_url, backend):
    """One write fails (503 through the API), the next gets a new connection."""
    principal = unique("dropped")

    async def run() -> tuple[bool, list[object]]:
        db = Database.connect(database_url, pool_size=1)
        try:
            await _drop_connection(db, backend)
            with pytest.raises(DBAPIError) as failed:
                async with db.transaction() as session:
                    await driver.rows(session, _BY_PRINCIPAL, {"p": principal})
            async with db.transaction() as session:
                await driver.insert(session, audit_log, [_row(principal, datetime.now(UTC))])
            async with db.transaction() as session:
                return failed.value.connection_invalidated, await driver.rows(session, _BY_PRINCIPAL, {"p": principal})
        finally:
            await db.dispose()

    invalidated, found = asyncio.run(run())
    assert invalidated
    assert len(found) == 1


def test_inserts_held_together_are_written_as_one_by_one_would_be(database_url):
    """`driver.together` sends a write group's inserts at its end, in one call to the driver
    (on PostgreSQL one statement, on SQLite one hop to aiosqlite's thread), whose rows read
    back as the same rows inserted one table at a time."""
    principal, code = unique("together"), unique("sys")[:30]
    at = datetime(2026, 12, 7, 19, 0, 0, 125000, tzinfo=UTC)
    sent: list[float] = []

    def rows(who: str) -> list[dict[str, object]]:
        return [_row(who, at), {**_row(who, at), "roles": None, "detail": None}]

    async def run() -> tuple[list[object], list[object], list[object], list[object]]:
        async with Database.opened(database_url) as db:
            driver.timer = sent.append
            try:
                async with db.transaction() as session, driver.together(session):
                    await driver.insert(session, audit_log, rows(principal))
                    await driver.insert(session, source_system, [{"code": code, "name": "Together", "created_at": at}])
                    early = await driver.rows(session, _BY_PRINCIPAL, {"p": principal})
            finally:
                driver.timer = None
            async with db.transaction() as session:
                await driver.insert(session, audit_log, rows(principal + "-alone"))
            async with db.transaction() as session:
                together = await driver.rows(session, _BY_PRINCIPAL, {"p": principal})
                alone = await driver.rows(session, _BY_PRINCIPAL, {"p": principal + "-alone"})
                systems = (await session.execute(select(source_system).where(source_system.c.code == code))).all()
            return early, together, alone, systems

    early, together, alone, systems = asyncio.run(run())
    assert [r[3:] for r in together] == [r[3:] for r in alone]  # (id, at, principal) aside: same values
    assert [r.at for r in together] == [at, at]  # type: ignore[attr-defined]
    assert together[1].roles is None  # type: ignore[attr-defined]
    assert [(s.code, s.created_at) for s in systems] == [(code, at)]  # type: ignore[attr-defined]
    assert early == []  # held back until the end
    assert len(sent) == 2  # the read, then both tables' rows in one call


def test_a_constraint_hit_by_inserts_held_together_writes_none_of_them(database_url):
    principal, code = unique("together"), unique("sys")[:30]
    row = {"code": code, "name": "Duplicate", "created_at": datetime.now(UTC)}

    async def duplicate(db: Database) -> None:
        async with db.transaction() as session, driver.together(session):
            await driver.insert(session, audit_log, [_row(principal, datetime.now(UTC))])
            await driver.insert(session, source_system, [row])
            await driver.insert(session, source_system, [row])

    async def run() -> list[object]:
        async with Database.opened(database_url) as db:
            with pytest.raises(IntegrityError):
                await duplicate(db)
            async with db.transaction() as session:
                systems = (await session.execute(select(source_system).where(source_system.c.code == code))).all()
                return [*systems, *await driver.rows(session, _BY_PRINCIPAL, {"p": principal})]

    assert asyncio.run(run()) == []
