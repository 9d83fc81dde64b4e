"""Match rules as data, one set per domain: what to compare, how, how much it weighs,
which evidence is strong, and the thresholds. Versioned, so every decision can name the
rules that made it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mdm.matching import normalize as n

Record = dict[str, Any]
Extract = Callable[[Record], str | None]


def _text(value: Any) -> str | None:
    """Ids and dates as they are: compared exactly."""
    return None if value is None or value == "" else str(value)


def _field(name: str, normalizer: Callable[[Any], str | None] = n.fold) -> Extract:
    return lambda r: normalizer(r.get(name))


def _address(part: str, normalizer: Callable[[Any], str | None]) -> Extract:
    return lambda r: normalizer((r.get("billing_address") or {}).get(part))


def _company(r: Record) -> str | None:
    return n.company_name(r.get("name") or r.get("legal_name"))


def _tax_id(r: Record) -> str | None:
    return n.tax_id(r.get("tax_id"), r.get("country"))


@dataclass(frozen=True, slots=True)
class Comparison:
    """One compared field: `extract` normalizes it out of a record."""

    name: str
    extract: Extract
    comparator: str  # a key of mdm.matching.compare.COMPARATORS
    weight: float
    required: bool = False  # without it on both sides, the pair scores 0
    fields: tuple[str, ...] = ()  # the record fields it reads, when not just `name` (for read rights)
    # compared, a similarity below this keeps the pair below auto_link (to review): siblings
    # Anna and Hanna are 0.93 alike, a typo in one name usually more
    link_min: float | None = None

    @property
    def reads(self) -> tuple[str, ...]:
        return self.fields or (self.name,)


@dataclass(frozen=True, slots=True)
class Evidence:
    """An identifier that decides on its own: the same value pulls the score up to at
    least `same_floor`; two different values both present cap it at `different_cap`."""

    name: str
    extract: Extract
    same_floor: float | None = None
    different_cap: float | None = None

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.name,)


@dataclass(frozen=True, slots=True)
class MatchRules:
    domain: str
    version: int
    comparisons: tuple[Comparison, ...]
    evidence: tuple[Evidence, ...] = ()
    auto_link: float = 0.92
    review: float = 0.75
    # weight that must be compared (both sides present) for a score to reach auto_link;
    # a name and a country alone never link automatically, however alike
    link_weight: float = 0.7


CUSTOMER = MatchRules(
    domain="customer",
    version=1,
    comparisons=(
        Comparison("name", _company, "token_set", 0.55, required=True, fields=("name", "legal_name")),
        Comparison("website", _field("website", n.website_domain), "exact", 0.15),
        Comparison("country", _field("country"), "exact", 0.10),
        Comparison("street", _address("line1", n.street), "token_set", 0.10, fields=("billing_address",)),
        Comparison("postal_code", _address("postal_code", n.postcode), "exact", 0.10, fields=("billing_address",)),
    ),
    evidence=(Evidence("tax_id", _tax_id, same_floor=0.97, different_cap=0.40),),
)

EMPLOYEE = MatchRules(
    domain="employee",
    version=1,
    comparisons=(
        Comparison(
            "family_name", _field("family_name", n.family_name), "jaro_winkler", 0.35, required=True, link_min=0.94
        ),
        Comparison("given_name", _field("given_name", n.given_name), "given_name", 0.25, required=True, link_min=0.94),
        Comparison("legal_entity_id", _field("legal_entity_id", _text), "exact", 0.05),
        Comparison("country", _field("country"), "exact", 0.05),
        Comparison("start_date", _field("start_date", _text), "exact", 0.10),
    ),
    # people have several addresses: the same one is strong, two different ones say little
    evidence=(Evidence("email", _field("email", n.email), same_floor=0.95),),
)

LEGAL_ENTITY = MatchRules(
    domain="legal_entity",
    version=1,
    comparisons=(
        Comparison("name", _company, "token_set", 0.7, required=True, fields=("name",)),
        Comparison("country", _field("country"), "exact", 0.3, required=True),
    ),
    evidence=(
        Evidence("registration_number", _field("registration_number", n.postcode), 0.97, 0.40),
        Evidence("tax_id", _tax_id, 0.97, 0.40),
    ),
)

COST_CENTER = MatchRules(
    domain="cost_center",
    version=1,
    comparisons=(
        Comparison("legal_entity_id", _field("legal_entity_id", _text), "exact", 0.3, required=True),
        Comparison("name", _field("name"), "token_set", 0.5, required=True),
        Comparison("code", _field("code", n.postcode), "jaro_winkler", 0.2),
    ),
    evidence=(Evidence("code", _field("code", n.postcode), different_cap=0.40),),  # codes name cost centers
)

PROJECT = MatchRules(
    domain="project",
    version=1,
    comparisons=(
        Comparison("customer_id", _field("customer_id", _text), "exact", 0.3, required=True),
        Comparison("name", _field("name"), "token_set", 0.5, required=True),
        Comparison("code", _field("code", n.postcode), "jaro_winkler", 0.1),
        Comparison("start_date", _field("start_date", _text), "exact", 0.1),
    ),
    evidence=(Evidence("code", _field("code", n.postcode), different_cap=0.40),),  # two codes: two projects
)

RATE_CARD = MatchRules(
    domain="rate_card",
    version=1,
    comparisons=(
        Comparison("name", _field("name"), "token_set", 0.5, required=True),
        Comparison("currency", _field("currency"), "exact", 0.2, required=True),
        Comparison("customer_id", _field("customer_id", _text), "exact", 0.15),
        Comparison("effective_from", _field("effective_from", _text), "exact", 0.15),
    ),
    # a card of the same scope from another date is its successor, not a duplicate
    evidence=(Evidence("effective_from", _field("effective_from", _text), different_cap=0.40),),
)

RULES: dict[str, MatchRules] = {r.domain: r for r in (CUSTOMER, EMPLOYEE, LEGAL_ENTITY, COST_CENTER, PROJECT,
                                                       RATE_CARD)}  # fmt: skip
