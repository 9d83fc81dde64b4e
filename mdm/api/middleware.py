"""ASGI middleware: correlation ids on every response, readable requests only (paths, body
sizes, JSON), idempotent replays of writes."""

import hashlib
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import unquote_to_bytes

from litestar import Request
from litestar.exceptions import SerializationException
from litestar.types import ASGIApp
from ulid import ULID

from mdm.api.problems import send_problem
from mdm.db import idempotency as store
from mdm.errors import BadRequest

CORRELATION = b"x-correlation-id"
SERVER_TIMING = b"server-timing"
_VALID_CID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
# ASGI messages are plain dicts here; Litestar's TypedDict unions do not narrow well
Scope = Any
Receive = Any
Send = Any
Message = Any
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VERSION = re.compile(r"v[0-9]+")


def api_path(path: str) -> list[str]:
    """The segments of an API path after its contract version (`/v2/customers/x` ->
    ["customers", "x"]); [] for a path outside the versioned API."""
    parts = path.strip("/").split("/")
    return parts[1:] if _VERSION.fullmatch(parts[0]) else []


MIGRATION_GUIDE = "/docs/migrating-v1-to-v2.md"


def deprecation_headers(deprecated: datetime, sunset: datetime) -> list[tuple[bytes, bytes]]:
    """RFC 9745 Deprecation (a structured-field date), RFC 8594 Sunset (an HTTP date) and
    the Link to the migration guide."""
    return [
        (b"deprecation", f"@{int(deprecated.timestamp())}".encode()),
        (b"sunset", format_datetime(sunset.astimezone(UTC), usegmt=True).encode()),
        (b"link", f'<{MIGRATION_GUIDE}>; rel="deprecation"; type="text/markdown"'.encode()),
    ]


def deprecation_middleware(prefixes: dict[str, list[tuple[bytes, bytes]]]) -> Callable[[ASGIApp], ASGIApp]:
    """Every answer under a deprecated version's prefix (`/v1/`), errors included, says so."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope.get("path", "") if scope["type"] == "http" else ""
            headers = next((h for prefix, h in prefixes.items() if path.startswith(prefix)), None)
            if headers is None:
                await app(scope, receive, send)
                return

            async def send_deprecated(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), *headers]
                await send(message)

            await app(scope, receive, send_deprecated)

        return middleware

    return wrap


# a claim in flight this long belongs to a crashed worker of another host (this host's dead
# workers are seen at once: mdm.db.idempotency.abandoned)
IN_FLIGHT_TIMEOUT = timedelta(minutes=2)
PURGE_EVERY = timedelta(minutes=1)
VERSIONED = re.compile(r"^/v[0-9]+/")  # the API's paths (the workbench posts forms elsewhere)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def correlation_middleware(app: ASGIApp) -> ASGIApp:
    """Take X-Correlation-ID from the request (if well-formed) or make one; echo it. And say
    in `Server-Timing` (`app;dur=` milliseconds) how long the server took to its answer's
    start: what a caller measures, less the network and its own client."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        cid = None
        for name, value in scope["headers"]:
            if name == CORRELATION:
                candidate = value.decode("latin-1")
                cid = candidate if _VALID_CID.match(candidate) else None
                break
        cid = cid or str(ULID())
        scope.setdefault("state", {})["correlation_id"] = cid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                message["headers"] = [*message.get("headers", []), (CORRELATION, cid.encode()), (SERVER_TIMING, took)]
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware


def allow_middleware(app: ASGIApp) -> ASGIApp:
    """OPTIONS names every method of its path in `Allow`. (Litestar's own answer lists the
    methods of the first handler registered at a path: `GET, OPTIONS` for a record's path
    that PATCH shares.)"""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await app(scope, receive, send)
            return
        methods = _methods(scope["app"]).get(scope.get("path_template", ""))

        async def send_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and methods and message["status"] == 204:
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message["headers"] = [*kept, (b"allow", methods.encode())]
            await send(message)

        await app(scope, receive, send_allow)

    return middleware


def _methods(litestar: Any) -> dict[str, str]:
    """path template -> `Allow` value, made once per app."""
    found: dict[str, str] | None = litestar.state.get("mdm_allow")
    if found is None:
        found = {}
        for route in litestar.routes:
            allowed = ", ".join(sorted(getattr(route, "methods", ())))
            found[route.path] = found[route.path_format] = allowed
        litestar.state["mdm_allow"] = found
    return found


def _header(scope: Scope, name: bytes) -> str | None:
    return next((v.decode("latin-1") for n, v in scope["headers"] if n == name), None)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def unreadable(raw: bytes, where: str) -> str | None:
    """Why a request's path or query cannot name a record, or None. A percent-escape that
    is not UTF-8 would decode to U+FFFD, so `%FF%FEabc`, `%FE%FFabc` and
    `%EF%BF%BD%EF%BF%BDabc` would all name one source record: such a one, and any holding
    U+FFFD, is refused."""
    try:
        text = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return f"the {where} has a percent-escape that is not UTF-8"
    if "\ufffd" in text:
        return f"the {where} holds U+FFFD (a replacement character), which names no record"
    return None


def _too_long(length: str | None, limit: int) -> bool:
    return length is not None and (not length.strip().isdigit() or int(length) > limit)


