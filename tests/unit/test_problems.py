"""What a database error becomes: a read a replica cancelled to apply the primary's changes
("conflict with recovery", as PostgreSQL words it) is a 503 to retry, not a 500."""

import asyncpg
import msgspec
from litestar import Litestar, get
from litestar.testing import TestClient
from sqlalchemy.exc import DBAPIError

from mdm.api.problems import HANDLERS

CONFLICT = "canceling statement due to conflict with recovery"


@get("/through-sqlalchemy")
async def through_sqlalchemy() -> None:
    raise DBAPIError("SELECT 1", None, asyncpg.exceptions.SerializationError(CONFLICT))


@get("/through-the-driver")
async def through_the_driver() -> None:
    raise asyncpg.exceptions.SerializationError(CONFLICT)


@get("/another-error")
async def another_error() -> None:
    raise DBAPIError("SELECT 1", None, asyncpg.exceptions.DataError("value out of range"))


def _app() -> Litestar:
    return Litestar([through_sqlalchemy, through_the_driver, another_error], exception_handlers=HANDLERS)  # type: ignore[arg-type]


def test_a_read_the_replica_cancelled_is_a_503_to_retry():
    with TestClient(_app()) as client:
        for path in ("/through-sqlalchemy", "/through-the-driver"):
            r = client.get(path)
            assert r.status_code == 503, (path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["retry-after"] == "1"
            assert "replica" in msgspec.json.decode(r.content)["detail"]


def test_another_database_error_is_still_a_500():
    with TestClient(_app()) as client:
        assert client.get("/another-error").status_code == 500
