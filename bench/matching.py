"""Speed of fuzzy matching at scale: match-before-create latency, `match scan` time and,
with `--train`, `mdm match train` time.

    uv run python bench/matching.py --db sqlite|postgresql|both --customers 1000000 [--train]

Per database: a fresh database; N golden customers (companies from bench/generator.py's
generator, nine in ten named with a made-up brand word instead of one of its 104 words
unless `--vocabulary quality`; 10% of them written again with the hard setting's
perturbations, so blocks hold real near-duplicates) loaded straight into the golden and `match_key` tables in
batches of 10,000: the same rows and blocking keys ingestion writes, without the
crosswalks and history reads do not need (a load through ingestion would take an hour
here). Then:
- match-before-create: `mdm.matching.service.match` (what `POST /v1/customers/match` and
  ingestion's scoring do: blocking lookups, candidate fetch, scores), one read session per
  call, for 300 probes (half variants of loaded companies, half new ones); p50 and p95;
- `scan(db, CUSTOMER)` over every block, timed (in one worker process per core, as `mdm
  match scan` runs it; `--workers N` sets how many); with `--shards N`, N processes at once,
  each scanning its shard in itself (as N `mdm match scan customer --shard i/N --workers 1`
  would); pairs are queued, not merged (`link=False`: the load made no crosswalks to move,
  and in a hub ingestion has linked what a load like this leaves for the scan to merge);
- with `--train`, the load also writes one live `source_record` row per golden record
  (system "salesforce", source id "sf-<n>", the payload as ingestion stores it: the
  contract's builtins, normalized; its hash, the load's time and correlation id), and the
  golden row and its keys are made from that payload, as ingestion makes them from a
  record's only source (crosswalks and history are still left out: neither matching nor
  training reads them). The scan then compares every source value too, as in a real hub,
  and after it `training.train_domain(db, CUSTOMER)` (what `mdm match train customer`
  runs: sampling, EM, term frequencies over every live record) is timed.
Every figure is printed beside its target; nothing is asserted. See bench/README.md.
"""

import argparse
import asyncio
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.core import analyze, fresh_database, percentile  # noqa: E402
from bench.generator import SETTINGS, company_record, new_company, phone_number  # noqa: E402
from mdm.db.convert import to_column  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.db.tables import GOLDEN, match_key, source_record  # noqa: E402
from mdm.domains.customer import CUSTOMER  # noqa: E402
from mdm.matching import service as matching  # noqa: E402
from mdm.matching.blocking import blocking_keys  # noqa: E402
from mdm.matching.scan import ScanReport, scan  # noqa: E402
from mdm.records.service import decode_payload  # noqa: E402
from mdm.records.validation import normalized  # noqa: E402
from mdm.records.values import payload_hash  # noqa: E402
from mdm.settings import Settings, tune_gc  # noqa: E402

console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
TARGET_MATCH_P95_MS = 50.0
TARGET_SCAN_S = 600.0  # 1,000,000 customers
TARGET_TRAIN_S = 300.0  # 1,000,000 customers
SYSTEM = "salesforce"  # the source system the --train load's source records come from
BATCH = 10_000
PROBES = 300
ALL_FIELDS = frozenset(f.name for f in CUSTOMER.fields)


ONSETS = ("b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kl", "l", "m", "n", "p", "pr", "qu", "r",
          "s", "st", "t", "tr", "v", "w", "z", "", "", "")  # fmt: skip
VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y")
CODAS = ("", "", "n", "r", "l", "s", "x", "nd", "rk", "nt", "m", "t")


def coined(rng: random.Random) -> str:
    """A made-up brand word ("Drutrait", "Koutvai"): a million real companies use many
    thousands of name words; made of 104, their blocks would be thousands strong."""
    syllables = rng.choice((2, 3))
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables)).title()


