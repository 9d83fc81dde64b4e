"""Pairwise match quality of the hub's end state, shared by bench/febrl.py and bench/quality.py.

A pair is two source records (system, source id). At auto-link the hub says two records are
one thing when they ended in one golden record; at review, also when their golden records
are a queued candidate pair (a steward would merge them), or one is a held record shown with
the other's golden record as its candidate (a steward would link it). Precision, recall and F1 count
those pairs against the true ones; nothing here scores a pair.
"""

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from mdm.db.engine import Database
from mdm.db.tables import crosswalk, held_source, match_candidate
from mdm.domains import Domain

Key = tuple[str, str]  # (system, source id): one source record
Pair = tuple[Key, Key]  # sorted


def pair(a: Key, b: Key) -> Pair:
    return (a, b) if a <= b else (b, a)


def pairs_within(groups: Iterable[Iterable[Key]]) -> set[Pair]:
    """Every pair of two members of one group."""
    return {pair(a, b) for members in groups for a, b in itertools.combinations(sorted(set(members)), 2)}


def true_pairs(label_of: Mapping[Key, object]) -> set[Pair]:
    """The pairs of records that carry one label (one entity)."""
    groups: dict[object, list[Key]] = defaultdict(list)
    for key, label in label_of.items():
        groups[label].append(key)
    return pairs_within(groups.values())


@dataclass
class Scores:
    predicted: int
    right: int
    truth: int

    @property
    def precision(self) -> float:
        return self.right / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.truth if self.truth else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def scores(predicted: set[Pair], truth: set[Pair]) -> Scores:
    return Scores(len(predicted), len(predicted & truth), len(truth))


@dataclass
class EndState:
    """What the hub left: each live source record's golden record, the pending candidate pairs,
    and the held records shown with a candidate."""

    golden_of: dict[Key, str] = field(default_factory=dict)
    candidates: list[tuple[str, str, str, float]] = field(default_factory=list)  # (left, right, source, score)
    held: list[tuple[Key, str]] = field(default_factory=list)  # a held record and the golden record it is shown with

    def members(self) -> dict[str, list[Key]]:
        found: dict[str, list[Key]] = defaultdict(list)
        for key, golden in self.golden_of.items():
            found[golden].append(key)
        return found

    def predicted(self) -> tuple[set[Pair], set[Pair]]:
        """(pairs at auto-link, pairs at review)."""
        members = self.members()
        auto = pairs_within(members.values())
        review = set(auto)
        for left, right, _, _ in self.candidates:
            review |= {pair(a, b) for a in members.get(left, ()) for b in members.get(right, ())}
        for key, golden in self.held:  # a steward sees a held record beside its candidate, as a queued pair
            review |= {pair(key, b) for b in members.get(golden, ())}
        return auto, review


async def end_state(db: Database, domain: Domain) -> EndState:
    """Crosswalks and pending candidates of a domain, as the hub left them."""
    async with db.sessionmaker(write=False)() as session:
        rows = await session.execute(
            sa.select(crosswalk.c.system, crosswalk.c.source_id, crosswalk.c.golden_id).where(
                crosswalk.c.domain == domain.name, crosswalk.c.ended_at.is_(None)
            )
        )
        golden_of = {(r.system, r.source_id): r.golden_id for r in rows}
        c = match_candidate.c
        rows = await session.execute(
            sa.select(c.left_id, c.right_id, c.source, c.score).where(c.domain == domain.name, c.status == "pending")
        )
        candidates = [(r.left_id, r.right_id, r.source, r.score) for r in rows]
        h = held_source.c
        rows = await session.execute(sa.select(h.system, h.source_id, h.candidates).where(h.domain == domain.name))
        held = [((r.system, r.source_id), c["id"]) for r in rows for c in r.candidates or ()]
        return EndState(golden_of, candidates, held)


def learnt(report: Any) -> str:
    """What `mdm match scan` learnt before scanning (its ScanReport), in a few words."""
    if (found := report.learnt) is None:
        return "none (a version existed, or too few records)"
    t = found.written.trained
    fate = "adopted" if found.adopted else f"not adopted: {found.why}"
    said = f"EM {t.iterations} passes, prior {t.prior:.3g}, sure of {t.sure:,}, {t.anchored:.1%} seen by the defaults"
    return f"v{found.written.number}, {fate} ({said})"
