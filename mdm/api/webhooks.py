"""Webhook subscriptions over HTTP (/v2/subscriptions, admins): make, list, read, delete,
rotate a secret, see dead letters, replay (mdm.events.webhooks does the work)."""

import ipaddress
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from litestar import Request, Router, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.v1 import ConsumerLag
from contracts.v2.webhooks import (
    DeadLetter,
    ReplayStarted,
    SecretRotated,
    Subscription,
    SubscriptionCreate,
    SubscriptionCreated,
)
from mdm.api.deps import provide_session
from mdm.api.instants import INSTANT_PATTERN, decode_instant
from mdm.api.records import problems
from mdm.db import webhooks as sql
from mdm.domains import BY_NAME
from mdm.errors import Forbidden, Invalid
from mdm.events import POLICY_CHANGED, TYPES, event_type
from mdm.events import webhooks as service
from mdm.events.feed import CURSOR_PATTERN, lags, sequence

Session = NamedDependency[AsyncSession]
INSTANT = re.compile(INSTANT_PATTERN)
SubscriptionId = Annotated[str, PathParameter(pattern=r"^sub_[0-9A-HJKMNP-TV-Z]{26}$", description="a subscription")]
# where a replay starts: an event's id, its `sequence`, or an RFC 3339 time (the first event at or after it)
START_PATTERN = (
    r"^(?:evt_[0-9A-HJKMNP-TV-Z]{26}|" + CURSOR_PATTERN.strip("^$") + "|" + INSTANT_PATTERN.strip("^$") + ")$"
)
Start = Annotated[
    str,
    QueryParameter(name="from", pattern=START_PATTERN, max_length=40, description="an event id, a sequence or a time"),
]


def _admin(request: Request) -> None:
    if "admin" not in request.scope["state"]["roles"]:
        raise Forbidden("webhook subscriptions are for admins")


def _checked(data: SubscriptionCreate, allow_private: bool) -> dict[str, Any]:
    """The subscription's stored values, its domains and types known to this hub, its URL
    not at a private address unless allowed (a host name is checked at each attempt)."""
    problems_: list[tuple[str, str]] = []
    host = httpx.URL(data.url).host
    if not allow_private and (host == "localhost" or (_is_address(host) and service.private(host))):
        problems_.append(("url", f"a private address ({host}): allowed only with MDM_WEBHOOK_PRIVATE_ADDRESSES=true"))
    known_types = {POLICY_CHANGED, *(event_type(d, what) for d in BY_NAME for what in TYPES)}
    for i, name in enumerate(data.domains or []):
        if name not in BY_NAME:
            problems_.append((f"domains[{i}]", f"not a domain of this hub (one of {', '.join(BY_NAME)})"))
    for i, name in enumerate(data.types or []):
        if name not in known_types:
            problems_.append((f"types[{i}]", "not an event type of this hub (mdm.<domain>.<what>, mdm.policy.changed)"))
    if problems_:
        raise Invalid("the subscription names what this hub does not have", problems_)
    return {"url": data.url, "version": data.version, "domains": _once(data.domains), "types": _once(data.types),
            "roles": sorted(set(data.roles)), "description": data.description}  # fmt: skip


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _once(names: list[str] | None) -> list[str] | None:
    return list(dict.fromkeys(names)) if names is not None else None


