"""Mixed load and faults against `mdm serve --workers 2` on a PostgreSQL cluster of the
script's own (initdb'd on another port in a temporary directory, stopped and removed at the
end: never the machine's shared cluster), driven from this second process over loopback.

    ./run python bench/load.py [--duration 300] [--threads 12] [--no-faults] [--replica]

For `--duration` seconds, threads send a mix: resolves, bulk resolves of 100 keys, single
upserts from four systems (salesforce customers, workday employees, certinia projects,
netsuite cost centers), bulk upserts of 100 customers, GraphQL pages of projects; a webhook
subscription delivers to a receiver in this process and a `mdm match scan` runs. Faults:
at 40% of the run one worker is SIGKILLed (granian starts another), at 65% the database is
stopped for 8 s and started again. Then it checks: no 5xx but the 503s while the database
was down (each a problem+json with Retry-After), how soon after the database came back the
service answered again (target <= 5 s), every acknowledged write readable with what was
sent last, every acknowledged write's record in the change feed, every feed event of the
subscribed domain delivered to the webhook receiver. `--replica`: a streaming standby of the
cluster (pg_basebackup -R) serves resolve, GraphQL and the quality report
(MDM_READ_DATABASE_URL); the fault stops the primary. Printed, never asserted; see
bench/README.md.
"""

import argparse
import asyncio
import http.server
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.cluster import Cluster  # noqa: E402
from bench.core import build_items, console, ingest_all, percentile  # noqa: E402
from bench.writes import Server  # noqa: E402
from mdm.auth.keys import create_key  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.db.migrate import upgrade  # noqa: E402
from mdm.demo import load_demo  # noqa: E402

TARGET_RECOVERY_S = 5.0
MIX = (("resolve", 40), ("bulk_resolve", 5), ("upsert", 25), ("bulk_upsert", 5), ("graphql", 15), ("read", 10))
SYSTEMS = ("salesforce", "workday", "certinia", "netsuite")
HOOKED = ("employee", "project")  # the webhook's domains: single upserts only, a volume a receiver keeps up with
GRAPHQL = ("query($n: Int!) { projects(first: $n) { nodes { id code customer { name } costCenter { code } "
           "manager { name { family } } crosswalks { system sourceId } } } }")  # fmt: skip


class Receiver:
    """A webhook receiver on loopback: it takes every delivery and keeps the event ids."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        received = self.ids

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                received.add(json.loads(body)["id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@dataclass
class Tally:
    """What the load saw: latencies and statuses by kind, acknowledged writes, the outage's answers."""

    started: float = field(default_factory=time.monotonic)
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[str] = field(default_factory=list)
    outage_answers: Counter[str] = field(default_factory=Counter)
    written: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (path, system, id) -> name sent
    down: tuple[float, float] | None = None  # when the database was stopped and started again
    killed_at: float | None = None  # when a worker was SIGKILLed: its connections drop
    cut_by_kill: int = 0
    first_ok_after_start: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def payload(path: str, i: int, tag: str, refs: dict[str, list[str]], rng: random.Random) -> dict[str, Any]:
    if path == "customers":
        return {"name": f"Load {tag} {i} GmbH", "country": rng.choice(("DE", "FR", "GB", "US"))}
    if path == "employees":
        return {"employee_number": f"L{tag}{i}", "name": {"given": "Load", "family": f"Tester {tag} {i}"}}
    if path == "projects":
        return {"code": f"L-{tag}-{i}", "name": f"Load project {tag} {i}", "customer_id": rng.choice(refs["customer"]),
                "manager_id": rng.choice(refs["employee"]), "status": "active"}  # fmt: skip
    return {
        "code": f"L{tag}{i}",
        "name": f"Load cost center {tag} {i}",
        "legal_entity_id": rng.choice(refs["legal_entity"]),
    }


WRITES = {"salesforce": "customers", "workday": "employees", "certinia": "projects", "netsuite": "cost-centers"}
DOMAIN_OF = {"customers": "customer", "employees": "employee", "projects": "project", "cost-centers": "cost_center"}
SAMPLE = 2_000  # acknowledged writes whose value is read back
NAME_OF = {"customers": "name", "employees": "employee_number", "projects": "name", "cost-centers": "name"}