def company(rng: random.Random, serial: int, vocabulary: str) -> Any:
    c = new_company(rng, serial)
    if vocabulary == "coined" and rng.random() < 0.9:  # one in ten keeps a common word: real namesakes
        c.words[0] = coined(rng)
    # a firm's own number, as real ones are: the quality generator's 10,000 numbers a country
    # would give a million firms a hundred thousand shared switchboards (and the scan ten
    # million pairs of strangers to score)
    c.phone = phone_number(c.country, rng, digits=7)
    return c


TOWNS = 900  # towns a country, each with its own 90 postcodes
STREETS = 5_000  # street names


def spread(rng: random.Random) -> None:
    """The quality generator's places made as many as a million firms' are: it has 25 towns
    (90 postcodes each) and 20 street names, so at a million every town holds 40,000 firms
    and every street number 14 in a country, and the keys that pair a town or a street with
    something else (initials + town, street + number) make blocks no real estate has: the
    scan then scored 8 million pairs of strangers (2026-12-07: 1,332 s)."""
    import bench.generator as g

    g.CITIES = {country: [(coined(rng), f"{100 + i}") for i in range(TOWNS)] for country in g.COUNTRIES}
    g.STREET_NAMES = sorted({coined(rng) for _ in range(STREETS)})


def records(n: int, seed: int, vocabulary: str = "coined") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """N customers (10% of them a perturbed second copy of another), and match probes."""
    rng = random.Random(seed)
    spread(rng)
    pool = SETTINGS["hard"]["customer"]
    companies = [company(rng, i, vocabulary) for i in range(int(n / 1.1))]
    out = [company_record(c, rng) for c in companies]
    while len(out) < n:
        extra = rng.sample(pool["pool"], rng.randint(*pool["count"]))
        out.append(company_record(rng.choice(companies), rng, perturb=pool["always"] + extra))
    probes = []
    for k in range(PROBES):
        if k % 2:
            extra = rng.sample(pool["pool"], rng.randint(*pool["count"]))
            probes.append(company_record(rng.choice(companies), rng, perturb=pool["always"] + extra))
        else:
            probes.append(company_record(company(rng, n + k, vocabulary), rng))
    return out, probes


def golden_row(values: dict[str, Any], now: Any) -> dict[str, Any]:
    row = {"id": CUSTOMER.new_id(), "version": 1, "status": "active", "created_at": now, "updated_at": now,
           "merged_into": None, "overrides": {}, "lineage": {}}  # fmt: skip
    for f in CUSTOMER.fields:
        if f.name != "status":
            row[f.name] = to_column(f, values.get(f.name))
    return row


def stored_payload(values: dict[str, Any]) -> dict[str, Any]:
    """A record as ingestion stores its source's payload (service.decode_payload, then
    validation.normalized: identifiers compact, phones E.164)."""
    return normalized(CUSTOMER, decode_payload(CUSTOMER, values))[0]


def source_row(serial: int, golden_id: str, payload: dict[str, Any], now: Any) -> dict[str, Any]:
    """The live source_record row ingestion writes for a record's first version."""
    return {"domain": "customer", "system": SYSTEM, "source_id": f"sf-{serial}", "golden_id": golden_id,
            "payload": payload, "payload_hash": payload_hash(payload), "received_at": now,
            "correlation_id": "bench-load", "ended_at": None}  # fmt: skip


