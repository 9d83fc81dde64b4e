"""Webhook subscriptions (v2 only): what a receiver wants, how it is signed, what waits.

A subscription's events are those of the feed (ChangeEvent), shaped in its pinned contract
version for its roles, POSTed signed per Standard Webhooks (README "Webhooks")."""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

from contracts.v1.common import NO_NUL, ConsumerLag

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_LABEL = r"[A-Za-z0-9]{1,63}(?:-[A-Za-z0-9]{1,62}){0,20}"  # no "--": no IDNA (xn--) labels
_LAST = r"[A-Za-z][A-Za-z0-9]{0,62}(?:-[A-Za-z0-9]{1,62}){0,20}"  # a top-level label starts with a letter
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
# http(s), a host name or an IPv4 address, a port, a path of printable ASCII; no user or password
URL_PATTERN = rf"^https?://(?:{_OCTET}(?:\.{_OCTET}){{3}}|(?:{_LABEL}\.)*{_LAST})(?::{_PORT})?(?:/[!-~]*)?$"
ReceiverUrl = Annotated[
    str,
    Meta(max_length=2000, pattern=URL_PATTERN, description="where events are POSTed",
         examples=["https://erp.example.com/hooks/mdm"]),
]  # fmt: skip
DomainName = Annotated[
    str, Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="a domain of this hub", examples=["customer"])
]
EventType = Annotated[
    str,
    Meta(pattern=r"^mdm\.[a-z][a-z0-9_]{0,31}\.[a-z_]{1,40}$", description="an event type of this hub",
         examples=["mdm.customer.updated"]),
]  # fmt: skip
Role = Literal["reader", "finance", "steward", "admin"]


class SubscriptionCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    """`domains`, `types`: only these (none: every one; an event of no domain, the policy's,
    comes only when no domains are named). Events are shaped in `version` as a caller with
    `roles` reads them (costRate only to finance and stewards)."""

    url: ReceiverUrl
    version: Literal["v1", "v2"] = "v2"
    domains: Annotated[list[DomainName], Meta(min_length=1, max_length=32)] | None = None
    types: Annotated[list[EventType], Meta(min_length=1, max_length=200)] | None = None
    roles: Annotated[list[Role], Meta(min_length=1, max_length=4)] = msgspec.field(default_factory=lambda: ["reader"])
    description: Annotated[str, Meta(min_length=1, max_length=500, pattern=NO_NUL)] | None = None


class Subscription(Struct, kw_only=True):
    id: str
    url: str
    version: str
    domains: list[str] | None
    types: list[str] | None
    roles: list[str]
    description: str | None
    created_at: datetime
    created_by: str
    signing_secrets: int  # secrets that sign each delivery now (two while one is rotated out)
    lag: ConsumerLag | None  # where its deliveries are: events behind, waiting, dead letters


class SubscriptionCreated(Subscription, kw_only=True):
    secret: str  # whsec_<base64 key>: shown this once; verify deliveries with it


class SecretRotated(Struct, kw_only=True):
    secret: str  # the new secret: it signs every delivery from now
    previous_expires_at: datetime  # until when the previous ones sign beside it


class DeadLetter(Struct, kw_only=True):
    """An event its receiver did not take within the retry window: sent again only by a replay."""

    event_id: str
    type: str
    subject: str | None
    sequence: str
    attempts: int
    first_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None  # the receiver's last HTTP status (none: no answer)
    last_error: str | None
    dead_at: datetime


class ReplayStarted(Struct, kw_only=True):
    subscription_id: str
    after: str  # the subscription's position now: it sends every event after it again
    cleared: int  # waiting and dead deliveries from there on, dropped (they are sent with the rest)
    behind_events: int
