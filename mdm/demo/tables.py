"""The demo's tables, read from the files in `mdm/demo/data/`: edit those to change the demo.

One CSV row per thing (a legal entity, a city, a grade of the career ladder...), and
`names.json` for the first and family names of each culture. Lists inside a cell are
separated by `|`; `english*6` in `cultures` is six entries, so that a culture is drawn six
times as often. Order matters: the seeded generator draws from these tables in file order,
so reordering rows gives another (equally valid) estate for the same seed.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from importlib.resources import files

_DATA = files(__package__) / "data"


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((_DATA / name).read_text(encoding="utf-8"))))


def _yes(text: str) -> bool:
    if text not in ("yes", "no"):
        raise ValueError(f"mdm/demo/data: expected yes or no, not {text!r}")
    return text == "yes"


def _list(text: str) -> tuple[str, ...]:
    """`english*6|spanish` -> six times "english", then "spanish"; "" -> ()."""
    out: list[str] = []
    for part in filter(None, text.split("|")):
        word, _, times = part.partition("*")
        out += [word] * int(times or 1)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    currency: str
    tld: str
    forms: tuple[str, ...]  # legal forms of companies
    cities: tuple[tuple[str, str, str], ...]  # (city, region, postal code pattern: # digit, @ letter)
    streets: tuple[str, ...]
    line1: str  # how a street address is written here
    tax_id: str  # pattern of the VAT or tax number
    registration: str  # pattern of the company register number
    cultures: tuple[str, ...]  # where the people working here come from, by weight
    label: str  # as in a subsidiary's name: "Atlas Capital Deutschland"
    weight: int  # share of the customer base


@dataclass(frozen=True, slots=True)
class EntityPlan:
    name: str
    country: str
    parent: int | None  # index into ENTITIES, always an earlier one
    weight: int  # share of the staff
    delivers: bool  # holdings deliver no projects and have no rate cards
    founded: date


def _countries() -> dict[str, Country]:
    cities, streets = _rows("cities.csv"), _rows("streets.csv")
    return {
        r["country"]: Country(
            code=r["country"],
            currency=r["currency"],
            tld=r["tld"],
            forms=_list(r["legal_forms"]),
            cities=tuple((c["city"], c["region"], c["postal_code"]) for c in cities if c["country"] == r["country"]),
            streets=tuple(s["street"] for s in streets if s["country"] == r["country"]),
            line1=r["address_line1"],
            tax_id=r["tax_id"],
            registration=r["registration_number"],
            cultures=_list(r["cultures"]),
            label=r["label"],
            weight=int(r["customer_weight"]),
        )
        for r in _rows("countries.csv")
    }


def _entities() -> tuple[EntityPlan, ...]:
    plans: list[EntityPlan] = []
    for r in _rows("legal_entities.csv"):
        earlier = [p.name for p in plans]
        if r["parent"] and r["parent"] not in earlier:
            raise ValueError(f"legal_entities.csv: the parent of {r['name']} must be a row above it")
        parent = earlier.index(r["parent"]) if r["parent"] else None
        plans.append(
            EntityPlan(
                r["name"], r["country"], parent, int(r["staff_weight"]), _yes(r["delivers_projects"]),
                date.fromisoformat(r["founded"]),
            )
        )  # fmt: skip
    return tuple(plans)


def _industries() -> dict[str, tuple[str, ...]]:
    nouns: dict[str, tuple[str, ...]] = {}
    for r in _rows("industries.csv"):
        nouns[r["industry"]] = (*nouns.get(r["industry"], ()), r["noun"])
    return nouns


def _spellings(kind: str) -> dict[str, str]:
    return {r["written"]: r["also_written"] for r in _rows("spellings.csv") if r["kind"] == kind}


COUNTRIES = _countries()
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # culture -> (given names, family names)
    culture: (tuple(names["given"]), tuple(names["family"]))
    for culture, names in json.loads((_DATA / "names.json").read_text(encoding="utf-8")).items()
}
NICKNAMES = {r["given_name"]: r["nickname"] for r in _rows("nicknames.csv")}
BRANDS = tuple(r["brand"] for r in _rows("brands.csv"))
INDUSTRIES = _industries()  # industry -> nouns that make a company name in it
FORM_SPELLINGS = _spellings("legal_form")  # how a second account writes the same legal form
ABBREVIATIONS = _spellings("abbreviation")
ADDRESS_SHORTHANDS = _spellings("address")
ENGAGEMENTS = tuple(r["engagement"] for r in _rows("engagements.csv"))

# grades of the firm's career ladder, 0 is the top; weights make the pyramid
_grades = _rows("grades.csv")
if [int(g["grade"]) for g in _grades] != list(range(len(_grades))):
    raise ValueError("grades.csv: grades must be 0, 1, 2, ... in order")
TITLES = tuple(g["job_title"] for g in _grades)
GRADE_WEIGHTS = tuple(int(g["pyramid_weight"]) for g in _grades)
MAX_TENURE_YEARS = tuple(int(g["max_tenure_years"]) for g in _grades)
MANAGER_GRADES = tuple(tuple(map(int, _list(g["manager_grades"]))) for g in _grades)  # partners: the lead
DAY_RATES_EUR = tuple(int(g["day_rate_eur"]) for g in _grades)  # per grade, 2025 standard card
DAY_COST = tuple(int(g["day_cost"]) for g in _grades)  # fully loaded cost per day and grade, entity currency

CURRENCY_FACTORS = {r["currency"]: float(r["factor_to_eur"]) for r in _rows("currencies.csv")}
RATE_PERIODS = tuple(
    (date.fromisoformat(r["effective_from"]), date.fromisoformat(r["effective_to"]) if r["effective_to"] else None,
     float(r["factor"]))
    for r in _rows("rate_periods.csv")
)  # fmt: skip
_billing = _rows("billing_models.csv")
BILLING_MODELS = tuple(r["billing_model"] for r in _billing)
BILLING_WEIGHTS = tuple(int(r["weight"]) for r in _billing)
RATE_CARD_MODELS = tuple(r["billing_model"] for r in _billing if _yes(r["uses_rate_card"]))

ENTITIES = _entities()

# (code, name, parent code): the same chart in every entity, parents first; a prefix is a valid chart
_chart = _rows("cost_centers.csv")
if any(r["parent_code"] not in [p["code"] for p in _chart[:i]] for i, r in enumerate(_chart) if r["parent_code"]):
    raise ValueError("cost_centers.csv: a parent must be a row above its children")
COST_CENTERS = tuple((r["code"], r["name"], r["parent_code"] or None) for r in _chart)
GROUP_CODES = frozenset(r["code"] for r in _chart if _yes(r["summary"]))  # summary nodes nobody books to
CLOSED_CODES = {r["code"]: date.fromisoformat(r["valid_to"]) for r in _chart if r["valid_to"]}  # wound down
DELIVERY_CODES = frozenset(r["code"] for r in _chart if _yes(r["delivery"]))  # practices that staff projects
