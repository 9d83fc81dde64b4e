"""Statements run on the driver (mdm.db.driver) behave as SQLAlchemy's would: inside the
session's transaction, with the same values going in and coming out, and the same errors."""

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

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
        db = Database.connect(database_url)
        try:
            async with db.transaction() as session:
                await driver.insert(session, audit_log, [_row(principal, at), _row(principal, at)])
            async with db.transaction() as session:
                ours = await driver.rows(session, _BY_PRINCIPAL, {"p": principal})
                theirs = (await session.execute(_BY_PRINCIPAL, {"p": principal})).all()
            return ours, list(theirs)
        finally:
            await db.dispose()

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
        db = Database.connect(database_url)
        try:
            with pytest.raises(RuntimeError):
                await failed_write(db)
            async with db.transaction() as session:
                return await driver.rows(session, _BY_PRINCIPAL, {"p": principal})
        finally:
            await db.dispose()

    assert asyncio.run(run()) == []


def test_a_constraint_the_driver_hits_is_sqlalchemys_integrity_error(database_url):
    code = unique("sys")[:30]
    row = {"code": code, "name": "Duplicate", "created_at": datetime.now(UTC)}

    async def duplicate(db: Database) -> None:
        async with db.transaction() as session:
            await driver.insert(session, source_system, [row, row])

    async def run() -> int:
        db = Database.connect(database_url)
        try:
            with pytest.raises(IntegrityError):
                await duplicate(db)
            async with db.transaction() as session:
                found = select(source_system.c.code).where(source_system.c.code == bindparam("c"))
                return len(await driver.rows(session, found, {"c": code}))
        finally:
            await db.dispose()

    assert asyncio.run(run()) == 0  # the first row went with the failed transaction
