"""The NATS JetStream publisher: the feed's events, in feed order, to JetStream, at least once.

Each event goes to subject `<prefix>.<domain>.<what>` (the event's type with `mdm` replaced
by the prefix) with header `Nats-Msg-Id` = the event's id, so JetStream drops a second copy
published within the stream's duplicate window. The publisher sends a page of events, waits
for every acknowledgement, then records the page's last position (table `event_consumer`,
consumer "nats"); after a crash, a NATS outage or a lost lease it starts again from the last
recorded position, so an event is published again only if its page was not recorded: at most
one page (PAGE events) twice, within seconds of each other, well inside the window.

Duplicate window: the stream is made (if missing) with DUPLICATE_WINDOW, 10 minutes, against
JetStream's default of 2: a republish happens after the publisher's retry delay (at most
MAX_BACKOFF, 30 s) or a takeover (LEASE, 15 s), and a restart after a crash is quick unless
nobody restarts it. A republish after a longer gap (a publisher down for hours) reaches
consumers twice: consumers dedupe by the event's id (the CloudEvents `id`), as they must for
any at-least-once feed.

One publisher at a time, however many workers run it: the consumer's lease (LEASE seconds,
renewed with every page and every idle poll) is taken only when free or expired, so a dead
publisher's lease lapses and another worker's publisher takes over within LEASE seconds.
Records are published as a caller with `roles` sees them (default `reader`: no costRate)."""

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import msgspec
import nats
from nats.js.api import StreamConfig
from nats.js.client import JetStreamContext
from ulid import ULID

from mdm.db import events as sql
from mdm.db.engine import Database
from mdm.events.feed import Reader
from mdm.policy.rules import Policy, subjects_of
from mdm.settings import Settings

log = logging.getLogger("mdm.events.publisher")

CONSUMER = "nats"
PAGE = 500  # events published before their position is recorded
LEASE = 15.0  # seconds a publisher holds the lease without renewing it
IDLE = 0.2  # seconds between polls of an empty feed
ACK_TIMEOUT = 10.0  # seconds JetStream has to acknowledge a page
MAX_BACKOFF = 30.0  # the longest wait before retrying after a failure
DUPLICATE_WINDOW = 600.0  # seconds: the stream's duplicate window, when the publisher makes it


class LostLease(Exception):  # a state, not a failure
    """Another publisher holds the lease now: this one stops publishing until it is free."""


class Publisher:
    def __init__(self, db: Database, url: str, policy: Callable[[], Awaitable[Policy]], *, prefix: str = "mdm",
                 stream: str = "MDM_EVENTS", roles: frozenset[str] = frozenset({"reader"}), name: str = CONSUMER,
                 lease: float = LEASE) -> None:  # fmt: skip
        self.db, self.url, self.prefix, self.stream, self.roles = db, url, prefix, stream, roles
        self.name, self.lease = name, lease  # the consumer's row in event_consumer; its lease, in seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{ULID()}"
        self._policy = policy  # the policy in force (mdm.policy.store.PolicyCache.for_read)
        self.published = 0  # events acknowledged by JetStream in this process

    def subject(self, event_type: str) -> str:
        return self.prefix + event_type.removeprefix("mdm")

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set: take the lease, publish pages, back off on failures."""
        backoff = 0.5
        nc = None
        try:
            while not stop.is_set():
                try:
                    if not await self._lease():
                        await _wait(stop, self.lease / 3)
                        continue
                    if nc is None or nc.is_closed:
                        nc = await nats.connect(self.url, connect_timeout=2, allow_reconnect=True,
                                                max_reconnect_attempts=-1, reconnect_time_wait=0.5)  # fmt: skip
                        await self._ensure_stream(nc.jetstream())
                    sent = await self._publish_page(nc.jetstream())
                    backoff = 0.5
                    if not sent:
                        await _wait(stop, IDLE)
                except LostLease:
                    log.info("publisher lease taken by another process; waiting")
                except Exception as exc:  # NATS, the database, the network: retry them all
                    log.warning("publisher: %s; retrying in %.1f s", exc, backoff)
                    await _wait(stop, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
        finally:
            if nc is not None and not nc.is_closed:
                await nc.close()
            try:
                async with self.db.transaction() as session:
                    await sql.release(session, self.name, self.holder)
            except Exception:  # the database went away: the lease lapses on its own
                log.info("publisher lease left to lapse")

    async def _lease(self) -> bool:
        now = datetime.now(UTC)
        async with self.db.transaction() as session:
            return await sql.take_lease(session, self.name, self.holder, now, now + timedelta(seconds=self.lease))

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        try:
            await js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            await js.add_stream(StreamConfig(name=self.stream, subjects=[f"{self.prefix}.>"],
                                             duplicate_window=DUPLICATE_WINDOW))  # fmt: skip

    async def _reader(self) -> Reader:
        return Reader(await self._policy(), subjects_of("mdm:publisher", self.roles), "v2")

    async def _publish_page(self, js: JetStreamContext) -> int:
        """Publish the next page of events; answers how many it published (0: none waiting)."""
        async with self.db.sessionmaker(write=False)() as session, session.begin():
            state = await sql.consumer(session, self.name)
            if state is None or state.holder != self.holder:
                raise LostLease
            rows = await sql.page(session, (state.xid, state.id), PAGE, None, None)
        if not rows:
            return 0
        reader = await self._reader()
        acks = []
        for row in rows:
            event = reader.event(row)
            if event is None:  # a domain the publisher's roles may not read
                continue
            headers = {"Nats-Msg-Id": event["id"]}
            acks.append(await js.publish_async(self.subject(event["type"]), msgspec.json.encode(event),
                                               headers=headers))  # fmt: skip
        await asyncio.wait_for(asyncio.gather(*acks), ACK_TIMEOUT)
        now = datetime.now(UTC)
        async with self.db.transaction() as session:
            if not await sql.advance(session, self.name, self.holder, (rows[-1].xid, rows[-1].id), now):
                raise LostLease
            await sql.take_lease(session, self.name, self.holder, now, now + timedelta(seconds=self.lease))
        self.published += len(acks)
        return len(rows)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def from_settings(db: Database, settings: Settings, policy: Callable[[], Awaitable[Policy]]) -> Publisher:
    """The publisher MDM_NATS_* describe (settings.nats_url set)."""
    assert settings.nats_url
    roles = frozenset(r for r in settings.nats_roles.split(",") if r)
    return Publisher(db, settings.nats_url, policy, prefix=settings.nats_prefix, stream=settings.nats_stream,
                     roles=roles, name=settings.nats_consumer, lease=settings.nats_lease_seconds)  # fmt: skip
