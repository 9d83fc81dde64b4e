"""Signed webhooks: the feed's events POSTed to each subscription's receiver, at least once.

Signing is the Standard Webhooks scheme: `webhook-id` (the event's id: the same on every
attempt, so a receiver drops a second copy), `webhook-timestamp` (the attempt's Unix time),
`webhook-signature` = `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under each of the
subscription's live secrets (`whsec_<base64 key>`), space-separated: while a rotated-out
secret lasts, both sign, so a receiver may switch keys at its own pace.

Each subscription has a Deliverer, one process at a time (a lease on its event_consumer row
`webhook:<id>`, as the NATS publisher has): it reads the feed after its position a page at a
time, shapes each event it wants for its version and roles, and sends them, each record's
events in feed order and different records side by side. An event the receiver does not take
(not a 2xx within the timeout) waits in `webhook_delivery` and is tried again with exponential
backoff and jitter; a record's later events wait behind it (order per record holds), other
records' do not. After the retry window it is a dead letter: kept, sent again only by a replay.
The position moves past a page once each of its events was taken or is waiting, so a failing
receiver holds back no write, no other subscription and no other record.

A receiver that fails CONCURRENCY times in a row is taken as down: until one attempt succeeds,
each round sends one event (a probe) and queues the rest without trying them."""

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from mdm.db import events as events_sql
from mdm.db import webhooks as sql
from mdm.db.engine import Database
from mdm.errors import Gone, NotFound
from mdm.events.feed import Reader, position, sequence
from mdm.policy.rules import Policy, subjects_of
from mdm.settings import Settings

log = logging.getLogger("mdm.events.webhooks")

SECRET_PREFIX = "whsec_"
PAGE = 100  # events read from the feed per round
CONCURRENCY = 16  # attempts in flight per subscription; failures in a row that mean "down"
LEASE = 15.0  # seconds a deliverer holds a subscription without renewing
IDLE = 0.5  # seconds between rounds that found nothing to send
REFRESH = 2.0  # seconds between looks at the subscription list
KEPT = 1024  # bytes of a failed answer kept as its error
Record = dict[str, Any]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `webhook-signature` entry: v1, then the base64 HMAC-SHA256 of id.timestamp.body."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def live_secrets(stored: Iterable[Record], now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and a rotated-out one until it expires."""
    return [s["secret"] for s in stored if s.get("expires_at") is None or datetime.fromisoformat(s["expires_at"]) > now]


def headers(secrets_: list[str], msg_id: str, body: bytes, now: datetime) -> dict[str, str]:
    ts = int(now.timestamp())
    return {
        "content-type": "application/json",
        "user-agent": "mdm-webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": " ".join(sign(s, msg_id, ts, body) for s in secrets_),
    }


@dataclass(frozen=True, slots=True)
class Retry:
    """When a failed event is tried again: `first` seconds after its first failure, doubling
    to at most `most`, each wait between half and all of that (jitter: receivers that come
    back are not hit by every subscription at once); dead after `window`."""

    first: float = 5.0
    most: float = 21_600.0
    window: timedelta = timedelta(hours=72)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt."""
        full = min(self.first * 2 ** min(max(attempts - 1, 0), 40), self.most)
        return timedelta(seconds=full / 2 + random.uniform(0, full / 2))


@dataclass(slots=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None


async def post(client: httpx.AsyncClient, url: str, body: bytes, sent_headers: dict[str, str]) -> Outcome:
    """One attempt: a 2xx within the client's timeout is taken; anything else is not (a
    redirect too: a receiver's URL is where it takes events). At most KEPT bytes are read."""
    try:
        async with client.stream("POST", url, content=body, headers=sent_headers) as answer:
            if 200 <= answer.status_code < 300:
                return Outcome(True, answer.status_code)
            kept = b""
            async for chunk in answer.aiter_raw():
                kept += chunk
                if len(kept) >= KEPT:
                    break
            text = kept[:KEPT].decode("utf-8", "replace").strip()
            error = f"HTTP {answer.status_code}" + (f": {text}" if text else "")
            return Outcome(False, answer.status_code, error[:500])
    except httpx.TimeoutException:
        return Outcome(False, None, "no answer within the timeout")
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])


@dataclass(slots=True)
class Item:
    """One event to send: its id and position, what it is about, the body as sent."""

    event_id: str
    xid: int
    id: int
    type: str
    subject: str | None
    body: bytes
    attempts: int = 0
    first_attempt_at: datetime | None = None  # a waiting one's: when it was first due
    next_attempt_at: datetime | None = None


