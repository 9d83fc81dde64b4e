"""Authentication on every request but /health/*, and the interim write rules.

`Authorization: Bearer <key>` names the caller; an unknown, malformed or revoked key is a
401. Until the casbin edit-right policy lands, writes follow three fixed rules: a system
writes only under its own /sources/{system}/ path, people with the steward or admin
role make every other write, and readers only read.
"""

from typing import Any

import msgspec
from litestar.types import ASGIApp

from contracts.v1 import Problem
from mdm.auth.keys import Caller, KeyCache

OPEN_PREFIXES = ("/health/",)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READ_ONLY_POSTS = ("/v1/resolve",)  # POST for its body's size, not to change anything


def _problem(status: int, title: str, detail: str) -> bytes:
    return msgspec.json.encode(Problem(type=f"https://mdm.dev/problems/{status}", title=title, status=status,
                                       detail=detail))  # fmt: skip


def may_write(caller: Caller, method: str, path: str) -> str | None:
    """Why this caller may not make this write, or None."""
    if method not in WRITE_METHODS or path in READ_ONLY_POSTS:
        return None
    parts = path.strip("/").split("/")
    if len(parts) >= 4 and parts[0] == "v1" and parts[2] == "sources":
        if caller.system == parts[3]:
            return None
        return f"{caller.principal} may only write source records under /sources/{caller.system or '<its system>'}/"
    if caller.roles & {"steward", "admin"}:
        return None
    return f"{caller.principal} may not make this change: it needs the steward or admin role"


def auth_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(OPEN_PREFIXES):
            await app(scope, receive, send)
            return
        header = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value
                break
        cache: KeyCache = scope["app"].state.api_keys
        caller = await cache.caller_for_header(header)
        if caller is None:
            detail = "send Authorization: Bearer <api key>; this key is missing, unknown or revoked"
            await _send(send, 401, _problem(401, "Unauthorized", detail), [(b"www-authenticate", b"Bearer")])
            return
        refusal = may_write(caller, scope["method"], scope["path"])
        if refusal:
            await _send(send, 403, _problem(403, "Forbidden", refusal), [])
            return
        state = scope.setdefault("state", {})
        state["principal"], state["roles"] = caller.principal, caller.roles
        await app(scope, receive, send)

    return middleware


async def _send(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", b"application/problem+json"), *headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
