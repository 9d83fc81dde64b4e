"""Match quality on labelled data: precision, recall and F1 of match-before-create.

    uv run python bench/quality.py [--entities 1500] [--setting easy|hard|both] [--level 1|2|both]
                                   [--db sqlite|postgresql]

A seeded generator (bench/generator.py; no network, independent of the match rules) makes
companies and people, then source records of them (contract v2): the first record of an
entity, and for some entities one or more duplicates written the way another system or a
careless clerk would, plus hard negatives that are different entities looking alike (the
same company name in another country; siblings sharing a family name, country and start
date). Level 1 is the first benchmark's corruptions; level 2 adds initials and acronyms,
glued and split words, truncation, nameless records, postcode digit errors, noisy
identifiers and phones, and, for customers, three systems per company (CRM, ERP, billing)
that drift while the company moves and renames itself. Every record is ingested (level 1
shuffled, level 2 in the order the systems sent them) through `service.ingest` into a fresh
database with matching on, exactly as the REST upsert would. The label of every record is
its entity; each automatic link and each queued pair is then right or wrong.

Per domain, setting and level it prints, beside the targets of the matching issue:
- at `auto_link`: precision = right links / links, recall = right links / duplicates;
- at `review`: the same counting links and queued pairs together;
- pairwise, from the end state (bench/pairwise.py): every pair of source records of one
  entity, against the pairs in one golden record (auto-link) or across a queued pair (review).
A duplicate is a record whose entity already had a golden record when it arrived; a record
the hub refused (today: a customer without a name that links to nothing, 422) counts as
refused, and as a miss. Nothing is asserted; see bench/README.md.
"""

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.core import fresh_database  # noqa: E402
from bench.generator import LEVEL2, SETTINGS, Event, Labelled, customers, employees  # noqa: E402
from bench.pairwise import Key, Pair, Scores, end_state, learnt, scores, true_pairs  # noqa: E402
from mdm.auth.actor import Actor  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.domains import (  # noqa: E402
    BY_NAME,
    RULES,
    Domain,
)
from mdm.matching.blocking import blocking_keys  # noqa: E402
from mdm.matching.scan import scan  # noqa: E402
from mdm.matching.score import score  # noqa: E402
from mdm.policy.store import adopt  # noqa: E402
from mdm.policy.store import load as load_policy  # noqa: E402
from mdm.records import service  # noqa: E402
from mdm.records.validation import normalized  # noqa: E402

console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
TARGET_PRECISION_AUTO = 0.99  # hard setting, customers and employees
TARGET_RECALL_REVIEW = 0.95


# ---- evaluation --------------------------------------------------------------------------------

# level 2: the ERP and the billing system send customers too; a firm lets them create the
# customers they hold (the default policy lets only the CRM create one)
BENCH_POLICY = """
# ---- quality bench, level 2: the ERP and billing systems may create and write customers
p, system:netsuite, customer, *, create, allow
p, system:netsuite, customer, *, write, allow
p, system:certinia, customer, *, create, allow
p, system:certinia, customer, *, write, allow
"""


@dataclass
class Quality:
    domain: str
    setting: str
    level: int
    records: int
    duplicates: int = 0
    links: int = 0
    right_links: int = 0
    fuzzy_links: int = 0
    queued: int = 0
    right_queued: int = 0
    refused: int = 0
    refused_duplicates: int = 0
    updates: int = 0
    scan_queued: int | None = None  # pairs the scan queued (with --scan)
    learnt: str = ""  # the model the scan learnt first (with --scan)
    completeness: float = 1.0  # true pairs whose records share a blocking key
    seconds: float = 0.0
    auto: Scores = field(default_factory=lambda: Scores(0, 0, 0))  # pairwise, end state
    review: Scores = field(default_factory=lambda: Scores(0, 0, 0))
    reasons: Counter[str] = field(default_factory=Counter)  # why records were refused
    accepted: set[Key] = field(default_factory=set)
    miss_reasons: Counter[str] = field(default_factory=Counter)  # why true pairs were missed at review
    miss_examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @staticmethod
    def ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    def at_auto(self) -> tuple[float, float]:
        return self.ratio(self.right_links, self.links), self.ratio(self.right_links, self.duplicates)

    def at_review(self) -> tuple[float, float]:
        right = self.right_links + self.right_queued
        return self.ratio(right, self.links + self.queued), self.ratio(right, self.duplicates)


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


