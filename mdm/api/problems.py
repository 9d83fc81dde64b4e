"""Every error as application/problem+json (RFC 9457), each naming its fields."""

import logging
import re
import sqlite3
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from contracts.v1 import FieldError, Problem
from mdm.api.preconditions import etag
from mdm.errors import MdmError, Moved, PreconditionFailed, named_field

log = logging.getLogger("mdm.api")
PROBLEM = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem_body(
    status: int,
    detail: str,
    errors: list[tuple[str, str]] | None = None,
    title: str | None = None,
    owners: dict[str, list[str]] | None = None,
) -> bytes:
    """The one problem+json document: handlers and the ASGI middlewares all answer with it."""
    return msgspec.json.encode(problem_of(status, detail, errors, title, owners))


def problem_of(
    status: int,
    detail: str,
    errors: list[tuple[str, str]] | None = None,
    title: str | None = None,
    owners: dict[str, list[str]] | None = None,
) -> Problem:
    return Problem(
        type=f"https://mdm.dev/problems/{status}",
        title=title or _TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        errors=[FieldError(field=f, message=m, owners=(owners or {}).get(f)) for f, m in errors] if errors else None,
    )


def problem_of_error(exc: MdmError) -> Problem:
    """The problem an error answers on its own (for one item of a bulk answer)."""
    return problem_of(exc.status, exc.detail, exc.errors, exc.title, exc.owners)


def problem(
    status: int,
    detail: str,
    errors: list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    title: str | None = None,
    owners: dict[str, list[str]] | None = None,
) -> Response[bytes]:
    body = problem_body(status, detail, errors, title, owners)
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


