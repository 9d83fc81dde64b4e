"""Training a domain's model from the hub's own records, without labels: pure numpy, no I/O.
A caller with database access samples the pairs and hands their features here
(`MatchRules.features` of each record); this module turns them into parameters.

1. `u`, per comparison and level: how often two records drawn at random (`random_pairs`)
   fall in each level (`estimate_u`); a level too rare to be seen among them keeps the
   rules' u, so no level has u = 0 or near it by chance.
2. `m` and the prior, by expectation-maximisation over the level vectors of the pairs the
   blocking keys bring together (`expectation_maximisation`), u held fixed: each pass
   weighs every pair by its match probability under the current m and prior, then counts m
   again from those weights (identical level patterns aggregated with their counts, so a
   pass costs the number of patterns, not of pairs), a level the counts cannot tell kept at
   the rules' value (`_bounded`), until nothing moves by more than `tolerance` or
   `max_iterations` is reached. It starts from the rules' m. The blocked non-matches are
   not random pairs (they share a name's sound, a postcode, a date), so EM estimates their
   levels too (`blocked_u`, by default) instead of taking u for them; u, for scoring, stays
   what random pairs do. Blocking leaves the pairs worth comparing, where matches are far
   more common than among random pairs: EM estimates that share (the blocked prior), and
   the prior of the rules, which is per random pair like u, is the expected number of
   matches among the blocked pairs over all pairs of the estate (`pairs_total`), blocking
   being taken to find (nearly) every match.
3. Steward decisions are labels: a merge says a pair matched, "not a match" that it did not.
   Each labelled pair joins EM as one more pair whose match probability is fixed (1 or 0)
   instead of estimated: a merge adds its levels to m's counts, a rejection to the blocked
   non-matches', with weight `label_weight` (1 by default). Among thousands of blocked pairs
   a decision is one pair, so a few decisions, or a steward's mistakes, cannot swing the
   model; many decisions that agree move it as much as they should. Labels refine m, never
   u (u is what random pairs do).
4. Term frequencies (`term_frequencies`): how many records hold each normalized value of a
   comparison with `tf = true`, for `rules.with_tf`.
5. `trained_table` writes the trained parameters back as a rules table (TOML, a new
   version) and `report` says what was learnt: m and u per level, pairs used, EM passes,
   the prior.
"""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import msgspec
import numpy as np
from numpy.typing import NDArray

from mdm.matching.rules import Features, MatchRules, render
from mdm.matching.score import compared, logit

Vectors = NDArray[np.int16]  # pairs x comparisons: each pair's level per comparison, -1 where missing
MISSING = -1


def level_vector(rules: MatchRules, left: Features, right: Features) -> tuple[int, ...]:
    """The level of each comparison for a pair (MISSING without a value on a side)."""
    return tuple(
        compared(rules, k, a, b)[0] if a and b else MISSING for k, (a, b) in enumerate(zip(left, right, strict=True))
    )


def level_vectors(rules: MatchRules, pairs: Iterable[tuple[Features, Features]]) -> Vectors:
    """The level vectors of pairs of records' features (pairs x comparisons)."""
    rows = [level_vector(rules, a, b) for a, b in pairs]
    return np.array(rows, dtype=np.int16).reshape(len(rows), len(rules.comparisons))


def random_pairs(n: int, count: int, seed: int = 0) -> NDArray[np.int64]:
    """`count` pairs (i, j), i != j, of n records drawn uniformly at random (count x 2)."""
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, count)
    j = rng.integers(0, n - 1, count)
    j += j >= i
    return np.stack([i, j], axis=1)


def _sizes(rules: MatchRules) -> list[int]:
    return [len(c.levels) + 1 for c in rules.comparisons]


def _bounded(counts: NDArray[np.float64], toward: Sequence[float], seen: float) -> NDArray[np.float64]:
    """Counts as probabilities, each level's kept where `toward` (the rules) puts it when the
    counts allow it: a level c of n pairs fell in is taken to lie from c/n to (c + `seen`)/n
    (for c = 0, three is the 95% bound, the "rule of three"), so the rules' value is moved
    only to the nearer end of that range, and then the levels are scaled to sum to 1. A
    common level takes what the counts say; a level too rare for them (a glued or
    initialled name among a few thousand pairs) keeps the rules' value instead of going to
    0, or near it, and being taken for proof; and training again on the same data, from
    the rules it wrote, gives the same rules back."""
    total = counts.sum()
    if not total or not np.isfinite(total):
        return np.asarray(toward, dtype=np.float64)
    found: NDArray[np.float64] = np.clip(np.asarray(toward, dtype=np.float64), counts / total, (counts + seen) / total)
    return found / found.sum()