async def _allow_other_systems(db: Database) -> None:
    async with db.transaction() as session:
        text = (await load_policy(session)).text + BENCH_POLICY
        await adopt(session, text, None, "user:bench", frozenset({"admin"}), "quality bench, level 2", None)


async def evaluate(
    url: str,
    domain: Domain,
    data: Labelled,
    setting: str,
    level: int,
    batch: int,
    rng: random.Random,
    *,
    with_scan: bool = False,
) -> Quality:
    events = list(data.events)
    if not data.ordered:
        rng.shuffle(events)
    q = Quality(domain.name, setting, level, sum(1 for _ in {(e.system, e.source_id) for e in events}))
    entity_of: dict[str, int] = {}  # golden id -> the entity of the record that made it
    first: dict[int, dict[str, Any]] = {}  # entity -> the payload of its first accepted record
    sent: set[tuple[str, str]] = set()
    async with Database.opened(url) as db:
        if {e.system for e in events} - {data.system}:
            await _allow_other_systems(db)
        t0 = time.perf_counter()
        for start in range(0, len(events), batch):
            chunk = events[start : start + batch]
            items = [service.source_item(domain, None, e.system, e.source_id, service.decode_payload(domain, e.payload))
                     for e in chunk]  # fmt: skip
            async with db.transaction() as session:
                actor = Actor(f"system:{data.system}", f"quality-{start}", await load_policy(session))
                results = await service.ingest(session, domain, items, actor, fuzzy=True)
            for e, result in zip(chunk, results, strict=True):
                again = (e.system, e.source_id) in sent
                sent.add((e.system, e.source_id))
                if again:  # a source sending its record again: an update, not a new record
                    q.updates += 1
                    continue
                duplicate = e.entity in first
                q.duplicates += duplicate
                if not isinstance(result, dict):
                    q.refused += 1
                    q.refused_duplicates += duplicate
                    q.reasons[_reason(result)] += 1
                    if duplicate and len(q.missed) < 8:
                        q.missed.append(
                            f"{_brief(e.payload)} vs {_brief(first[e.entity])}: refused ({_reason(result)})"
                        )
                    continue
                first.setdefault(e.entity, e.payload)
                q.accepted.add((e.system, e.source_id))
                outcome, match = result["outcome"], result["match"] or {}
                if outcome == "created" or outcome == "pending_review":
                    entity_of[result["id"]] = e.entity
                if outcome == "linked":
                    q.links += 1
                    q.fuzzy_links += match.get("rule") == "fuzzy"
                    if entity_of.get(result["id"]) == e.entity:
                        q.right_links += 1
                    elif len(q.wrong) < 8:
                        q.wrong.append(f"linked {_brief(e.payload)} (score {match.get('score')})")
                elif outcome == "pending_review":
                    q.queued += 1
                    q.right_queued += entity_of.get(match.get("id", "")) == e.entity
                right = (
                    outcome in ("linked", "pending_review")
                    and entity_of.get(result["id"] if outcome == "linked" else match.get("id", "")) == e.entity
                )
                if duplicate and not right and len(q.missed) < 8:
                    q.missed.append(f"{_brief(e.payload)} vs {_brief(first[e.entity])}: {outcome} {match.get('score')}")
        q.seconds = time.perf_counter() - t0
        if with_scan:  # `mdm match scan`: pairs of golden records at or above review, queued
            done = await scan(db, domain)
            q.scan_queued, q.learnt = done.queued, learnt(done)
        state = await end_state(db, domain)
    truth = true_pairs({(e.system, e.source_id): e.entity for e in events})
    auto, review = state.predicted()
    q.auto, q.review = scores(auto, truth), scores(review, truth)
    _diagnose(q, domain, events, truth, truth - review)
    return q