def waiting_item(row: Any) -> Item:
    return Item(row.event_id, row.xid, row.id, row.type, row.subject, row.body.encode(), row.attempts,
                row.first_attempt_at, row.next_attempt_at)  # fmt: skip


def wants(sub: Any, row: Any) -> bool:
    """Whether a subscription asked for an event: its domain (an event of no domain, the
    policy's, only when no domains are named) and its type."""
    if sub.domains is not None and row.domain not in sub.domains:
        return False
    return sub.types is None or row.type in sub.types


def chains(items: list[Item]) -> list[list[Item]]:
    """Items per record (subject), each record's in feed order."""
    by: dict[str | None, list[Item]] = {}
    for item in items:
        by.setdefault(item.subject, []).append(item)
    return list(by.values())


class LostLease(Exception):  # a state, not a failure
    """Another process delivers for this subscription now."""


class Deliverer:
    """One subscription's deliveries (see the module's docstring)."""

    def __init__(self, db: Database, client: httpx.AsyncClient, policy: Callable[[], Awaitable[Policy]],
                 subscription_id: str, retry: Retry, holder: str, lease: float = LEASE) -> None:  # fmt: skip
        self.db, self.client, self._policy, self.retry = db, client, policy, retry
        self.id, self.name, self.holder, self.lease = subscription_id, sql.consumer_name(subscription_id), holder, lease
        self.failures = 0  # attempts failed in a row: CONCURRENCY or more, the receiver is down
        self.sent = 0  # events its receiver took, in this process
        self._lease_until: datetime | None = None

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        try:
            while not stop.is_set():
                try:
                    if not await self._hold():
                        await _wait(stop, self.lease / 3)
                        continue
                    busy = await self.round()
                    backoff = 0.5
                    if not busy:
                        await _wait(stop, IDLE)
                except LostLease:
                    self._lease_until = None
                except Gone:
                    return  # the subscription was deleted
                except Exception as exc:  # the database, a bug: retry, never stop delivering
                    log.warning("webhook %s: %s; retrying in %.1f s", self.id, exc, backoff)
                    await _wait(stop, backoff)
                    backoff = min(backoff * 2, 30.0)
        finally:
            with contextlib.suppress(Exception):  # the database went away: the lease lapses on its own
                async with self.db.transaction() as session:
                    await events_sql.release(session, self.name, self.holder)

    async def _hold(self) -> bool:
        """Take or renew the lease when a third of it is left."""
        now = datetime.now(UTC)
        if self._lease_until is not None and now < self._lease_until - timedelta(seconds=self.lease / 3):
            return True
        until = now + timedelta(seconds=self.lease)
        async with self.db.transaction() as session:
            held = await events_sql.take_lease(session, self.name, self.holder, now, until, create=False)
        self._lease_until = until if held else None
        if not held and await self._gone():
            raise Gone("subscription deleted")
        return held

    async def _gone(self) -> bool:
        async with self.db.sessionmaker(write=False)() as session:
            return await sql.subscription(session, self.id) is None

    async def round(self) -> int:
        """Send what is due: waiting retries, then the feed's next page. Answers how many
        events it dealt with (0: nothing to do)."""
        now = datetime.now(UTC)
        async with self.db.sessionmaker(write=False)() as session, session.begin():
            state = await events_sql.consumer(session, self.name)
            sub = await sql.subscription(session, self.id)
            if sub is None:
                raise Gone("subscription deleted")
            if state is None or state.holder != self.holder:
                raise LostLease
            waiting = await sql.waiting(session, self.id, PAGE)
            rows = await events_sql.page(session, (state.xid, state.id), PAGE, None, None)
            subjects = subjects_of(f"mdm:webhook:{self.id}", frozenset(sub.roles))
            reader = Reader(await self._policy(), subjects, sub.version)
            fresh = [
                Item(r.event_id, r.xid, r.id, r.type, r.subject, msgspec.json.encode(e))
                for r in rows
                if wants(sub, r) and (e := reader.event(r)) is not None
            ]
            held = await sql.blocked(session, self.id, list({i.subject for i in fresh})) if fresh else set()
        signing = live_secrets(sub.secrets, now)
        await self._retry(sub.url, signing, waiting, now)
        if rows:
            await self._page(sub.url, signing, fresh, held, (state.xid, state.id), (rows[-1].xid, rows[-1].id))
        return len(rows) + len(waiting)

    async def _send(self, url: str, signing: list[str], groups: list[list[Item]]) -> dict[str, Outcome]:
        """Attempt each record's items in order, records side by side; a record stops at its
        first failure. Items not attempted have no outcome."""
        gate = asyncio.Semaphore(CONCURRENCY)
        probed = False

        async def one(chain: list[Item]) -> None:
            nonlocal probed
            for item in chain:
                async with gate:
                    if self.failures >= CONCURRENCY:  # down: one probe per round
                        if probed:
                            return
                        probed = True
                    now = datetime.now(UTC)
                    outcome = await post(self.client, url, item.body, headers(signing, item.event_id, item.body, now))
                self.failures = 0 if outcome.ok else self.failures + 1
                outcomes[item.event_id] = outcome
                if not outcome.ok:
                    return

        outcomes: dict[str, Outcome] = {}
        await asyncio.gather(*(one(c) for c in groups))
        self.sent += sum(o.ok for o in outcomes.values())
        return outcomes

    async def _page(self, url: str, signing: list[str], items: list[Item], held: set[str | None],
                    since: events_sql.Position, to: events_sql.Position) -> None:  # fmt: skip
        """Send a page's events (a record with events waiting: queued behind them), record the
        ones not taken, and move the position past the page, unless a replay moved it meanwhile."""
        outcomes = await self._send(url, signing, [c for c in chains(items) if c[0].subject not in held])
        now = datetime.now(UTC)
        failed = []
        for item in items:
            outcome = outcomes.get(item.event_id)
            if outcome is not None and outcome.ok:
                continue
            tried = outcome is not None
            failed.append({
                "subscription_id": self.id, "event_id": item.event_id, "xid": item.xid, "id": item.id,
                "type": item.type, "subject": item.subject, "body": item.body.decode(),
                "attempts": int(tried), "first_attempt_at": now, "last_attempt_at": now if tried else None,
                "next_attempt_at": now + self.retry.delay(1), "last_status": outcome.status if outcome else None,
                "last_error": outcome.error if outcome else "not tried: waits behind its record's "
                "earlier event, or the receiver is down", "dead_at": None,
            })  # fmt: skip
        async with self.db.transaction() as session:
            if await events_sql.advance(session, self.name, self.holder, to, now, since=since):
                await sql.fail(session, failed)
                renewed = now + timedelta(seconds=self.lease)
                if await events_sql.take_lease(session, self.name, self.holder, now, renewed, create=False):
                    self._lease_until = renewed
                return
        async with self.db.sessionmaker(write=False)() as session:
            state = await events_sql.consumer(session, self.name)
        if state is None or state.holder != self.holder:
            raise LostLease  # else a replay moved the position: the next round reads from there

    async def _retry(self, url: str, signing: list[str], waiting: list[Any], now: datetime) -> None:
        """Try again the records whose first waiting event is due, each in order."""
        due = [c for c in chains([waiting_item(w) for w in waiting]) if (c[0].next_attempt_at or now) <= now]
        if not due:
            return
        outcomes = await self._send(url, signing, due)
        after = datetime.now(UTC)
        async with self.db.transaction() as session:
            await sql.delivered(session, self.id, [e for e, o in outcomes.items() if o.ok])
            for chain in due:
                for item in chain:
                    outcome = outcomes.get(item.event_id)
                    if outcome is None or outcome.ok:
                        continue
                    await sql.attempted(session, self.id, item.event_id, self._after_failure(item, outcome, after))

    def _after_failure(self, item: Item, outcome: Outcome, now: datetime) -> Record:
        assert item.first_attempt_at is not None
        values: Record = {"last_attempt_at": now, "last_status": outcome.status, "last_error": outcome.error}
        if now - item.first_attempt_at >= self.retry.window:
            return {**values, "next_attempt_at": None, "dead_at": now}
        return {**values, "next_attempt_at": now + self.retry.delay(item.attempts + 1)}