def _counts(column: NDArray[np.int16], weights: NDArray[np.float64] | None, size: int) -> NDArray[np.float64]:
    present = column >= 0
    found: NDArray[np.float64] = np.bincount(
        column[present], weights=None if weights is None else weights[present], minlength=size
    ).astype(np.float64)
    return found


def estimate_u(rules: MatchRules, vectors: Vectors, *, seen: float = 3.0) -> tuple[tuple[float, ...], ...]:
    """u per comparison and level from the level vectors of random pairs (those with a value
    on both sides), bounded as `_bounded` says: a level too rare to show up among them (a
    glued or initialled name, one pair in a million) keeps the rules' u instead of becoming
    near 0 and near-proof; a comparison no pair could make keeps the rules' u whole."""
    return tuple(
        tuple(_bounded(_counts(vectors[:, k], None, size), c.u, seen).tolist())
        for k, (c, size) in enumerate(zip(rules.comparisons, _sizes(rules), strict=True))
    )


@dataclass(frozen=True, slots=True)
class Trained:
    """What training found for a domain's rules."""

    m: tuple[tuple[float, ...], ...]  # per comparison, per level (else last)
    u: tuple[tuple[float, ...], ...]
    prior: float  # per random pair: what the rules' `prior` means
    blocked_prior: float  # the share of matches among the blocked pairs
    pairs: int  # blocked pairs EM read
    patterns: int  # distinct level vectors among them
    labelled: tuple[int, int] = (0, 0)  # steward decisions used: (merged, not a match)
    iterations: int = 0
    converged: bool = False
    random_pairs: int = 0  # pairs u was counted from (0: the rules' u)
    history: tuple[float, ...] = field(default=())  # the largest change of each EM pass
    blocked_u: tuple[tuple[float, ...], ...] = ()  # the non-matches' levels among blocked pairs (estimated)
    sure: int = 0  # blocked pairs the trained model puts at or above auto_link (`anchored`)
    anchored: float = 0.0  # the share of those the rules trained from put at or above review


def _logs(probabilities: Sequence[Sequence[float]] | Sequence[NDArray[np.float64]]) -> list[NDArray[np.float64]]:
    """Per comparison, log2 of each level's probability, and 0 at the end for MISSING (-1)."""
    return [np.append(np.log2(np.asarray(p, dtype=np.float64)), 0.0) for p in probabilities]