async def load(url: str, rows: list[dict[str, Any]], sources: bool = False) -> float:
    """N golden records and their blocking keys; with `sources`, one live source record each,
    the golden values and keys made from its stored payload."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    t0 = time.perf_counter()
    columns = (TextColumn("  load"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    async with Database.opened(url) as db:
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("load", total=len(rows))
            for start in range(0, len(rows), BATCH):
                goldens, keys, sent = [], [], []
                for serial, values in enumerate(rows[start : start + BATCH], start=start):
                    if sources:
                        values = stored_payload(values)
                    row = golden_row(values, now)
                    goldens.append(row)
                    keys += [{"domain": "customer", "key": k, "golden_id": row["id"]}
                             for k in blocking_keys(CUSTOMER.blocking, values)]  # fmt: skip
                    if sources:
                        sent.append(source_row(serial, row["id"], values, now))
                async with db.transaction() as session:
                    await session.execute(insert(GOLDEN["customer"]), goldens)
                    await session.execute(insert(match_key), keys)
                    if sent:
                        await session.execute(insert(source_record), sent)
                bar.advance(task, len(goldens))
    return time.perf_counter() - t0


async def match_latency(url: str, probes: list[dict[str, Any]]) -> tuple[list[float], int, int]:
    times, capped, found = [], 0, 0
    async with Database.opened(url) as db:
        for probe in probes[:20]:  # warm-up: connections, caches
            async with db.sessionmaker(write=False)() as session:
                await matching.match(session, CUSTOMER, probe, limit=5, readable=ALL_FIELDS)
        for probe in probes:
            t0 = time.perf_counter()
            async with db.sessionmaker(write=False)() as session:
                result = await matching.match(session, CUSTOMER, probe, limit=5, readable=ALL_FIELDS)
            times.append((time.perf_counter() - t0) * 1000)
            capped += bool(result["capped_blocks"])
            found += bool(result["items"]) and result["items"][0]["score"] >= result["review"]
    return times, capped, found


async def timed_scan(url: str, workers: int | None = None) -> tuple[float, Any]:
    columns = (TextColumn("  scan"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    async with Database.opened(url) as db:
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("scan", total=None)
            t0 = time.perf_counter()
            report = await scan(db, CUSTOMER, link=False, learn=False, workers=workers,
                                on_blocks=lambda n: bar.update(task, total=n),
                                advance=lambda n: bar.advance(task, n))  # fmt: skip
    return time.perf_counter() - t0, report


async def timed_train(url: str) -> tuple[float, list[float], dict[str, Any]]:
    """`training.train_domain` as `mdm match train customer` runs it: its whole time, when
    sampling ended (it reports the record count) and when term frequencies began (their first
    chunk counted, after EM), and the stored version's report (pair counts)."""
    from mdm.db import match_rules
    from mdm.matching import training

    columns = (TextColumn("  train"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    marks: list[float] = []
    async with Database.opened(url) as db:
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("train", total=None)
            t0 = time.perf_counter()

            def on_total(n: int) -> None:
                marks.append(time.perf_counter() - t0)
                bar.update(task, total=n)

            def advance(n: int) -> None:
                if len(marks) == 1:
                    marks.append(time.perf_counter() - t0)
                bar.advance(task, n)

            number, _, _ = await training.train_domain(db, CUSTOMER, on_total=on_total, advance=advance)
            took = time.perf_counter() - t0
        async with db.sessionmaker(write=False)() as session:
            row = await match_rules.version(session, CUSTOMER.name, number)
    return took, marks, dict(row.report) if row is not None else {}


def _scan_shard(url: str, index: int, count: int) -> tuple[float, Any]:
    """One shard's scan in its own process, as `mdm match scan customer --shard i/n` runs it."""

    async def go() -> tuple[float, Any]:
        async with Database.opened(url) as db:
            t0 = time.perf_counter()
            report = await scan(db, CUSTOMER, shard=(index, count), link=False, learn=False, workers=1)
            return time.perf_counter() - t0, report

    return asyncio.run(go())


def sharded_scan(url: str, shards: int) -> tuple[float, Any]:
    """`shards` processes at once, each scanning its shard; the wall time of all, and the
    reports added up (a pair two shards both find is queued once)."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(shards, mp_context=multiprocessing.get_context("spawn")) as pool:
        done = list(pool.map(_scan_shard, [url] * shards, range(shards), [shards] * shards))
    total = ScanReport()
    for took, report in done:
        console.print(f"  shard: {took:,.0f} s, {report.blocks:,} blocks, {report.queued:,} queued")
        for name in ("blocks", "pairs_compared", "pairs_scored", "queued", "already_queued"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.oversized += report.oversized
    return time.perf_counter() - t0, total


def run(kind: str, args: argparse.Namespace, rows: list[dict[str, Any]], probes: list[dict[str, Any]]) -> list[str]:
    console.rule(f"[bold]{kind}[/] — {args.customers:,} golden customers")
    lines = []
    with tempfile.TemporaryDirectory(prefix="mdm-bench-") as tmp, fresh_database(kind, Path(tmp)) as url:
        seconds = asyncio.run(load(url, rows, sources=args.train))
        console.print(f"  loaded in {seconds:,.0f} s (not a target)")
        if kind == "postgresql":
            asyncio.run(analyze(url))
        times, capped, found = asyncio.run(match_latency(url, probes))
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        met = "met" if p95 <= TARGET_MATCH_P95_MS else "MISSED"
        lines.append(f"{kind}: match-before-create p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 <= "
                     f"{TARGET_MATCH_P95_MS:.0f} ms: {met}); {found}/{len(times)} probes found a candidate at or "
                     f"above review (half are variants), {capped} hit a capped block")  # fmt: skip
        console.print("  " + lines[-1])
        if not args.no_scan:
            took, report = (
                asyncio.run(timed_scan(url, args.workers)) if args.shards == 1 else sharded_scan(url, args.shards)
            )
            target = TARGET_SCAN_S * args.customers / 1_000_000
            met = "met" if took <= target else "MISSED"
            how = f"{args.shards} shard process(es)" if args.shards > 1 else f"{args.workers or 'default'} worker(s)"
            lines.append(f"{kind}: match scan in {how} {took:,.0f} s (target <= {target:,.0f} s "
                         f"for {args.customers:,}: "
                         f"{met}); {report.blocks:,} blocks, {report.pairs_compared:,} pairs pre-scored, "
                         f"{report.pairs_scored:,} scored, {report.queued:,} queued, "
                         f"{len(report.oversized)} oversized blocks")  # fmt: skip
            console.print("  " + lines[-1])
        if args.train:
            took, marks, report = asyncio.run(timed_train(url))
            # not scaled: sampling and EM take the same 500,000 pairs at any size, so only a
            # million's time can be held against the target
            met = ("met" if took <= TARGET_TRAIN_S else "MISSED") if args.customers == 1_000_000 else "not judged"
            sampled, em = [*marks, took, took][:2]
            merged, rejected = report.get("labelled", [0, 0])
            passes = f"{report.get('iterations')} passes, {'converged' if report.get('converged') else 'capped'}"
            lines.append(f"{kind}: match train {took:,.0f} s (target <= {TARGET_TRAIN_S:,.0f} s at 1,000,000, "
                         f"not scaled: {met}; sampling {sampled:,.0f} s, EM and the first chunk "
                         f"{em - sampled:,.0f} s, term frequencies {took - em:,.0f} s); "
                         f"{report.get('source_records', 0):,} source records, "
                         f"{report.get('blocked_pairs', 0):,} blocked pairs, {report.get('random_pairs', 0):,} "
                         f"random pairs, {merged} merged / {rejected} rejected labels, EM {passes}")  # fmt: skip
            console.print("  " + lines[-1])
    return lines


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--no-scan", action="store_true", help="measure match latency only")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--vocabulary", choices=("coined", "quality"), default="coined",
                   help="name words: made-up brands (default) or bench/generator.py's 104 words only")  # fmt: skip
    p.add_argument("--shards", type=int, default=1, help="scan in this many processes at once (--shard i/n each)")
    p.add_argument("--workers", type=int, default=None,
                   help="the scan's worker processes (`mdm match scan --workers`; default: one per core)")  # fmt: skip
    p.add_argument("--train", action="store_true",
                   help="write a source record per golden record; time `mdm match train` after the scan")  # fmt: skip
    args = p.parse_args(argv)
    tune_gc(Settings.from_env())  # as `mdm match scan` and the server run
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    t0 = time.perf_counter()
    rows, probes = records(args.customers, args.seed, args.vocabulary)  # once for both databases (the load reads them)
    console.print(f"generated {len(rows):,} records in {time.perf_counter() - t0:,.0f} s")
    lines = [line for kind in kinds for line in run(kind, args, rows, probes)]
    console.rule("[bold]summary[/]")
    for line in lines:
        console.print(line)


if __name__ == "__main__":
    main()
