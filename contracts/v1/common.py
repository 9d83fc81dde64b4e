"""Types shared by every v1 contract: codes, money, problem details, envelopes.

Contracts import nothing from `mdm`; the hub validates semantics (ISO code lists,
references, uniqueness) on top of the shapes declared here.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL; no business value contains one
Id = Annotated[
    str, Meta(pattern=r"^[a-z]{2,3}_[0-9A-HJKMNP-TV-Z]{26}$", description="canonical id: domain prefix + ULID")
]
Text = Annotated[str, Meta(min_length=1, max_length=500, pattern=NO_NUL)]
ShortText = Annotated[str, Meta(min_length=1, max_length=100, pattern=NO_NUL)]
CountryCode = Annotated[str, Meta(pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
CurrencyCode = Annotated[str, Meta(pattern="^[A-Z]{3}$", description="ISO 4217")]
Email = Annotated[str, Meta(max_length=320, pattern=NO_NUL, description="e-mail address")]
Money = Annotated[Decimal, Meta(description="non-negative decimal, as a JSON string")]


class Address(Struct, kw_only=True, forbid_unknown_fields=True):
    line1: Text | None = None
    line2: Text | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[str, Meta(max_length=20, pattern=NO_NUL)] | None = None
    country: CountryCode | None = None


class RateLine(Struct, kw_only=True, forbid_unknown_fields=True):
    role: ShortText
    unit: Literal["hour", "day"]
    rate: Money


class FieldError(Struct, kw_only=True, omit_defaults=True):
    field: str
    message: str
    owners: list[str] | None = None  # on a 403: the systems the policy lets write this field, first wins


class Problem(Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details; `errors` names each offending field."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class Page(Struct, kw_only=True):
    """One page of a cursor-paginated list; pass `next_cursor` as `cursor` for the next."""

    items: list[Any]
    next_cursor: str | None = None


class UpsertResult(Struct, kw_only=True):
    id: Id
    outcome: Literal["created", "linked", "updated", "unchanged", "pending_review"]
    version: int
    match: dict[str, Any] | None = None


class DetachResult(Struct, kw_only=True):
    id: Id
    system: str
    source_id: str
    ended_at: datetime
    version: int


class Crosswalk(Struct, kw_only=True):
    system: str
    source_id: str
    id: Id
    created_at: datetime
    ended_at: datetime | None = None


class LineageEntry(Struct, kw_only=True):
    field: str
    value: Any
    rule: Literal["override", "owner_priority", "most_recent", "default", "retained", "none"]
    system: str | None = None
    source_id: str | None = None
    by: str | None = None  # who set an override
    at: datetime | None = None
    merged_from: str | None = None  # the source named this merged-away record; the value is its survivor


class HistoryEntry(Struct, kw_only=True):
    version: int
    changed_at: datetime
    action: str
    principal: str
    correlation_id: str | None
    data: dict[str, Any]


class Translation(Struct, kw_only=True):
    id: Id
    system: str
    source_ids: list[str]


class ResolveKey(Struct, kw_only=True, forbid_unknown_fields=True):
    domain: ShortText
    system: ShortText
    source_id: Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]


class BulkResolveRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    keys: list[ResolveKey]


class BulkResolveItem(Struct, kw_only=True, omit_defaults=True):
    domain: str
    system: str
    source_id: str
    status: Literal["found", "not_found"]
    id: str | None = None
    merged_path: list[str] | None = None


class BulkResolveResponse(Struct, kw_only=True):
    items: list[BulkResolveItem]


class AuditEntry(Struct, kw_only=True):
    id: int
    at: datetime
    principal: str
    action: str
    domain: str | None
    record_id: str | None
    fields: list[str] | None
    correlation_id: str | None
    outcome: str
    detail: str | None
    roles: list[str] | None = None


class AuditPage(Struct, kw_only=True):
    items: list[AuditEntry]
    next_cursor: str | None = None


class SourceSystem(Struct, kw_only=True):
    code: str
    name: str
    created_at: datetime


DateRange = tuple[date | None, date | None]


def source_contract(create: type[Struct], name: str) -> type[Struct]:
    """What a source system sends: the create contract with every field optional.

    A system sends the fields it holds (an ERP may know only a customer's tax ID and
    currency); the golden record, after survivorship, must still have the required ones.
    """
    fields = [(f.name, f.type | None, None) for f in msgspec.structs.fields(create)]
    return msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True, module=create.__module__)
