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


def _below(
    rules: MatchRules, left: tuple[str | None, ...], right: tuple[str | None, ...], floor: float, seen: dict[str, float]
) -> tuple[float, list[dict[str, Any]]] | None:
    """An upper bound below `floor` with its reason, once the comparisons made so far (in
    rule order) leave no way up to it; else None. Similarities it computes go to `seen`."""
    present = [(c, a, b) for c, a, b in zip(rules.comparisons, left, right, strict=True) if a and b]
    total = sum(c.weight for c, _, _ in present)
    gained, rest = 0.0, total
    for c, a, b in present[:-1]:  # after the last one the mean is known: no bound needed
        similarity = seen[c.name] = COMPARATORS[c.comparator](a, b)
        gained += similarity * c.weight
        rest -= c.weight
        bound = (gained + rest) / total
        if bound < floor - 1e-4:
            return round(bound, 4), [{"field": c.name, "left": a, "right": b, "similarity": round(similarity, 4),
                                      "weight": c.weight, "note": f"at most {bound:.4f} with every other field "
                                      f"alike: below {floor}"}]  # fmt: skip
    return None


def score(
    rules: MatchRules, left: Record, right: Record, *, floor: float | None = None
) -> tuple[float, list[dict[str, Any]]]:
    """(score, explanation) of two records of `rules.domain` (see `scored`)."""
    return scored(rules, rules.features(left), rules.features(right), floor=floor)


def scored(
    rules: MatchRules, left: Features, right: Features, *, floor: float | None = None
) -> tuple[float, list[dict[str, Any]]]:
    """(score, explanation) of two records' features (`MatchRules.features`).

    With a `floor` (ingestion and the scan pass `review`), a pair that cannot reach it is
    answered as soon as that is certain, with a score below the floor and only the reason:
    its identifiers differ so that the score is capped below it, or the fields compared
    so far are too unlike for the rest, however alike, to lift the mean to it."""
    (left_values, left_ids), (right_values, right_ids) = left, right
    evidence = list(zip(rules.evidence, left_ids, right_ids, strict=True))
    seen: dict[str, float] = {}  # similarities already computed
    if floor is not None:
        for e, a, b in evidence:
            if e.different_cap is not None and e.different_cap < floor and a and b and e.differs(a, b):
                return e.different_cap, [{"field": e.name, "left": a, "right": b, "evidence": "different",
                                          "cap": e.different_cap}]  # fmt: skip
        lifted = any(e.same_floor is not None and e.same_floor >= floor and a and a == b for e, a, b in evidence)
        if not lifted and (hopeless := _below(rules, left_values, right_values, floor, seen)) is not None:
            return hopeless
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
        similarity = seen[c.name] if c.name in seen else COMPARATORS[c.comparator](a, b)
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
