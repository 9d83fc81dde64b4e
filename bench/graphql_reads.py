"""The GraphQL read layer on a 100,000-record estate, beside REST in the same run.

    ./run python bench/graphql_reads.py --db sqlite|postgresql|both [--customers 90000] [--requests 300]

Per database, on a fresh one: the demo estate (scale 1: customers, legal entities, cost
centers, employees, rate cards and ~1,000 projects with their references and crosswalks, as
its source systems send them) plus `--customers` more salesforce customers (bench/core.py's),
about 100,000 records in all. Then `mdm serve` (granian, one worker) and:
- the 100-project query (projects with customer, legal entity, cost center, manager and
  crosswalks), `--requests` times on one connection: median and p95 of the server's time (its
  `Server-Timing` header: to the answer's start), the issue's figure, and of the time at the
  client (localhost: plus the client's own work on the same two cores). Target: p95 <= 25 ms
  of server time on PostgreSQL;
- its SQL statement count at 10 and at 100 projects (in process, counted at the engine and at
  the GraphQL layer's own driver reads);
- where its time goes, in process under cProfile: the database (driver and SQLAlchemy),
  GraphQL execution (graphql-core and strawberry), mdm's resolvers and views, and the rest;
- `resolve` of a random salesforce customer over GraphQL against REST's
  `GET /v2/customers/resolve`, wrk, 16 connections: req/s of each. Target: GraphQL >= 0.5x REST.
Printed, never asserted. See bench/README.md.
"""

import argparse
import asyncio
import cProfile
import http.client
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench.core import (  # noqa: E402
    ID_PREFIX,
    LUA,
    SYSTEM,
    Report,
    analyze,
    console,
    customer_payload,
    fresh_database,
    ingest_all,
    source_id,
)
from bench.writes import Server  # noqa: E402
from mdm.app import create_app  # noqa: E402
from mdm.auth.keys import create_key  # noqa: E402
from mdm.db import graph as graph_sql  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.demo import load_demo  # noqa: E402
from mdm.domains.customer import CUSTOMER  # noqa: E402
from mdm.records import service  # noqa: E402
from mdm.settings import Settings, tune_gc  # noqa: E402

GRAPHQL_LUA = Path(__file__).with_name("graphql.lua")
TARGET_P95_MS = 25.0  # the 100-project query on PostgreSQL
TARGET_RESOLVE_RATIO = 0.5  # GraphQL resolve req/s over REST resolve req/s
QUERY = """query($n: Int!) { projects(first: $n) { nodes {
  id code name status
  customer { id name } legalEntity { id name } costCenter { id code name } manager { id name { given family } }
  crosswalks { system sourceId } } } }"""
# where cProfile's time goes, by the file a function is in (first match wins)
PARTS = (
    ("database (driver, SQLAlchemy)", ("asyncpg", "aiosqlite", "sqlalchemy", "sqlite3")),
    ("GraphQL execution (graphql-core, strawberry)", ("graphql/", "strawberry/")),
    ("mdm (resolvers, loaders, views)", ("/mdm/",)),
    ("HTTP (Litestar, msgspec)", ("litestar/", "msgspec")),
)


async def _load(url: str, customers: int, seed: int) -> dict[str, int]:
    async with Database.opened(url) as db:
        counts = await load_demo(db, scale=1.0, progress=False)
    rng = random.Random(seed)
    items = [
        service.SourceItem(SYSTEM, source_id(i), service.decode_payload(CUSTOMER, customer_payload(i, rng)))
        for i in range(customers)
    ]
    await ingest_all(url, items, 1000, fuzzy=False)
    return counts


async def _steward(url: str) -> str:
    async with Database.opened(url) as db:
        return (await create_key(db, "user:steward", ["steward"]))[1]


