"""Audit rows for writes the API refused: they roll back with the request, so the row
that says so is written in a transaction of its own."""

import logging
from datetime import UTC, datetime
from typing import Any

from mdm.api.middleware import WRITE_METHODS, api_path
from mdm.db import repository as repo
from mdm.domains import DOMAINS
from mdm.errors import MdmError

log = logging.getLogger("mdm.audit")
_BY_PATH = {d.path: d.name for d in DOMAINS}
_ACTIONS = {"POST": "create", "PUT": "upsert", "PATCH": "patch", "DELETE": "detach"}


async def audit_rejected_write(exc: Exception, scope: Any) -> None:
    """After-exception hook: a refused write (4xx from the service) leaves an audit row."""
    if scope.get("type") != "http" or scope.get("method") not in WRITE_METHODS or not isinstance(exc, MdmError):
        return
    if exc.audited:  # written with the batch it was refused in (a source upsert's group commit)
        return
    await audit_refusal(scope, exc.status, exc.detail, [field for field, _ in exc.errors], exc.record_id)


async def audit_refusal(scope: Any, status: int, detail: str, fields: list[str], record_id: str | None = None) -> None:
    """One audit row, in its own transaction, for a write that was refused: `denied` when
    the caller lacked the right (403), else `rejected`. It names the golden record when one
    is known (so `GET /v1/audit?record_id=cus_...` finds it), else the source key; the
    source key is always in its detail."""
    parts = api_path(scope["path"])
    domain = _BY_PATH.get(parts[0]) if parts else None
    params = scope.get("path_params", {})
    source = f"{params['system']}/{params['source_id']}" if "system" in params and "source_id" in params else None
    record = record_id or params.get("record_id") or source
    if source:
        detail = f"{source}: {detail}"
    state = scope.get("state", {})
    row = repo.audit_row(
        datetime.now(UTC),
        state.get("principal", "anonymous"),
        state.get("roles", ()),
        "policy_change" if parts[:1] == ["policy"] else _ACTIONS.get(scope["method"], "write"),
        "denied" if status == 403 else "rejected",
        domain=domain,
        record_id=record[:40] if record else None,
        fields=fields,
        correlation_id=state.get("correlation_id"),
        detail=f"{status} {detail}"[:2000],
    )
    try:
        async with scope["app"].state.db.transaction() as session:
            await repo.insert_audit(session, [row])
    except Exception:  # the refusal itself was already answered; never turn it into a 500
        log.exception("could not audit a rejected write")
