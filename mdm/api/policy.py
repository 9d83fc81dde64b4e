"""The edit-right policy over HTTP: read it, change it (admins), ask it, try a change."""

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import v1
from mdm.api.deps import READS_ONLY, after_commit, provide_session
from mdm.api.preconditions import ETAG_PATTERN, etag, parse_if_match
from mdm.api.records import problems
from mdm.api.versions import operation_id
from mdm.db import api_keys as key_store
from mdm.db import policies as store
from mdm.domains import BY_NAME
from mdm.errors import Forbidden, Invalid, NotFound
from mdm.policy import dryrun
from mdm.policy.rules import Policy, PolicyError, subjects_of
from mdm.policy.store import adopt, load
from mdm.policy.vocabulary import ACTIONS, SUBJECT

Name = Annotated[str, QueryParameter(min_length=1, max_length=100, pattern=r"^[a-z0-9_:.*-]+$")]
# what explain answers about, as patterns: a principal (not a role), a domain, an action
Principal = Annotated[str, QueryParameter(pattern=r"^(system|user):[a-z0-9][a-z0-9._-]{0,60}$")]
DomainName = Annotated[str, QueryParameter(pattern="^(" + "|".join(BY_NAME) + ")$", description="a domain")]
Action = Annotated[str, QueryParameter(pattern="^(" + "|".join(ACTIONS) + ")$")]
Session = NamedDependency[AsyncSession]
IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", required=False, pattern=ETAG_PATTERN, description="ETag of GET /v1/policy"),
]  # required in the document: without it the handler answers 428 (mdm.api.openapi)


def _document(policy: Policy, row: Any) -> v1.Policy:
    return v1.Policy(
        version=policy.version,
        text=policy.text,
        created_at=row.created_at,
        created_by=row.created_by,
        comment=row.comment,
        rules=[msgspec.convert(r, v1.PolicyRule, from_attributes=True) for r in policy.rules],
        owners={d: {f: list(o) for f, o in policy.owners_of(d).items() if o} for d in BY_NAME},
    )


def _require_admin(request: Request) -> None:
    if "admin" not in request.scope["state"]["roles"]:
        raise Forbidden("changing or trying out the policy needs the admin role")


def _parsed(text: str) -> Policy:
    try:
        return Policy(text)
    except PolicyError as exc:
        errors = [(p.split(":", 1)[0], p.split(":", 1)[1].strip()) for p in exc.problems]
        raise Invalid(f"the policy has {len(errors)} error(s)", errors) from exc


@get("/", operation_id=operation_id("getPolicy"),
     summary="The policy in force, its rules and the owner priority it gives",
     response_headers=[ResponseHeader(name="ETag", documentation_only=True, required=True,
                                      description="the policy's version, for If-Match")])  # fmt: skip
async def get_policy(db_session: Session) -> Response[v1.Policy]:
    policy = await load(db_session)
    row = await store.version(db_session, policy.version)
    return Response(_document(policy, row), headers={"ETag": etag(policy.version)})


@put("/", operation_id=operation_id("changePolicy"), responses=problems(403, 412, 422, 428),
     summary="Adopt a new policy (admin); records whose owners changed are recomputed")  # fmt: skip
async def change_policy(
    request: Request, db_session: Session, data: JSONBody[v1.PolicyChange], if_match: IfMatch = None
) -> v1.Policy:
    _require_admin(request)
    _parsed(data.text)
    expected = parse_if_match(if_match)
    state = request.scope["state"]
    policy, _ = await adopt(
        db_session, data.text, expected, state["principal"], state["roles"], data.comment, state.get("correlation_id")
    )
    row = await store.version(db_session, policy.version)
    after_commit(db_session, request.app.state.policies.invalidate)  # this worker reads it at once
    return _document(policy, row)


@get("/versions", operation_id=operation_id("listPolicyVersions"), summary="Every adopted version, newest first")
async def list_versions(db_session: Session) -> list[v1.PolicyVersion]:
    rows = await store.versions(db_session)
    return [msgspec.convert(r, v1.PolicyVersion, from_attributes=True) for r in rows]


