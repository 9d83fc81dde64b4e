"""The change feed: GET /v{n}/events, the outbox's events after a cursor (mdm.events.feed)."""

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.v1 import ChangeEvent, ConsumerLag, EventPage, FeedHead
from mdm.api.deps import provide_session
from mdm.api.records import problems
from mdm.api.versions import operation_id, version_of
from mdm.db import events as events_sql
from mdm.domains import DOMAINS
from mdm.errors import Forbidden
from mdm.events import feed

_DOMAIN = "|".join(d.name for d in DOMAINS)
Domains = Annotated[str | None, QueryParameter(max_length=500, pattern=rf"^({_DOMAIN})(,({_DOMAIN}))*$")]
Types = Annotated[str | None, QueryParameter(max_length=500, pattern=r"^[a-z0-9_.,]*$")]


def _names(value: str | None) -> list[str] | None:
    return [n for n in value.split(",") if n] if value else None


@get("/events", operation_id=operation_id("listEvents"), tags=["Events"], responses=problems(410, 422),
     dependencies={"db_session": Provide(provide_session)},
     summary="Change events after a cursor (CloudEvents), oldest first; replay from any cursor")  # fmt: skip
async def list_events(
    request: Request,
    db_session: NamedDependency[AsyncSession],
    after: Annotated[str | None, QueryParameter(max_length=33, pattern=feed.CURSOR_PATTERN)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    domain: Domains = None,
    type: Types = None,
) -> EventPage:
    """`after`: the `sequence` of the last event handled (none: from the oldest kept);
    `domain`, `type`: comma-separated names (customer, mdm.customer.updated)."""
    policy = await request.app.state.policies.for_read()
    reader = feed.Reader(policy, request.scope["state"]["subjects"], version_of(request))
    page = await feed.read(db_session, reader, after, limit, _names(domain), _names(type))
    return EventPage(items=[msgspec.convert(e, ChangeEvent) for e in page.items], next=page.next)


@get("/events/head", operation_id=operation_id("eventsHead"), tags=["Events"],
     dependencies={"db_session": Provide(provide_session)},
     summary="The newest event a consumer can read: where the feed ends now")  # fmt: skip
async def events_head(db_session: NamedDependency[AsyncSession]) -> FeedHead:
    position, at = await events_sql.head(db_session)
    return FeedHead(sequence=feed.sequence(position) if position else None, time=at)


@get("/events/consumers", operation_id=operation_id("eventConsumers"), tags=["Events"], responses=problems(403),
     dependencies={"db_session": Provide(provide_session)},
     summary="Each consumer the hub delivers to (the JetStream publisher): how far behind the feed it is")  # fmt: skip
async def event_consumers(request: Request, db_session: NamedDependency[AsyncSession]) -> list[ConsumerLag]:
    if not request.scope["state"].get("roles", frozenset()) & {"steward", "admin"}:
        raise Forbidden("consumer lag is for stewards and admins")
    return [msgspec.convert(lag, ConsumerLag) for lag in await feed.lags(db_session, datetime.now(UTC))]
