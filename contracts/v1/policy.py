"""The edit-right policy: what it says, how to change it, and what a change would do."""

from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

PolicyText = Annotated[str, Meta(min_length=1, max_length=200_000, pattern=r"^[^\x00]*$")]


class PolicyRule(Struct, kw_only=True):
    line: int
    subject: str
    domain: str
    field: str
    action: str
    effect: str


class Policy(Struct, kw_only=True):
    """The policy in force (or a past version). `owners` is what survivorship uses:
    per domain and field, the systems allowed to write it, first wins."""

    version: int
    text: str
    created_at: datetime
    created_by: str
    comment: str | None = None
    rules: list[PolicyRule]
    owners: dict[str, dict[str, list[str]]]


class PolicyChange(Struct, kw_only=True, forbid_unknown_fields=True):
    text: PolicyText
    comment: Annotated[str, Meta(max_length=500, pattern=r"^[^\x00]*$")] | None = None


class PolicyVersion(Struct, kw_only=True):
    version: int
    created_at: datetime
    created_by: str
    comment: str | None = None
    correlation_id: str | None = None


class DecidingRule(Struct, kw_only=True):
    subject: str
    line: int
    rule: str


class Explanation(Struct, kw_only=True):
    allowed: bool
    principal: str
    subjects: list[str]  # the principal and its roles, as the policy sees them
    domain: str
    field: str
    action: str
    policy_version: int
    decided_by: DecidingRule | None  # None: no rule allows it (deny by default)
    reason: str
    owners: list[str]  # for write: the systems that may write this field, first wins


class DryRunRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    text: PolicyText
    days: Annotated[int, Meta(ge=1, le=3650)] = 30
    limit: Annotated[int, Meta(ge=1, le=5000)] = 200


class DeniedWrite(Struct, kw_only=True):
    audit_id: int
    at: datetime
    principal: str
    action: str
    domain: str | None
    record_id: str | None
    fields: list[str]  # the fields the proposed policy would not let this caller write
    create: bool  # the write made a new record, which the proposed policy would not allow


class ValueChange(Struct, kw_only=True, omit_defaults=True):
    domain: str
    id: str
    field: str
    current_system: str | None
    proposed_system: str | None
    current_value: Any = None  # left out when the caller may not read the field
    proposed_value: Any = None
    hidden: bool = False


class FieldCount(Struct, kw_only=True):
    domain: str
    field: str
    records: int


class DryRunReport(Struct, kw_only=True):
    current_version: int
    days: int
    writes_examined: int
    denied_total: int
    denied: list[DeniedWrite]  # the first `limit`, newest first
    owner_changes: list[dict[str, Any]]  # fields whose owner priority differs
    records_examined: int
    value_changes_total: int
    value_changes_by_field: list[FieldCount]
    value_changes: list[ValueChange]  # the first `limit`
    outcome: Literal["no_effect", "has_effect"]
