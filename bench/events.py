"""Change events: what the outbox costs ingestion, and the JetStream publisher's throughput and latency.

    ./run python bench/events.py --db sqlite|postgresql|both [--records 15000] [--events 50000]
                                 [--rounds 4] [--overhead-only]

Per database, on fresh ones:
- ingestion with the outbox against the same code writing no events (bench/no_outbox), in
  process (batches of 500, matching on) and through HTTP bulk upsert (1,000 a call, one
  `mdm serve` worker), `--rounds` (4) alternating rounds each, best of each: the added cost.
  Target <= 15%;
- `--events` events in the outbox, published to NATS JetStream (MDM_BENCH_NATS, default the
  local 127.0.0.1:4222; a stream of the run's own) by one publisher: events/s;
- commit-to-ack: writers commit 1,000 events/s (50 every 50 ms) for 10 s while the publisher
  runs; a JetStream subscriber notes when each arrives: p50 and p99 of arrival minus commit.
  Target p99 <= 1 s.
Printed, never asserted. See bench/README.md.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import nats  # noqa: E402
from nats.js.api import DeliverPolicy  # noqa: E402
from ulid import ULID  # noqa: E402

from bench.core import Report, console, fresh_database, source_id  # noqa: E402
from bench.writes import Server, _key, bulk, in_process, payloads  # noqa: E402
from mdm import events  # noqa: E402
from mdm.db import events as events_sql  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.events.publisher import Publisher  # noqa: E402
from mdm.policy.store import PolicyCache  # noqa: E402
from mdm.records import workspace  # noqa: E402
from mdm.settings import Settings, tune_gc  # noqa: E402

TARGET_OVERHEAD = 0.15  # the outbox's added cost on ingestion, in process and over HTTP bulk
TARGET_P99_S = 1.0  # commit to arrival at 1,000 events/s
NATS_URL = os.environ.get("MDM_BENCH_NATS", "nats://127.0.0.1:4222")
BASELINE = {"PYTHONPATH": str(ROOT / "bench" / "no_outbox"), "MDM_BENCH_NO_OUTBOX": "1"}


class _NoOutbox:
    """In this process, as bench/no_outbox/sitecustomize.py does in a server's."""

    def __enter__(self) -> None:
        self.saved = workspace.Workspace.emit, workspace.events_sql.insert_events

        async def nothing(*_args: Any, **_kwargs: Any) -> None:
            return None

        workspace.Workspace.emit = lambda *_a, **_k: None  # type: ignore[method-assign]
        workspace.events_sql.insert_events = nothing  # type: ignore[assignment]

    def __exit__(self, *_exc: Any) -> None:
        workspace.Workspace.emit, workspace.events_sql.insert_events = self.saved  # type: ignore[method-assign]


def _http_bulk(kind: str, rows: list[tuple[str, dict[str, Any]]], baseline: bool) -> float:
    saved = {k: os.environ.get(k) for k in BASELINE}
    if baseline:
        os.environ.update(BASELINE)
    try:
        with tempfile.TemporaryDirectory(prefix="mdm-bench-") as tmp, fresh_database(kind, Path(tmp)) as url:
            key = asyncio.run(_key(url))
            server = Server(url, 1, Path(tmp))
            try:
                rate, bad = bulk(server.port, key, rows)
            finally:
                server.stop()
            if bad:
                raise RuntimeError(f"{bad} bulk items failed")
            return rate
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def overhead(kind: str, report: Report, records: int, seed: int, rounds: int) -> None:
    data = payloads(records, seed)
    rows = [(source_id(i), p) for i, p in enumerate(data)]
    rates: dict[str, dict[str, list[float]]] = {"in process": {"on": [], "off": []}, "HTTP bulk": {"on": [], "off": []}}
    for i in range(rounds):  # alternating which goes first: a machine that slows down hurts both
        for mode in ("off", "on") if i % 2 == 0 else ("on", "off"):
            if mode == "off":
                with _NoOutbox():
                    rates["in process"][mode].append(in_process(kind, data))
            else:
                rates["in process"][mode].append(in_process(kind, data))
            rates["HTTP bulk"][mode].append(_http_bulk(kind, rows, baseline=mode == "off"))
    for path, found in rates.items():
        on, off = max(found["on"]), max(found["off"])
        cost = 1 - on / off
        report.add(f"ingestion {path}: without / with the outbox (records/s, best of {rounds})",
                   f"{off:,.0f} / {on:,.0f}")  # fmt: skip
        report.add(f"  the outbox's added cost, {path}", f"{cost:.1%}", f"<= {TARGET_OVERHEAD:.0%}",
                   cost <= TARGET_OVERHEAD)  # fmt: skip


async def _load(db: Database, n: int) -> None:
    for start in range(0, n, 500):
        rows = [events.row("mdm.bench.updated", "bench", f"rec-{i % 1000}", {"i": i}, None, datetime.now(UTC))
                for i in range(start, min(n, start + 500))]  # fmt: skip
        async with db.transaction() as session:
            await events_sql.insert_events(session, rows)


