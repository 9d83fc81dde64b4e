"""Benchmark of the data-quality report on a large estate: GET /v2/quality?domain=customer
over HTTP (one worker of `mdm serve`) on N golden customers (default 1,000,000) in a fresh
PostgreSQL database, each with one salesforce source record (some fields left out, some
values differing from the golden one, some not refreshed for months). Target: <= 60 s.

    ./run python bench/quality_report.py [--customers 1000000] [--db postgresql|sqlite]

The estate is written straight into the tables (COPY on PostgreSQL): what is measured is the
report, not ingestion (bench/core.py measures that). Printed, never asserted; see
bench/README.md.
"""

import argparse
import asyncio
import http.client
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench.core import Report, analyze, console, fresh_database  # noqa: E402
from bench.writes import Server  # noqa: E402
from mdm.auth.keys import create_key  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.db.tables import GOLDEN, crosswalk, source_record  # noqa: E402
from mdm.domains.customer import CUSTOMER  # noqa: E402

TARGET_S = 60.0
COUNTRIES = ("DE", "FR", "GB", "US", "NL", "ES", "IT", "CH", "AT", "SE")
BATCH = 20_000


def rows(start: int, n: int, rng: random.Random, now: datetime) -> tuple[list[dict[str, Any]], ...]:
    golden, sources, links = [], [], []
    for i in range(start, start + n):
        gid = CUSTOMER.new_id()
        name = f"Customer {i} GmbH"
        record = {"name": name, "legal_name": f"{name} Holdings" if rng.random() < 0.9 else None,
                  "website": f"https://c{i}.example.com" if rng.random() < 0.7 else None,
                  "country": rng.choice(COUNTRIES), "currency": "EUR" if rng.random() < 0.8 else None,
                  "industry": "Consulting" if rng.random() < 0.5 else None}  # fmt: skip
        golden.append({"id": gid, "version": 1, "status": "active", "created_at": now, "updated_at": now,
                       "merged_into": None, "overrides": {}, "lineage": {}, "identifiers": [], "phones": [],
                       "addresses": [], "parent_id": None, **record})  # fmt: skip
        sent = {k: v for k, v in record.items() if v is not None}
        if rng.random() < 0.02:
            sent["name"] = f"Customer {i} G.m.b.H."  # a source value the golden record does not hold
        received = now - timedelta(days=200) if rng.random() < 0.05 else now
        source = f"001{i:015d}"
        sources.append({"domain": "customer", "system": "salesforce", "source_id": source, "golden_id": gid,
                        "payload": sent, "payload_hash": f"{i:064d}", "received_at": received,
                        "correlation_id": None, "ended_at": None})  # fmt: skip
        links.append({"domain": "customer", "system": "salesforce", "source_id": source, "golden_id": gid,
                      "created_at": now, "ended_at": None})  # fmt: skip
    return golden, sources, links


async def load(url: str, n: int, seed: int) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    async with Database.opened(url) as db:
        done = 0
        t0 = time.perf_counter()
        while done < n:
            golden, sources, links = rows(done, min(BATCH, n - done), rng, now)
            async with db.transaction() as session:
                await session.execute(insert(GOLDEN["customer"]), golden)
                await session.execute(insert(source_record), sources)
                await session.execute(insert(crosswalk), links)
            done += len(golden)
            if done % 200_000 == 0 or done == n:
                console.print(f"  {done:,} customers written, {done / (time.perf_counter() - t0):,.0f}/s")


async def steward_key(url: str) -> str:
    async with Database.opened(url) as db:
        return (await create_key(db, "user:bench", ["steward"]))[1]


def timed_report(port: int, key: str, query: str) -> tuple[float, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.perf_counter()
    conn.request("GET", f"/v2/quality{query}", headers={"Authorization": f"Bearer {key}"})
    answer = conn.getresponse()
    body = answer.read()
    took = time.perf_counter() - t0
    if answer.status != 200:
        raise RuntimeError(f"the report failed: {answer.status} {body[:500]!r}")
    return took, json.loads(body)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=20261206)
    args = p.parse_args(argv)
    report = Report(args.db)
    with tempfile.TemporaryDirectory(prefix="mdm-bench-") as tmp, fresh_database(args.db, Path(tmp)) as url:
        t0 = time.perf_counter()
        asyncio.run(load(url, args.customers, args.seed))
        if args.db == "postgresql":
            asyncio.run(analyze(url))
        report.add("estate", f"{args.customers:,} golden customers with a source record each, written in "
                             f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
        key = asyncio.run(steward_key(url))
        server = Server(url, 1, Path(tmp))
        try:
            for query, label in (("?domain=customer", "customers"), ("", "every domain")):
                took, body = timed_report(server.port, key, query)
                (customers,) = [d for d in body["domains"] if d["domain"] == "customer"]
                report.add(f"GET /v2/quality ({label}), at the client (s)", f"{took:.1f}", f"<= {TARGET_S:.0f}",
                           took <= TARGET_S)  # fmt: skip
                report.add(f"  the server's own figure, took_ms ({label})", f"{body['took_ms']:,.0f}")
            sf = next(s for s in customers["sources"] if s["system"] == "salesforce")
            name = next(f for f in sf["fields"] if f["field"] == "name")
            found = f"{customers['records']:,}, {sf['stale']:,}, {name['consistency']}, {customers['score']}"
            report.add("  what it found: records, stale, name consistency, score", found)
        finally:
            server.stop()
    console.rule("[bold]summary[/]")
    for figure in report.figures:
        mark = "" if figure.met is None else (" met" if figure.met else " MISSED")
        console.print(f"{report.database}: {figure.name}: {figure.value} (target {figure.target}){mark}")


if __name__ == "__main__":
    main()
