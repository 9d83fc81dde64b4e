"""`mdm match train`: a domain's model learnt from the hub's own records, written as a new
rules version (not yet in force: `mdm match impact --version` says what it would change,
`mdm match adopt` puts it in force).

u from random pairs, m and the prior by EM over the blocked pairs with the stewards'
decisions as labels (mdm.matching.train), term frequencies over every live record (its
values and its sources'), read a chunk at a time."""

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

import msgspec
from sqlalchemy.exc import IntegrityError

from mdm.db import match_rules as store
from mdm.db import repository as repo
from mdm.db.engine import Database
from mdm.domains import OVERRIDDEN, RULES, Domain
from mdm.matching import sampling, train, versions
from mdm.matching.rules import Features, MatchRules

TF_CHUNK = 5_000  # records read per query pair while counting term frequencies
TF_KEPT = 2  # values held by fewer records are not stored: a value not in the table counts once


class Written(NamedTuple):
    """A version `train_domain` wrote: its number, the report it printed, what it learnt."""

    number: int
    report: str
    trained: train.Trained


def _counted(rules: MatchRules, records: list[dict[str, Any]]) -> Features:
    """`rules.features_of(records)` for the comparisons with `tf = true` (the others left
    empty): all term frequencies read, at a fraction of the cost (a name, not ten fields)."""
    return tuple(
        tuple(dict.fromkeys(v for r in records for v in c.extract(r))) if c.tf else () for c in rules.comparisons
    )