class Dispatcher:
    """Every subscription's Deliverer, started and stopped as subscriptions come and go."""

    def __init__(self, db: Database, policy: Callable[[], Awaitable[Policy]], *, retry: Retry = Retry(),
                 timeout: float = 15.0, lease: float = LEASE) -> None:  # fmt: skip
        self.db, self.policy, self.retry, self.timeout, self.lease = db, policy, retry, timeout, lease
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{ULID()}"
        self.deliverers: dict[str, tuple[Deliverer, asyncio.Event, asyncio.Task[None]]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, limits=limits) as client:
            try:
                while not stop.is_set():
                    try:
                        async with self.db.sessionmaker(write=False)() as session:
                            ids = {s.id for s in await sql.subscriptions(session)}
                        self._follow(client, ids)
                    except Exception as exc:  # the database is away: look again later
                        log.warning("webhooks: %s", exc)
                    await _wait(stop, REFRESH)
            finally:
                await self._stop_all()

    def _follow(self, client: httpx.AsyncClient, ids: set[str]) -> None:
        for gone in set(self.deliverers) - ids:
            self.deliverers.pop(gone)[1].set()
        for new in ids - set(self.deliverers):
            deliverer = Deliverer(self.db, client, self.policy, new, self.retry, self.holder, self.lease)
            stop = asyncio.Event()
            self.deliverers[new] = (deliverer, stop, asyncio.create_task(deliverer.run(stop)))
        for sid, (_, _, task) in list(self.deliverers.items()):
            if task.done():  # it found its subscription deleted
                del self.deliverers[sid]

    async def _stop_all(self) -> None:
        """Stop every deliverer: a moment to finish, then cancelled (an event in flight is sent
        again by whoever delivers next: at least once)."""
        for _, stop, _ in self.deliverers.values():
            stop.set()
        tasks = [t for _, _, t in self.deliverers.values()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=2.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    @property
    def sent(self) -> int:
        return sum(d.sent for d, _, _ in self.deliverers.values())


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def from_settings(db: Database, settings: Settings, policy: Callable[[], Awaitable[Policy]]) -> Dispatcher:
    retry = Retry(settings.webhook_retry_seconds, settings.webhook_retry_max_seconds,
                  timedelta(hours=settings.webhook_retry_hours))  # fmt: skip
    return Dispatcher(db, policy, retry=retry, timeout=settings.webhook_timeout_seconds)


# -- the subscriptions' service (the API's handlers call these in the request's transaction)


async def subscribe(session: AsyncSession, values: Record, principal: str, now: datetime) -> tuple[Record, str]:
    """A new subscription, starting at the feed's end (it receives what happens from now);
    answers its row and its secret (shown this once)."""
    secret = new_secret()
    row = {
        **values,
        "id": f"sub_{ULID()}",
        "secrets": [{"secret": secret, "expires_at": None}],
        "created_at": now,
        "created_by": principal,
    }
    await sql.add(session, row)
    head, _ = await events_sql.head(session)
    await events_sql.place(session, sql.consumer_name(row["id"]), head or events_sql.START)
    return row, secret


async def found(session: AsyncSession, subscription_id: str) -> Any:
    sub = await sql.subscription(session, subscription_id)
    if sub is None:
        raise NotFound(f"no subscription {subscription_id}")
    return sub


async def unsubscribe(session: AsyncSession, subscription_id: str) -> None:
    if not await sql.remove(session, subscription_id):
        raise NotFound(f"no subscription {subscription_id}")
    await events_sql.forget(session, sql.consumer_name(subscription_id))


async def rotate(session: AsyncSession, subscription_id: str, now: datetime, keep: timedelta) -> tuple[str, datetime]:
    """A new secret; the ones that signed until now sign beside it for `keep`, then stop.
    Answers the new secret and when the old ones stop."""
    sub = await found(session, subscription_id)
    until = now + keep
    kept = [
        {"secret": s["secret"], "expires_at": min(until, _expiry(s) or until).isoformat()}
        for s in sub.secrets
        if (_expiry(s) or until) > now
    ]
    secret = new_secret()
    await sql.set_secrets(session, subscription_id, [{"secret": secret, "expires_at": None}, *kept])
    return secret, until


def _expiry(stored: Record) -> datetime | None:
    return datetime.fromisoformat(stored["expires_at"]) if stored.get("expires_at") else None


async def replay(session: AsyncSession, subscription_id: str, start: str | datetime, name: str = "from") -> Record:
    """Send a subscription's events again from an event (its id or `sequence`) or a time on:
    its position moves to just before that event, and its waiting and dead deliveries from
    there on are dropped (sent again with the rest). Answers where it starts."""
    await found(session, subscription_id)
    if isinstance(start, datetime):
        at = await events_sql.first_since(session, start) or await _after_head(session)
    elif start.startswith("evt_"):
        located = await events_sql.locate(session, start)
        if located is None:
            raise NotFound(f"the feed holds no event {start} (never made, or pruned by retention)")
        at = located
    else:
        at = position(start, name)
    pruned = await events_sql.horizon(session)
    if pruned is not None and at <= pruned:
        raise Gone(f"the feed no longer holds the events from {start}", [(name, "retention pruned them")])
    before = (at[0], at[1] - 1)
    cleared = await sql.clear_from(session, subscription_id, at)
    await events_sql.place(session, sql.consumer_name(subscription_id), before)
    return {"subscription_id": subscription_id, "after": sequence(before), "cleared": cleared,
            "behind_events": await events_sql.count_after(session, before)}  # fmt: skip


async def _after_head(session: AsyncSession) -> events_sql.Position:
    head, _ = await events_sql.head(session)
    return (head[0], head[1] + 1) if head else (events_sql.START[0], 1)
