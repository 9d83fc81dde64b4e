"""What a subject may read, as pure functions of the policy: the readable fields of a
domain (403 if none) and a view with the others taken out. No request in sight, so the
HTTP layer, the services and plugins apply the same rule."""

from typing import Any

from mdm.domains import Domain
from mdm.errors import Forbidden
from mdm.policy.rules import Policy


def readable_by(policy: Policy, subjects: tuple[str, ...], domain: Domain) -> frozenset[str]:
    """The fields of `domain` the subjects may read under `policy`; 403 if none."""
    fields = policy.readable(subjects, domain.name)
    if not fields:
        raise Forbidden(
            f"{subjects[0]} may not read {domain.name} records",
            [("domain", f"the policy lets {', '.join(policy.grantees(domain.name, '*', 'read')) or 'nobody'} read it")],
        )
    return fields


def shown(domain: Domain, view: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    """The view without the fields the caller may not read."""
    if len(fields) == len(domain.fields):
        return view
    return {k: v for k, v in view.items() if k in fields or not domain.has_field(k)}
