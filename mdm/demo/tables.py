"""The demo's tables, read from the files in `mdm/demo/data/`: edit those to change the demo.

One CSV row per thing (a legal entity, a city, a grade, a system's feed...), `names.json`
for the names of each culture, `estate.json` for the knobs (sizes, shares, weights,
templates, the planted duplicates). Lists inside a cell are separated by `|`; `english*6`
is six entries, so that a culture is drawn six times as often. Order matters: the seeded
generator draws in file order, so reordering rows gives another (equally valid) estate.
"""

import csv
import io
import json
from dataclasses import dataclass, fields
from datetime import date
from importlib.resources import files
from typing import Any, TypeVar

_DATA = files(__package__) / "data"
T = TypeVar("T")


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


_CONVERT: dict[Any, Any] = {int: int, float: float, bool: _yes, date: date.fromisoformat, tuple[str, ...]: _list}


def _make(cls: type[T], row: dict[str, str], **given: Any) -> T:
    """A dataclass from a CSV row, each column converted by its field's type; `given` fields come from elsewhere."""
    convert = {f.name: _CONVERT.get(f.type, str) for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{name: given[name] if name in given else to(row[name]) for name, to in convert.items()})


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    currency: str
    tld: str
    forms: tuple[str, ...]  # legal forms of companies
    cities: tuple[tuple[str, str, str], ...]  # (city, region, postal code pattern: # digit, @ letter)
    streets: tuple[str, ...]
    address_line1: str  # how a street address is written here
    house_numbers: int  # the highest house number
    line2_share: float  # addresses with a suite or floor
    tax_id: str  # pattern of the VAT or tax number
    registration_number: str  # pattern of the company register number
    cultures: tuple[str, ...]  # where the people working here come from, by weight
    label: str  # as in a subsidiary's name: "Atlas Capital Deutschland"
    customer_weight: int  # share of the customer base


@dataclass(frozen=True, slots=True)
class EntityPlan:
    name: str
    country: str
    parent: int | None  # index into ENTITIES, always an earlier one
    staff_weight: int
    delivers: bool  # holdings deliver no projects and have no rate cards
    founded: date


@dataclass(frozen=True, slots=True)
class Feed:
    """A system's feed of a domain (a domain's feeds load in file order) and how it numbers records."""

    system: str
    label: str
    id_pattern: str  # Salesforce and Workday ids: # digit, @ capital, * letter or digit, % hex digit
    id_counter: str  # NetSuite: ascending integers per record type, with gaps


def _entities() -> tuple[EntityPlan, ...]:
    names: list[str] = []
    for r in _rows("legal_entities.csv"):
        if r["parent"] and r["parent"] not in names:
            raise ValueError(f"legal_entities.csv: the parent of {r['name']} must be a row above it")
        names.append(r["name"])
    return tuple(
        _make(EntityPlan, r, parent=names.index(r["parent"]) if r["parent"] else None)
        for r in _rows("legal_entities.csv")
    )


def _by_country(name: str, *columns: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in _rows(name):
        out.setdefault(r["country"], []).append(tuple(r[c] for c in columns) if len(columns) > 1 else r[columns[0]])
    return out


SETTINGS: dict[str, Any] = json.loads((_DATA / "estate.json").read_text(encoding="utf-8"))
_cities, _streets = _by_country("cities.csv", "city", "region", "postal_code"), _by_country("streets.csv", "street")
COUNTRIES = {
    r["code"]: _make(Country, r, cities=tuple(_cities[r["code"]]), streets=tuple(_streets[r["code"]]))
    for r in _rows("countries.csv")
}
ENTITIES = _entities()
FEEDS: dict[str, dict[str, Feed]] = {}
for _r in _rows("feeds.csv"):
    FEEDS.setdefault(_r["domain"], {})[_r["system"]] = _make(Feed, _r)
NAMES = {
    c: (tuple(n["given"]), tuple(n["family"])) for c, n in json.loads((_DATA / "names.json").read_text("utf-8")).items()
}
NICKNAMES = {r["given_name"]: r["nickname"] for r in _rows("nicknames.csv")}
BRANDS = tuple(r["brand"] for r in _rows("brands.csv"))
INDUSTRIES: dict[str, list[str]] = {}  # industry -> nouns that make a company name in it
for _r in _rows("industries.csv"):
    INDUSTRIES.setdefault(_r["industry"], []).append(_r["noun"])
ENGAGEMENTS = tuple(r["engagement"] for r in _rows("engagements.csv"))

_spellings = _rows("spellings.csv")  # how a second account writes a legal form, a word, an address
FORM_SPELLINGS = {r["written"]: r["also_written"] for r in _spellings if r["kind"] == "legal_form"}
NAME_SPELLINGS = tuple((r["written"], r["also_written"]) for r in _spellings if r["kind"] != "address")
ADDRESS_SHORTHANDS = {r["written"]: r["also_written"] for r in _spellings if r["kind"] == "address"}

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
CONTRACTOR_SHARE = tuple(float(g["contractor_share"]) for g in _grades)
LEAVER_SHARE = tuple(float(g["leaver_share"]) for g in _grades)  # keep 0 for grades that manage people

CURRENCY_FACTORS = {r["currency"]: float(r["factor_to_eur"]) for r in _rows("currencies.csv")}
RATE_PERIODS = tuple(
    (date.fromisoformat(r["effective_from"]), date.fromisoformat(r["effective_to"]) if r["effective_to"] else None,
     float(r["factor"]))
    for r in _rows("rate_periods.csv")
)  # fmt: skip
_billing = _rows("billing_models.csv")
BILLING_MODELS = tuple(r["billing_model"] for r in _billing)
BILLING_WEIGHTS = tuple(int(r["weight"]) for r in _billing)
BILLING = {r["billing_model"]: {k: int(r[k]) for k in ("min_days", "max_days", "value_step")} for r in _billing}
RATE_CARD_MODELS = tuple(r["billing_model"] for r in _billing if _yes(r["uses_rate_card"]))

# (code, name, parent code): the same chart in every entity, parents first; a prefix is a valid chart
_chart = _rows("cost_centers.csv")
if any(r["parent_code"] not in [p["code"] for p in _chart[:i]] for i, r in enumerate(_chart) if r["parent_code"]):
    raise ValueError("cost_centers.csv: a parent must be a row above its children")
COST_CENTERS = tuple((r["code"], r["name"], r["parent_code"] or None) for r in _chart)
GROUP_CODES = frozenset(r["code"] for r in _chart if _yes(r["summary"]))  # summary nodes nobody books to
CLOSED_CODES = {r["code"]: date.fromisoformat(r["valid_to"]) for r in _chart if r["valid_to"]}  # wound down
DELIVERY_CODES = frozenset(r["code"] for r in _chart if _yes(r["delivery"]))  # practices that staff projects
