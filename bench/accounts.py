"""Customer matching on account exports the hub did not make: CRM exports from an independent
generator (bench/crm_exports.py, written without sight of the matching code) and a public,
real-world file (the Chicago early-childhood sites that dedupe's csv_example labels).

    uv run python bench/accounts.py                                   # the four CRM exports, with and without website
    uv run python bench/accounts.py --data chicago [--csv FILE]       # dedupe-examples' labelled csv_example
    uv run python bench/accounts.py --train                           # and again with the model trained on each file

Each file is one CRM's account export: every row is a `salesforce` source record of a
customer, ingested through `service.ingest` with match-before-create on (500 a transaction,
the file's order) into a fresh database with the shipped rules, then `mdm match scan
customer`, as a user loading an export would. Pairwise precision, recall and F1 against the
file's labels, at auto-link (one golden record) and at review (or a queued pair), as
bench/febrl.py counts them, with pair completeness on the records' own blocking keys.
With `--train`, `mdm match train customer` then learns from that database, and the file is
loaded again into a second fresh database with the trained version adopted first.
Nothing is asserted; bench/README.md has the figures.
"""

import argparse
import asyncio
import csv
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/accounts.py` puts bench/, not the project, on the path
    sys.path.insert(0, str(ROOT))

from bench import crm_exports  # noqa: E402
from bench.core import fresh_database  # noqa: E402
from bench.pairwise import Key, Pair, Scores, end_state, learnt, pairs_within, scores, true_pairs  # noqa: E402
from mdm.auth.actor import Actor  # noqa: E402
from mdm.db import match_rules as store  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.domains import BY_NAME, RULES  # noqa: E402
from mdm.matching import forget, training  # noqa: E402
from mdm.matching.blocking import blocking_keys  # noqa: E402
from mdm.matching.scan import scan  # noqa: E402
from mdm.policy.store import load as load_policy  # noqa: E402
from mdm.records import service  # noqa: E402
from mdm.settings import Settings, tune_gc  # noqa: E402

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
CUSTOMER = BY_NAME["customer"]
SYSTEM = "salesforce"
CHICAGO_URL = (
    "https://raw.githubusercontent.com/dedupeio/dedupe-examples/master/csv_example/csv_example_input_with_true_ids.csv"
)


@dataclass
class Export:
    name: str
    records: list[tuple[Key, dict[str, Any]]]  # (source key, customer payload as a connector sends it)
    truth: set[Pair]


def _payload(row: dict[str, str], country: str | None = None) -> dict[str, Any]:
    """An export row as a connector maps it to the customer contract: empty cells left out."""
    cell = {k: (v or "").strip() for k, v in row.items()}
    country = cell.get("country") or country
    address = {k: v for k, v in (("line1", cell.get("street")), ("postal_code", cell.get("postcode")),
                                 ("city", cell.get("city")), ("country", country)) if v}  # fmt: skip
    out: dict[str, Any] = {
        "name": cell.get("name"),
        "website": cell.get("website"),
        "country": country,
        "industry": cell.get("industry"),
        "addresses": [{"kind": "billing", **address}] if set(address) - {"country"} else None,
        "phones": [{"kind": "main", "number": cell["phone"]}] if cell.get("phone") else None,
        "identifiers": [{"scheme": "duns", "value": cell["duns"]}] if cell.get("duns") else None,
    }
    return {k: v for k, v in out.items() if v}


def crm(level: str, language: str, website: bool, rows: int, seed: int) -> Export:
    made = crm_exports.generate(level, language, rows=rows, seed=seed, website=website)
    keys = [(SYSTEM, r["account_id"]) for r in made.rows]
    name = f"{made.name}{'' if website else ', no website'}"
    return Export(name, [(k, _payload(r)) for k, r in zip(keys, made.rows, strict=True)],
                  true_pairs(dict(zip(keys, made.entity, strict=True))))  # fmt: skip


def chicago(path: Path) -> Export:
    """dedupe's csv_example: 3,337 early-childhood sites of Chicago from several public lists,
    labelled by dedupe's authors ("True Id"); phones are seven digits, without area code."""
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        rows = list(csv.DictReader(f))
    records, label = [], {}
    for r in rows:
        key = (SYSTEM, r["Id"])
        mapped = {"name": " ".join(r["Site name"].split()), "street": r["Address"], "postcode": r["Zip"],
                  "city": "Chicago", "phone": r["Phone"], "website": r["Website"]}  # fmt: skip
        records.append((key, _payload(mapped, "US")))
        label[key] = r["True Id"]
    return Export("chicago", records, true_pairs(label))


# ---- the hub -----------------------------------------------------------------------------------


@dataclass
class Run:
    outcomes: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    auto: Scores | None = None
    review: Scores | None = None
    queued: int = 0
    report: str = ""
    learnt: str = ""  # the model the scan learnt first
    trained: tuple[str, dict[str, dict[str, int]]] | None = None  # the trained table and its term frequencies


async def _load(db: Database, data: Export, batch: int, run: Run) -> None:
    t0 = time.perf_counter()
    for start in range(0, len(data.records), batch):
        chunk = data.records[start : start + batch]
        items = []
        for (_, sid), payload in chunk:
            items.append(service.source_item(CUSTOMER, None, SYSTEM, sid, service.decode_payload(CUSTOMER, payload)))
        async with db.transaction() as session:
            actor = Actor(f"system:{SYSTEM}", f"accounts-{start}", await load_policy(session))
            results = await service.ingest(session, CUSTOMER, items, actor, fuzzy=True)
        for result in results:
            if isinstance(result, dict):
                run.outcomes[result["outcome"]] += 1
            else:
                run.outcomes["refused"] += 1
                errors = getattr(result, "errors", None) or [("", str(result))]
                run.refused["; ".join(f"{f}: {m}" for f, m in errors)[:90]] += 1
    run.seconds = time.perf_counter() - t0
    done = await scan(db, CUSTOMER)
    run.queued, run.learnt = done.queued, learnt(done)
    auto, review = (await end_state(db, CUSTOMER)).predicted()
    run.auto, run.review = scores(auto, data.truth), scores(review, data.truth)


async def run_hub(
    url: str, data: Export, batch: int, *, rules: tuple[str, dict[str, dict[str, int]]] | None = None,
    train: bool = False,
) -> Run:  # fmt: skip
    forget()  # cold memos, as a new process would start
    run = Run()
    async with Database.opened(url) as db:
        if rules:  # a version trained on this file, with its term frequencies, adopted before the load
            async with db.transaction() as session:
                number = await store.newest(session, CUSTOMER.name) + 1
                await store.add(session, CUSTOMER.name, number, rules[0], {}, "bench", datetime.now(UTC))
                await store.add_terms(session, CUSTOMER.name, number, rules[1])
            await training.adopt(db, CUSTOMER, number, "bench")
        await _load(db, data, batch, run)
        if train:
            number, run.report, _ = await training.train_domain(db, CUSTOMER)
            async with db.sessionmaker(write=False)() as session:
                row = await store.version(session, CUSTOMER.name, number)
                assert row is not None
                run.trained = row.text, await store.terms(session, CUSTOMER.name, number)
    forget()
    return run


def completeness(data: Export) -> float:
    keys = {key: blocking_keys(CUSTOMER.blocking, service.decode_payload(CUSTOMER, p)) for key, p in data.records}
    by_key: dict[str, list[Key]] = defaultdict(list)
    for key, found in keys.items():
        for k in found:
            by_key[k].append(key)
    blocked = pairs_within(by_key.values())
    return len(data.truth & blocked) / len(data.truth) if data.truth else 1.0


# ---- report ------------------------------------------------------------------------------------


def report(rows: list[tuple[Export, str, Run, float]]) -> None:
    table = Table(title="Customer matching on account exports (pairwise, against the files' labels)",
                  title_justify="left")  # fmt: skip
    for column in ("file", "rules", "records", "true pairs", "pair compl.", "P@auto", "R@auto", "F1@auto",
                   "P@review", "R@review", "F1@review", "refused", "queued", "records/s"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("file", "rules") else "right")
    for data, rules, run, complete in rows:
        a, r = run.auto, run.review
        assert a is not None
        assert r is not None
        table.add_row(data.name, rules, f"{len(data.records):,}", f"{len(data.truth):,}", f"{complete:.4f}",
                      f"{a.precision:.3f}", f"{a.recall:.3f}", f"{a.f1:.3f}", f"{r.precision:.3f}", f"{r.recall:.3f}",
                      f"{r.f1:.3f}", f"{run.outcomes['refused']:,}", f"{run.queued:,}",
                      f"{len(data.records) / run.seconds:,.0f}")  # fmt: skip
    console.print(table)
    console.print(f"shipped: customer rules v{RULES[CUSTOMER.name].version}; trained: `mdm match train customer` on "
                  "the file's own load, adopted before a second load into a fresh database")  # fmt: skip
    for data, rules, run, _ in rows:
        for reason, n in run.refused.most_common(3):
            console.print(f"  {data.name} ({rules}): {n} refused: {reason}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", choices=("crm", "chicago"), default="crm")
    p.add_argument("--csv", type=Path, help=f"chicago: the labelled file (default: downloaded from {CHICAGO_URL})")
    p.add_argument("--level", choices=("medium", "hard", "both"), default="both")
    p.add_argument("--language", choices=("en", "de", "both"), default="both")
    p.add_argument("--website", choices=("yes", "no", "both"), default="both")
    p.add_argument("--rows", type=int, default=3000, help="rows per CRM export (default 3,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--train", action="store_true", help="also train on each file and load it again with that model")
    args = p.parse_args(argv)
    tune_gc(Settings.from_env())

    def both(value: str, choices: tuple[str, ...]) -> tuple[str, ...]:
        return choices if value == "both" else (value,)

    if args.data == "chicago":
        path = args.csv
        if path is None:
            import urllib.request

            path = Path(tempfile.gettempdir()) / "mdm-chicago.csv"
            if not path.exists():
                try:
                    urllib.request.urlretrieve(CHICAGO_URL, path)
                except OSError as exc:
                    raise SystemExit(f"could not download {CHICAGO_URL} ({exc}): pass the file with --csv") from None
        exports = [chicago(path)]
    else:
        exports = [crm(level, language, website == "yes", args.rows, args.seed)
                   for level in both(args.level, ("medium", "hard")) for language in both(args.language, ("en", "de"))
                   for website in both(args.website, ("yes", "no"))]  # fmt: skip
    rows = []
    for data in exports:
        with tempfile.TemporaryDirectory(prefix="mdm-accounts-") as tmp, fresh_database(args.db, Path(tmp)) as url:
            run = asyncio.run(run_hub(url, data, args.batch, train=args.train))
        complete = completeness(data)
        rows.append((data, "shipped", run, complete))
        console.print(f"{data.name}: shipped rules F1 at review {run.review.f1 if run.review else 0:.3f};"
                      f" model the scan learnt first: {run.learnt}")  # fmt: skip
        if args.train and run.trained:
            console.print(run.report)
            with tempfile.TemporaryDirectory(prefix="mdm-accounts-") as tmp, fresh_database(args.db, Path(tmp)) as url:
                again = asyncio.run(run_hub(url, data, args.batch, rules=run.trained))
            rows.append((data, "trained on it", again, complete))
    report(rows)


if __name__ == "__main__":
    main()
