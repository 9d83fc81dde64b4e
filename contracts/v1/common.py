"""Types shared by every v1 contract: codes, money, problem details, envelopes.

Contracts import nothing from `mdm`; the hub validates semantics (references, uniqueness,
date order) on top of the shapes declared here. What a JSON Schema can say is said here
too, so the OpenAPI document allows what the server accepts: the ISO code lists (the
same pycountry lists the hub checks against), money's digits, an e-mail's shape.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
import pycountry
from msgspec import Meta, Struct

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL; no business value contains one
COUNTRIES = sorted(c.alpha_2 for c in pycountry.countries)
CURRENCIES = sorted(c.alpha_3 for c in pycountry.currencies)
# non-negative, at most 16 integer digits and 4 decimal places: what NUMERIC(20, 4) holds
MONEY_PATTERN = r"^(0|[1-9][0-9]{0,15})(\.[0-9]{1,4})?$"
# a subset of what the hub's e-mail check (email-validator) accepts, without look-arounds
EMAIL_PATTERN = (
    r"^[A-Za-z0-9_%+-]{1,20}(\.[A-Za-z0-9_%+-]{1,20}){0,2}"
    r"@([A-Za-z0-9]{1,15}(-[A-Za-z0-9]{1,15})?\.){1,4}[A-Za-z]{2,63}$"
)
Id = Annotated[
    str,
    Meta(
        pattern=r"^[a-z]{2,3}_[0-9A-HJKMNP-TV-Z]{26}$",
        description="canonical id: domain prefix + ULID",
        examples=["cus_01M80JHKNPXXGD152RZD5KESWS"],
    ),
]
Text = Annotated[str, Meta(min_length=1, max_length=500, pattern=NO_NUL)]
ShortText = Annotated[str, Meta(min_length=1, max_length=100, pattern=NO_NUL)]
CountryCode = Annotated[
    str,
    Meta(
        pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2", examples=["DE"], extra_json_schema={"enum": COUNTRIES}
    ),
]
CurrencyCode = Annotated[
    str, Meta(pattern="^[A-Z]{3}$", description="ISO 4217", examples=["EUR"], extra_json_schema={"enum": CURRENCIES})
]
Email = Annotated[
    str,
    Meta(
        max_length=320,
        pattern=NO_NUL,  # the hub checks the address itself (email-validator): msgspec must not refuse more
        description="e-mail address (the pattern is a shape the hub always accepts; it checks the address fully)",
        examples=["ada.lovelace@acme.example"],
        extra_json_schema={"pattern": EMAIL_PATTERN},  # the document's pattern only
    ),
]
Money = Annotated[
    Decimal,
    Meta(
        description="non-negative decimal as a JSON string: at most 16 integer digits and 4 decimal places",
        examples=["1250.00"],
        extra_json_schema={"pattern": MONEY_PATTERN},
    ),
]


class Address(Struct, kw_only=True, forbid_unknown_fields=True):
    line1: Text | None = None
    line2: Text | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[str, Meta(max_length=20, pattern=NO_NUL)] | None = None
    country: CountryCode | None = None


# money as a writer sends it: the documented decimal string and nothing else (msgspec's
# Decimal would take a JSON number, "1_000", " 12 ", "-0" or other scripts' digits too); an
# error names the field, `lines[0].rate`. Answers carry Money.
MoneyText = Annotated[
    str,
    Meta(
        pattern=MONEY_PATTERN,
        description="non-negative decimal as a JSON string of ASCII digits: at most 16 integer digits and 4 "
        "decimal places",
        examples=["1250.00"],
    ),
]


class RateLine(Struct, kw_only=True, forbid_unknown_fields=True):
    role: ShortText
    unit: Literal["hour", "day"]
    rate: Money


class RateLineIn(Struct, kw_only=True, forbid_unknown_fields=True, rename=None):
    """A rate card line as a writer sends it (its rate a MoneyText)."""

    role: ShortText
    unit: Literal["hour", "day"]
    rate: MoneyText


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


Contributed = Annotated[
    list[str],
    Meta(description="the fields this record sent that its system does not own: kept in the source record, "
                     "used for matching, shown in lineage, never chosen while an owner has a value"),
]  # fmt: skip


class UpsertResult(Struct, kw_only=True):
    id: Id
    outcome: Literal["created", "linked", "updated", "unchanged", "pending_review"]
    version: int
    match: dict[str, Any] | None = None
    contributed: Contributed = []


class HeldCandidate(Struct, kw_only=True):
    id: Id
    score: float


class HeldInfo(Struct, kw_only=True):
    """Why a source record is held, and the golden records it came closest to."""

    reason: Literal["no_create_right", "review_without_create", "incomplete"]
    detail: str
    candidates: list[HeldCandidate]


class HeldResult(Struct, kw_only=True):
    """202: the record is kept whole but joins no golden record yet. It links by itself when
    a later write makes it match, or a steward links it or makes a record of it; until then
    resolving its key answers a 404 that says it is held."""

    outcome: Literal["held"]
    system: str
    source_id: str
    held: HeldInfo
    contributed: Contributed = []


class HeldRecord(Struct, kw_only=True):
    """A held source record, for stewards: the record as sent, why, and its candidates."""

    system: str
    source_id: str
    record: dict[str, Any]
    held: HeldInfo
    received_at: datetime


class HeldPage(Struct, kw_only=True):
    items: list[HeldRecord]
    next_cursor: str | None = None


class HeldLink(Struct, kw_only=True, forbid_unknown_fields=True):
    id: Id  # the golden record it joins


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


class Contribution(Struct, kw_only=True):
    """A value a source sent for a field its system does not own: not authoritative."""

    system: str
    source_id: str
    value: Any
    at: datetime


class LineageEntry(Struct, kw_only=True):
    field: str
    value: Any
    # contributed: no owner has a value, so a non-owner's (not authoritative) value fills it
    rule: Literal["override", "owner_priority", "most_recent", "contributed", "default", "retained", "none"]
    system: str | None = None
    source_id: str | None = None
    by: str | None = None  # who set an override
    at: datetime | None = None
    merged_from: str | None = None  # the source named this merged-away record; the value is its survivor
    contributed: list[Contribution] = []  # what other sources sent without owning the field (not chosen)


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


BATCH_MAX = 1000


class SourceBatchItem(Struct, kw_only=True, forbid_unknown_fields=True):
    """One source record of a batch: its id in the system and the record as
    `PUT .../sources/{system}/{source_id}` takes it (checked item by item: a bad one is that
    item's problem, not the batch's)."""

    # as the path of a single PUT: no U+FFFD, which a query (resolve) could not name
    source_id: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00\uFFFD]*$")]
    record: dict[str, Any]


class SourceBatch(Struct, kw_only=True, forbid_unknown_fields=True):
    items: Annotated[list[SourceBatchItem], Meta(min_length=1, max_length=BATCH_MAX)]


class SourceBatchItemResult(Struct, kw_only=True, omit_defaults=True):
    """What became of one item, in the order sent: `status` 200 with the upsert's answer, or
    the status of its `problem` (403, 409, 422, 503 ...), as a single upsert would answer."""

    source_id: str
    status: int
    id: str | None = None
    outcome: Literal["created", "linked", "updated", "unchanged", "pending_review", "held"] | None = None
    version: int | None = None
    match: dict[str, Any] | None = None
    contributed: Contributed | None = None
    held: HeldInfo | None = None  # status 202: kept, joined to no golden record yet
    problem: Problem | None = None


class SourceBatchResult(Struct, kw_only=True):
    items: list[SourceBatchItemResult]
    counts: dict[str, int]  # per outcome, and per problem status ("403", "422", ...)


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


class ChangeEvent(Struct, kw_only=True):
    """A change as a CloudEvents 1.0 event (JSON format), with mdm's extension attributes:
    `sequence` (its feed cursor), `correlationid` and `principal` (who made the change)."""

    specversion: str
    id: str
    source: str
    type: str  # mdm.<domain>.<created|updated|merged|unmerged|retired|linked|unlinked|...>, mdm.policy.changed
    subject: str | None  # the golden record's id, when the event is about one
    time: datetime
    datacontenttype: str
    sequence: str
    correlationid: str | None
    principal: str | None
    data: dict[str, Any]


class EventPage(Struct, kw_only=True):
    items: list[ChangeEvent]
    next: str | None  # ask with after=<next> for what follows (none yet: ask again later)


class FeedHead(Struct, kw_only=True):
    sequence: str | None  # the newest readable event's cursor (none: the feed is empty)
    time: datetime | None


class ConsumerLag(Struct, kw_only=True):
    """How far a consumer the hub delivers to (the JetStream publisher, webhook:<subscription>) is
    behind the feed."""

    name: str
    delivered: str | None  # the last event passed on (a webhook's: delivered, or waiting for a retry)
    delivered_at: datetime | None  # when it was delivered
    behind_events: int  # readable events after it
    behind_seconds: float  # how long the oldest of them (or of a webhook's retries) has waited (0: none)
    holder: str | None  # the process delivering for it (host:pid:id), while its lease holds
    lease_until: datetime | None
    retrying: int = 0  # a webhook subscription's events waiting for another attempt
    dead_letters: int = 0  # a webhook subscription's events given up on (sent again only by a replay)


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