def json_body_middleware(app: ASGIApp) -> ASGIApp:
    """A request the API can read, refused before anything buffers it: its path and query
    name one thing (400), its declared length is within the body limit (413), and its body is JSON
    and says so (415 for another Content-Type or none). The limit is Litestar's
    `request_max_body_size` (MDM_MAX_BODY_BYTES), which also holds while a body streams."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and VERSIONED.match(scope["path"]):
            raw_path = (scope.get("raw_path") or scope["path"].encode()).split(b"?", 1)[0]  # some servers keep "?..."
            for where, raw in (("path", raw_path), ("query", scope.get("query_string") or b"")):
                refused = unreadable(raw, where)
                if refused:
                    await send_problem(send, 400, refused, [(where, refused)])
                    return
            if scope["method"] in BODY_METHODS:
                content_type = _header(scope, b"content-type")
                length = _header(scope, b"content-length")
                limit = scope["app"].request_max_body_size
                if _too_long(length, limit):
                    bad = [("Content-Length", f"at most {limit} bytes")]
                    await send_problem(send, 413, f"the body is larger than {limit} bytes", bad)
                    return
                has_body = (length is not None and length.strip() != "0") or _header(
                    scope, b"transfer-encoding"
                ) is not None
                if has_body and not _is_json(content_type or ""):
                    said = f"'{content_type[:100]}' is not application/json" if content_type else "is missing"
                    await send_problem(send, 415, "send the body as application/json", [("Content-Type", said)])
                    return
        await app(scope, receive, send)

    return middleware


class JsonRequest(Request[Any, Any, Any]):
    """A request whose JSON body, when it cannot be read, is a 400 naming the body and the
    reason (msgspec raises RecursionError for JSON nested too deep, and Litestar lets a
    body that is not UTF-8 through as UnicodeDecodeError: both were 500s with a traceback;
    a route that reads its body itself, as /graphql does, met malformed JSON as a 500 too)."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError as exc:
            raise BadRequest("the body is not readable JSON", [("body", "nested too deep")]) from exc
        except UnicodeDecodeError as exc:
            raise BadRequest("the body is not readable JSON", [("body", f"not UTF-8 at byte {exc.start}")]) from exc
        except SerializationException as exc:  # malformed, or a lone surrogate's escape: msgspec's reason
            raise BadRequest("the body is not readable JSON", [("body", str(exc))]) from exc


class BodyTooLarge(Exception):
    """A streamed body passed the limit while a middleware was reading it."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, or BodyTooLarge as soon as it passes `limit`: never more
    than the limit held, whatever a chunked body says."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_bytes(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def idempotency_middleware(app: ASGIApp) -> ASGIApp:
    """Writes with an Idempotency-Key: the same key and body answer the first response
    again; the same key with another body (or while the first is running) is a 409."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await app(scope, receive, send)
            return
        key = next((v.decode("latin-1") for n, v in scope["headers"] if n == b"idempotency-key"), None)
        if key is None:
            await app(scope, receive, send)
            return
        if not 1 <= len(key) <= 200:
            bad = [("Idempotency-Key", "must be 1 to 200 characters")]
            await send_problem(send, 422, "Idempotency-Key is not valid", bad)
            return
        limit = scope["app"].request_max_body_size
        try:
            body = await read_body(receive, limit)
        except BodyTooLarge:
            bad = [("body", f"at most {limit} bytes")]
            await send_problem(send, 413, f"the body is larger than {limit} bytes", bad)
            return
        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        db = scope["app"].state.db
        principal = scope.get("state", {}).get("principal", "anonymous")
        path = scope["path"] + ("?" + scope["query_string"].decode() if scope.get("query_string") else "")
        preconditions = "\n".join(f"{h}: {_header(scope, h.encode()) or ''}" for h in ("if-match", "if-none-match"))
        fingerprint = f"{scope['method']} {path}\n{preconditions}\n".encode() + body
        digest = hashlib.sha256(fingerprint).hexdigest()
        now = datetime.now(UTC)
        settings = scope["app"].state.settings
        keep = timedelta(hours=settings.idempotency_hours)
        row = {
            "principal": principal,
            "key": key,
            "method": scope["method"],
            "path": path,
            "body_hash": digest,
            "status_code": 0,
            "response_body": b"",
            "response_headers": [],
            "created_at": now,
        }
        async with db.transaction() as session:
            state = scope["app"].state
            if now - state.get("idempotency_purged", datetime.min.replace(tzinfo=UTC)) > PURGE_EVERY:
                state["idempotency_purged"] = now  # once a minute a worker forgets the expired keys
                await store.forget_older_than(session, now - keep)
            existing = await store.claim(session, row, IN_FLIGHT_TIMEOUT, keep)
        if existing is not None:
            if existing.body_hash != digest:
                detail = "this Idempotency-Key was used with another request; use a new key"
                await send_problem(send, 409, detail)
            elif existing.status_code == 0:
                detail = "a request with this Idempotency-Key is still running; retry later"
                await send_problem(send, 409, detail)
            else:
                headers = [(k.encode(), v.encode()) for k, v in existing.response_headers]
                headers.append((b"idempotent-replayed", b"true"))
                await _send_bytes(send, existing.status_code, existing.response_body, headers)
            return

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                    if k.lower() not in (CORRELATION, b"content-length")
                ]
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        try:
            await app(scope, replay_receive, capture)
        finally:
            async with db.transaction() as session:
                body_bytes = b"".join(captured["body"])
                await store.complete(session, principal, key, captured["status"], body_bytes, captured["headers"])

    return middleware
