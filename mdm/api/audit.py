"""The audit log: every write and every refused write, for stewards and admins."""

from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.v1 import AuditEntry, AuditPage
from mdm.api.cursors import decode_cursor_number, encode_cursor_number
from mdm.api.deps import provide_session
from mdm.api.instants import Instant
from mdm.api.records import problems
from mdm.api.versions import operation_id
from mdm.db import repository as repo
from mdm.errors import Forbidden
from mdm.records.service import as_utc

Filter = Annotated[str | None, QueryParameter(max_length=200, pattern=r"^[^\x00]*$")]


@get("/audit", operation_id=operation_id("listAudit"), tags=["Audit"], responses=problems(403, 422),
     dependencies={"db_session": Provide(provide_session)},
     summary="Audit rows, newest first; filters combine")  # fmt: skip
async def list_audit(
    request: Request,
    db_session: NamedDependency[AsyncSession],
    principal: Filter = None,
    action: Filter = None,
    domain: Filter = None,
    record_id: Filter = None,
    outcome: Filter = None,
    since: Annotated[Instant | None, QueryParameter()] = None,
    until: Annotated[Instant | None, QueryParameter()] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, QueryParameter(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] = None,
) -> AuditPage:
    if not request.scope["state"].get("roles", frozenset()) & {"steward", "admin"}:
        raise Forbidden("the audit log is for stewards and admins")
    filters: dict[str, Any] = {"principal": principal, "action": action, "domain": domain,
                               "record_id": record_id, "outcome": outcome}  # fmt: skip
    rows = await repo.audit_rows(
        db_session,
        {k: v for k, v in filters.items() if v is not None},
        since=as_utc(since, "since"),
        until=as_utc(until, "until"),
        before_id=decode_cursor_number(cursor) if cursor else None,
        limit=limit + 1,
    )
    items = [msgspec.convert(r, AuditEntry, from_attributes=True) for r in rows[:limit]]
    return AuditPage(items=items, next_cursor=encode_cursor_number(rows[limit - 1].id) if len(rows) > limit else None)