@get("/versions/{number:int}", operation_id=operation_id("getPolicyVersion"), responses=problems(404),
     summary="One past version, as adopted")  # fmt: skip
async def get_version(db_session: Session, number: Annotated[int, PathParameter(ge=1, le=2**31 - 1)]) -> v1.Policy:
    row = await store.version(db_session, number)
    if row is None:
        raise NotFound(f"no policy version {number}")
    return _document(Policy(row.text, row.version), row)


@get("/explain", operation_id=operation_id("explainPolicy"), responses=problems(422),
     summary="May this principal do this? And the rule that decided it")  # fmt: skip
async def explain(
    request: Request,
    db_session: Session,
    principal: Principal,
    domain: DomainName,
    action: Action,
    field: Name = "*",
    roles: Annotated[
        str | None,
        QueryParameter(max_length=100, pattern=r"^[a-z,]*$", description="comma-separated; default: its keys' roles"),
    ] = None,
) -> v1.Explanation:
    problems_found = []
    if not SUBJECT.match(principal) or principal.startswith("role:"):
        problems_found.append(("principal", "must be system:<code> or user:<name>"))
    if domain not in BY_NAME:
        problems_found.append(("domain", f"one of {', '.join(BY_NAME)}"))
    elif field != "*" and not BY_NAME[domain].is_policy_field(field):
        problems_found.append(("field", f"not a field of {domain}"))
    if action not in ACTIONS:
        problems_found.append(("action", f"one of {', '.join(ACTIONS)}"))
    if problems_found:
        raise Invalid("cannot explain this question", problems_found)
    if roles is None:
        keys = await key_store.all_keys(db_session)
        role_set = {r for k in keys if k.principal == principal and k.revoked_at is None for r in k.roles}
    else:
        role_set = {r for r in roles.split(",") if r}
    policy = await request.app.state.policies.for_read()
    subjects = subjects_of(principal, role_set)
    decision = policy.explain(subjects, domain, field, action)
    if decision.rule is not None:
        verdict = "allows" if decision.allowed else "denies"
        reason = f"line {decision.rule.line} {verdict} it for {decision.subject}"
    else:
        reason = f"no rule allows {action} on {domain}.{field} for {', '.join(subjects)} (deny by default)"
    if action == "write" and principal.startswith("system:") and field != "*" and not decision.allowed:
        right = policy.source_right(principal.removeprefix("system:"), domain, field)
        reason += (
            "; its source records may still send it: contributed (kept, matched on, shown in lineage, "
            "never chosen while an owner has a value)"
            if right == "contribute"
            else "; its source records that send it are refused whole"
        )
    return v1.Explanation(
        allowed=decision.allowed,
        principal=principal,
        subjects=list(subjects),
        domain=domain,
        field=field,
        action=action,
        policy_version=policy.version,
        decided_by=v1.DecidingRule(subject=decision.subject, line=decision.rule.line, rule=decision.rule.text)
        if decision.rule and decision.subject
        else None,
        reason=reason,
        owners=[f"system:{s}" for s in policy.owners(domain, field)] if field != "*" else [],
    )


@post("/dry-run", operation_id=operation_id("dryRunPolicy"), status_code=200, responses=problems(403, 422),
      opt={READS_ONLY: True},
      summary="What a proposed policy would have denied lately, and which values it would change")  # fmt: skip
async def dry_run(request: Request, db_session: Session, data: JSONBody[v1.DryRunRequest]) -> v1.DryRunReport:
    _require_admin(request)
    proposed = _parsed(data.text)
    current = await load(db_session)
    report = await dryrun.dry_run(
        db_session, current, proposed, days=data.days, limit=data.limit, viewer=request.scope["state"]["subjects"]
    )
    return msgspec.convert(report, v1.DryRunReport)


policy_router = Router(
    path="/policy",
    route_handlers=[get_policy, change_policy, list_versions, get_version, explain, dry_run],
    dependencies={"db_session": Provide(provide_session)},
    tags=["Policy"],
)
