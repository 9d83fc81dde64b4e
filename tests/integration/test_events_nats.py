"""The JetStream publisher against real NATS servers: the shared one at 127.0.0.1:4222 (each
test on a stream and subject prefix of its own, deleted after), and a NATS of the test's own
on another port for the outage. A consumer that dedupes by event id must miss nothing when
the publisher is SIGKILLed mid-stream, nor when NATS goes away and comes back."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import nats
import pytest
from ulid import ULID

from mdm import events
from mdm.db import events as events_sql
from mdm.db.engine import Database
from mdm.events.publisher import Publisher
from mdm.policy.store import PolicyCache
from tests.auth import bearer
from tests.factory import unique

NATS_URL = os.environ.get("MDM_TEST_NATS", "nats://127.0.0.1:4222")
NATS_SERVER = "/usr/sbin/nats-server"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stream() -> Iterator[tuple[str, str, str]]:
    """(prefix, stream, consumer name) of this test; the stream is deleted after it."""
    tag = str(ULID()).lower()
    prefix, name = f"t{tag}", f"STREAM_{tag}"
    yield prefix, name, f"test-{tag}"
    asyncio.run(_delete_stream(NATS_URL, name))


async def _delete_stream(url: str, name: str) -> None:
    nc = await nats.connect(url)
    try:
        await nc.jetstream().delete_stream(name)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await nc.close()


async def _at_head(url: str, consumer: str) -> None:
    """Start a consumer at the feed's end as it is now (not at every earlier test's events)."""
    async with Database.opened(url) as db, db.transaction() as session:
        head, _ = await events_sql.head(session)
        now = datetime.now(UTC)
        await events_sql.take_lease(session, consumer, "test", now, now)
        await session.execute(events_sql.event_consumer.update().where(events_sql.event_consumer.c.name == consumer)
                              .values(xid=(head or events_sql.START)[0], id=(head or events_sql.START)[1],
                                      holder=None, lease_until=None))  # fmt: skip


async def _load(url: str, n: int) -> list[str]:
    """n events in the outbox, a few per transaction, as writers make them; their ids."""
    ids: list[str] = []
    async with Database.opened(url) as db:
        for start in range(0, n, 50):
            rows = [events.row("mdm.load.updated", "load", f"rec-{i % 97}", {"i": i}, None, datetime.now(UTC))
                    for i in range(start, min(n, start + 50))]  # fmt: skip
            async with db.transaction() as session:
                await events_sql.insert_events(session, rows)
            ids += [r["event_id"] for r in rows]
    return ids


async def _drain(url: str, subjects: str, want: set[str], seconds: float) -> list[Any]:
    """Every message on the subjects, until all `want` ids came or `seconds` passed."""
    nc = await nats.connect(url)
    deadline = time.monotonic() + seconds
    try:
        while True:  # the publisher makes the stream when it first connects
            try:
                sub = await nc.jetstream().subscribe(subjects, ordered_consumer=True)
                break
            except nats.js.errors.NotFoundError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        got: list[Any] = []
        seen: set[str] = set()
        while not want <= seen and time.monotonic() < deadline:
            try:
                msg = await sub.next_msg(timeout=1)
            except TimeoutError:
                continue
            got.append(msg)
            seen.add(msg.headers["Nats-Msg-Id"])
        return got
    finally:
        await nc.close()


async def _count(url: str, stream: str) -> int:
    nc = await nats.connect(url, connect_timeout=1, max_reconnect_attempts=0)
    try:
        return int((await nc.jetstream().stream_info(stream)).state.messages)
    except nats.js.errors.NotFoundError:
        return 0
    finally:
        await nc.close()


def _lag(client: Any, consumer: str) -> dict[str, Any]:
    r = client.get("/v2/events/consumers", headers=bearer("user:steward"))
    assert r.status_code == 200, r.text
    return dict(next(c for c in r.json() if c["name"] == consumer))


def _wait_for(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_changes_reach_jetstream_once_each_with_their_id_and_the_readers_fields(client, database_url, stream):
    prefix, name, consumer = stream
    asyncio.run(_at_head(database_url, consumer))
    tag = unique("nats")
    r = client.put(f"/v2/employees/sources/workday/{tag}",
                   json={"employee_number": tag, "name": {"given": "Nat", "family": "Stream"}})  # fmt: skip
    assert r.status_code == 200, r.text
    eid = r.json()["id"]
    r = client.put(f"/v2/employees/sources/netsuite/{tag}", json={"employee_number": tag, "cost_rate": "120"})
    assert r.status_code == 200, r.text
    before = _lag(client, consumer)
    assert before["behind_events"] >= 3
    assert before["behind_seconds"] > 0

    async def publish() -> tuple[list[Any], list[dict[str, Any]]]:
        async with Database.opened(database_url) as db:
            async with db.sessionmaker(write=False)() as session, session.begin():
                state = await events_sql.consumer(session, consumer)
                rows = await events_sql.page(session, (state.xid, state.id), 1000, None, None)
            stop = asyncio.Event()
            publisher = Publisher(db, NATS_URL, PolicyCache(db).for_read, prefix=prefix, stream=name, name=consumer)
            task = asyncio.create_task(publisher.run(stop))
            got = await _drain(NATS_URL, f"{prefix}.>", {r.event_id for r in rows}, 30)
            stop.set()
            await task
            return got, [{"id": r.event_id, "type": r.type, "subject": r.subject} for r in rows]

    got, made = asyncio.run(publish())
    after = _lag(client, consumer)
    assert after["behind_events"] == 0
    assert after["behind_seconds"] == 0
    assert after["delivered"] == msgspec.json.decode(got[-1].data)["sequence"]
    assert client.get("/v2/events/consumers", headers=bearer("user:reader")).status_code == 403
    ids = [m.headers["Nats-Msg-Id"] for m in got]
    assert ids == [e["id"] for e in made], "each event once, in feed order"
    for msg, event in zip(got, made, strict=True):
        body = msgspec.json.decode(msg.data)
        assert msg.subject == prefix + event["type"].removeprefix("mdm")
        assert body["id"] == event["id"]
        assert body["specversion"] == "1.0"
        assert body["subject"] == event["subject"]
    mine = [msgspec.json.decode(m.data) for m in got if msgspec.json.decode(m.data)["subject"] == eid]
    assert {e["type"] for e in mine} >= {"mdm.employee.created", "mdm.employee.updated"}
    assert all("cost_rate" not in e["data"].get("record", {}) for e in mine), "published as a reader reads"


def test_a_publisher_killed_twice_mid_stream_loses_nothing(database_url, stream, tmp_path):
    prefix, name, consumer = stream
    asyncio.run(_at_head(database_url, consumer))
    ids = asyncio.run(_load(database_url, 10_000))
    env = {**os.environ, "MDM_DATABASE_URL": database_url, "MDM_NATS_URL": NATS_URL, "MDM_NATS_PREFIX": prefix,
           "MDM_NATS_STREAM": name, "MDM_NATS_CONSUMER": consumer, "MDM_NATS_LEASE_SECONDS": "2"}  # fmt: skip

    def start() -> subprocess.Popen[bytes]:
        with (tmp_path / f"publish-{time.monotonic_ns()}.log").open("wb") as log:  # the child keeps its own handle
            return subprocess.Popen([sys.executable, "-m", "mdm", "events", "publish"], cwd=ROOT, env=env,
                                    stdout=log, stderr=subprocess.STDOUT)  # fmt: skip

    for at in (2_500, 6_000):
        proc = start()
        _wait_for(lambda at=at: asyncio.run(_count(NATS_URL, name)) >= at, 60, f"{at} messages")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    proc = start()
    try:
        _wait_for(lambda: asyncio.run(_count(NATS_URL, name)) >= len(ids), 90, "every message")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    got = asyncio.run(_drain(NATS_URL, f"{prefix}.>", set(ids), 60))
    received = [m.headers["Nats-Msg-Id"] for m in got]
    assert set(received) == set(ids), f"{len(set(ids) - set(received))} missing"
    deduped = list(dict.fromkeys(received))
    assert deduped == ids, "in feed order, once a consumer drops repeats"


@contextmanager
def own_nats(storage: Path) -> Iterator[tuple[str, Any]]:
    """A NATS server of the test's own (JetStream on disk in `storage`), and a way to restart it."""
    port = _free_port()
    cmd = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(storage)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]

    def up() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def restart(down_for: float) -> None:
        procs[-1].terminate()
        procs[-1].wait(timeout=10)
        time.sleep(down_for)
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for(up, 10, "NATS back")

    _wait_for(up, 10, "NATS up")
    try:
        yield f"nats://127.0.0.1:{port}", restart
    finally:
        procs[-1].terminate()
        procs[-1].wait(timeout=10)