def worker(n: int, base: str, keys: dict[str, str], known: list[str], refs: dict[str, list[str]], tally: Tally,
           until: float, db_down: threading.Event) -> None:  # fmt: skip
    rng = random.Random(n)
    kinds = [k for k, w in MIX for _ in range(w)]
    steward = {"Authorization": f"Bearer {keys['steward']}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        i = 0
        while time.monotonic() < until:
            kind = rng.choice(kinds)
            i += 1
            tag = f"{n}x{i}"
            headers, sent = steward, None
            t0 = time.perf_counter()
            with tally.lock:  # sent while the database was down, or before it answered again
                sent_in_outage = db_down.is_set() or (tally.down is not None and tally.first_ok_after_start is None)
            try:
                if kind == "resolve":
                    params = {"system": "salesforce", "source_id": rng.choice(known)}
                    r = http.get("/v2/customers/resolve", params=params, headers=steward)
                elif kind == "bulk_resolve":
                    keys_ = [{"domain": "customer", "system": "salesforce", "source_id": rng.choice(known)}
                             for _ in range(100)]  # fmt: skip
                    r = http.post("/v2/resolve", json={"keys": keys_}, headers=steward)
                elif kind == "upsert":
                    system = rng.choice(SYSTEMS)
                    path = WRITES[system]
                    body = payload(path, i, str(n), refs, rng)
                    sent = (path, system, f"load-{tag}", body[NAME_OF[path]])
                    headers = {"Authorization": f"Bearer {keys[system]}"}
                    r = http.put(f"/v2/{path}/sources/{system}/load-{tag}", json=body, headers=headers)
                elif kind == "bulk_upsert":
                    items = [
                        {
                            "source_id": f"load-{tag}-{j}",
                            "record": payload("customers", i * 1000 + j, str(n), refs, rng),
                        }
                        for j in range(100)
                    ]
                    headers = {"Authorization": f"Bearer {keys['salesforce']}"}
                    r = http.post("/v2/customers/sources/salesforce/batch", json={"items": items}, headers=headers)
                    if r.status_code == 200:
                        with tally.lock:
                            for item, answer in zip(items, r.json()["items"], strict=True):
                                if answer["status"] == 200:
                                    key = ("customers", "salesforce", item["source_id"])
                                    tally.written[key] = item["record"]["name"]
                elif kind == "graphql":
                    r = http.post("/graphql", json={"query": GRAPHQL, "variables": {"n": 20}}, headers=steward)
                else:
                    r = http.get("/v2/customers", params={"limit": 20}, headers=steward)
            except httpx.HTTPError as exc:  # a worker killed under the connection
                with tally.lock:
                    tally.statuses[kind][0] += 1
                    if tally.killed_at is not None and time.monotonic() - tally.killed_at < 5:
                        tally.cut_by_kill += 1
                    elif not db_down.is_set():
                        tally.errors.append(f"{kind}: {type(exc).__name__}")
                continue
            took = (time.perf_counter() - t0) * 1000
            with tally.lock:
                tally.latency[kind].append(took)
                tally.statuses[kind][r.status_code] += 1
                # the outage: requests sent in it, or answered in it or just after the database came back
                outage = sent_in_outage or db_down.is_set() or (
                    tally.down is not None and tally.first_ok_after_start is None)  # fmt: skip
                if outage and r.status_code >= 500:
                    ok = r.status_code == 503 and r.headers.get("retry-after") and \
                        r.headers.get("content-type", "").startswith("application/problem+json")  # fmt: skip
                    tally.outage_answers["503 problem+json with Retry-After" if ok else str(r.status_code)] += 1
                elif r.status_code >= 500:
                    tally.errors.append(f"{kind}: {r.status_code} {r.text[:200]}")
                if tally.down is not None and tally.first_ok_after_start is None and r.status_code < 500:
                    tally.first_ok_after_start = time.monotonic() - tally.down[1]
                if sent and r.status_code == 200:
                    tally.written[sent[:3]] = sent[3]


async def prepare(url: str, customers: int, keys: dict[str, str]) -> tuple[list[str], dict[str, list[str]]]:
    async with Database.opened(url) as db:
        await load_demo(db, scale=0.2, progress=False)
        for system in SYSTEMS:
            keys[system] = (await create_key(db, f"system:{system}", ["reader"]))[1]
        keys["steward"] = (await create_key(db, "user:load", ["steward", "admin"]))[1]
    items = build_items(customers, 7)
    await ingest_all(url, items, 1000, fuzzy=False)
    refs: dict[str, list[str]] = {}
    async with Database.opened(url) as db, db.write.connect() as conn:
        for domain in ("customer", "employee", "legal_entity"):
            rows = await conn.exec_driver_sql(f"SELECT id FROM {domain} WHERE merged_into IS NULL LIMIT 500")
            refs[domain] = [r[0] for r in rows]
    return [it.source_id for it in items], refs


def verify(base: str, keys: dict[str, str], tally: Tally, receiver: Receiver, since: str | None) -> dict[str, str]:
    """`since`: the feed's head when the webhook subscription was made (it delivers what comes after)."""
    steward = {"Authorization": f"Bearer {keys['steward']}"}
    out: dict[str, str] = {}
    with httpx.Client(base_url=base, timeout=60, headers=steward) as http:
        began = time.monotonic()
        deadline = began + 600  # the deliveries catch up
        while time.monotonic() < deadline:
            lags = http.get("/v2/events/consumers").json()
            if all(lag["behind_events"] == 0 and lag["retrying"] == 0 for lag in lags):
                break
            time.sleep(1)
        out["webhook caught up after the load stopped (s)"] = f"{time.monotonic() - began:.0f}"
        written = list(tally.written.items())
        ids: set[str] = set()
        missing = 0
        for start in range(0, len(written), 1000):  # every acknowledged write: is it there?
            chunk = written[start : start + 1000]
            wanted = [{"domain": DOMAIN_OF[path], "system": system, "source_id": sid}
                      for (path, system, sid), _ in chunk]  # fmt: skip
            found = http.post("/v2/resolve", json={"keys": wanted}).json()["items"]
            ids |= {f["id"] for f in found if f["status"] == "found"}
            missing += sum(f["status"] != "found" for f in found)
        wrong = 0
        sample = random.Random(1).sample(written, min(SAMPLE, len(written)))
        for (path, system, source_id), name in sample:  # a sample: does it hold what was sent last?
            gid = http.get(f"/v2/{path}/resolve", params={"system": system, "source_id": source_id}).json()["id"]
            if http.get(f"/v2/{path}/{gid}").json().get(NAME_OF[path]) != name:
                # survivorship may have chosen another source's value (a record this one joined)
                lineage = http.get(f"/v2/{path}/{gid}/lineage").json()
                chosen = next((e for e in lineage if e["field"] == NAME_OF[path]), {})
                wrong += chosen.get("source_id") == source_id or chosen.get("rule") == "none"
        out["writes acknowledged / found (a bulk resolve of each)"] = f"{len(written):,} / {len(written) - missing:,}"
        out["of a sample, holding what was sent last"] = f"{len(sample) - wrong:,} of {len(sample):,}"
        subjects, events, after = set(), [], None
        while True:
            page = http.get("/v2/events", params={"limit": 1000, **({"after": after} if after else {})}).json()
            events += page["items"]
            subjects |= {e.get("subject") for e in page["items"]}
            if not page["items"] or page["next"] is None or page["next"] == after:
                break
            after = page["next"]
        out["acknowledged records in the change feed"] = f"{len(ids & subjects):,} of {len(ids):,}"
        start = next((i + 1 for i, e in enumerate(events) if e["sequence"] == since), 0) if since else 0
        hooked = {e["id"] for e in events[start:] if e["type"].split(".")[1] in HOOKED}
        out[f"{' and '.join(HOOKED)} events delivered to the webhook receiver"] = (
            f"{len(hooked & receiver.ids):,} of {len(hooked):,}"
        )
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=int, default=300)
    p.add_argument("--threads", type=int, default=12)
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--no-faults", action="store_true")
    p.add_argument("--replica", action="store_true", help="reads on a streaming standby of the cluster")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mdm-load-") as tmp:
        workdir = Path(tmp)
        cluster = Cluster(workdir)
        standby: Cluster | None = None
        try:
            cluster.psql("CREATE DATABASE mdm")
            url = cluster.url("mdm")
            keys: dict[str, str] = {}
            t0 = time.perf_counter()
            upgrade(url)
            known, refs = asyncio.run(prepare(url, args.customers, keys))
            console.print(f"  estate ready in {time.perf_counter() - t0:.0f} s (own cluster on port {cluster.port})")
            if args.replica:
                standby = Cluster(workdir / "standby", primary=cluster)
                os.environ["MDM_READ_DATABASE_URL"] = standby.url("mdm")
                console.print(f"  reads on a streaming standby on port {standby.port}")
            receiver = Receiver()
            os.environ.update({"MDM_WEBHOOK_PRIVATE_ADDRESSES": "true", "MDM_WEBHOOK_RETRY_SECONDS": "1",
                               "MDM_WEBHOOK_RETRY_MAX_SECONDS": "5", "MDM_DB_CONNECT_TIMEOUT": "2",
                               "MDM_DB_STATEMENT_TIMEOUT": "5"})  # fmt: skip
            server = Server(url, 2, workdir)
            base = f"http://127.0.0.1:{server.port}"
            try:
                wanted = {"url": f"http://127.0.0.1:{receiver.port}/hook", "domains": list(HOOKED)}
                hook = httpx.post(f"{base}/v2/subscriptions", json=wanted,
                                  headers={"Authorization": f"Bearer {keys['steward']}"})  # fmt: skip
                hook.raise_for_status()
                since = hook.json()["lag"]["delivered"] if hook.json().get("lag") else None
                summary = run_load(args, base, keys, known, refs, cluster, server, workdir, url)
                summary.update(verify(base, keys, summary.pop("_tally"), receiver, since))  # type: ignore[arg-type]
            finally:
                server.stop()
        finally:
            if standby is not None:
                standby.remove()
            cluster.remove()
    console.rule("[bold]summary[/]")
    for name, value in summary.items():
        console.print(f"{name}: {value}")