def timed_queries(port: int, key: str, n: int, requests: int, server: list[float] | None = None) -> list[float]:
    """Milliseconds of each POST /graphql of the project query at the client, one connection;
    `server` gets the server's own time of each (its Server-Timing header)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    body = msgspec.json.encode({"query": QUERY, "variables": {"n": n}})
    took = []
    for i in range(requests + 20):
        t0 = time.perf_counter()
        conn.request("POST", "/graphql", body=body, headers=headers)
        answer = conn.getresponse()
        data = msgspec.json.decode(answer.read())
        if answer.status != 200 or data.get("errors") or len(data["data"]["projects"]["nodes"]) != n:
            raise RuntimeError(f"the project query failed: {answer.status} {str(data)[:300]}")
        if i >= 20:  # the first 20 warm the caches and the plans
            took.append((time.perf_counter() - t0) * 1000)
            if server is not None:
                server.append(float(answer.getheader("server-timing", "").partition(";dur=")[2]))
    return took


def in_process(url: str, key: str) -> tuple[dict[int, int], list[tuple[str, float]], float]:
    """Statements of the query at 10 and 100 projects, and cProfile's split of 30 runs."""

    async def run() -> tuple[dict[int, int], list[tuple[str, float]], float]:
        app = create_app(Settings(database_url=url, pool_size=5))
        headers = {"Authorization": f"Bearer {key}"}
        transport = httpx.ASGITransport(app=app)  # in this thread's loop, where cProfile sees it
        async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            db = app.state.db
            seen: list[str] = []

            def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                seen.append(statement)

            fetch = graph_sql.driver_fetch

            async def driver_fetch(session: Any, sql: str, *args: Any) -> list[Any]:
                seen.append(sql)  # what the layer reads as the driver's own SQL (PostgreSQL)
                return await fetch(session, sql, *args)

            graph_sql.driver_fetch = driver_fetch

            async def query(n: int) -> None:
                r = await client.post("/graphql", json={"query": QUERY, "variables": {"n": n}}, headers=headers)
                if r.status_code != 200 or r.json().get("errors"):
                    raise RuntimeError(r.text[:500])

            await query(100)  # warm
            counts = {}
            for engine in {id(e): e for e in (db.write, db.read)}.values():
                event.listen(engine.sync_engine, "before_cursor_execute", record)
            for n in (10, 100):
                seen.clear()
                await query(n)
                counts[n] = len([s for s in seen if s.strip() != "BEGIN" and "policy_version" not in s
                                 and "FROM api_key" not in s])  # fmt: skip
            graph_sql.driver_fetch = fetch
            profile = cProfile.Profile()
            t0 = time.perf_counter()
            profile.enable()
            for _ in range(30):
                await query(100)
            profile.disable()
            per_query = (time.perf_counter() - t0) / 30 * 1000
        stats = pstats.Stats(profile)
        spent = {name: 0.0 for name, _ in PARTS} | {"other (event loop, Python)": 0.0}
        total = 0.0
        for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
            total += tottime
            part = next((name for name, marks in PARTS if any(m in filename for m in marks)), None)
            spent[part or "other (event loop, Python)"] += tottime
        return counts, [(name, 100 * t / total) for name, t in spent.items()], per_query

    return asyncio.run(run())


def wrk(port: int, key: str, script: Path, path: str, customers: int, seconds: int) -> float:
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script), "-H", f"Authorization: Bearer {key}",
           f"http://127.0.0.1:{port}{path}", "--", str(customers), SYSTEM, ID_PREFIX]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = next(line for line in out.splitlines() if line.startswith("Requests/sec:"))
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw failures:\n{out}")
    return float(rps.split()[1])


def run(kind: str, args: argparse.Namespace) -> Report:
    report = Report(kind)
    console.rule(f"[bold]{kind}[/]")
    with tempfile.TemporaryDirectory(prefix="mdm-bench-") as tmp, fresh_database(kind, Path(tmp)) as url:
        t0 = time.perf_counter()
        counts = asyncio.run(_load(url, args.customers, args.seed))
        if kind == "postgresql":
            asyncio.run(analyze(url))
        total = sum(counts.values()) + args.customers
        report.add("estate (golden records)", f"{total:,} (demo: {counts}; + {args.customers:,} customers), "
                                              f"loaded in {time.perf_counter() - t0:.0f} s")  # fmt: skip
        key = asyncio.run(_steward(url))
        server = Server(url, 1, Path(tmp))
        try:
            inside: list[float] = []
            took = timed_queries(server.port, key, 100, args.requests, inside)
            p50, p95 = statistics.median(inside), statistics.quantiles(inside, n=20)[18]
            met = p95 <= TARGET_P95_MS if kind == "postgresql" else None
            report.add("100-project query, server time (ms, median / p95)", f"{p50:.1f} / {p95:.1f}",
                       f"p95 <= {TARGET_P95_MS:.0f} on PostgreSQL", met)  # fmt: skip
            p50, p95 = statistics.median(took), statistics.quantiles(took, n=20)[18]
            report.add("the same at the client (ms, median / p95)", f"{p50:.1f} / {p95:.1f}")
            ten = timed_queries(server.port, key, 10, args.requests // 3)
            report.add("10-project query (ms, median)", f"{statistics.median(ten):.1f}")
            rest = wrk(server.port, key, LUA, "/v2/customers/resolve", args.customers, args.duration)
            graph = wrk(server.port, key, GRAPHQL_LUA, "/graphql", args.customers, args.duration)
            report.add("resolve, 16 connections: REST / GraphQL (req/s)", f"{rest:,.0f} / {graph:,.0f}")
            ratio = graph / rest
            report.add("GraphQL resolve / REST resolve", f"{ratio:.2f}", f">= {TARGET_RESOLVE_RATIO}",
                       ratio >= TARGET_RESOLVE_RATIO)  # fmt: skip
        finally:
            server.stop()
        statements, split, per_query = in_process(url, key)
        report.add("statements of the project query at 10 / 100 projects", f"{statements[10]} / {statements[100]}",
                   "equal", statements[10] == statements[100])  # fmt: skip
        report.add("in process under cProfile (ms a query, profiled)", f"{per_query:.1f}")
        for name, share in split:
            report.add(f"  time in {name}", f"{share:.0f}%")
    return report


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--customers", type=int, default=90_000, help="salesforce customers beside the demo estate")
    p.add_argument("--requests", type=int, default=300, help="timed runs of the 100-project query")
    p.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    p.add_argument("--seed", type=int, default=20261206)
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