def _weights_of(patterns: Vectors, logs: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    total = np.zeros(len(patterns))
    for k, log in enumerate(logs):
        total += log[patterns[:, k]]  # -1 reads the trailing 0
    return total


def expectation_maximisation(
    rules: MatchRules,
    vectors: Vectors,
    *,
    u: Sequence[Sequence[float]] | None = None,
    labels: tuple[Vectors, Sequence[bool]] | None = None,
    label_weight: float = 1.0,
    pairs_total: int | None = None,
    blocked_u: Literal["estimated", "fixed"] = "estimated",
    max_iterations: int = 200,
    tolerance: float = 1e-6,
    seen: float = 3.0,
    random_count: int = 0,
) -> Trained:
    """m and the prior by EM over the level vectors of blocked pairs (see the module's
    docstring). `u` (the rules' own unless given) is what random pairs do, and stays so.

    Among blocked pairs the non-matches are not random pairs: blocking brought them together
    because they share a name's sound, a postcode, a date, so they agree far more often than
    u says. With `blocked_u="estimated"` (the default) EM gives them a level distribution of
    their own, estimated alongside m and started from u; with "fixed" it takes u for them,
    as Splink does when it leaves out of a session the comparisons its blocking rule used.
    mdm's blocks are made of several keys on the compared fields, none of which can be left
    out, and with u fixed EM explains the blocked non-matches' agreement as matches (on
    generated employees and companies it ends with every blocked pair a match).

    `labels`: level vectors of pairs a steward decided and whether each was a match (merged)
    or not (rejected); each weighs `label_weight` pairs. `pairs_total`: how many pairs of
    records the estate holds (n(n-1)/2 for one list), to turn the blocked share of matches
    into the prior per random pair; without it the prior is the blocked share."""
    sizes = _sizes(rules)
    u = tuple(tuple(p) for p in (u or [c.u for c in rules.comparisons]))
    patterns, counts = (np.unique(vectors, axis=0, return_counts=True) if len(vectors) else
                        (np.zeros((0, len(sizes)), dtype=np.int16), np.zeros(0, dtype=np.int64)))  # fmt: skip
    counts = counts.astype(np.float64)
    if labels is not None and len(labels[0]):
        fixed_patterns = np.asarray(labels[0], dtype=np.int16).reshape(-1, len(sizes))
        fixed = np.asarray(labels[1], dtype=np.float64)
    else:
        fixed_patterns, fixed = np.zeros((0, len(sizes)), dtype=np.int16), np.zeros(0)
    fixed_counts = np.full(len(fixed), label_weight)
    everything = np.concatenate([patterns, fixed_patterns])
    totals = np.concatenate([counts, fixed_counts])
    m = [np.asarray(c.m, dtype=np.float64) for c in rules.comparisons]
    v = [np.asarray(p, dtype=np.float64) for p in u]  # the blocked non-matches' levels
    # the blocked share of matches to start from: the rules' match probability of each pair
    start = _weights_of(patterns, _logs(m)) - _weights_of(patterns, _logs(v)) + rules.prior_weight
    blocked = float(np.clip(np.average(_sigmoid2(start), weights=counts), 0.01, 0.9)) if len(counts) else 0.5
    history: list[float] = []
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (the count is reported)
        odds = math.log2(blocked / (1.0 - blocked))
        z = _sigmoid2(_weights_of(patterns, _logs(m)) - _weights_of(patterns, _logs(v)) + odds)
        matched = np.concatenate([counts * z, fixed_counts * fixed])
        unmatched = totals - matched
        new_m = [_bounded(_counts(everything[:, k], matched, size), c.m, seen)
                 for k, (c, size) in enumerate(zip(rules.comparisons, sizes, strict=True))]  # fmt: skip
        new_v = v
        if blocked_u == "estimated":
            new_v = [_bounded(_counts(everything[:, k], unmatched, size), u[k], seen)
                     for k, size in enumerate(sizes)]  # fmt: skip
        new_blocked = float(matched.sum() / totals.sum()) if totals.sum() else blocked
        new_blocked = min(max(new_blocked, 1e-9), 1 - 1e-9)
        moved = (float(np.abs(a - b).max()) for a, b in zip([*new_m, *new_v], [*m, *v], strict=True))
        change = max(abs(new_blocked - blocked), *moved)
        history.append(change)
        m, v, blocked = new_m, new_v, new_blocked
        if change < tolerance:
            converged = True
            break
    n_blocked = int(counts.sum())
    prior = blocked * n_blocked / pairs_total if pairs_total else blocked
    merged = int(np.sum(fixed > 0.5))
    return Trained(
        m=tuple(tuple(p.tolist()) for p in m),
        u=u,
        prior=min(max(prior, 1e-12), 0.5),
        blocked_prior=blocked,
        pairs=n_blocked,
        patterns=len(patterns),
        labelled=(merged, len(fixed) - merged),
        iterations=iterations,
        converged=converged,
        random_pairs=random_count,
        history=tuple(history),
        blocked_u=tuple(tuple(p.tolist()) for p in v),
    )


def _sigmoid2(weights: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(over="ignore"):
        found: NDArray[np.float64] = 1.0 / (1.0 + np.exp2(-weights))
    return found


def term_frequencies(
    rules: MatchRules, records: Iterable[Features]
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """For each comparison with `tf = true`: how many records hold each of its normalized
    values (a record counts once per value), and how many values were counted."""
    wanted = [(k, c.name) for k, c in enumerate(rules.comparisons) if c.tf]
    counters: dict[str, Counter[str]] = {name: Counter() for _, name in wanted}
    for features in records:
        for k, name in wanted:
            counters[name].update(features[k])
    return {name: dict(found) for name, found in counters.items()}, {
        name: sum(found.values()) for name, found in counters.items()
    }


def anchored(rules: MatchRules, trained: Trained, vectors: Vectors) -> tuple[int, float]:
    """How many of the blocked pairs (`vectors`) the trained model puts at or above
    `auto_link`, and the share of those that `rules`, the model it was trained from, puts at
    or above `review`. Near 1 where EM's match class is the duplicates the rules already see,
    weighed better; low where EM, in an estate with few duplicates, took something else for
    a match (a group's companies under one website, one town's firms). Without term
    frequencies: a common name's exact match counts as any name's."""
    if not len(vectors):
        return 0, 0.0
    patterns, counts = np.unique(vectors, axis=0, return_counts=True)
    new = _weights_of(patterns, _logs(trained.m)) - _weights_of(patterns, _logs(trained.u)) + logit(trained.prior)
    old = (_weights_of(patterns, _logs([c.m for c in rules.comparisons]))
           - _weights_of(patterns, _logs([c.u for c in rules.comparisons])) + rules.prior_weight)  # fmt: skip
    sure = _sigmoid2(new) >= rules.auto_link
    n = int(counts[sure].sum())
    return n, float(counts[sure & (_sigmoid2(old) >= rules.review)].sum() / n) if n else 0.0


def trained_table(
    rules: MatchRules, trained: Trained, *, version: int | None = None, note: str = "", review: float | None = None
) -> str:
    """The rules' table (TOML body) with the trained m, u and prior (and `review`, if given),
    as a new version."""
    if rules.spec is None:
        raise ValueError("these rules were not read from a table: nothing to write back")
    comparisons = [
        msgspec.structs.replace(spec, m=[_rounded(x) for x in m], u=[_rounded(x) for x in u])
        for spec, m, u in zip(rules.spec.comparison, trained.m, trained.u, strict=True)
    ]
    spec = msgspec.structs.replace(rules.spec, version=version or rules.version + 1, prior=_rounded(trained.prior),
                                   review=rules.review if review is None else review,
                                   comparison=comparisons)  # fmt: skip
    told = note or (f"trained: EM over {trained.pairs:,} blocked pairs, {trained.iterations} passes"
                    + (f", u from {trained.random_pairs:,} random pairs" if trained.random_pairs else ""))  # fmt: skip
    return render(spec, note=told)


def _rounded(value: float) -> float:
    """Four significant digits, of the value's distance from 1 where that is the smaller
    (0.999999 stays 0.999999, not 1, so an else level's u keeps what its exact level's leaves)."""
    if value > 0.5:
        return float(f"{1 - float(f'{1 - value:.4g}'):.10g}")
    return float(f"{value:.4g}")


def report(rules: MatchRules, trained: Trained) -> str:
    """What was learnt, as text: per comparison and level m, u and the weight, then the
    pairs used, EM's passes and the prior."""
    lines = [f"{rules.domain}: rules v{rules.version}"]
    for c, m, u in zip(rules.comparisons, trained.m, trained.u, strict=True):
        lines.append(f"  {c.name}")
        for label, a, b, old in zip(c.labels, m, u, c.m, strict=True):
            lines.append(f"    {label:24s} m {a:10.6f} (was {old:.6f})  u {b:12.8f}  weight {math.log2(a / b):+8.3f}")
    merged, rejected = trained.labelled
    lines += [
        f"  pairs: {trained.pairs:,} blocked ({trained.patterns:,} level patterns), {trained.random_pairs:,} random"
        f" for u, {merged} merged and {rejected} rejected by stewards",
        f"  EM: {trained.iterations} passes, {'converged' if trained.converged else 'stopped at the cap'}"
        f" (last change {trained.history[-1] if trained.history else 0:.2g})",
        f"  prior: {trained.prior:.6g} per random pair ({trained.blocked_prior:.4f} among the blocked pairs;"
        f" was {rules.prior:.6g})",
        f"  sure: {trained.sure:,} blocked pairs at or above auto_link, {trained.anchored:.1%} of them at or above"
        f" review under v{rules.version}",
    ]
    return "\n".join(lines)
