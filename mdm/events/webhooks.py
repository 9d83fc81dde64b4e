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
import ipaddress
import logging
import os
import random
import secrets
import socket
import time
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
SCAN = 10_000  # events of the feed a round looks through at most for those a subscription asked for
CONCURRENCY = 16  # attempts in flight per subscription; failures in a row that mean "down"
LEASE = 15.0  # seconds a deliverer holds a subscription without renewing
IDLE = 0.5  # seconds between rounds that found nothing to send
REFRESH = 2.0  # seconds between looks at the subscription list
RESOLVED = 30.0  # seconds a receiver's host name is taken to resolve as it did
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


def private(address: str) -> bool:
    """Whether an address is not on the public internet (loopback, private, link-local
    such as cloud metadata at 169.254.169.254, shared, reserved)."""
    return not ipaddress.ip_address(address.split("%")[0]).is_global


class Guard:
    """Refuses receivers at private addresses unless allowed (MDM_WEBHOOK_PRIVATE_ADDRESSES):
    a subscription must not turn the hub into a way into the network it runs in. A host name
    is resolved before each attempt (cached for RESOLVED seconds); a name that resolves to a
    public address at the check and a private one when httpx connects (DNS rebinding) is not
    caught: put the hub behind an egress proxy where that matters."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._resolved: dict[tuple[str, int], tuple[float, str | None]] = {}

    async def refusal(self, url: str) -> str | None:
        """Why a receiver's URL may not be called now, or None."""
        if self.allow_private:
            return None
        parsed = httpx.URL(url)
        key = (parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
        found = self._resolved.get(key)
        if found is None or found[0] < time.monotonic():
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(*key, type=socket.SOCK_STREAM)
                bad = next((i[4][0] for i in infos if private(str(i[4][0]))), None)
                reason = f"{parsed.host} is at the private address {bad}" if bad else None
            except OSError as exc:
                reason = f"{parsed.host} does not resolve: {exc}"
            found = (time.monotonic() + RESOLVED, reason)
            self._resolved[key] = found
        return found[1] and f"{found[1]} (allowed only with MDM_WEBHOOK_PRIVATE_ADDRESSES=true)"


async def post(client: httpx.AsyncClient, url: str, body: bytes, sent: dict[str, str], seconds: float) -> Outcome:
    """One attempt: a 2xx within `seconds`, all told, is taken; anything else is not
    (a redirect too: a receiver's URL is where it takes events). At most KEPT bytes of the
    answer are read."""
    try:
        async with asyncio.timeout(seconds), client.stream("POST", url, content=body, headers=sent) as answer:
            kept = b""
            async for chunk in answer.aiter_raw():
                kept += chunk
                if len(kept) >= KEPT:
                    break
            if 200 <= answer.status_code < 300:
                return Outcome(True, answer.status_code)
            text = kept[:KEPT].decode("utf-8", "replace").strip()
            error = f"HTTP {answer.status_code}" + (f": {text}" if text else "")
            return Outcome(False, answer.status_code, error[:500])
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(False, None, f"no answer within {seconds:g} s")
    except Exception as exc:  # the network, the URL, the receiver's TLS: a failed attempt, never a stop
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


def waiting_item(row: Any) -> Item:
    return Item(row.event_id, row.xid, row.id, row.type, row.subject, row.body.encode(), row.attempts,
                row.first_attempt_at)  # fmt: skip


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
    """One subscription's deliveries (see the module's docstring). Its own connections (at
    most CONCURRENCY): a slow receiver cannot take another subscription's."""

    def __init__(self, db: Database, policy: Callable[[], Awaitable[Policy]], subscription_id: str, retry: Retry,
                 holder: str, *, timeout: float = 15.0, lease: float = LEASE,
                 guard: Guard | None = None) -> None:  # fmt: skip
        self.db, self._policy, self.retry, self.timeout = db, policy, retry, timeout
        self.id, self.name, self.holder, self.lease = subscription_id, sql.consumer_name(subscription_id), holder, lease
        self.guard = guard or Guard(allow_private=False)
        self.failures = 0  # attempts failed in a row: CONCURRENCY or more, the receiver is down
        self.sent = 0  # events its receiver took, in this process
        self._lease_until: datetime | None = None

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False, limits=limits) as client:
                while not stop.is_set():
                    try:
                        if not await self._hold():
                            await _wait(stop, self.lease / 3)
                            continue
                        busy = await self._renewing(self.round(client))
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
        """Take the lease, or renew it when a third of it is left."""
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

    async def _renewing(self, work: Awaitable[int]) -> int:
        """Run a round, renewing the lease while it lasts (slow receivers make long rounds)."""
        task = asyncio.ensure_future(work)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.lease / 3)
                if done:
                    return task.result()
                with contextlib.suppress(Gone):
                    await self._hold()
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _gone(self) -> bool:
        async with self.db.sessionmaker(write=False)() as session:
            return await sql.subscription(session, self.id) is None

    async def round(self, client: httpx.AsyncClient) -> int:
        """Send what is due: each record's first waiting event whose retry is due, then the
        feed's next page. Answers how many events it dealt with (0: nothing to do now)."""
        now = datetime.now(UTC)
        async with self.db.sessionmaker(write=False)() as session, session.begin():
            state = await events_sql.consumer(session, self.name)
            sub = await sql.subscription(session, self.id)
            if sub is None:
                raise Gone("subscription deleted")
            if state is None or state.holder != self.holder:
                raise LostLease
            due = [waiting_item(w) for w in await sql.due(session, self.id, now, PAGE)]
            start, placed = (state.xid, state.id), state.placed
            # only the events it asked for are read, up to the head as it was read first (none
            # can appear behind it later: see mdm.db.events) and at most SCAN events on: a page
            # short of PAGE has seen all there is up to there, so the position moves past the
            # events it passed over
            head, _ = await events_sql.head(session)
            rows, upto = [], head
            if head is not None and head > start:
                upto = min(head, await events_sql.nth_after(session, start, SCAN) or head)
                rows = await events_sql.page(session, start, PAGE, sub.domains, sub.types, upto=upto)
            to = (rows[-1].xid, rows[-1].id) if len(rows) == PAGE else upto
            subjects = subjects_of(f"mdm:webhook:{self.id}", frozenset(sub.roles))
            reader = Reader(await self._policy(), subjects, sub.version)
            fresh = [
                Item(r.event_id, r.xid, r.id, r.type, r.subject, msgspec.json.encode(e))
                for r in rows
                if wants(sub, r) and (e := reader.event(r)) is not None
            ]
            held = await sql.blocked(session, self.id, list({i.subject for i in fresh})) if fresh else set()
        signing = live_secrets(sub.secrets, now)
        if due:
            await self._retry(client, sub.url, signing, due)
        if to is None or head is None or to <= start:
            return len(due)
        await self._page(client, sub.url, signing, fresh, held, (start, placed), to)
        return len(rows) + len(due) or int(to < head)  # short of the head: more to pass over, at once

    async def _send(self, client: httpx.AsyncClient, url: str, signing: list[str],
                    groups: list[list[Item]]) -> dict[str, Outcome]:  # fmt: skip
        """Attempt each record's items in order, records side by side; a record stops at its
        first failure. Items not attempted have no outcome."""
        gate = asyncio.Semaphore(CONCURRENCY)
        probed = False
        refused = await self.guard.refusal(url)

        async def one(chain: list[Item]) -> None:
            nonlocal probed
            for item in chain:
                async with gate:
                    if self.failures >= CONCURRENCY:  # down: one probe per round
                        if probed:
                            return
                        probed = True
                    if refused:
                        outcome = Outcome(False, None, refused)
                    else:
                        sent = headers(signing, item.event_id, item.body, datetime.now(UTC))
                        outcome = await post(client, url, item.body, sent, self.timeout)
                self.failures = 0 if outcome.ok else self.failures + 1
                outcomes[item.event_id] = outcome
                if not outcome.ok:
                    return

        outcomes: dict[str, Outcome] = {}
        await asyncio.gather(*(one(c) for c in groups))
        self.sent += sum(o.ok for o in outcomes.values())
        return outcomes

    async def _page(self, client: httpx.AsyncClient, url: str, signing: list[str], items: list[Item],
                    held: set[str | None], since: tuple[events_sql.Position, int],
                    to: events_sql.Position) -> None:  # fmt: skip
        """Send a page's events (a record with events waiting: queued behind them), record the
        ones not taken, and move the position past the page, unless a replay placed it
        meanwhile (`since`: the position and its `placed` count, as the round read them)."""
        outcomes = await self._send(client, url, signing, [c for c in chains(items) if c[0].subject not in held])
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
                "last_error": outcome.error if outcome else "not tried: waits behind its record's earlier event, "
                "or the receiver is down", "dead_at": None,
            })  # fmt: skip
        renewed = now + timedelta(seconds=self.lease)
        async with self.db.transaction() as session:
            # hold the lease (renewed: the round may have outlasted it) and the position read
            if await events_sql.take_lease(session, self.name, self.holder, now, renewed, create=False) and (
                await events_sql.advance(session, self.name, self.holder, to, now, since=since)
            ):
                await sql.fail(session, failed)
                self._lease_until = renewed
                return
        async with self.db.sessionmaker(write=False)() as session:
            state = await events_sql.consumer(session, self.name)
        if state is None or state.holder != self.holder:
            raise LostLease  # else a replay moved the position back: the next round sends from there

    async def _retry(self, client: httpx.AsyncClient, url: str, signing: list[str], due: list[Item]) -> None:
        """Try again each record's first waiting event (`due` holds one per record)."""
        outcomes = await self._send(client, url, signing, [[item] for item in due])
        after = datetime.now(UTC)
        async with self.db.transaction() as session:
            state = await events_sql.consumer(session, self.name)
            if state is None or state.holder != self.holder:
                raise LostLease  # the new holder tries them again: at least once
            await sql.delivered(session, self.id, [e for e, o in outcomes.items() if o.ok])
            for item in due:
                outcome = outcomes.get(item.event_id)
                if outcome is not None and not outcome.ok:
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
                 timeout: float = 15.0, lease: float = LEASE, allow_private: bool = False) -> None:  # fmt: skip
        self.db, self.policy, self.retry, self.timeout, self.lease = db, policy, retry, timeout, lease
        self.guard = Guard(allow_private)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{ULID()}"
        self.deliverers: dict[str, tuple[Deliverer, asyncio.Event, asyncio.Task[None]]] = {}
        self.ended = 0  # events sent by deliverers of subscriptions since deleted

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    async with self.db.sessionmaker(write=False)() as session:
                        ids = {s.id for s in await sql.subscriptions(session)}
                    self._follow(ids)
                except Exception as exc:  # the database is away: look again later
                    log.warning("webhooks: %s", exc)
                await _wait(stop, REFRESH)
        finally:
            await self._stop_all()

    def _follow(self, ids: set[str]) -> None:
        for gone in set(self.deliverers) - ids:
            self.deliverers[gone][1].set()
        for new in ids - set(self.deliverers):
            deliverer = Deliverer(self.db, self.policy, new, self.retry, self.holder, timeout=self.timeout,
                                  lease=self.lease, guard=self.guard)  # fmt: skip
            stop = asyncio.Event()
            self.deliverers[new] = (deliverer, stop, asyncio.create_task(deliverer.run(stop)))
        for sid, (deliverer, _, task) in list(self.deliverers.items()):
            if task.done():  # stopped, or it found its subscription deleted
                self.ended += deliverer.sent
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
        return self.ended + sum(d.sent for d, _, _ in self.deliverers.values())


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def from_settings(db: Database, settings: Settings, policy: Callable[[], Awaitable[Policy]]) -> Dispatcher:
    retry = Retry(settings.webhook_retry_seconds, settings.webhook_retry_max_seconds,
                  timedelta(hours=settings.webhook_retry_hours))  # fmt: skip
    return Dispatcher(db, policy, retry=retry, timeout=settings.webhook_timeout_seconds,
                      allow_private=settings.webhook_private_addresses)  # fmt: skip


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


async def found(session: AsyncSession, subscription_id: str, lock: bool = False) -> Any:
    sub = await sql.subscription(session, subscription_id, lock)
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
    sub = await found(session, subscription_id, lock=True)
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
    state = await events_sql.consumer(session, sql.consumer_name(subscription_id))
    # never forward: a replay sends again, it skips nothing not yet sent
    before = min((at[0], at[1] - 1), (state.xid, state.id) if state else events_sql.START)
    cleared = await sql.clear_from(session, subscription_id, (before[0], before[1] + 1))
    await events_sql.place(session, sql.consumer_name(subscription_id), before)
    return {"subscription_id": subscription_id, "after": sequence(before), "cleared": cleared,
            "behind_events": await events_sql.count_after(session, before)}  # fmt: skip


async def _after_head(session: AsyncSession) -> events_sql.Position:
    head, _ = await events_sql.head(session)
    return (head[0], head[1] + 1) if head else (events_sql.START[0], 1)