def _diagnose(q: Quality, domain: Domain, events: list[Event], truth: set[Pair], missed: set[Pair]) -> None:
    """Pair completeness (the share of true pairs whose two source records, as last sent,
    share a blocking key), and why true pairs ended neither in one golden record nor in a queued pair, judged on the
    two source records as last sent (not on the golden records they were compared with):
    refused; no blocking key shared; scored below review; or alike enough, yet never
    compared or compared with a golden record whose values had moved on (ingestion scores a
    new record against golden records only, the best 4 of its blocks; without --scan
    nothing compares golden records afterwards)."""
    last = {(e.system, e.source_id): e.payload for e in events}
    rules = RULES[domain.name]
    kept: dict[Key, dict[str, Any] | None] = {}
    for key, payload in last.items():
        record, problems = normalized(domain, service.decode_payload(domain, payload))
        kept[key] = None if problems else record
    keys = {key: blocking_keys(domain.blocking, record) for key, record in kept.items() if record is not None}
    blocked = sum(1 for a, b in truth if a in keys and b in keys and keys[a] & keys[b])
    q.completeness = blocked / len(truth) if truth else 1.0
    for a, b in sorted(missed):
        left, right = kept[a], kept[b]
        if left is None or right is None or a not in q.accepted or b not in q.accepted:
            reason = "refused"
        elif not blocking_keys(domain.blocking, left) & blocking_keys(domain.blocking, right):
            reason = "blocking: the two records share no key"
        elif (value := score(rules, left, right)[0]) < rules.review:
            reason = f"scoring: the two records score below review ({rules.review})"
        else:
            reason = "ingestion: the records score at least review, but were not compared as such"
        q.miss_reasons[reason] += 1
        if len(q.miss_examples[reason]) < 3:
            shown = "" if reason in ("refused",) or reason.startswith("blocking") else f" (score {value})"
            q.miss_examples[reason].append(f"{_brief(last[a])}\n        {_brief(last[b])}{shown}")


def _reason(error: Exception) -> str:
    errors = getattr(error, "errors", None) or []
    return "; ".join(f"{f} {m}" for f, m, *_ in errors) or type(error).__name__


def _brief(payload: dict[str, Any]) -> str:
    keep = ("name", "country", "start_date", "email", "identifiers", "website")
    out = {k: payload[k] for k in keep if k in payload}
    if "addresses" in payload:
        out["postal_code"] = payload["addresses"][0].get("postal_code")
    return str(out)


