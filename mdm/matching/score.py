"""Scoring a pair of records under a domain's rules (a Fellegi-Sunter model): a match
probability in [0, 1] and the explanation behind it.

Each comparison puts the pair in a level (the best over all values of both records) and
adds that level's match weight log2(m / u) to the prior's, log2(prior / (1 - prior)); an
exact match on a value the rules have a term frequency for weighs log2(m / tf) instead. A
comparison without a value on either side adds nothing. The probability is
2^w / (1 + 2^w). The explanation has one entry per comparison, in rule order
({field, left, right, level, m, u, weight}, and `tf` where a frequency took u's place; level
"missing" with weight 0 where a side has no value), then {field: "*", prior_weight,
total_weight, probability}. Symmetric by construction: every level predicate is, and a sum
does not care about order.
"""

import math
from typing import Any

from mdm.matching.rules import Features, MatchRules, Record, Values

Best = tuple[int, float, str, str, float | None]  # (level, weight, left value, right value, tf in u's place)


def probability(weight: float) -> float:
    """2^w / (1 + 2^w), without overflow."""
    if weight >= 0:
        return 1.0 / (1.0 + 2.0**-weight)
    odds = 2.0**weight
    return odds / (1.0 + odds)


def logit(p: float) -> float:
    """The match weight of a probability: log2(p / (1 - p))."""
    return math.log2(p / (1.0 - p))


def compared(rules: MatchRules, k: int, left: Values, right: Values) -> Best:
    """Comparison k of two present value tuples: the value pair with the best weight."""
    c = rules.comparisons[k]
    if len(left) == 1 and len(right) == 1:  # most comparisons: one value a side
        a, b = left[0], right[0]
        at = c.level_of(a, b)
        if at == c.exact and (tf := rules.tf_u(k, a)) is not None:
            return at, math.log2(c.m[at] / tf), a, b, tf
        return at, c.weights[at], a, b, None
    top = rules.best[k]
    best: Best | None = None
    for a in left:
        for b in right:
            at = c.level_of(a, b)
            weight, tf = c.weights[at], None
            if at == c.exact and (tf := rules.tf_u(k, a)) is not None:
                weight = math.log2(c.m[at] / tf)
            if best is None or weight > best[1]:
                best = (at, weight, a, b, tf)
                if weight >= top:
                    return best
    assert best is not None  # both sides hold a value
    return best


def _entry(rules: MatchRules, k: int, found: Best) -> dict[str, Any]:
    c = rules.comparisons[k]
    at, weight, a, b, tf = found
    entry = {"field": c.name, "left": a, "right": b, "level": c.labels[at], "m": c.m[at], "u": c.u[at],
             "weight": round(weight, 4)}  # fmt: skip
    if tf is not None:
        entry["tf"] = tf
    return entry


def score(
    rules: MatchRules, left: Record, right: Record, *, floor: float | None = None
) -> tuple[float, list[dict[str, Any]]]:
    """(probability, explanation) of two records of `rules.domain` (see `scored`)."""
    return scored(rules, rules.features(left), rules.features(right), floor=floor)


def scored(
    rules: MatchRules, left: Features, right: Features, *, floor: float | None = None
) -> tuple[float, list[dict[str, Any]]]:
    """(probability, explanation) of two records' features (`MatchRules.features`),
    rounded to 4 places.

    With a `floor` (ingestion and the scan pass `review`), a pair that cannot reach it is
    answered as soon as that is certain, with a probability below the floor and only the
    reason: the comparisons made so far (those that can move a score most first) weigh so
    little that the rest, each at its best level, cannot lift the pair to the floor."""
    found: dict[int, Best] = {}
    if floor is not None and floor > 0:
        present = [k for k in rules.order if left[k] and right[k]]
        tops = rules.best
        rest = sum(tops[k] for k in present)
        total = rules.prior_weight
        near = logit(min(floor, 1 - 1e-12)) + 1e-6  # below it, the bound may round under the floor: check it
        for k in present:
            found[k] = compared(rules, k, left[k], right[k])
            total += found[k][1]
            rest -= tops[k]
            if total + rest < near and (bound := round(probability(total + rest + 1e-9), 4)) < floor:
                note = f"at most {bound} with every other comparison at its best level: below {floor}"
                return bound, [_entry(rules, k, found[k]) | {"note": note}]
    explanation: list[dict[str, Any]] = []
    total = rules.prior_weight
    for k, (c, a, b) in enumerate(zip(rules.comparisons, left, right, strict=True)):
        if not a or not b:
            explanation.append({"field": c.name, "left": a[0] if a else None, "right": b[0] if b else None,
                                "level": "missing", "weight": 0.0})  # fmt: skip
            continue
        best = found[k] if k in found else compared(rules, k, a, b)
        total += best[1]
        explanation.append(_entry(rules, k, best))
    value = round(probability(total), 4)
    explanation.append({"field": "*", "prior_weight": round(rules.prior_weight, 4), "total_weight": round(total, 4),
                        "probability": value})  # fmt: skip
    return value, explanation