def run_load(args: argparse.Namespace, base: str, keys: dict[str, str], known: list[str], refs: dict[str, list[str]],
             cluster: Cluster, server: Server, workdir: Path, url: str) -> dict[str, Any]:  # fmt: skip
    tally = Tally()
    db_down = threading.Event()
    until = time.monotonic() + args.duration
    threads = [threading.Thread(target=worker, args=(n, base, keys, known, refs, tally, until, db_down))
               for n in range(args.threads)]  # fmt: skip
    for t in threads:
        t.start()
    env = {**os.environ, "MDM_DATABASE_URL": url}
    scan = subprocess.Popen([sys.executable, "-m", "mdm", "match", "scan", "customer"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    killed = None
    if not args.no_faults:
        time.sleep(args.duration * 0.4)
        children = subprocess.run(["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True).stdout.split()
        if children:
            killed = int(children[0])
            with tally.lock:
                tally.killed_at = time.monotonic()
            os.kill(killed, signal.SIGKILL)
            console.print(f"  SIGKILLed worker {killed}")
        time.sleep(args.duration * 0.25)
        db_down.set()
        stopped = time.monotonic()
        cluster.stop()
        console.print("  database stopped")
        time.sleep(8)
        cluster.start()
        db_down.clear()
        with tally.lock:
            tally.down = (stopped, time.monotonic())
        console.print("  database started again")
    for t in threads:
        t.join()
    scan.wait(timeout=600)
    seconds = args.duration
    summary: dict[str, Any] = {"_tally": tally}
    for kind, _ in MIX:
        lat = tally.latency[kind]
        if lat:
            summary[f"{kind}: req/s, p50 / p95 / p99 ms"] = (
                f"{len(lat) / seconds:,.1f}, {percentile(lat, 0.50):.1f} / {percentile(lat, 0.95):.1f} / "
                f"{percentile(lat, 0.99):.1f}; statuses {dict(tally.statuses[kind])}"
            )
    summary["5xx or dropped connections outside the outage"] = f"{len(tally.errors)} {tally.errors[:3]}"
    summary["answers while the database was down"] = dict(tally.outage_answers)
    if tally.first_ok_after_start is not None:
        met = "met" if tally.first_ok_after_start <= TARGET_RECOVERY_S else "MISSED"
        summary["first success after the database came back (s)"] = (
            f"{tally.first_ok_after_start:.1f} (target <= {TARGET_RECOVERY_S:.0f}) {met}"
        )
    summary["worker SIGKILLed; requests cut with it (connection dropped)"] = f"{killed}; {tally.cut_by_kill}"
    errors = Counter()
    for line in (workdir / f"serve-{server.port}.log").read_text(errors="replace").splitlines():
        if line.startswith("{") and '"level": "error"' in line:
            found = json.loads(line)
            errors[f"{found.get('event')}: {found.get('error')} at {found.get('where')}"] += 1
    summary["error lines in the server's log"] = dict(errors.most_common(5))
    summary["match scan exit"] = scan.returncode
    return summary


if __name__ == "__main__":
    main()