def report(results: list[Quality], verbose: bool) -> None:
    table = Table(title="match quality (labelled data)", title_justify="left")
    for column in ("domain", "setting", "level", "records", "dups", "refused", "P@auto", "R@auto", "F1@auto",
                   "P@review", "R@review", "F1@review", "links (fuzzy)", "queued"):  # fmt: skip
        table.add_column(column, justify="right")
    for q in results:
        pa, ra = q.at_auto()
        pr, rr = q.at_review()
        table.add_row(q.domain, q.setting, str(q.level), f"{q.records:,}", f"{q.duplicates:,}", f"{q.refused:,}",
                      f"{pa:.3f}", f"{ra:.3f}", f"{f1(pa, ra):.3f}", f"{pr:.3f}", f"{rr:.3f}", f"{f1(pr, rr):.3f}",
                      f"{q.links} ({q.fuzzy_links})", f"{q.queued}")  # fmt: skip
    console.print(table)
    title = "pairwise, end state (every pair of one entity's source records)"
    if any(q.scan_queued is not None for q in results):
        title += ", after `match scan`"
    pairs = Table(title=title, title_justify="left")
    for column in ("domain", "setting", "level", "true pairs", "pair completeness", "P@auto", "R@auto", "F1@auto",
                   "P@review", "R@review", "F1@review"):  # fmt: skip
        pairs.add_column(column, justify="right")
    for q in results:
        a, r = q.auto, q.review
        pairs.add_row(q.domain, q.setting, str(q.level), f"{a.truth:,}", f"{q.completeness:.4f}",
                      f"{a.precision:.3f}", f"{a.recall:.3f}",
                      f"{a.f1:.3f}", f"{r.precision:.3f}", f"{r.recall:.3f}", f"{r.f1:.3f}")  # fmt: skip
    console.print(pairs)
    for q in results:
        if q.learnt:
            console.print(f"  {q.domain}: model the scan learnt first: {q.learnt}")
    console.print(f"targets (hard setting, customers and employees): precision at auto_link >= "
                  f"{TARGET_PRECISION_AUTO}, recall at review >= {TARGET_RECALL_REVIEW}")  # fmt: skip
    for q in results:
        rules = RULES[q.domain]
        if q.setting == "hard":
            pa, _ = q.at_auto()
            _, rr = q.at_review()
            met = "met" if pa >= TARGET_PRECISION_AUTO and rr >= TARGET_RECALL_REVIEW else "MISSED"
            console.print(f"  {q.domain} hard, level {q.level}: P@auto {pa:.3f}, R@review {rr:.3f}: {met} "
                          f"(auto_link {rules.auto_link}, review {rules.review}, rules v{rules.version}; "
                          f"{q.records / q.seconds:,.0f} records/s)")  # fmt: skip
        if q.refused:
            console.print(f"  {q.domain} {q.setting}, level {q.level}: {q.refused} records refused "
                          f"({q.refused_duplicates} of them duplicates, counted as missed): "
                          f"{', '.join(f'{n} {why}' for why, n in q.reasons.most_common(3))}")  # fmt: skip
        if verbose and q.miss_reasons:
            console.print(f"  {q.domain} {q.setting}, level {q.level}: true pairs missed at review, by reason:")
            for reason, count in q.miss_reasons.most_common():
                console.print(f"    {count:5d}  {reason}")
                for line in q.miss_examples[reason]:
                    console.print(f"        {line}")
        for line in q.wrong if verbose else []:
            console.print(f"    wrong ({q.domain}, {q.setting}, level {q.level}): {line}")
        for line in q.missed if verbose else []:
            console.print(f"    missed ({q.domain}, {q.setting}, level {q.level}): {line}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entities", type=int, default=1500, help="companies and people per domain (default 1,500)")
    p.add_argument("--setting", choices=("easy", "hard", "both"), default="both")
    p.add_argument("--level", choices=("1", "2", "both"), default="both",
                   help="1: the first benchmark's corruptions; 2: and harder ones (bench/generator.py)")  # fmt: skip
    p.add_argument("--domain", choices=("customer", "employee", "both"), default="both")
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--batch", type=int, default=100, help="records per ingestion transaction")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--verbose", action="store_true", help="print some wrong links and missed duplicates")
    p.add_argument("--scan", action="store_true", help="run `mdm match scan` after ingestion (pairwise figures)")
    p.add_argument("--without", action="append", default=[], metavar="FIELD",
                   help="send no FIELD (website, identifiers, phones, addresses, email, ...); repeatable")  # fmt: skip
    args = p.parse_args(argv)
    settings = ["easy", "hard"] if args.setting == "both" else [args.setting]
    levels = [1, 2] if args.level == "both" else [int(args.level)]
    domains = ["customer", "employee"] if args.domain == "both" else [args.domain]
    results = []
    for level in levels:
        for setting in settings:
            for name in domains:
                seed = f"{args.seed}-{setting}-{name}" if level == 1 else f"{args.seed}-{setting}-{name}-{level}"
                rng = random.Random(seed)
                make = customers if name == "customer" else employees
                data = make(args.entities, SETTINGS[setting][name], rng, LEVEL2[setting][name] if level == 2 else None)
                for event in data.events:  # a system that does not hold these fields
                    for dropped in args.without:
                        event.payload.pop(dropped, None)
                console.print(f"{name} / {setting} / level {level}: {dict(data.kinds)}")
                with (
                    tempfile.TemporaryDirectory(prefix="mdm-quality-") as tmp,
                    fresh_database(args.db, Path(tmp)) as url,
                ):
                    run = evaluate(url, BY_NAME[name], data, setting, level, args.batch, rng, with_scan=args.scan)
                    results.append(asyncio.run(run))
    report(results, args.verbose)


if __name__ == "__main__":
    main()
