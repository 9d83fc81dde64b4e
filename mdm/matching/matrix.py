"""Every pair of a block at once, as matrices: the batch scan's pre-filter.

Per comparison, the level of every pair of values comes from matrices where a level can be
computed that way (exact values as integer codes; Jaro-Winkler, token set and Levenshtein
from rapidfuzz's `process.cdist`, once per measure whatever the thresholds; nicknames,
initials, swapped dates and e-mail domains as codes), and levels that cannot (glued words,
initials of a company name, prefixes, digit slips) are taken at their weight wherever they
may hold, which bounds the weight they could give from above. An exact match weighs by the
value's frequency, as in `score`. A comparison of several values takes, per pair of
records, the best over their values; without a value on a side it adds nothing. So each
pair's matrix weight is at least the weight `score.scored` gives it, every pair scored at
or above `review` is kept, and only those get the explained score.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mdm.matching.rules import Comparison, Features, MatchRules

Matrix = NDArray[np.float64]


def _value_weights(rules: MatchRules, k: int, values: list[str]) -> Matrix:
    """The weight (or a bound of it) of every pair of `values` in comparison k (V x V)."""
    c: Comparison = rules.comparisons[k]
    v = len(values)
    bound = np.full((v, v), -np.inf)
    undecided = np.ones((v, v), dtype=bool)
    cache: dict[str, Any] = {}
    for at, lv in enumerate(c.levels):
        weight: Matrix | float = c.weights[at]
        if at == c.exact and rules.totals[k]:  # an exact match weighs by each value's frequency
            weight = np.array([np.log2(c.m[at] / (rules.tf_u(k, x) or c.u[at])) for x in values])[:, None]
        if lv.mask is None:  # it may hold anywhere not yet decided
            bound = np.where(undecided, np.maximum(bound, weight), bound)
            continue
        mask = lv.mask(values, cache)
        if lv.exact_mask:
            hit = mask & undecided
            bound = np.where(hit, np.maximum(bound, weight), bound)
            undecided &= ~mask
        else:
            bound = np.where(mask & undecided, np.maximum(bound, weight), bound)
    return np.where(undecided, np.maximum(bound, c.weights[-1]), bound)


def _comparison_weights(rules: MatchRules, k: int, records: list[Features]) -> Matrix:
    """The weight (bound) comparison k adds to every pair of records (n x n): the best over
    their values, 0 where a record has none."""
    n = len(records)
    owners: list[int] = []
    values: list[str] = []
    for i, features in enumerate(records):
        for value in features[k]:
            owners.append(i)
            values.append(value)
    out = np.zeros((n, n))
    if not values:
        return out
    distinct, inverse = np.unique(np.array(values, dtype=object), return_inverse=True)
    weights = _value_weights(rules, k, distinct.tolist())  # each distinct value once (blocks repeat names)
    weights = weights[np.ix_(inverse, inverse)]
    owner = np.array(owners)
    holders, starts = np.unique(owner, return_index=True)
    if len(holders) < len(owners):  # several values of one record: the best over them
        weights = np.maximum.reduceat(np.maximum.reduceat(weights, starts, axis=0), starts, axis=1)
    out[np.ix_(holders, holders)] = weights
    return out


def block_weights(rules: MatchRules, records: list[Features]) -> Matrix:
    """The match weight of every pair of `records` (their features; n x n, symmetric), as
    `score.scored` would give it or higher (see the module's docstring)."""
    n = len(records)
    total = np.full((n, n), rules.prior_weight)
    for k in range(len(rules.comparisons)):
        total += _comparison_weights(rules, k, records)
    return total


def block_scores(rules: MatchRules, records: list[Features]) -> Matrix:
    """The match probability of every pair of `records`, or more (`block_weights`)."""
    weights = block_weights(rules, records)
    with np.errstate(over="ignore"):
        found: Matrix = 1.0 / (1.0 + np.exp2(-weights))
    return found


def likely_pairs(rules: MatchRules, records: list[Features], floor: float) -> list[tuple[int, int]]:
    """Index pairs (i < j) that may score at or above `floor`."""
    if len(records) < 2:
        return []
    # score.scored rounds to 4 places: keep what might round up to the floor
    keep = block_weights(rules, records) >= _weight_at(floor - 1e-4)
    rows, cols = np.nonzero(np.triu(keep, k=1))
    return list(zip(rows.tolist(), cols.tolist(), strict=True))


def _weight_at(p: float) -> float:
    if p <= 0.0:
        return -np.inf
    if p >= 1.0:
        return np.inf
    return float(np.log2(p / (1.0 - p))) - 1e-9
