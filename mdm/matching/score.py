"""Scoring a pair of records under a domain's rules: one score in [0, 1] and the
explanation behind it (each field's values, similarity, weight and contribution).

The score is the weighted mean similarity over the compared fields present on both
sides (a missing value is neutral: it neither adds nor costs); when too little weight
was compared it stays below `auto_link`; then strong evidence: an identifier both
records share lifts the score to its floor, two different ones cap it.
Symmetric by construction: every comparator is, and the mean does not care about order.
"""

from typing import Any

from mdm.matching.compare import COMPARATORS
from mdm.matching.rules import Comparison, Features, MatchRules, Record


def score(
    rules: MatchRules, left: Record, right: Record, *, floor: float | None = None
) -> tuple[float, list[dict[str, Any]]]:
    """(score, explanation) of two records of `rules.domain` (see `scored`)."""
    return scored(rules, rules.features(left), rules.features(right), floor=floor)


def scored(
    rules: MatchRules, left: Features, right: Features, *, floor: float | None = None
) -> tuple[float, list[dict[str, Any]]]:
    """(score, explanation) of two records' features (`MatchRules.features`).

    With a `floor` (ingestion passes `review`), a pair whose identifiers differ so that
    its score is capped below the floor is answered at once, with only that evidence."""
    (left_values, left_ids), (right_values, right_ids) = left, right
    evidence = list(zip(rules.evidence, left_ids, right_ids, strict=True))
    if floor is not None:
        for e, a, b in evidence:
            if e.different_cap is not None and e.different_cap < floor and a and b and e.differs(a, b):
                return e.different_cap, [{"field": e.name, "left": a, "right": b, "evidence": "different",
                                          "cap": e.different_cap}]  # fmt: skip
    explanation: list[dict[str, Any]] = []
    compared: list[tuple[dict[str, Any], float, Comparison]] = []
    for c, a, b in zip(rules.comparisons, left_values, right_values, strict=True):
        if a is None or b is None:
            if c.required:
                return 0.0, [{"field": c.name, "left": a, "right": b, "similarity": None, "weight": c.weight,
                              "contribution": 0.0, "note": "required on both sides"}]  # fmt: skip
            explanation.append({"field": c.name, "left": a, "right": b, "similarity": None, "weight": c.weight,
                                "contribution": 0.0, "note": "missing: neutral"})  # fmt: skip
            continue
        similarity = COMPARATORS[c.comparator](a, b)
        entry = {"field": c.name, "left": a, "right": b, "similarity": round(similarity, 4), "weight": c.weight}
        explanation.append(entry)
        compared.append((entry, similarity, c))
    total = sum(c.weight for _, _, c in compared)
    value = sum(s * c.weight for _, s, c in compared) / total if total else 0.0
    for entry, similarity, c in compared:
        entry["contribution"] = round(similarity * c.weight / total, 4)
    weak = [c.name for _, similarity, c in compared if c.link_min is not None and similarity < c.link_min]
    if weak and value >= rules.auto_link:
        value = round(rules.auto_link - 0.01, 4)
        explanation.append({"field": "*", "note": f"{', '.join(weak)} not alike enough to link automatically",
                            "cap": value})  # fmt: skip
    if total < rules.link_weight and value >= rules.auto_link:
        value = round(rules.auto_link - 0.01, 4)
        explanation.append({"field": "*", "note": f"only {total:g} of weight compared; an automatic link needs "
                            f"{rules.link_weight:g}", "cap": value})  # fmt: skip
    for e, a, b in evidence:
        if a is None or b is None:
            continue
        if a == b and e.same_floor is not None and value < e.same_floor:
            value = e.same_floor
            explanation.append({"field": e.name, "left": a, "right": b, "evidence": "same", "floor": e.same_floor})
        elif e.different_cap is not None and value > e.different_cap and e.differs(a, b):
            value = e.different_cap
            explanation.append({"field": e.name, "left": a, "right": b, "evidence": "different",
                                "cap": e.different_cap})  # fmt: skip
    return round(min(1.0, max(0.0, value)), 4), explanation