async def send_problem(
    send: Any,
    status: int,
    detail: str,
    errors: list[tuple[str, str]] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer a problem from ASGI middleware, before any route handler runs."""
    start = [(b"content-type", PROBLEM.encode()), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": problem_body(status, detail, errors), "more_body": False})


def moved(request: Request, exc: Moved) -> Response[bytes]:
    """301 to the same route (`/v1/{path}/{id}`, `.../lineage`) with the survivor's id
    in place of the merged-away one."""
    params = {k: exc.survivor_id if v == exc.passed[0] else v for k, v in request.path_params.items()}
    location = request.scope["path_template"].format_map(params)
    body = msgspec.json.encode({"id": exc.survivor_id, "merged_path": exc.passed, "detail": exc.detail})
    return Response(body, status_code=301, media_type="application/json", headers={"Location": location})


def on_mdm_error(request: Request, exc: MdmError) -> Response[bytes]:
    if isinstance(exc, Moved):
        return moved(request, exc)
    headers = None
    if isinstance(exc, PreconditionFailed) and exc.current_version is not None:
        headers = {"ETag": etag(exc.current_version)}
    return problem(exc.status, exc.detail, exc.errors, headers, exc.title, exc.owners)


def _field_error(item: dict[str, object]) -> tuple[str, str]:
    """Litestar reports body-level errors under the key `data`; name the real field."""
    key, message = str(item.get("key") or item.get("source") or "body"), str(item.get("message"))
    if item.get("source") == "header":  # Litestar names the handler's argument: name the header
        key = "-".join(part.capitalize() for part in key.split("_"))
    if key == "data" and message == "'data'":
        return "body", "a JSON object is required"
    named = named_field(message)
    if named:
        name, reason = named
        return (name if key in ("data", "body") else f"{key}.{name}"), reason
    return key, message


_MISSING = re.compile(r"^Missing required (?:query |header |cookie |path )?parameter '([^']+)'")


def on_validation(_: Request, exc: ValidationException) -> Response[bytes]:
    errors = []
    if isinstance(exc.extra, list):
        errors = [_field_error(item) for item in exc.extra if isinstance(item, dict)]
    if not errors and (missing := _MISSING.match(exc.detail or "")):
        errors = [(missing.group(1), "is required")]  # a parameter the contract requires: a 422 like a field
    if not errors:
        return problem(400, exc.detail or "the request could not be read")
    return problem(422, exc.detail or "the request is not valid", errors)


def on_http(_: Request, exc: HTTPException) -> Response[bytes]:
    return problem(exc.status_code, exc.detail, headers=exc.headers)


# what a database that does not answer raises, through SQLAlchemy or the raw drivers
_GONE = (
    OSError,
    TimeoutError,  # no answer within MDM_DB_CONNECT_TIMEOUT or MDM_DB_STATEMENT_TIMEOUT
    PoolTimeout,
    asyncpg.QueryCanceledError,  # PostgreSQL cancelled a statement past its statement_timeout
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # a pooled connection left mid-operation by the database going away ("cannot switch to
    # state 12; another operation is in progress": seen once by bench/load.py while it was down)
    asyncpg.exceptions.InternalClientError,
    asyncpg.CannotConnectNowError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.TooManyConnectionsError,
)
_GONE_TEXT = ("unable to open database file", "disk i/o error")  # SQLite's


def unreachable(exc: BaseException) -> bool:
    """Whether this error says the database cannot be reached (a 503, not a 500)."""
    if isinstance(exc, _GONE):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        return unreachable(exc.orig) if isinstance(exc.orig, BaseException) else False
    if isinstance(exc, sqlite3.OperationalError):
        return str(exc).lower().startswith(_GONE_TEXT)
    return isinstance(exc.__cause__, BaseException) and unreachable(exc.__cause__)


def replica_conflict(exc: BaseException | None) -> bool:
    """Whether a read replica cancelled this read to apply the primary's changes (PostgreSQL's
    "conflict with recovery"): the read may be tried again, a 503 rather than a 500."""
    while exc is not None:
        if "conflict with recovery" in str(exc):
            return True
        exc = exc.__cause__
    return False


def on_replica_conflict(request: Request, exc: Exception) -> Response[bytes]:
    log.warning("read cancelled by the replica on %s %s: %s", request.method, request.url.path, exc)
    return problem(503, "the read replica cancelled the read to apply the primary's changes; retry it",
                   headers={"Retry-After": "1"})  # fmt: skip


def on_unreachable(request: Request, exc: Exception) -> Response[bytes]:
    log.warning("database unreachable on %s %s: %r", request.method, request.url.path, exc)
    return problem(503, "the database does not answer; retry later", headers={"Retry-After": "5"})


def on_integrity(request: Request, exc: IntegrityError) -> Response[bytes]:
    log.info("integrity conflict on %s %s: %s", request.method, request.url.path, exc.orig)
    return problem(409, "the write conflicts with a concurrent change or an existing record; retry it")


def on_db_error(request: Request, exc: DBAPIError) -> Response[bytes]:
    text = str(exc.orig).lower()
    if unreachable(exc) and "database is locked" not in text:
        return on_unreachable(request, exc)
    if "database is locked" in text:  # SQLite's write lock stayed taken past MDM_DB_STATEMENT_TIMEOUT
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(503, "the database is busy with another writer; retry later", headers={"Retry-After": "1"})
    if replica_conflict(exc):
        return on_replica_conflict(request, exc)
    if "deadlock" in text or "could not serialize" in text:
        return problem(409, "the write lost a race with a concurrent change; retry it")
    log.exception("database error on %s %s", request.method, request.url.path)
    return problem(500, "a database error occurred")


def on_unexpected(request: Request, exc: Exception) -> Response[bytes]:
    if unreachable(exc):
        return on_unreachable(request, exc)
    if replica_conflict(exc):  # the raw driver's (resolve)
        return on_replica_conflict(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "an unexpected error occurred; it has been logged")


HANDLERS = {
    MdmError: on_mdm_error,
    ValidationException: on_validation,
    HTTPException: on_http,
    IntegrityError: on_integrity,
    DBAPIError: on_db_error,
    OSError: on_unreachable,
    PoolTimeout: on_unreachable,
    Exception: on_unexpected,
}