def _shown(row: Any, lag: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    values = row._mapping if hasattr(row, "_mapping") else row
    return {
        **{k: values[k] for k in ("id", "url", "version", "domains", "types", "roles", "description")},
        "created_at": values["created_at"],
        "created_by": values["created_by"],
        "signing_secrets": len(service.live_secrets(values["secrets"], now)),
        "lag": ConsumerLag(**lag[0]) if lag else None,
    }


async def _lag(session: AsyncSession, subscription_id: str, now: datetime) -> list[dict[str, Any]]:
    return await lags(session, now, [sql.consumer_name(subscription_id)])


@post("/", operation_id="createSubscription", status_code=201, responses=problems(403, 422),
      summary="Subscribe a receiver to change events (admin); the answer holds its signing secret, once")  # fmt: skip
async def create_subscription(
    request: Request, db_session: Session, data: JSONBody[SubscriptionCreate]
) -> SubscriptionCreated:
    _admin(request)
    now = datetime.now(UTC)
    values = _checked(data, request.app.state.settings.webhook_private_addresses)
    row, secret = await service.subscribe(db_session, values, request.scope["state"]["principal"], now)
    return SubscriptionCreated(**_shown(row, await _lag(db_session, row["id"], now), now), secret=secret)


@get("/", operation_id="listSubscriptions", responses=problems(403), summary="Every subscription, with its lag (admin)")
async def list_subscriptions(request: Request, db_session: Session) -> list[Subscription]:
    _admin(request)
    now = datetime.now(UTC)
    by_name = {lag["name"]: lag for lag in await lags(db_session, now)}
    return [
        Subscription(**_shown(s, [by_name[n]] if (n := sql.consumer_name(s.id)) in by_name else [], now))
        for s in await sql.subscriptions(db_session)
    ]


@get("/{subscription_id:str}", operation_id="getSubscription", responses=problems(403, 404),
     summary="A subscription and its lag: events behind, waiting for a retry, dead letters (admin)")  # fmt: skip
async def get_subscription(request: Request, db_session: Session, subscription_id: SubscriptionId) -> Subscription:
    _admin(request)
    now = datetime.now(UTC)
    sub = await service.found(db_session, subscription_id)
    return Subscription(**_shown(sub, await _lag(db_session, subscription_id, now), now))


@delete("/{subscription_id:str}", operation_id="deleteSubscription", responses=problems(403, 404),
        summary="Stop a subscription (admin): nothing more is sent, its waiting deliveries are dropped")  # fmt: skip
async def delete_subscription(request: Request, db_session: Session, subscription_id: SubscriptionId) -> None:
    _admin(request)
    await service.unsubscribe(db_session, subscription_id)


@post("/{subscription_id:str}/rotate-secret", operation_id="rotateSubscriptionSecret", status_code=200,
      responses=problems(403, 404),
      summary="A new signing secret (admin); the old ones sign beside it for MDM_WEBHOOK_ROTATION_HOURS")  # fmt: skip
async def rotate_secret(request: Request, db_session: Session, subscription_id: SubscriptionId) -> SecretRotated:
    _admin(request)
    keep = timedelta(hours=request.app.state.settings.webhook_rotation_hours)
    secret, until = await service.rotate(db_session, subscription_id, datetime.now(UTC), keep)
    return SecretRotated(secret=secret, previous_expires_at=until)


@get("/{subscription_id:str}/dead-letters", operation_id="listDeadLetters", responses=problems(403, 404),
     summary="Events the receiver did not take within the retry window, oldest first (admin)")  # fmt: skip
async def list_dead_letters(
    request: Request,
    db_session: Session,
    subscription_id: SubscriptionId,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> list[DeadLetter]:
    _admin(request)
    await service.found(db_session, subscription_id)
    return [_dead_letter(d) for d in await sql.dead_letters(db_session, subscription_id, limit)]


def _dead_letter(d: Any) -> DeadLetter:
    return DeadLetter(
        event_id=d.event_id,
        type=d.type,
        subject=d.subject,
        sequence=sequence((d.xid, d.id)),
        attempts=d.attempts,
        first_attempt_at=d.first_attempt_at,
        last_attempt_at=d.last_attempt_at,
        last_status=d.last_status,
        last_error=d.last_error,
        dead_at=d.dead_at,
    )


@post("/{subscription_id:str}/replay", operation_id="replaySubscription", status_code=202,
      responses=problems(403, 404, 410, 422),
      summary="Send the events again from an event or a time on, dead letters among them (admin)")  # fmt: skip
async def replay_subscription(
    request: Request, db_session: Session, subscription_id: SubscriptionId, start: Start
) -> ReplayStarted:
    _admin(request)
    when: str | datetime = start
    if INSTANT.match(start):  # else an event's id or sequence
        instant = decode_instant(datetime, start)
        when = instant if instant.tzinfo else instant.replace(tzinfo=UTC)  # no offset: UTC
    return ReplayStarted(**await service.replay(db_session, subscription_id, when))


subscriptions_router = Router(
    path="/v2/subscriptions",
    route_handlers=[create_subscription, list_subscriptions, get_subscription, delete_subscription, rotate_secret,
                    list_dead_letters, replay_subscription],
    dependencies={"db_session": Provide(provide_session)},
    tags=["Webhooks"],
)  # fmt: skip