def test_nats_going_away_mid_stream_loses_nothing(database_url, tmp_path):
    consumer = f"test-outage-{str(ULID()).lower()}"
    asyncio.run(_at_head(database_url, consumer))
    ids = asyncio.run(_load(database_url, 10_000))
    with own_nats(tmp_path / "js") as (url, restart):

        async def run() -> list[Any]:
            async with Database.opened(database_url) as db:
                stop = asyncio.Event()
                publisher = Publisher(db, url, PolicyCache(db).for_read, prefix="outage", stream="OUTAGE",
                                      name=consumer, lease=2)  # fmt: skip
                task = asyncio.create_task(publisher.run(stop))
                while (before := await _count_or_zero(url, "OUTAGE")) < 1_000:  # noqa: ASYNC110 (polls another process)
                    await asyncio.sleep(0.01)
                await asyncio.to_thread(restart, 2.0)  # NATS away for two seconds, mid-stream
                assert before < len(ids), "the outage came after the last event: it proves nothing"
                got = await _drain(url, "outage.>", set(ids), 120)
                stop.set()
                await task
                return got

        got = asyncio.run(run())
    received = [m.headers["Nats-Msg-Id"] for m in got]
    assert set(received) == set(ids), f"{len(set(ids) - set(received))} missing"
    assert list(dict.fromkeys(received)) == ids


async def _count_or_zero(url: str, stream: str) -> int:
    try:
        return await _count(url, stream)
    except (OSError, nats.errors.Error):
        return 0
