"""Measures between two normalized values, each computed one pair at a time and as a
matrix of all pairs of a list (rapidfuzz's `process.cdist`), with the same code and in the
scorer's own unit, so that a level read from the matrix and one read from the pair always
agree.

Each is symmetric. A level predicate (mdm.matching.levels) compares a measure with a
threshold: "jaro_winkler>=0.92" is `jaro_winkler(a, b) >= 0.92`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler, Levenshtein


@dataclass(frozen=True, slots=True)
class Measure:
    """A measure of two strings: `one(a, b)` for a pair (0..1 for a similarity), and in the
    scorer's unit `scorer(a, b)` and `raw_matrix(values)` for every pair of a list;
    `larger` says which way is more alike (a similarity, or a distance)."""

    name: str
    scorer: Callable[..., float]
    larger: bool  # True: a similarity (more is more alike); False: a distance
    scale: float = 1.0  # the scorer's unit: token_set answers 0..100, the measure 0..1

    def one(self, a: str, b: str) -> float:
        return float(self.scorer(a, b)) / self.scale

    def raw(self, threshold: float) -> float:
        """A threshold in the scorer's unit, a hair lower so that a measure exactly at it
        passes (0.9 x 100 is 90.00000000000001)."""
        return threshold * self.scale - 1e-9

    def raw_matrix(self, values: Sequence[str]) -> NDArray[np.float64]:
        """The n x n scores of `values` in the scorer's unit (on every core for a large list;
        below that, starting the threads costs more than they save)."""
        workers = -1 if len(values) >= PARALLEL else 1
        found: NDArray[Any] = process.cdist(values, values, scorer=self.scorer, dtype=np.float64, workers=workers)
        return found


PARALLEL = 400  # values from which a matrix is computed on every core


MEASURES: dict[str, Measure] = {
    "jaro_winkler": Measure("jaro_winkler", JaroWinkler.similarity, larger=True),
    # word sets, order-free; a set inside the other is alike ("acme" and "acme consulting")
    "token_set": Measure("token_set", fuzz.token_set_ratio, larger=True, scale=100.0),
    "levenshtein": Measure("levenshtein", Levenshtein.distance, larger=False),
}