async def term_frequencies(
    db: Database, domain: Domain, rules: MatchRules, advance: Callable[[int], None] | None = None
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """How many live records hold each value of each comparison with `tf = true`, and how
    many values were counted per comparison."""
    counts: dict[str, Counter[str]] = {c.name: Counter() for c in rules.comparisons if c.tf}
    totals: Counter[str] = Counter()
    if not counts:
        return {}, {}
    async with db.sessionmaker(write=False)() as session:
        ids = await repo.live_ids(session, domain)
    for start in range(0, len(ids), TF_CHUNK):
        chunk = ids[start : start + TF_CHUNK]
        async with db.sessionmaker(write=False)() as session:
            values = await repo.golden_values(session, domain, chunk, rules.fields)
            sources = await repo.live_payloads(session, domain, chunk)
        features = [_counted(rules, [v, *(msgspec.json.decode(p) for p in sources.get(i, ()))])
                    for i, v in values.items()]  # fmt: skip
        found, counted = train.term_frequencies(rules, features)
        for name, held in found.items():
            counts[name].update(held)
        totals.update(counted)
        if advance:
            advance(len(chunk))
    return {name: dict(c) for name, c in counts.items()}, dict(totals)


def _vectors(rules: MatchRules, features: dict[Any, Features], pairs: list[tuple[Any, Any]]) -> Any:
    return train.level_vectors(rules, [(features[a], features[b]) for a, b in pairs if a in features and b in features])


async def train_domain(
    db: Database,
    domain: Domain,
    *,
    random_pairs: int = 200_000,
    blocked_pairs: int = 300_000,
    by: str = "cli",
    review: float | None = None,
    on_total: Callable[[int], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> Written:
    """Learn `domain`'s model from its records and write it as a new version (with the
    rules' `review` threshold, or `review`)."""
    async with db.sessionmaker(write=False)() as session:
        rules = await versions.in_force(session, domain)
        found = await sampling.sample(session, domain, random_pairs=random_pairs, blocked_pairs=blocked_pairs)
        n = await repo.count_live(session, domain)
    if on_total:
        on_total(n)
    sent = {ref: rules.features(payload) for ref, payload in found.payloads.items()}
    at_random = _vectors(rules, sent, found.random_pairs)
    u = train.estimate_u(rules, at_random) if len(at_random) else None
    decided = {i: rules.features_of(profile) for i, profile in found.profiles.items()}
    known = [(a, b, matched) for a, b, matched in found.labelled if a in decided and b in decided]
    labels = (_vectors(rules, decided, [(a, b) for a, b, _ in known]), [matched for _, _, matched in known])
    s = found.sources
    blocked = _vectors(rules, sent, found.blocked_pairs)
    trained = train.expectation_maximisation(
        rules, blocked, u=u, labels=labels,
        pairs_total=s * (s - 1) // 2 or None, random_count=len(at_random),
    )  # fmt: skip
    sure, share = train.anchored(rules, trained, blocked)
    trained = dataclasses.replace(trained, sure=sure, anchored=share)
    tf, totals = await term_frequencies(db, domain, rules, advance)
    async with db.transaction() as session:
        number = max(await store.newest(session, domain.name), rules.version) + 1
        text = train.trained_table(rules, trained, version=number, review=review)
        report = {
            "from_version": rules.version,
            "records": n,
            "source_records": found.sources,
            "blocked_pairs": trained.pairs,
            "random_pairs": trained.random_pairs,
            "labelled": list(trained.labelled),
            "iterations": trained.iterations,
            "converged": trained.converged,
            "prior": trained.prior,
            "tf_total": totals,
            "sure": sure,
            "anchored": share,
        }
        await store.add(session, domain.name, number, text, report, by, datetime.now(UTC))
        kept = {name: {v: k for v, k in held.items() if k >= TF_KEPT} for name, held in tf.items()}
        await store.add_terms(session, domain.name, number, kept)
    return Written(number, train.report(rules, trained), trained)


LEARN_FROM = 1_000  # live records a domain holds before a scan learns its first model from them
ANCHORED = 0.9  # the share of a learnt model's sure pairs the defaults must see, for it to be adopted
# the first model's review threshold: its probabilities are the estate's own (its prior is
# learnt, not set low for a hub of a million as the defaults'), so at 0.2 four of five pairs
# it queued would be wrong; from even odds the queue is mostly duplicates
FIRST_REVIEW = 0.5


class Learnt(NamedTuple):
    """The first model a scan learnt for a domain: the version written, whether it was put in
    force, and why not when it was not."""

    written: Written
    adopted: bool
    why: str = ""


async def first_model(db: Database, domain: Domain, *, by: str) -> Learnt | None:
    """Learn and adopt a domain's first model, when it has none: no version was ever
    written (an admin who trained, adopted or went back to the defaults has chosen), its
    defaults are the descriptor's (not MDM_MATCH_RULES'), and it holds LEARN_FROM records.

    The shipped defaults were learnt on the demo estate; an estate's own duplicates are
    drifted their own way (names cut or run together more, one town or many), and what EM
    learns from them is what its levels are worth there. Adopted only when EM converged and
    its match class is the duplicates the defaults see, weighed better: at least ANCHORED of
    the blocked pairs it is sure of the defaults put at or above review. In an estate with
    few duplicates EM finds something else to call a match (a group's companies under one
    website, firms of one town), which the defaults score low; that version is written for
    an admin to look at (`mdm match impact`), not adopted. It queues from FIRST_REVIEW."""
    if domain.name in OVERRIDDEN:
        return None
    async with db.sessionmaker(write=False)() as session:
        if await store.newest(session, domain.name) or await repo.count_live(session, domain) < LEARN_FROM:
            return None
    shipped = RULES[domain.name]
    review = max(FIRST_REVIEW, shipped.review) if shipped.auto_link > FIRST_REVIEW else shipped.review
    try:
        written = await train_domain(db, domain, by=by, review=review)
    except IntegrityError:  # another scan wrote that version number first: its model stands
        return None
    t = written.trained
    if not t.converged:
        return Learnt(written, False, f"EM did not converge in {t.iterations} passes")
    if not t.sure:
        return Learnt(written, False, "it is sure of no pair")
    if t.anchored < ANCHORED:
        return Learnt(written, False, f"of the {t.sure:,} pairs it is sure of, the defaults see only {t.anchored:.0%}"
                                      f" (at least {ANCHORED:.0%} wanted)")  # fmt: skip
    async with db.transaction() as session:  # unless someone chose while it trained
        if await store.newest(session, domain.name) != written.number or domain.name in await store.adopted(session):
            return Learnt(written, False, "another version was written or adopted meanwhile")
        await store.adopt(session, domain.name, written.number, by, datetime.now(UTC))
    versions.forget()
    return Learnt(written, True)


async def adopt(db: Database, domain: Domain, number: int, by: str) -> bool:
    """Put a trained version in force (every worker follows within a second)."""
    async with db.transaction() as session:
        done = await store.adopt(session, domain.name, number, by, datetime.now(UTC))
    versions.forget()
    return done


async def withdraw(db: Database, domain: Domain) -> None:
    """Back to the defaults (the descriptor's rules, or MDM_MATCH_RULES')."""
    async with db.transaction() as session:
        await store.withdraw(session, domain.name)
    versions.forget()


async def stored(db: Database, domain: Domain, number: int) -> MatchRules:
    async with db.sessionmaker(write=False)() as session:
        return await versions.build(session, domain, number)
