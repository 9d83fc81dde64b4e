"""The shipped match defaults, learnt from the demo estate: what `mdm match train` finds there.

    uv run python bench/defaults.py [--domain customer]          # print the trained table(s)
    uv run python bench/defaults.py --check                      # exit 1 where a shipped level's weight is not that
    uv run python bench/defaults.py --learn                      # the demo's queue after a scan that learns first

The demo (`mdm demo`, seed 7) is loaded into a fresh SQLite database with the defaults in
force, then `mdm match train DOMAIN` learns m and u from it exactly as it would from a
firm's estate: u from random pairs of its source records, m by EM over the blocked pairs, no
labels. The demo is built to drift the way a firm's systems do (estate.json `duplicates`
and `drift`: a CRM's second accounts written with initials, glued, cut short, moved; the
ERP's copy typed by finance, in capitals, with the legal form written out, its own billing
address and line), so what EM learns there is what the levels are worth.

Not taken from the demo, and the table printed says so:
- the prior: the demo's is that of its 1,889 customers (2.5e-4 a pair, one pair in 4,000
  is one company), hundreds of times too high for a hub of a million, where it would link
  on little; the descriptor's prior is kept (one pair in 100,000), and a firm's own
  `mdm match train` learns its own;
- term frequencies: those of the demo's names say nothing of a firm's; a trained hub has
  its own;
- the u of a street line (`KEPT_U`): the demo's firms almost never share one, a firm's
  estate has business centres and a "Hauptstraße 1" in every town; and of a town: the
  demo's firms are spread over fourteen countries, a firm's clients may all be in one town;
  and of a website's name under another ending, which a group's companies share.
The descriptors hold the result (copied in by hand, with their comments); `--check` says
whether they still do, so a change to the demo, the comparisons or the trainer is seen.
"""