async def _at_head(db: Database, name: str) -> None:
    async with db.transaction() as session:
        head, _ = await events_sql.head(session)
        now = datetime.now(UTC)
        await events_sql.take_lease(session, name, "bench", now, now)
        at = head or events_sql.START
        table = events_sql.event_consumer
        await session.execute(table.update().where(table.c.name == name).values(xid=at[0], id=at[1], holder=None,
                                                                                 lease_until=None))  # fmt: skip


async def _drop(stream: str) -> None:
    nc = await nats.connect(NATS_URL)
    try:
        await nc.jetstream().delete_stream(stream)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await nc.close()


async def publishing(url: str, n: int) -> tuple[float, list[float]]:
    """events/s publishing a backlog of n; then commit-to-arrival seconds at 1,000 events/s."""
    tag = str(ULID()).lower()
    prefix, stream, name = f"bench{tag}", f"BENCH_{tag}", f"bench-{tag}"
    async with Database.opened(url) as db:
        await _at_head(db, name)
        await _load(db, n)
        publisher = Publisher(db, NATS_URL, PolicyCache(db).for_read, prefix=prefix, stream=stream, name=name)
        stop = asyncio.Event()
        t0 = time.perf_counter()
        task = asyncio.create_task(publisher.run(stop))
        while publisher.published < n:  # noqa: ASYNC110 (the publisher counts; nothing to wait on)
            await asyncio.sleep(0.01)
        rate = n / (time.perf_counter() - t0)

        committed: dict[str, float] = {}
        arrived: dict[str, float] = {}
        nc = await nats.connect(NATS_URL)

        async def arrive(msg: Any) -> None:  # acknowledged on return (a callback's messages are)
            arrived[msg.headers["Nats-Msg-Id"]] = time.perf_counter()

        await nc.jetstream().subscribe(f"{prefix}.>", cb=arrive, deliver_policy=DeliverPolicy.NEW)
        started = time.perf_counter()
        tick = 0
        while time.perf_counter() < started + 10:
            rows = [events.row("mdm.bench.updated", "bench", f"live-{tick}", {"i": i}, None, datetime.now(UTC))
                    for i in range(50)]  # fmt: skip
            async with db.transaction() as session:
                await events_sql.insert_events(session, rows)
            now = time.perf_counter()
            committed.update({r["event_id"]: now for r in rows})
            tick += 1
            await asyncio.sleep(max(0.0, started + tick * 0.05 - now))  # 50 events every 50 ms
        deadline = time.perf_counter() + 30
        while len(arrived.keys() & committed.keys()) < len(committed) and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await nc.close()
        stop.set()
        await task
        async with db.transaction() as session:
            table = events_sql.outbox_event
            await session.execute(table.delete().where(table.c.domain == "bench"))
    await _drop(stream)
    latencies = [arrived[i] - committed[i] for i in committed if i in arrived]
    if len(latencies) < len(committed):
        raise RuntimeError(f"{len(committed) - len(latencies)} events never arrived")
    return rate, latencies


def run(kind: str, args: argparse.Namespace) -> Report:
    report = Report(kind)
    console.rule(f"[bold]{kind}[/]")
    overhead(kind, report, args.records, args.seed, args.rounds)
    if args.overhead_only:
        return report
    with tempfile.TemporaryDirectory(prefix="mdm-bench-") as tmp, fresh_database(kind, Path(tmp)) as url:
        rate, latencies = asyncio.run(publishing(url, args.events))
    report.add(f"publishing a backlog of {args.events:,} events to JetStream (events/s)", f"{rate:,.0f}")
    p50, p99 = statistics.median(latencies), statistics.quantiles(latencies, n=100)[98]
    report.add("commit to arrival at 1,000 events/s (ms, p50 / p99)", f"{p50 * 1000:.0f} / {p99 * 1000:.0f}",
               f"p99 <= {TARGET_P99_S * 1000:.0f}", p99 <= TARGET_P99_S)  # fmt: skip
    return report


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--records", type=int, default=15_000, help="customers ingested per run of the overhead A/B")
    p.add_argument("--events", type=int, default=50_000, help="the backlog published to JetStream")
    p.add_argument("--seed", type=int, default=20261206)
    p.add_argument("--rounds", type=int, default=4, help="rounds of the overhead A/B (each: with and without)")
    p.add_argument("--overhead-only", action="store_true", help="skip JetStream publishing and latency")
    args = p.parse_args(argv)
    tune_gc(Settings.from_env())
    reports = [run(kind, args) for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db])]
    console.rule("[bold]summary[/]")
    for report in reports:
        for figure in report.figures:
            mark = "" if figure.met is None else (" met" if figure.met else " MISSED")
            console.print(f"{report.database}: {figure.name}: {figure.value} (target {figure.target}){mark}")


if __name__ == "__main__":
    main()
