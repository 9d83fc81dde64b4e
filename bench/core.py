"""Benchmark of the hub's core: ingestion, single resolve and bulk resolve, on SQLite and PostgreSQL.

    uv run python bench/core.py --db sqlite|postgresql|both --customers 100000

Per database: a fresh database migrated with `upgrade(url)`; N customers ingested through
`service.ingest` as salesforce source records; a granian server (one worker) serving
`bench.app:create_bench_app`; wrk against a constant endpoint, a raw-driver lookup and
`/v1/customers/resolve`; sequential `POST /v1/resolve` calls of 1,000 keys; then the same N
loaded into a second fresh database with match-before-create on (`--no-match` skips it),
and `--match-rounds` minus one more pairs of loads, keys-only and with matching in alternating
order: the ratio is the median of the pairs' ratios (one pair moved by ±10% here). The
first load, keys only, is the core's ingestion figure. Every figure is printed beside its
target; nothing is asserted. See bench/README.md.
"""

import argparse
import asyncio
import http.client
import os
import platform
import random
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from stdnum.iso7064 import mod_11_10

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/core.py` puts bench/, not the project, on the path
    sys.path.insert(0, str(ROOT))

from mdm.auth.actor import Actor  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.db.migrate import upgrade  # noqa: E402
from mdm.domains.customer import CUSTOMER  # noqa: E402
from mdm.matching import forget  # noqa: E402
from mdm.policy.store import load as load_policy  # noqa: E402
from mdm.records import service  # noqa: E402
from mdm.settings import Settings, tune_gc  # noqa: E402

console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)

SYSTEM = "salesforce"
ID_PREFIX = "001"  # Salesforce account ids start with 001; ours are 001 + 15 digits (bench/resolve.lua agrees)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
LUA = Path(__file__).with_name("resolve.lua")

# targets from the issue; every figure is a ratio or a latency measured in the same run
TARGET_INGEST_PG = 1_000.0  # source records per second on PostgreSQL
TARGET_RESOLVE_RATIO = 0.70  # single resolve req/s over raw-driver lookup req/s
TARGET_BULK_MEDIAN_MS = 30.0  # POST /v1/resolve of 1,000 keys, median
TARGET_MATCHING_RATIO = 0.70  # ingestion with match-before-create over ingestion without (issue 4)


def source_id(i: int) -> str:
    return f"{ID_PREFIX}{i:015d}"


# ---- realistic customers ---------------------------------------------------------------------

# fmt: off
WORDS = [
    "Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell",
    "Cyberdyne", "Wonka", "Gringotts", "Oceanic", "Massive", "Dynamic", "Aperture", "Virtucom", "Prestige", "Blue",
    "Sun", "Kellerman", "Sterling", "Cooper", "Pierce", "Dunder", "Monarch", "Bluth", "Gekko", "Oscorp", "Nakatomi",
    "Zorin", "Rekall", "Omni", "Weyland", "Yutani", "Nova", "Polar", "Cedar", "Harbor", "Summit", "Granite",
    "Silver", "Atlas", "Beacon", "Meridian", "Vertex", "Horizon", "Pioneer", "Quantum", "Evergreen",
]
# fmt: on
SUFFIXES = ("Inc", "LLC", "Ltd", "GmbH", "AG", "SA", "BV", "AB", "Group", "Holdings", "Partners", "Consulting", "plc")
TLDS = {"US": "com", "GB": "co.uk", "DE": "de", "FR": "fr", "NL": "nl", "CA": "ca", "AU": "com.au", "ES": "es",
        "IT": "it", "SE": "se", "CH": "ch", "IE": "ie", "SG": "sg", "JP": "jp", "IN": "in"}  # fmt: skip
COUNTRY_WEIGHTS = (30, 12, 10, 7, 5, 5, 4, 4, 4, 3, 3, 3, 3, 4, 3)
CITIES: dict[str, list[tuple[str, str | None]]] = {
    "US": [("New York", "NY"), ("Austin", "TX"), ("Chicago", "IL"), ("Seattle", "WA"), ("Boston", "MA")],
    "GB": [("London", None), ("Manchester", None), ("Edinburgh", None)],
    "DE": [("Berlin", None), ("Munich", None), ("Hamburg", None), ("Frankfurt am Main", None)],
    "FR": [("Paris", None), ("Lyon", None), ("Toulouse", None)],
    "NL": [("Amsterdam", None), ("Rotterdam", None), ("Utrecht", None)],
    "CA": [("Toronto", "ON"), ("Vancouver", "BC"), ("Montreal", "QC")],
    "AU": [("Sydney", "NSW"), ("Melbourne", "VIC"), ("Brisbane", "QLD")],
    "ES": [("Madrid", None), ("Barcelona", None)],
    "IT": [("Milan", None), ("Rome", None), ("Turin", None)],
    "SE": [("Stockholm", None), ("Gothenburg", None)],
    "CH": [("Zurich", None), ("Geneva", None), ("Basel", None)],
    "IE": [("Dublin", None), ("Cork", None)],
    "SG": [("Singapore", None)],
    "JP": [("Tokyo", None), ("Osaka", None)],
    "IN": [("Bengaluru", "KA"), ("Mumbai", "MH"), ("Pune", "MH")],
}
STREETS = ("Main", "Market", "Station", "Church", "Harbour", "King", "Queen", "Park", "Mill", "Bridge", "High", "Oak")
STREET_TYPES = ("Street", "Road", "Avenue", "Lane", "Way", "Boulevard")
INDUSTRIES = ("Financial Services", "Insurance", "Healthcare", "Life Sciences", "Retail", "Consumer Goods",
              "Manufacturing", "Automotive", "Energy", "Utilities", "Telecommunications", "Media", "Technology",
              "Public Sector", "Education", "Transportation", "Hospitality")  # fmt: skip


def customer_payload(i: int, rng: random.Random) -> dict[str, Any]:
    """One salesforce account as the create contract sees it (before decoding)."""
    country = rng.choices(list(TLDS), COUNTRY_WEIGHTS)[0]
    w1, w2 = rng.choice(WORDS), rng.choice(WORDS)
    suffix = rng.choice(SUFFIXES)
    name = f"{w1} {w2}" if w1 != w2 else w1
    city, region = rng.choice(CITIES[country])
    raw: dict[str, Any] = {
        "name": name,
        "legal_name": f"{name} {suffix}",
        "website": f"https://www.{w1.lower()}{w2.lower()}{i}.{TLDS[country]}",
        "country": country,
        "industry": rng.choice(INDUSTRIES),
        "addresses": [
            {
                "kind": "billing",
                "line1": f"{rng.randint(1, 999)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}",
                "city": city,
                "region": region,
                "postal_code": f"{rng.randint(1000, 99999):05d}",
                "country": country,
            }
        ],
        "status": "active" if rng.random() < 0.85 else "prospect",
    }
    if rng.random() < 0.9:  # one in ten accounts has no identifier yet
        # a bijection of i modulo 10^9, so no number repeats and every record creates a golden one
        number = (i * 7919 + 104_729) % 1_000_000_000
        raw["identifiers"] = [{"scheme": "duns", "value": f"{number:09d}"}]
        if country == "DE":  # and a German VAT number, checked by python-stdnum as an upsert's is
            digits = f"{10_000_000 + number % 90_000_000}"  # a German VAT number never starts with 0
            raw["identifiers"].append({"scheme": "vat", "value": f"DE{digits}{mod_11_10.calc_check_digit(digits)}"})
    if rng.random() < 0.3:
        raw["addresses"][0]["line2"] = f"Suite {rng.randint(100, 2999)}"
    return raw


def build_items(n: int, seed: int) -> list[service.SourceItem]:
    """N source items (contract v2); payloads decoded exactly as the REST upsert decodes them."""
    rng = random.Random(seed)
    return [
        service.SourceItem(SYSTEM, source_id(i), service.decode_payload(CUSTOMER, customer_payload(i, rng)))
        for i in range(n)
    ]


# ---- figures ---------------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    value: str
    target: str = "—"
    met: bool | None = None


@dataclass
class Report:
    database: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: str, target: str = "—", met: bool | None = None) -> None:
        self.figures.append(Figure(name, value, target, met))
        mark = "" if met is None else ("  [green]met[/]" if met else "  [red]MISSED[/]")
        console.print(f"  {name}: [bold]{value}[/]   target: {target}{mark}")


# ---- 1. fresh database -----------------------------------------------------------------------


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """A new, migrated database; a PostgreSQL one is dropped (only that one) at the end."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        upgrade(url)
        asyncio.run(_check_migrated(url))
        yield url
        return
    name = f"mdm_bench_{secrets.token_hex(4)}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    console.print(f"  created PostgreSQL database {name}")
    try:
        url = PG_URL.format(name=name)
        upgrade(url)
        asyncio.run(_check_migrated(url))
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        console.print(f"  dropped PostgreSQL database {name}")


async def _check_migrated(url: str) -> None:
    """Fail early and clearly if the migration left no source systems to ingest from."""
    async with Database.opened(url) as db:
        async with db.write.connect() as conn:
            found = (await conn.exec_driver_sql(f"SELECT count(*) FROM source_system WHERE code = '{SYSTEM}'")).scalar()
    if not found:
        raise RuntimeError(f"after upgrade({url!r}) there is no source system '{SYSTEM}'")


async def _pg_settings() -> str:
    """Server settings that change what the figures mean."""
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        rows = await conn.fetch(
            "SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'autovacuum', 'shared_buffers', "
            "'synchronous_commit') ORDER BY name"
        )
        return ", ".join(f"{r['name']}={r['setting']}" for r in rows)
    finally:
        await conn.close()


async def _pg_admin(sql: str) -> None:
    """One statement on the maintenance database (CREATE / DROP DATABASE)."""
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# ---- 2. ingestion ----------------------------------------------------------------------------


@dataclass
class IngestResult:
    seconds: float
    records: int
    batch_size: int
    outcomes: Counter[str]
    calibration: dict[int, float]  # batch size -> records/s during the interleaved trial
    tenths: list[float]  # records/s over each tenth of the load, in order

    def tenth_rates(self) -> str:
        return " → ".join(f"{r:,.0f}" for r in self.tenths)


async def _ingest_batch(
    db: Database, batch: list[service.SourceItem], n: int, outcomes: Counter[str], fuzzy: bool
) -> float:
    t0 = time.perf_counter()
    async with db.transaction() as session:
        actor = Actor(f"system:{SYSTEM}", f"bench-{n}", await load_policy(session))
        results = await service.ingest(session, CUSTOMER, batch, actor, fuzzy=fuzzy)
    elapsed = time.perf_counter() - t0
    for r in results:
        outcomes[r["outcome"] if isinstance(r, dict) else type(r).__name__] += 1
    return elapsed


def _trial_plan(n: int) -> list[int]:
    """Batch sizes for the interleaved trial: rounds of 2 x 500 and 1 x 1,000, order alternating."""
    rounds = min(10, n // 10_000)
    plan: list[int] = []
    for r in range(rounds):
        plan += [500, 500, 1000] if r % 2 == 0 else [1000, 500, 500]
    return plan


async def ingest_all(
    url: str, items: list[service.SourceItem], batch_size: int | None, *, fuzzy: bool = False
) -> IngestResult:
    """Ingest every item, one transaction per batch. With no batch size, the first ~20% run as an
    interleaved trial of 500 and 1,000 per transaction, and the faster size does the rest.
    `fuzzy` turns on match-before-create (scoring each new record against the golden ones)."""
    forget()  # cold memos: the loads compared would otherwise reuse each other's normalized values
    db = Database.connect(url)
    outcomes: Counter[str] = Counter()
    spent = {500: 0.0, 1000: 0.0}
    done = {500: 0, 1000: 0}
    pos, n_batch, total = 0, 0, 0.0
    calibration: dict[int, float] = {}
    marks: list[tuple[int, float]] = [(0, 0.0)]  # (records done, seconds spent) after each batch
    try:
        with Progress(
            TextColumn("  ingest"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=False,
        ) as progress:  # fmt: skip
            task = progress.add_task("ingest", total=len(items), rate="")
            plan = _trial_plan(len(items)) if batch_size is None else []
            for size in plan:
                batch = items[pos : pos + size]
                elapsed = await _ingest_batch(db, batch, n_batch, outcomes, fuzzy)
                spent[size] += elapsed
                done[size] += len(batch)
                total += elapsed
                pos, n_batch = pos + len(batch), n_batch + 1
                marks.append((pos, total))
                progress.update(task, completed=pos, rate=f"{pos / total:,.0f}/s (trial)")
            if plan:
                calibration = {s: done[s] / spent[s] for s in spent if spent[s]}
                batch_size = max(calibration, key=lambda s: calibration[s])
            size = batch_size or 1000
            while pos < len(items):
                batch = items[pos : pos + size]
                total += await _ingest_batch(db, batch, n_batch, outcomes, fuzzy)
                pos, n_batch = pos + len(batch), n_batch + 1
                marks.append((pos, total))
                mode = " (matching)" if fuzzy else ""
                progress.update(task, completed=pos, rate=f"{pos / total:,.0f}/s{mode}")
    finally:
        await db.dispose()
    return IngestResult(total, len(items), size, outcomes, calibration, _tenths(marks, len(items)))


def _tenths(marks: list[tuple[int, float]], n: int) -> list[float]:
    """Records/s over each tenth of the load (at batch granularity), to show whether ingestion slows as tables grow."""
    rates, prev = [], marks[0]
    for k in range(1, 11):
        end = next(m for m in marks if m[0] >= n * k // 10)
        if end[0] > prev[0]:
            rates.append((end[0] - prev[0]) / (end[1] - prev[1]))
            prev = end
    return rates


async def analyze(url: str) -> None:
    """Planner statistics, as autovacuum would have gathered them a minute after the load."""
    async with Database.opened(url) as db:
        async with db.write.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()


# ---- 3. server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def granian_server(url: str, workdir: Path) -> Iterator[int]:
    """granian with one worker serving bench.app:create_bench_app; yields its port."""
    port = free_port()
    log = (workdir / f"granian-{port}.log").open("wb")
    cmd = [
        sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--workers", "1",
        "--runtime-threads", "1", "--http", "1", "--no-ws", "--log-level", "warning", "--no-access-log",
        "--host", "127.0.0.1", "--port", str(port), "--working-dir", str(ROOT), "bench.app:create_bench_app",
    ]  # fmt: skip
    env = {**os.environ, "MDM_DATABASE_URL": url, "MDM_LOG_LEVEL": "warning"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"granian exited with {proc.returncode}; see {log.name}")
            try:
                status, _ = http_get(port, "/health/ready")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"granian did not become ready; see {log.name}")
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


API_KEY: dict[str, str] = {}  # {"key": ...}: an admin key made in each fresh database


def auth_header() -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY['key']}"}


async def make_key(url: str) -> str:
    """Every request but /health/* needs a key; the benchmark makes its own."""
    from mdm.auth.keys import create_key

    async with Database.opened(url) as db:
        return (await create_key(db, "user:bench", ["admin"]))[1]


def http_get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=auth_header())
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def check_endpoints(port: int, n: int, rng: random.Random) -> list[str]:
    """Resolve and raw-resolve answer the same golden id for a sample of keys; answers problems."""
    problems = []
    status, _ = http_get(port, "/bench/constant")
    if status != 200:
        problems.append(f"/bench/constant answered {status}")
    for i in rng.sample(range(n), min(20, n)):
        q = f"?system={SYSTEM}&source_id={source_id(i)}"
        s1, b1 = http_get(port, "/v1/customers/resolve" + q)
        s2, b2 = http_get(port, "/bench/raw-resolve" + q)
        if s1 != 200 or s2 != 200 or msgspec.json.decode(b1)["id"] != msgspec.json.decode(b2)["id"]:
            problems.append(f"{source_id(i)}: resolve {s1}, raw {s2}")
    return problems


# ---- 4. wrk ----------------------------------------------------------------------------------


@dataclass
class WrkResult:
    rps: float
    requests: int
    non_2xx: int
    socket_errors: str | None
    latency_p50: str
    latency_p99: str


def run_wrk(port: int, path: str, n: int, *, seconds: int, threads: int, connections: int) -> WrkResult:
    cmd = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA),
        "-H", f"Authorization: Bearer {API_KEY['key']}",
        f"http://127.0.0.1:{port}{path}", "--", str(n), SYSTEM, ID_PREFIX,
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors:\s+(.*)", out)
    p50 = re.search(r"\s50%\s+(\S+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    return WrkResult(
        rps=rps,
        requests=requests,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sock.group(1).strip() if sock else None,
        latency_p50=p50.group(1) if p50 else "?",
        latency_p99=p99.group(1) if p99 else "?",
    )


ENDPOINTS = (
    ("constant", "/bench/constant"),
    ("raw-resolve", "/bench/raw-resolve"),
    ("resolve", "/v1/customers/resolve"),  # v1: through its view of the canonical record
    ("resolve-v2", "/v2/customers/resolve"),
)


def load_test(port: int, n: int, args: argparse.Namespace) -> tuple[dict[str, float], dict[str, int]]:
    """Requests/s per endpoint (and its count of non-2xx answers): a short warm-up, then a measured run,
    endpoint after endpoint. With several rounds the endpoints alternate and each figure is the median."""
    runs: dict[str, list[float]] = {name: [] for name, _ in ENDPOINTS}
    bad: dict[str, int] = dict.fromkeys(runs, 0)
    for r in range(args.rounds):
        for name, path in ENDPOINTS:
            kw = {"threads": args.threads, "connections": args.connections}
            run_wrk(port, path, n, seconds=args.warmup, **kw)
            res = run_wrk(port, path, n, seconds=args.duration, **kw)
            runs[name].append(res.rps)
            bad[name] += res.non_2xx
            errors = f", [red]non-2xx {res.non_2xx:,}[/]" if res.non_2xx else ""
            errors += f", socket errors: {res.socket_errors}" if res.socket_errors else ""
            round_label = f" (round {r + 1})" if args.rounds > 1 else ""
            console.print(
                f"  wrk {path}{round_label}: {res.rps:,.0f} req/s, {res.requests:,} requests, "
                f"latency p50 {res.latency_p50} p99 {res.latency_p99}{errors}"
            )
    return {name: statistics.median(v) for name, v in runs.items()}, bad


# ---- 5. bulk resolve -------------------------------------------------------------------------


def bulk_bodies(n: int, count: int, rng: random.Random, *, keys: int = 1000, unknown: int = 5) -> list[bytes]:
    """Request bodies of `keys` keys each: `keys - unknown` random existing ones and `unknown` unknown ones."""
    bodies = []
    for _ in range(count):
        ids = [source_id(i) for i in rng.sample(range(n), keys - unknown)]
        ids += [f"{ID_PREFIX}X{rng.randrange(10**14):014d}" for _ in range(unknown)]
        rng.shuffle(ids)
        bodies.append(msgspec.json.encode({"keys": [{"domain": "customer", "system": SYSTEM, "source_id": s}
                                                    for s in ids]}))  # fmt: skip
    return bodies


def bulk_resolve(port: int, n: int, args: argparse.Namespace, rng: random.Random) -> tuple[list[float], list[str]]:
    """Sequential POST /v1/resolve calls on one keep-alive connection; latency in ms per call."""
    bodies = bulk_bodies(n, args.bulk_warmup + args.bulk_runs, rng)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", **auth_header()}
    times: list[float] = []
    problems: list[str] = []
    try:
        for k, body in enumerate(bodies):
            t0 = time.perf_counter()
            conn.request("POST", "/v1/resolve", body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            elapsed = (time.perf_counter() - t0) * 1000
            if k >= args.bulk_warmup:
                times.append(elapsed)
            if resp.status != 200:
                problems.append(f"call {k}: HTTP {resp.status}: {data[:200]!r}")
                continue
            found = Counter(item["status"] for item in msgspec.json.decode(data)["items"])
            if found != Counter({"found": 995, "not_found": 5}):
                problems.append(f"call {k}: {dict(found)}")
    finally:
        conn.close()
    return times, problems


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# ---- one database, end to end ----------------------------------------------------------------


def run_database(kind: str, args: argparse.Namespace) -> Report:
    report = Report(kind)
    console.rule(f"[bold]{kind}[/] — {args.customers:,} customers")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mdm-bench-") as tmp, fresh_database(kind, Path(tmp)) as url:
        if kind == "postgresql":
            report.notes.append(f"PostgreSQL: {asyncio.run(_pg_settings())}")
        else:
            report.notes.append(f"SQLite {sqlite3.sqlite_version}")

        API_KEY["key"] = asyncio.run(make_key(url))
        t0 = time.perf_counter()
        items = build_items(args.customers, args.seed)
        console.print(f"  built {len(items):,} payloads in {time.perf_counter() - t0:.1f} s (not timed)")
        result = asyncio.run(ingest_all(url, items, args.batch_size))
        rate = result.records / result.seconds
        if result.calibration:
            trial = ", ".join(f"{s:,}/txn {r:,.0f}/s" for s, r in sorted(result.calibration.items()))
            console.print(f"  batch trial: {trial} -> {result.batch_size:,} per transaction for the rest")
            report.notes.append(f"batch trial {trial}; used {result.batch_size:,} per transaction")
        console.print(f"  outcomes: {dict(result.outcomes)}")
        if kind == "postgresql":
            report.add("ingestion (records/s)", f"{rate:,.0f}", f">= {TARGET_INGEST_PG:,.0f}", rate >= TARGET_INGEST_PG)
        else:
            report.add("ingestion (records/s)", f"{rate:,.0f}", "— (target is for PostgreSQL)")
        report.notes.append(f"ingested {result.records:,} in {result.seconds:.1f} s; outcomes {dict(result.outcomes)}")
        report.notes.append(f"ingestion records/s by tenth of the load: {result.tenth_rates()}")
        console.print(f"  records/s by tenth of the load: {result.tenth_rates()}")
        if kind == "postgresql" and not args.no_analyze:
            asyncio.run(analyze(url))
            report.notes.append("ANALYZE run after the load")

        rng = random.Random(args.seed + 1)
        with granian_server(url, Path(tmp)) as port:
            problems = check_endpoints(port, args.customers, rng)
            if problems:
                console.print(f"  [red]endpoint check failed:[/] {problems[:5]}")
                report.notes.append(f"endpoint check: {problems[:5]}")
            rps, bad = load_test(port, args.customers, args)

            def flag(name: str) -> str:
                return f" ({bad[name]:,} non-2xx!)" if bad[name] else ""

            ratio = rps["resolve"] / rps["raw-resolve"]
            valid = not (bad["resolve"] or bad["raw-resolve"])
            report.add("constant endpoint (req/s)", f"{rps['constant']:,.0f}{flag('constant')}", "— (ceiling)")
            report.add("raw-driver lookup (req/s)", f"{rps['raw-resolve']:,.0f}{flag('raw-resolve')}", "— (baseline)")
            report.add("GET /v1/customers/resolve (req/s)", f"{rps['resolve']:,.0f}{flag('resolve')}")
            report.add(
                "resolve / raw lookup",
                f"{ratio:.2f}" + ("" if valid else " (invalid: errors)"),
                f">= {TARGET_RESOLVE_RATIO:.2f}",
                valid and ratio >= TARGET_RESOLVE_RATIO,
            )
            ratio2, valid2 = rps["resolve-v2"] / rps["raw-resolve"], not bad["resolve-v2"]
            report.add("GET /v2/customers/resolve (req/s)", f"{rps['resolve-v2']:,.0f}{flag('resolve-v2')}")
            report.add(
                "v2 resolve / raw lookup",
                f"{ratio2:.2f}" + ("" if valid2 else " (invalid: errors)"),
                f">= {TARGET_RESOLVE_RATIO:.2f}",
                valid2 and ratio2 >= TARGET_RESOLVE_RATIO,
            )

            times, problems = bulk_resolve(port, args.customers, args, rng)
            if problems:
                console.print(f"  [red]bulk resolve problems:[/] {problems[:5]}")
                report.notes.append(f"bulk resolve: {len(problems)} bad answers, e.g. {problems[:2]}")
            med, p95 = statistics.median(times), percentile(times, 0.95)
            report.add(
                "bulk resolve 1,000 keys, median (ms)", f"{med:.1f}", f"< {TARGET_BULK_MEDIAN_MS:.0f}",
                med < TARGET_BULK_MEDIAN_MS,
            )  # fmt: skip
            report.add("bulk resolve 1,000 keys, p95 (ms)", f"{p95:.1f}")
            report.notes.append(
                f"bulk: {len(times)} calls after {args.bulk_warmup} warm-up; min {min(times):.1f} ms, "
                f"max {max(times):.1f} ms"
            )
    if args.match:
        matched = load_once(kind, items, result.batch_size, fuzzy=True)
        with_matching = matched.records / matched.seconds
        pairs = [(rate, with_matching)]
        for r in range(1, args.match_rounds):  # more pairs of loads, each pair's order alternating
            first = load_once(kind, items, result.batch_size, fuzzy=r % 2 == 1)
            second = load_once(kind, items, result.batch_size, fuzzy=r % 2 == 0)
            plain, fuzzy = (second, first) if r % 2 == 1 else (first, second)
            pairs.append((plain.records / plain.seconds, fuzzy.records / fuzzy.seconds))
        ratios = sorted(f / p for p, f in pairs)
        median = statistics.median(ratios)
        report.add("ingestion with matching (records/s)", f"{with_matching:,.0f}")
        report.add(f"with matching / without (median of {len(pairs)})", f"{median:.2f}",
                   f">= {TARGET_MATCHING_RATIO:.2f}", median >= TARGET_MATCHING_RATIO)  # fmt: skip
        report.notes.append(f"with matching: outcomes {dict(matched.outcomes)}; by tenth: {matched.tenth_rates()}")
        report.notes.append("keys-only / with matching records/s per pair of loads: "
                            + "; ".join(f"{p:,.0f} / {f:,.0f} ({f / p:.2f})" for p, f in pairs))  # fmt: skip
        console.print(f"  with matching: {with_matching:,.0f}/s, by tenth: {matched.tenth_rates()}; "
                      f"ratios {', '.join(f'{x:.2f}' for x in ratios)}")  # fmt: skip
    report.notes.append(f"this database took {time.perf_counter() - started:.0f} s")
    return report


def load_once(kind: str, items: list[service.SourceItem], batch_size: int, *, fuzzy: bool) -> IngestResult:
    """All items into a fresh database, keys-only or with match-before-create."""
    with tempfile.TemporaryDirectory(prefix="mdm-bench-") as tmp, fresh_database(kind, Path(tmp)) as url:
        return asyncio.run(ingest_all(url, items, batch_size, fuzzy=fuzzy))


def print_summary(reports: list[Report], args: argparse.Namespace) -> None:
    console.rule("[bold]summary[/]")
    console.print(
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"granian 1 worker; wrk {args.threads} threads, {args.connections} connections, "
        f"{args.duration} s per endpoint after {args.warmup} s warm-up; {args.customers:,} customers"
    )
    for report in reports:
        table = Table(title=report.database, title_justify="left")
        table.add_column("figure")
        table.add_column("value", justify="right")
        table.add_column("target")
        table.add_column("met")
        for f in report.figures:
            met = "—" if f.met is None else ("[green]yes[/]" if f.met else "[red]no[/]")
            table.add_row(f.name, f.value, f.target, met)
        console.print(table)
        for note in report.notes:
            console.print(f"  · {note}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--batch-size", type=int, default=None,
                   help="source records per transaction; default: an interleaved trial of 500 and 1,000 "
                        "on the first 20%% of records picks the faster one")  # fmt: skip
    p.add_argument("--duration", type=int, default=12, help="seconds of wrk load per endpoint (default 12)")
    p.add_argument("--warmup", type=int, default=3, help="seconds of wrk warm-up per endpoint (default 3)")
    p.add_argument("--rounds", type=int, default=1, help="alternate the three endpoints this many times")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--bulk-runs", type=int, default=100)
    p.add_argument("--bulk-warmup", type=int, default=10)
    p.add_argument("--no-match", dest="match", action="store_false",
                   help="skip the second load with match-before-create on")  # fmt: skip
    p.add_argument("--match-rounds", type=int, default=3,
                   help="pairs of loads (keys-only, with matching) whose median ratio is reported")  # fmt: skip
    p.add_argument("--no-analyze", action="store_true", help="skip ANALYZE on PostgreSQL after the load")
    p.add_argument("--seed", type=int, default=20250101)
    args = p.parse_args(argv)
    if args.customers < 1_000:
        p.error("--customers must be at least 1,000 (bulk resolve samples 995 existing keys)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    tune_gc(Settings.from_env())  # the in-process loads run as the service's processes do
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    reports = [run_database(kind, args) for kind in kinds]
    print_summary(reports, args)


if __name__ == "__main__":
    main()