import argparse
import asyncio
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/defaults.py` puts bench/, not the project, on the path
    sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402

from bench.core import fresh_database  # noqa: E402
from bench.pairwise import end_state, learnt  # noqa: E402
from mdm.db import match_rules as store  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.demo import generate, load_demo  # noqa: E402
from mdm.domains import BY_NAME, RULES  # noqa: E402
from mdm.matching import forget, training  # noqa: E402
from mdm.matching.rules import DomainSpec, render, table  # noqa: E402
from mdm.matching.scan import scan  # noqa: E402

TRAINED = ("customer",)  # the domains whose shipped m and u are the demo's
# comparisons whose u is not the demo's but the shipped rules': the demo draws street lines
# from a short list per country and house numbers at random, so two of its firms almost
# never share one (u 6e-5, +13.8 bits: "Müller GmbH" and "Müller Bau GmbH" at one street
# line in two towns linked); an estate has business centres and a "Hauptstraße 1" in every
# town, so the shipped u is one pair in a thousand (+9.8 bits); and a town, one pair in
# sixty in the demo's fourteen countries, is half of all pairs where a firm's clients are in
# a few towns (dedupe's Chicago sites are all in one): the same town says little. A website's
# name under another ending is a group's as often as a firm's: one pair in a thousand
KEPT_U = {"customer": ("street", "city", "website")}
TOLERANCE = 0.5  # bits of a level's weight, log2(m / u): the demo's own noise (which records link
# first moves which pairs are drawn at random) moves a rare level's u by a quarter


@dataclass(frozen=True, slots=True)
class Queue:
    """A domain of the demo after `mdm match scan`: its planted duplicates and its queue."""

    domain: str
    planted: int
    linked: int
    queued: int  # planted duplicates queued as a pair
    pairs: int  # pairs in the queue
    planted_in_queue: int

    def __str__(self) -> str:
        share = f"{self.planted_in_queue / self.pairs:.0%}" if self.pairs else "-"
        apart = self.planted - self.linked - self.queued
        return (f"{self.domain}: {self.planted} planted duplicates: {self.linked} linked, {self.queued} queued, "
                f"{apart} apart; queue {self.pairs} pairs, {share} of them planted")  # fmt: skip


async def demo_queue(db: Database, *, learn: bool = False) -> list[Queue]:
    """What a steward meets in the demo as loaded with the rules in force, after `mdm match
    scan`: per domain, its planted duplicates linked, queued or left apart, and how many
    of the queued pairs are planted duplicates (the rest: namesakes, sister companies)."""
    estate = generate()
    found = []
    for name, planted in (("customer", estate.customer_duplicates), ("employee", estate.employee_duplicates)):
        domain = BY_NAME[name]
        report = await scan(db, domain, learn=learn)  # by default the defaults' queue, not a learnt model's
        if report.learnt:
            print(f"{name}: {learnt(report)}", file=sys.stderr)
        state = await end_state(db, domain)
        golden = state.golden_of
        queued = {frozenset((left, right)) for left, right, _, _ in state.candidates}
        pairs = [(golden[(a.system, a.source_id)], golden[(b.system, b.source_id)]) for a, b in planted]
        linked = sum(a == b for a, b in pairs)
        waiting = sum(frozenset(p) in queued for p in pairs if p[0] != p[1])
        found.append(Queue(name, len(pairs), linked, waiting, len(queued), sum(frozenset(p) in queued for p in pairs)))
    return found


async def train_on_demo(url: str, names: tuple[str, ...]) -> tuple[dict[str, tuple[DomainSpec, str]], list[Queue]]:
    """Each domain's trained table on the demo estate, with the descriptor's prior and a
    version one above the descriptor's; the trainer's report; and the demo's queue."""
    forget()
    found = {}
    async with Database.opened(url) as db:
        await load_demo(db, progress=False)
        for name in names:
            number, report, _ = await training.train_domain(db, BY_NAME[name], by="bench/defaults.py")
            async with db.sessionmaker(write=False)() as session:
                row = await store.version(session, name, number)
            assert row is not None
            spec = table(name, row.text)
            shipped = RULES[name]
            assert shipped.spec is not None
            kept = {c.name: c.u for c in shipped.spec.comparison if c.name in KEPT_U.get(name, ())}
            comparisons = [msgspec.structs.replace(c, u=kept[c.name]) if c.name in kept else c for c in spec.comparison]
            found[name] = msgspec.structs.replace(spec, prior=shipped.prior, version=shipped.version + 1,
                                                  comparison=comparisons), report  # fmt: skip
        queue = await demo_queue(db)
    forget()
    return found, queue


async def learnt_queue(url: str) -> list[Queue]:
    """The demo as loaded, then scanned as a user would: each domain learns its first model."""
    forget()
    async with Database.opened(url) as db:
        await load_demo(db, progress=False)
        found = await demo_queue(db, learn=True)
    forget()
    return found


def differences(name: str, trained: DomainSpec) -> list[str]:
    """Where a level's weight under the shipped m and u is not the trained one's (beyond TOLERANCE)."""
    shipped = RULES[name].spec
    assert shipped is not None
    out = []
    for a, b in zip(shipped.comparison, trained.comparison, strict=True):
        for level, m0, u0, m1, u1 in zip([*a.levels, "else"], a.m, a.u, b.m, b.u, strict=True):
            old, new = math.log2(m0 / u0), math.log2(m1 / u1)
            if abs(old - new) > TOLERANCE:
                out.append(f"{name}.{a.name} {level}: shipped m {m0:g} u {u0:g} ({old:+.2f} bits), "
                           f"trained m {m1:g} u {u1:g} ({new:+.2f})")  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--domain", choices=TRAINED, action="append", help="a domain (default: every trained one)")
    p.add_argument("--check", action="store_true", help="compare with the shipped defaults; exit 1 on a difference")
    p.add_argument("--learn", action="store_true", help="only the demo's queue after `mdm match scan` learns first")
    args = p.parse_args(argv)
    if args.learn:
        with tempfile.TemporaryDirectory(prefix="mdm-defaults-") as tmp, fresh_database("sqlite", Path(tmp)) as url:
            for line in asyncio.run(learnt_queue(url)):
                print(line)
        return
    names = tuple(args.domain or TRAINED)
    with tempfile.TemporaryDirectory(prefix="mdm-defaults-") as tmp, fresh_database("sqlite", Path(tmp)) as url:
        found, queue = asyncio.run(train_on_demo(url, names))
    for line in queue:
        print(line, file=sys.stderr)
    failed = False
    for name, (spec, report) in found.items():
        if args.check:
            wrong = differences(name, spec)
            failed |= bool(wrong)
            print(f"{name}: " + ("the shipped m and u are the demo's" if not wrong else "differs:"))
            for line in wrong:
                print(f"  {line}")
        else:
            print(report, file=sys.stderr)
            print(f"# {name}")
            print(render(spec, note="trained on the demo estate (bench/defaults.py); the prior is not the demo's"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
