"""Bulk resolve across domains: up to 1,000 source keys in one call, answered in order."""

from litestar import Request, post
from litestar.params import JSONBody

from contracts import v1
from mdm.api.records import problems
from mdm.api.versions import operation_id
from mdm.api.visibility import caller_subjects
from mdm.domains import BY_NAME
from mdm.errors import Invalid, TooLarge
from mdm.policy.visibility import readable_by

MAX_KEYS = 1000


@post(
    "/resolve",
    operation_id=operation_id("bulkResolve"),
    status_code=200,
    tags=["Resolve"],
    summary="Canonical ids for up to 1,000 {domain, system, source_id} keys; unknown ones are not_found",
    responses=problems(403, 413, 422),
)
async def bulk_resolve(request: Request, data: JSONBody[v1.BulkResolveRequest]) -> v1.BulkResolveResponse:
    keys = data.keys
    if len(keys) > MAX_KEYS:
        raise TooLarge(f"{len(keys)} keys sent; at most {MAX_KEYS} per call", [("keys", f"at most {MAX_KEYS} keys")])
    unknown = sorted({k.domain for k in keys} - set(BY_NAME))
    if unknown:
        raise Invalid("unknown domain", [("keys.domain", f"'{d}' is not a domain") for d in unknown])
    policy = await request.app.state.policies.for_read()
    for name in sorted({k.domain for k in keys}):
        readable_by(policy, caller_subjects(request), BY_NAME[name])  # 403 for a domain it may not read
    found = await request.app.state.fast.bulk_resolve([(k.domain, k.system, k.source_id) for k in keys])
    items = []
    for k, (gid, passed) in zip(keys, found, strict=True):
        if gid is None:
            items.append(
                v1.BulkResolveItem(domain=k.domain, system=k.system, source_id=k.source_id, status="not_found")
            )
        else:
            items.append(
                v1.BulkResolveItem(
                    domain=k.domain,
                    system=k.system,
                    source_id=k.source_id,
                    status="found",
                    id=gid,
                    merged_path=passed or None,
                )
            )
    return v1.BulkResolveResponse(items=items)
