"""The scores of every pair in a block at once, as matrices: the batch scan's pre-filter.

Per compared field, one similarity matrix from rapidfuzz's `process.cdist` (token set,
Jaro-Winkler, partial) or numpy (exact); the weighted mean over the fields both records
hold, zero where a required field is missing, then the evidence floors and caps. This is
`score.score` for every pair, without the explanation and without the two caps that only
hold a score just under `auto_link` (they never move a pair across `review`); the
nickname-aware given-name comparator is taken as 1.0, an upper bound. So every pair that
`score` puts at or above `review` is found here, and only those get the explained score.
"""

from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler

from mdm.matching.rules import Features, MatchRules

Matrix = NDArray[np.float64]


def _codes(values: list[str | None]) -> NDArray[np.int64]:
    """Each value as an integer, equal values alike; missing values as -1."""
    seen: dict[str, int] = {}
    return np.array([-1 if v is None else seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)


def _cdist(texts: list[str], scorer: Any, scale: float) -> Matrix:
    return process.cdist(texts, texts, scorer=scorer, dtype=np.float64, workers=-1) / scale  # every core


def similarity(comparator: str, values: list[str | None]) -> Matrix:
    """The n x n similarities of one field (meaningless where a value is missing)."""
    texts = [v or "" for v in values]
    if comparator == "exact":
        codes = _codes(values)
        return (codes[:, None] == codes[None, :]).astype(np.float64)
    if comparator == "token_set":  # as compare.token_set: the mean of token set and token sort
        return (_cdist(texts, fuzz.token_set_ratio, 100.0) + _cdist(texts, fuzz.token_sort_ratio, 100.0)) / 2
    if comparator == "jaro_winkler":
        return _cdist(texts, JaroWinkler.normalized_similarity, 1.0)
    if comparator == "partial":
        return _cdist(texts, fuzz.partial_ratio, 100.0)
    return np.ones((len(values), len(values)))  # given_name: nicknames are not a matrix; 1.0 bounds it


def block_scores(rules: MatchRules, records: list[Features]) -> Matrix:
    """The score of every pair of `records` (their features; n x n, symmetric), as
    `score.scored` would give it or higher (see the module's docstring)."""
    n = len(records)
    total, weight = np.zeros((n, n)), np.zeros((n, n))
    required = np.ones((n, n), dtype=bool)
    for k, c in enumerate(rules.comparisons):
        values = [r[0][k] for r in records]
        present = np.array([v is not None for v in values])
        both = present[:, None] & present[None, :]
        if c.required:
            required &= both
        total += np.where(both, c.weight * similarity(c.comparator, values), 0.0)
        weight += np.where(both, c.weight, 0.0)
    scores = np.where(required & (weight > 0), total / np.maximum(weight, 1e-12), 0.0)
    for k, e in enumerate(rules.evidence):
        values = [r[1][k] for r in records]
        codes = _codes(values)
        both = (codes[:, None] >= 0) & (codes[None, :] >= 0)
        same = both & (codes[:, None] == codes[None, :])
        if e.same_domain:  # a cap only between addresses of one domain
            domains = _codes([v.rpartition("@")[2] if v else None for v in values])
            both &= domains[:, None] == domains[None, :]
        if e.same_floor is not None:
            scores = np.where(same & required, np.maximum(scores, e.same_floor), scores)
        if e.different_cap is not None:
            scores = np.where(both & ~same, np.minimum(scores, e.different_cap), scores)
    return scores


def likely_pairs(rules: MatchRules, records: list[Features], floor: float) -> list[tuple[int, int]]:
    """Index pairs (i < j) that may score at or above `floor`."""
    if len(records) < 2:
        return []
    # score.score rounds to 4 places: keep what might round up to the floor
    rows, cols = np.nonzero(np.triu(block_scores(rules, records) >= floor - 1e-4, k=1))
    return list(zip(rows.tolist(), cols.tolist(), strict=True))
