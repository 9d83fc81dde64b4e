"""Authentication on every request but /health/* and the API docs (/schema), and the one write rule that is about
paths rather than fields.

`Authorization: Bearer <key>` names the caller; an unknown, malformed or revoked key is a
401. A system writes only under its own /sources/{system}/ path (a 403 here, audited).
Everything else a caller may do is the edit-right policy's to decide, field by field,
in the service (writes) and in mdm.api.visibility (reads).
"""

from typing import Any

from litestar.types import ASGIApp

from mdm.api.middleware import WRITE_METHODS, api_path
from mdm.api.problems import send_problem
from mdm.api.rejections import audit_refusal
from mdm.auth.keys import Caller, KeyCache

# and /schema itself: the docs open in a browser without a key, as do GraphiQL's assets
OPEN_PREFIXES = ("/health/", "/schema/", "/docs/", "/graphql/assets/")
OPEN_PATHS = ("/schema",)
GRAPHQL = "/graphql"  # read-only: a POST there changes nothing


def graphiql_page(scope: Any) -> bool:
    """A browser opening /graphql: GraphiQL's page, which holds no data (its queries need a key)."""
    if scope["path"] != GRAPHQL or scope["method"] != "GET" or b"query=" in scope.get("query_string", b""):
        return False
    accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
    return b"text/html" in accept


def read_only_post(parts: list[str]) -> bool:
    """POSTs that change nothing (POST for the body's size): resolve many keys, and score a
    record against a domain (`/{domain}/match`), which an integration asks before it posts."""
    return parts == ["resolve"] or (len(parts) == 2 and parts[1] == "match")


def path_refusal(caller: Caller, method: str, path: str) -> str | None:
    """Why this caller may not write under this path, or None: source records are written
    only by their own system, and systems write nothing else."""
    parts = api_path(path)
    if method not in WRITE_METHODS or read_only_post(parts) or path == GRAPHQL:
        return None
    if len(parts) >= 3 and parts[1] == "sources":
        if caller.system == parts[2]:
            return None
        return f"{caller.principal} may only write source records under /sources/{caller.system or '<its system>'}/"
    if caller.system is not None:
        return f"{caller.principal} is an integration: it writes only its own source records"
    return None


def auth_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        opened = OPEN_PREFIXES + scope["app"].state.get("open_prefixes", ())  # a plugin's own sign-in (workbench)
        if (
            scope["type"] != "http"
            or scope["path"].startswith(opened)
            or scope["path"] in OPEN_PATHS
            or graphiql_page(scope)
        ):
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
            await send_problem(send, 401, detail, headers=[(b"www-authenticate", b"Bearer")])
            return
        state = scope.setdefault("state", {})
        state["principal"], state["roles"], state["subjects"] = caller.principal, caller.roles, caller.subjects
        refusal = path_refusal(caller, scope["method"], scope["path"])
        if refusal:
            await audit_refusal(scope, 403, refusal, [])
            await send_problem(send, 403, refusal)
            return
        await app(scope, receive, send)

    return middleware
