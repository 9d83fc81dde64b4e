"""What a caller may read: the policy's readable fields, applied to every response that
carries field values (records, resolve, history, lineage), so a field the policy hides
cannot be read another way. Computed once per (caller, domain, policy version)."""

from typing import Any

from litestar import Request

from mdm.domains import Domain
from mdm.errors import Forbidden
from mdm.policy.rules import Policy


def caller_subjects(request: Request) -> tuple[str, ...]:
    subjects: tuple[str, ...] = request.scope["state"]["subjects"]
    return subjects


def readable_by(policy: Policy, subjects: tuple[str, ...], domain: Domain) -> frozenset[str]:
    fields = policy.readable(subjects, domain.name)
    if not fields:
        raise Forbidden(
            f"{subjects[0]} may not read {domain.name} records",
            [("domain", f"the policy lets {', '.join(policy.grantees(domain.name, '*', 'read')) or 'nobody'} read it")],
        )
    return fields


async def readable(request: Request, domain: Domain) -> frozenset[str]:
    """The fields of `domain` this caller may read; 403 if none."""
    policy = await request.app.state.policies.for_read()
    return readable_by(policy, caller_subjects(request), domain)


def shown(domain: Domain, view: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """The view without the fields the caller may not read."""
    if len(fields) == len(domain.fields):
        return view
    return {k: v for k, v in view.items() if k in fields or not domain.has_field(k)}
