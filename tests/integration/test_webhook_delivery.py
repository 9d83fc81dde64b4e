"""The webhook dispatcher in process, on the test database, with settings no server test
uses: a lease shorter than a round, a retry an hour away, a replay ahead of the position, a
receiver at a private address. Events are written straight to the outbox (one record's
updates), so each test knows exactly what must arrive; on a database of the module's own
(retention acts on every subscription's position)."""

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from mdm import events
from mdm.db import events as events_sql
from mdm.db import webhooks as webhooks_sql
from mdm.db.engine import Database
from mdm.events import feed, retention, webhooks
from mdm.policy.store import PolicyCache
from tests.factory import unique
from tests.receiver import Receiver


def _rows(subject: str, n: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [events.row("mdm.customer.updated", "customer", subject, {"version": v, "changed": ["name"]}, None, now, v)
            for v in range(1, n + 1)]  # fmt: skip


@asynccontextmanager
async def subscription(db: Database, receiver: Receiver) -> AsyncIterator[str]:
    async with db.transaction() as session:
        row, _ = await webhooks.subscribe(session, {"url": receiver.url, "version": "v2", "domains": ["customer"],
                                                    "types": None, "roles": ["reader"], "description": None},
                                          "user:test", datetime.now(UTC))  # fmt: skip
    try:
        yield row["id"]
    finally:
        async with db.transaction() as session:
            await webhooks.unsubscribe(session, row["id"])
        receiver.close()


async def _write(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.transaction() as session:
        await events_sql.insert_events(session, rows)


async def _until(check: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        await asyncio.sleep(0.05)


def _versions(receiver: Receiver) -> list[int]:
    return [json.loads(body)["data"]["version"] for _, body in receiver.taken()]


def test_rounds_longer_than_the_lease_still_move_on_and_send_each_event_once(own_database):
    """A receiver taking 0.3 s an event, one record's eight events in a page: a round of
    2.4 s against a lease of 1 s. The lease is renewed while the round lasts."""
    receiver = Receiver(lambda r, h, b: time.sleep(0.3) or 200)

    async def run() -> None:
        async with Database.opened(own_database[0]) as db, subscription(db, receiver):
            dispatcher = webhooks.Dispatcher(db, PolicyCache(db).for_read, lease=1.0, allow_private=True)
            stop = asyncio.Event()
            task = asyncio.create_task(dispatcher.run(stop))
            await _write(db, _rows(f"cus_{unique('R')}", 8))
            await _until(lambda: len(receiver.taken()) >= 8)
            await asyncio.sleep(2.0)  # a page sent again would come by now
            stop.set()
            await task

    asyncio.run(run())
    assert _versions(receiver) == list(range(1, 9))


def test_an_event_waiting_for_a_later_retry_leaves_the_deliverer_idle(own_database):
    receiver = Receiver(lambda r, h, b: 500)

    async def run() -> tuple[int, int]:
        async with Database.opened(own_database[0]) as db, subscription(db, receiver) as sid:
            retry = webhooks.Retry(first=3600.0)
            deliverer = webhooks.Deliverer(db, PolicyCache(db).for_read, sid, retry, "test:holder",
                                           guard=webhooks.Guard(allow_private=True))  # fmt: skip
            assert await deliverer._hold()
            await _write(db, _rows(f"cus_{unique('R')}", 3))
            async with httpx.AsyncClient() as client:
                first = await deliverer.round(client)
                again = await deliverer.round(client)
            return first, again

    first, again = asyncio.run(run())
    assert first == 3  # the page: the first failed, the two behind it wait too
    assert again == 0  # nothing due for an hour: the loop sleeps, it does not spin
    assert len(receiver.requests) == 1


def test_a_replay_from_ahead_of_the_position_skips_nothing(own_database):
    receiver = Receiver()

    async def run() -> None:
        async with Database.opened(own_database[0]) as db, subscription(db, receiver) as sid:
            rows = _rows(f"cus_{unique('R')}", 4)
            await _write(db, rows)
            async with db.transaction() as session:
                answer = await webhooks.replay(session, sid, rows[-1]["event_id"])
                assert answer["behind_events"] >= 4  # where it was: before all four
                await webhooks.replay(session, sid, "7fffffffffffffff-7fffffffffffffff")  # beyond the feed's end
            dispatcher = webhooks.Dispatcher(db, PolicyCache(db).for_read, allow_private=True)
            stop = asyncio.Event()
            task = asyncio.create_task(dispatcher.run(stop))
            await _until(lambda: len(receiver.taken()) >= 4)
            stop.set()
            await task

    asyncio.run(run())
    assert _versions(receiver) == [1, 2, 3, 4]


def test_a_replay_while_a_round_sends_those_very_events_sends_them_again(own_database):
    """A replay placed at the position a round in flight began from (the events it is sending,
    asked for again) is not undone when that round ends: they are sent a second time."""
    arrived, release = threading.Event(), threading.Event()
    receiver = Receiver(lambda r, h, b: arrived.set() or (200 if release.wait(10) else 500))

    async def run() -> int:
        async with Database.opened(own_database[0]) as db, subscription(db, receiver) as sid:
            deliverer = webhooks.Deliverer(db, PolicyCache(db).for_read, sid, webhooks.Retry(), "test:holder",
                                           guard=webhooks.Guard(allow_private=True))  # fmt: skip
            assert await deliverer._hold()
            rows = _rows(f"cus_{unique('R')}", 2)
            await _write(db, rows)
            async with httpx.AsyncClient() as client:
                in_flight = asyncio.create_task(deliverer.round(client))
                assert await asyncio.to_thread(arrived.wait, 10)  # the first event is at the receiver
                async with db.transaction() as session:
                    await webhooks.replay(session, sid, rows[0]["event_id"])
                release.set()
                await in_flight
                async with db.sessionmaker(write=False)() as session:
                    (lag,) = await feed.lags(session, datetime.now(UTC), [webhooks_sql.consumer_name(sid)])
                await deliverer.round(client)
            return int(lag["behind_events"])

    behind = asyncio.run(run())
    assert behind == 2  # the round that ended after the replay did not move past them
    assert _versions(receiver) == [1, 2, 1, 2]


def test_a_receiver_at_a_private_address_is_not_called_unless_allowed(own_database):
    receiver = Receiver()

    async def run() -> list[Any]:
        async with Database.opened(own_database[0]) as db, subscription(db, receiver) as sid:
            deliverer = webhooks.Deliverer(db, PolicyCache(db).for_read, sid, webhooks.Retry(), "test:holder")
            assert await deliverer._hold()
            await _write(db, _rows(f"cus_{unique('R')}", 1))
            async with httpx.AsyncClient() as client:
                await deliverer.round(client)
            async with db.sessionmaker(write=False)() as session:
                return list(await webhooks_sql.due(session, sid, datetime.now(UTC) + timedelta(hours=1), 10))

    waiting = asyncio.run(run())
    assert receiver.requests == []
    assert [w.last_error for w in waiting] == [
        "127.0.0.1 is at the private address 127.0.0.1 (allowed only with MDM_WEBHOOK_PRIVATE_ADDRESSES=true)"
    ]


def test_retention_keeps_the_events_a_subscription_has_not_passed(own_database):
    receiver = Receiver()

    async def run() -> tuple[int, int]:
        async with Database.opened(own_database[0]) as db, subscription(db, receiver) as sid:
            old = datetime.now(UTC) - timedelta(days=30)
            rows = [events.row("mdm.customer.updated", "customer", f"cus_{unique('R')}", {"version": 1}, None, old, 1)
                    for _ in range(3)]  # fmt: skip
            await _write(db, rows)
            kept = await retention.prune_once(db, days=7)
            async with db.transaction() as session:  # delivered: the subscription passes them
                await events_sql.place(session, webhooks_sql.consumer_name(sid), (await events_sql.head(session))[0])
            return kept, await retention.prune_once(db, days=7)

    before, after = asyncio.run(run())
    assert before == 0  # a month old, but the subscription has not had them
    assert after >= 3


def test_an_event_after_retention_pruned_the_newest_ones_comes_after_every_cursor(own_database):
    """SQLite reuses the rowids of deleted newest rows unless told not to: an event written
    after retention pruned the newest events must still sort after them."""

    async def run() -> tuple[Any, Any]:
        async with Database.opened(own_database[0]) as db:
            old = datetime.now(UTC) - timedelta(days=30)
            await _write(db, [events.row("mdm.customer.updated", "customer", f"cus_{unique('R')}", {}, None, old)])
            assert await retention.prune_once(db, days=7) >= 1
            async with db.sessionmaker(write=False)() as session:
                pruned = await events_sql.horizon(session)
            await _write(db, _rows(f"cus_{unique('R')}", 1))
            async with db.sessionmaker(write=False)() as session:
                return pruned, (await events_sql.head(session))[0]

    pruned, newest = asyncio.run(run())
    assert newest > pruned


def test_events_it_did_not_ask_for_are_passed_over_in_one_round(own_database):
    receiver = Receiver()

    async def run() -> tuple[int, tuple[int, int], tuple[int, int] | None]:
        async with Database.opened(own_database[0]) as db, subscription(db, receiver) as sid:
            deliverer = await _behind_others(db, sid, 3 * webhooks.PAGE)  # a bulk load's three pages
            async with httpx.AsyncClient() as client:
                dealt = await deliverer.round(client)
            async with db.sessionmaker(write=False)() as session:
                state = await events_sql.consumer(session, deliverer.name)
                head, _ = await events_sql.head(session)
            assert state is not None
            return dealt, (state.xid, state.id), head

    dealt, position, head = asyncio.run(run())
    assert len(receiver.taken()) == 1  # the customer event, not kept behind the employees'
    assert dealt == 1
    assert position == head  # and the position is past everything it was not asked for


def test_a_round_looks_through_at_most_scan_events_and_the_next_goes_on_at_once(own_database, monkeypatch):
    monkeypatch.setattr(webhooks, "SCAN", 50)  # a backlog far larger than one round may look through
    receiver = Receiver()

    async def run() -> list[int]:
        async with Database.opened(own_database[0]) as db, subscription(db, receiver) as sid:
            deliverer = await _behind_others(db, sid, 220)
            dealt = []
            async with httpx.AsyncClient() as client:
                while not receiver.taken():
                    dealt.append(await deliverer.round(client))
                    assert len(dealt) < 20, dealt
                dealt.append(await deliverer.round(client))
            return dealt

    dealt = asyncio.run(run())
    # 221 events, 50 a round: four rounds pass over employees' and say there is more, the fifth
    # delivers the customer's, the sixth finds nothing (the loop may rest)
    assert dealt == [1, 1, 1, 1, 1, 0]


async def _behind_others(db: Database, sid: str, others: int) -> webhooks.Deliverer:
    """A deliverer of the customer subscription holding its lease, and in the feed `others`
    employee events before one customer event."""
    deliverer = webhooks.Deliverer(db, PolicyCache(db).for_read, sid, webhooks.Retry(), "test:holder",
                                   guard=webhooks.Guard(allow_private=True))  # fmt: skip
    assert await deliverer._hold()
    now = datetime.now(UTC)
    await _write(db, [events.row("mdm.employee.updated", "employee", f"emp_{unique('R')}", {"version": 1}, None, now, 1)
                      for _ in range(others)])  # fmt: skip
    await _write(db, _rows(f"cus_{unique('R')}", 1))
    return deliverer
