"""The seeded generator of the demo estate: the firm, its people, clients and work, drawn
from the tables in `mdm/demo/data/` by one random stream in a fixed order.

`generate` is pure and deterministic for a seed and scale: the same arguments always give
the same estate, so tests check it without a database.
"""

import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from mdm.demo.estate import DemoEstate, SourceRecord, SourceRef, Step
from mdm.demo.tables import (
    ABBREVIATIONS,
    ADDRESS_SHORTHANDS,
    BILLING_MODELS,
    BILLING_WEIGHTS,
    BRANDS,
    CLOSED_CODES,
    COST_CENTERS,
    COUNTRIES,
    CURRENCY_FACTORS,
    DAY_COST,
    DAY_RATES_EUR,
    DELIVERY_CODES,
    ENGAGEMENTS,
    ENTITIES,
    FORM_SPELLINGS,
    GRADE_WEIGHTS,
    GROUP_CODES,
    INDUSTRIES,
    MANAGER_GRADES,
    MAX_TENURE_YEARS,
    NAMES,
    NICKNAMES,
    RATE_CARD_MODELS,
    RATE_PERIODS,
    TITLES,
    Country,
    EntityPlan,
)

AS_OF = date(2025, 6, 30)  # the estate's "today", fixed so that a seed always gives the same estate
FIRM_EMAIL_DOMAIN = "firm.example"
TARGETS = {"legal_entity": 20, "cost_center": 200, "employee": 5000, "customer": 2000, "rate_card": 50, "project": 3000}
CUSTOMER_DUPLICATE_SHARE = 0.06  # second CRM accounts of one company, without a tax id
EMPLOYEE_DUPLICATE_SHARE = 0.004  # second worker numbers of one person, same e-mail
LEAD_TITLE = "Managing Partner"
FIRST_PROJECT_START = date(2022, 1, 3)
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TRANSLITERATION = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE"})


def target_sizes(scale: float) -> dict[str, int]:
    """Golden records per domain at a scale; small scales keep enough of each to stay connected."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    n = {d: round(t * scale) for d, t in TARGETS.items()}
    n_le = min(len(ENTITIES), max(2, n["legal_entity"]))
    return {
        "legal_entity": n_le,
        "cost_center": min(len(COST_CENTERS) * n_le, max(3 * n_le, n["cost_center"])),
        "employee": max(10 * n_le, n["employee"]),
        "customer": max(20, n["customer"]),
        "rate_card": max(3, n["rate_card"]),
        "project": max(10, n["project"]),
    }


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATION))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return "".join(c for c in _ascii(text).lower() if c.isalnum())


def _money(amount: int) -> str:
    return f"{amount}.00"


def _apportion(total: int, weights: Sequence[int], low: int, high: int) -> list[int]:
    """Split `total` by weight (highest averages), each share within [low, high]."""
    counts = [low] * len(weights)
    for _ in range(total - low * len(weights)):
        open_ = [i for i in range(len(weights)) if counts[i] < high]
        best = max(open_, key=lambda i: weights[i] / (counts[i] + 1))
        counts[best] += 1
    return counts


# ---- the generator --------------------------------------------------------------------


@dataclass(slots=True)
class _Entity:
    plan: EntityPlan
    ref: SourceRef
    currency: str
    cost_centers: list[tuple[str, SourceRecord]] = field(default_factory=list)  # (code, netsuite record)
    staff: list[int] = field(default_factory=list)  # indexes into the people

    @property
    def delivery_centers(self) -> list[SourceRef]:
        return [
            r.ref
            for code, r in self.cost_centers
            if code in DELIVERY_CODES and code not in GROUP_CODES and code not in CLOSED_CODES
        ]


@dataclass(slots=True)
class _Person:
    entity: int
    grade: int
    given: str
    family: str
    lead: bool = False
    email: str = ""
    number: str = ""
    ref: SourceRef = SourceRef("employee", "workday", "")  # noqa: RUF009 (a frozen dataclass)
    manager: int | None = None
    depth: int = 0
    status: str = "active"
    employment_type: str = "employee"
    start: date = AS_OF
    end: date | None = None
    cost_center: SourceRef | None = None

    @property
    def title(self) -> str:
        return LEAD_TITLE if self.lead else TITLES[self.grade]


@dataclass(slots=True)
class _Company:
    base: str  # the trading name
    legal_name: str
    country: str
    industry: str
    status: str
    website: str
    address: dict[str, str]
    tax_id: str | None = None
    crm: SourceRecord | None = None
    erp: SourceRecord | None = None
    parent: int | None = None
    appetite: float = 1.0  # how much work the firm does for it
    duplicate: SourceRecord | None = None

    @property
    def ref(self) -> SourceRef:
        record = self.crm or self.erp
        assert record is not None
        return record.ref


@dataclass(slots=True)
class _Card:
    ref: SourceRef
    entity: int
    customer: SourceRef | None
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class _Builder:
    """Builds the estate domain by domain from one random stream, in a fixed order."""

    def __init__(self, seed: int, scale: float):
        self.rng = random.Random(seed)
        self.sizes = target_sizes(scale)
        self.steps: list[Step] = []
        self.taken_ids: set[str] = set()
        self.erp_counters: dict[str, int] = {}
        self.entities: list[_Entity] = []
        self.people: list[_Person] = []
        self.companies: list[_Company] = []
        self.cards: list[_Card] = []
        self.employee_duplicates: list[tuple[SourceRef, SourceRef]] = []

    # ---- small helpers that draw from the stream --------------------------------------

    def fill(self, pattern: str) -> str:
        """A pattern with each # a random digit and each @ a random capital letter."""
        out = []
        for c in pattern:
            if c == "#":
                out.append(str(self.rng.randrange(10)))
            elif c == "@":
                out.append(chr(ord("A") + self.rng.randrange(26)))
            else:
                out.append(c)
        return "".join(out)

    def unique(self, make: Callable[[], str]) -> str:
        """A value from `make()` not given out before: source ids, tax and register numbers."""
        while True:
            value = make()
            if value not in self.taken_ids:
                self.taken_ids.add(value)
                return value

    def unique_fill(self, pattern: str) -> str:
        return self.unique(lambda: self.fill(pattern))

    def salesforce_id(self, key_prefix: str) -> str:
        """18-character Salesforce-style ids: Certinia lives on the Salesforce platform too."""
        return self.unique(lambda: key_prefix + "5J" + "".join(self.rng.choices(_BASE62, k=13)))

    def workday_id(self) -> str:
        return self.unique(lambda: f"{self.rng.getrandbits(128):032x}")

    def netsuite_id(self, record_type: str) -> str:
        """NetSuite internal ids: ascending integers per record type, with gaps."""
        self.erp_counters[record_type] = self.erp_counters.get(record_type, 100) + self.rng.randint(1, 9)
        return str(self.erp_counters[record_type])

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def address(self, country: Country) -> dict[str, str]:
        city, region, postal = self.rng.choice(country.cities)
        top = 9999 if country.code in ("US", "CA") else 240
        line1 = country.line1.format(n=self.rng.randint(1, top), street=self.rng.choice(country.streets))
        address = {"line1": line1, "city": city, "region": region, "postal_code": self.fill(postal)}
        if country.code in ("US", "GB", "CA", "AU") and self.rng.random() < 0.25:
            address["line2"] = self.rng.choice(("Suite", "Floor", "Level")) + f" {self.rng.randint(2, 40)}"
        address["country"] = country.code
        return address

    def person_name(self, country: Country) -> tuple[str, str]:
        culture = self.rng.choice(country.cultures if self.rng.random() < 0.85 else tuple(NAMES))
        given, family = NAMES[culture]
        return self.rng.choice(given), self.rng.choice(family)

    def add_step(self, domain: str, system: str, label: str, records: list[SourceRecord]) -> None:
        if records:
            self.steps.append(Step(domain, system, label, tuple(records)))

    # ---- legal entities and cost centers (netsuite) -------------------------------------

    def legal_entities(self) -> None:
        plans = ENTITIES[: self.sizes["legal_entity"]]
        depth: list[int] = []
        by_depth: dict[int, list[SourceRecord]] = {}
        for plan in plans:
            country = COUNTRIES[plan.country]
            payload: dict[str, Any] = {
                "name": plan.name,
                "registration_number": self.unique_fill(country.registration),
                "tax_id": self.unique_fill(country.tax_id),
                "country": plan.country,
                "functional_currency": country.currency,
                "status": "active",
            }
            level = 0
            if plan.parent is not None:
                payload["parent_id"] = self.entities[plan.parent].ref
                level = depth[plan.parent] + 1
            record = SourceRecord("legal_entity", "netsuite", self.netsuite_id("subsidiary"), payload)
            self.entities.append(_Entity(plan, record.ref, country.currency))
            depth.append(level)
            by_depth.setdefault(level, []).append(record)
        for level in sorted(by_depth):
            self.add_step("legal_entity", "netsuite", f"level {level}", by_depth[level])

    def cost_centers(self) -> None:
        weights = [e.plan.weight for e in self.entities]
        counts = _apportion(self.sizes["cost_center"], weights, 3, len(COST_CENTERS))
        depth_of: dict[str, int] = {}
        for code, _, parent in COST_CENTERS:
            depth_of[code] = 0 if parent is None else depth_of[parent] + 1
        by_depth: dict[int, list[SourceRecord]] = {}
        for entity, count in zip(self.entities, counts, strict=True):
            refs: dict[str, SourceRef] = {}
            for code, name, parent in COST_CENTERS[:count]:
                payload: dict[str, Any] = {"code": code, "name": name, "legal_entity_id": entity.ref}
                if parent is not None:
                    payload["parent_id"] = refs[parent]
                payload["valid_from"] = entity.plan.founded.isoformat()
                closed = CLOSED_CODES.get(code)
                if closed is not None:
                    payload["valid_to"] = closed.isoformat()
                payload["status"] = "inactive" if closed is not None else "active"
                record = SourceRecord("cost_center", "netsuite", self.netsuite_id("department"), payload)
                refs[code] = record.ref
                entity.cost_centers.append((code, record))
                by_depth.setdefault(depth_of[code], []).append(record)
        for level in sorted(by_depth):
            self.add_step("cost_center", "netsuite", f"level {level}", by_depth[level])

    def cost_center_owners(self) -> None:
        """ERP learns the owners once HCM has the people: a second upsert of the same records."""
        records = []
        for entity in self.entities:
            staff = [self.people[i] for i in entity.staff]
            lead = next(p for p in staff if p.lead)
            partners = [p for p in staff if p.grade == 0 and not p.lead] or [lead]
            seniors = [p for p in staff if p.grade in (0, 1) and not p.lead] or [lead]
            for code, record in entity.cost_centers:
                if code in CLOSED_CODES:
                    continue
                owner = (
                    lead
                    if code == COST_CENTERS[0][0]
                    else self.rng.choice(partners if code in GROUP_CODES else seniors)
                )
                records.append(replace(record, payload={**record.payload, "owner_id": owner.ref}))
        self.add_step("cost_center", "netsuite", "owners", records)

    # ---- employees (workday) ----------------------------------------------------------

    def employees(self) -> None:
        weights = [e.plan.weight for e in self.entities]
        counts = _apportion(self.sizes["employee"], weights, 1, self.sizes["employee"])
        for index, (entity, count) in enumerate(zip(self.entities, counts, strict=True)):
            country = COUNTRIES[entity.plan.country]
            for k in range(count):
                grade = 0 if k == 0 else self.rng.choices(range(len(TITLES)), GRADE_WEIGHTS)[0]
                given, family = self.person_name(country)
                entity.staff.append(len(self.people))
                self.people.append(_Person(index, grade, given, family, lead=k == 0))
        self._hierarchy()
        for person in self.people:
            self._employment(person)
        self._identities()
        by_depth: dict[int, list[SourceRecord]] = {}
        for person in sorted(self.people, key=lambda p: p.number):
            worker = self._worker(person, person.ref.source_id, person.number, person.given, person.family)
            by_depth.setdefault(person.depth, []).append(worker)
        for level in sorted(by_depth):
            self.add_step("employee", "workday", f"level {level}", by_depth[level])
        self._employee_duplicates()

    def _hierarchy(self) -> None:
        """Managers from the grade above in the same entity; entity leads report to the group's."""
        chief = self.entities[0].staff[0]
        for entity in self.entities:
            lead_index = entity.staff[0]
            lead = self.people[lead_index]
            if lead_index != chief:
                lead.manager, lead.depth = chief, 1
            by_grade: dict[int, list[int]] = {}
            for i in sorted(entity.staff[1:], key=lambda i: self.people[i].grade):
                person = self.people[i]
                wanted = [*MANAGER_GRADES[person.grade], *range(min(person.grade, 5) - 1, -1, -1)]
                pool = next((by_grade[g] for g in wanted if by_grade.get(g)), [lead_index])
                person.manager = self.rng.choice(pool)
                person.depth = self.people[person.manager].depth + 1
                by_grade.setdefault(person.grade, []).append(i)

    def _employment(self, person: _Person) -> None:
        """Dates, contract type and status; only consultants and analysts ever leave (they manage no one)."""
        entity = self.entities[person.entity]
        earliest = max(entity.plan.founded, AS_OF - timedelta(days=365 * MAX_TENURE_YEARS[person.grade]))
        person.start = self.day_between(earliest, AS_OF - timedelta(days=14))
        roll = self.rng.random()
        if person.grade == 5 and roll < 0.2:
            person.employment_type = "contractor"
            person.end = AS_OF + timedelta(days=self.rng.randint(30, 365))
        elif person.grade >= 5 and roll > 0.92 and person.start < AS_OF - timedelta(days=60):
            person.status = "terminated"
            person.end = self.day_between(person.start + timedelta(days=30), AS_OF - timedelta(days=1))
        elif not person.lead and 0.2 <= roll < 0.22:
            person.status = "leave"
        root = entity.cost_centers[0][1].ref
        delivery = entity.delivery_centers
        partner_at_root = person.grade == 0 and self.rng.random() < 0.5
        person.cost_center = root if person.lead or partner_at_root or not delivery else self.rng.choice(delivery)

    def _identities(self) -> None:
        """Worker numbers in hiring order, Workday ids, and e-mails unique among people: a namesake
        gets a middle initial, and only then a number, as mail administrators do."""
        taken: set[str] = set()
        for number, person in enumerate(sorted(self.people, key=lambda p: p.start), start=100001):
            person.number = str(number)
            given, family = _slug(person.given), _slug(person.family)
            candidate = f"{given}.{family}"
            if candidate in taken:
                candidate = f"{given}.{chr(ord('a') + self.rng.randrange(26))}.{family}"
            suffix = 2
            while candidate in taken:
                candidate, suffix = f"{given}.{family}{suffix}", suffix + 1
            taken.add(candidate)
            person.email = f"{candidate}@{FIRM_EMAIL_DOMAIN}"
            person.ref = SourceRef("employee", "workday", self.workday_id())

    def _worker(self, person: _Person, source_id: str, number: str, given: str, family: str) -> SourceRecord:
        entity = self.entities[person.entity]
        payload: dict[str, Any] = {
            "employee_number": number,
            "given_name": given,
            "family_name": family,
            "email": person.email,
            "legal_entity_id": entity.ref,
            "cost_center_id": person.cost_center,
            "job_title": person.title,
            "employment_type": person.employment_type,
            "country": entity.plan.country,
            "start_date": person.start.isoformat(),
            "status": person.status,
        }
        if person.manager is not None:
            payload["manager_id"] = self.people[person.manager].ref
        if person.end is not None:
            payload["end_date"] = person.end.isoformat()
        return SourceRecord("employee", "workday", source_id, payload)

    def _employee_duplicates(self) -> None:
        """Rehires under a new worker number with a nickname or a typo, and the same e-mail."""
        count = max(1, round(len(self.people) * EMPLOYEE_DUPLICATE_SHARE))
        candidates = [p for p in self.people if not p.lead and p.status != "terminated"]
        records = []
        for number, person in enumerate(self.rng.sample(candidates, min(count, len(candidates))), start=900001):
            given, family = person.given, person.family
            if given in NICKNAMES and self.rng.random() < 0.7:
                given = NICKNAMES[given]
            else:
                family = self._typo(family)
            record = self._worker(person, self.workday_id(), str(number), given, family)
            records.append(record)
            self.employee_duplicates.append((person.ref, record.ref))
        self.add_step("employee", "workday", "second worker numbers", records)

    def _typo(self, word: str) -> str:
        """A plausible misspelling: accents dropped, two letters swapped, or one letter lost."""
        if _ascii(word) != word and self.rng.random() < 0.5:
            return _ascii(word)
        letters = [i for i in range(1, len(word) - 1) if word[i].isalpha() and word[i + 1].isalpha()]
        if not letters:
            return word + word[-1]
        i = self.rng.choice(letters)
        if self.rng.random() < 0.5 and word[i] != word[i + 1]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return word[:i] + word[i + 1 :]

    # ---- customers (salesforce, netsuite) ---------------------------------------------

    def customers(self) -> None:
        total = self.sizes["customer"]
        n_duplicates = round(total * CUSTOMER_DUPLICATE_SHARE)
        n_companies = total - n_duplicates
        n_subsidiaries = round(n_companies * 0.07)
        names: set[str] = set()
        for _ in range(n_companies - n_subsidiaries):
            self.companies.append(self._company(names))
            self._channels(self.companies[-1])
        for _ in range(n_subsidiaries):
            self.companies.append(self._subsidiary(names))
            self._channels(self.companies[-1])
        tops = [c.crm for c in self.companies if c.parent is None and c.crm is not None]
        subsidiaries = [c.crm for c in self.companies if c.parent is not None and c.crm is not None]
        self.add_step("customer", "salesforce", "accounts", tops)
        self.add_step("customer", "salesforce", "subsidiary accounts", subsidiaries)
        with_crm = [c for c in self.companies if c.crm is not None and c.parent is None]
        duplicates = [self._duplicate(c) for c in self.rng.sample(with_crm, min(n_duplicates, len(with_crm)))]
        self.add_step("customer", "salesforce", "second accounts", duplicates)
        self.add_step("customer", "netsuite", "customers", [c.erp for c in self.companies if c.erp])

    def _company(self, names: set[str]) -> _Company:
        country = self._customer_country()
        industry = self.rng.choice(tuple(INDUSTRIES))
        while True:
            base = self._company_base(country, industry)
            if base.lower() not in names:
                break
        names.add(base.lower())
        form = self.rng.choice(country.forms)
        status = self.rng.choices(("active", "inactive", "prospect"), (75, 10, 15))[0]
        return _Company(
            base=base,
            legal_name=f"{base} {form}",
            country=country.code,
            industry=industry,
            status=status,
            website=f"https://www.{_slug(base)}.{country.tld}",
            address=self.address(country),
            appetite=self.rng.paretovariate(1.6),
        )

    def _customer_country(self) -> Country:
        countries = tuple(COUNTRIES.values())
        return self.rng.choices(countries, [c.weight for c in countries])[0]

    def _company_base(self, country: Country, industry: str) -> str:
        noun = self.rng.choice(INDUSTRIES[industry])
        families = NAMES[self.rng.choice(country.cultures)][1]
        roll = self.rng.random()
        if roll < 0.6:
            base = f"{self.rng.choice(BRANDS)} {noun}"
        elif roll < 0.8:
            base = f"{self.rng.choice(families)} {noun}"
        else:
            first, second = self.rng.sample(families, 2)
            base = f"{first} & {second}" + (f" {noun}" if self.rng.random() < 0.5 else "")
        base = base[0].upper() + base[1:]  # "de Jong Logistics" starts a sentence: "De Jong Logistics"
        if self.rng.random() < 0.08:
            base += self.rng.choice((" International", " Group", " Holdings"))
        return base

    def _subsidiary(self, names: set[str]) -> _Company:
        """A group company in another country, e.g. "Atlas Capital Deutschland GmbH"."""
        parents = [i for i, c in enumerate(self.companies) if c.parent is None and c.status != "prospect" and c.crm]
        while True:
            parent_index = self.rng.choice(parents)
            parent = self.companies[parent_index]
            country = self._customer_country()
            base = f"{parent.base} {country.label}"
            if country.code != parent.country and base.lower() not in names:
                break
        names.add(base.lower())
        return _Company(
            base=base,
            legal_name=f"{base} {self.rng.choice(country.forms)}",
            country=country.code,
            industry=parent.industry,
            status="active",
            website=f"https://www.{_slug(parent.base)}.{country.tld}",
            address=self.address(country),
            parent=parent_index,
            appetite=parent.appetite * self.rng.uniform(0.2, 0.8),
        )

    def _channels(self, company: _Company) -> None:
        """Which systems know the company: CRM always, ERP once it is billed (with the fields it owns)."""
        country = COUNTRIES[company.country]
        roll = self.rng.random()
        in_crm = True  # the default policy lets only the CRM create customers; the ERP links by tax id
        in_erp = company.status != "prospect" and roll > 0.06
        if in_erp:
            company.tax_id = self.unique_fill(country.tax_id)
        if in_crm:
            payload: dict[str, Any] = {
                "name": company.base if self.rng.random() < 0.7 else company.legal_name,
                "website": company.website,
                "industry": company.industry,
                "billing_address": company.address,
                "country": company.country,
                "status": company.status,
            }
            if company.tax_id is not None:
                payload["tax_id"] = company.tax_id  # the CRM's VAT field, which links it to the ERP customer
            if company.parent is not None:
                payload["parent_id"] = self.companies[company.parent].ref
            company.crm = SourceRecord("customer", "salesforce", self.salesforce_id("001"), payload)
        if in_erp:
            payload = {
                "legal_name": company.legal_name,
                "tax_id": company.tax_id,
                "country": company.country,
                "currency": country.currency,
                "status": company.status,
            }
            company.erp = SourceRecord("customer", "netsuite", self.netsuite_id("customer"), payload)

    def _duplicate(self, company: _Company) -> SourceRecord:
        """A second CRM account of the same company: another spelling, no tax id, so no key links it."""
        assert company.crm is not None
        original = company.crm.payload["name"]
        name = self._name_variant(original, company)
        if self.rng.random() < 0.3:
            name = self._name_variant(name, company)
        while name == original:  # the second variant undid the first ("&" -> "and" -> "&")
            name = self._name_variant(name, company)
        payload: dict[str, Any] = {"name": name}
        website_roll = self.rng.random()
        if website_roll < 0.5:
            payload["website"] = company.website
        elif website_roll < 0.75:
            payload["website"] = company.website.replace("https://www.", "http://")
        if self.rng.random() < 0.7:
            payload["industry"] = company.industry
        address_roll = self.rng.random()
        if address_roll < 0.6:
            payload["billing_address"] = company.address
        elif address_roll < 0.9:
            payload["billing_address"] = self._address_variant(company.address)
        payload["country"] = company.country
        payload["status"] = self.rng.choice(("active", "prospect"))
        record = SourceRecord("customer", "salesforce", self.salesforce_id("001"), payload)
        company.duplicate = record
        return record

    def _name_variant(self, name: str, company: _Company) -> str:
        """Another way a sales rep writes the same company name; always differs from `name`."""
        variants: list[tuple[Callable[[str, _Company], str], int]] = [
            (self._legal_form, 3),
            (self._name_typo, 3),
            (self._upper_first, 1),
        ]
        if " & " in name or " and " in name:
            variants.append((self._ampersand, 4))
        if any(word in name for word in ABBREVIATIONS) or _ascii(name) != name:
            variants.append((self._abbreviate, 3))
        variant = self.rng.choices([v for v, _ in variants], [w for _, w in variants])[0]
        return variant(name, company)

    def _upper_first(self, name: str, company: _Company) -> str:
        first, _, rest = name.partition(" ")
        upper = f"{first.upper()} {rest}".strip()
        return upper if upper != name else name.title()

    def _ampersand(self, name: str, company: _Company) -> str:
        if " & " in name:
            return name.replace(" & ", " and ")
        return name.replace(" and ", " & ")

    def _legal_form(self, name: str, company: _Company) -> str:
        form = company.legal_name.removeprefix(company.base).strip()
        if name.endswith(form):
            return (
                name.removesuffix(form).strip()
                if self.rng.random() < 0.5
                else name[: -len(form)] + FORM_SPELLINGS[form]
            )
        return f"{name} {self.rng.choice((form, FORM_SPELLINGS[form]))}"

    def _name_typo(self, name: str, company: _Company) -> str:
        words = name.split(" ")
        long_words = [i for i, w in enumerate(words) if len(w) >= 5]
        if not long_words:
            return name + "s"
        i = self.rng.choice(long_words)
        words[i] = self._typo(words[i])
        return " ".join(words)

    def _abbreviate(self, name: str, company: _Company) -> str:
        for word, short in ABBREVIATIONS.items():
            if word in name:
                return name.replace(word, short)
        return _ascii(name)

    def _address_variant(self, address: dict[str, str]) -> dict[str, str]:
        variant = dict(address)
        for long, short in ADDRESS_SHORTHANDS.items():
            if long in variant["line1"]:
                variant["line1"] = variant["line1"].replace(long, short)
                return variant
        variant.pop("postal_code", None)
        variant["city"] = variant["city"].upper()
        return variant

    # ---- rate cards (netsuite) --------------------------------------------------------

    def rate_cards(self) -> None:
        total = self.sizes["rate_card"]
        delivering = [i for i, e in enumerate(self.entities) if e.plan.delivers]
        customer_cards = max(1, round(total * 0.2))
        standard = min(total - customer_cards, len(RATE_PERIODS) * len(delivering))
        customer_cards = total - standard
        records = []
        for k in range(standard):
            start, end, factor = RATE_PERIODS[k // len(delivering)]
            entity_index = delivering[k % len(delivering)]
            entity = self.entities[entity_index]
            payload: dict[str, Any] = {
                "name": "Standard Rates",
                "currency": entity.currency,
                "legal_entity_id": entity.ref,
                "effective_from": start.isoformat(),
                "lines": self._rate_lines(entity.currency, factor * self.rng.uniform(0.95, 1.06)),
                "status": "active" if end is None else "inactive",
            }
            if end is not None:
                payload["effective_to"] = end.isoformat()
            record = SourceRecord("rate_card", "netsuite", self.netsuite_id("price_level"), payload)
            records.append(record)
            self.cards.append(_Card(record.ref, entity_index, None, start, end))
        clients = sorted(
            (c for c in self.companies if c.status == "active" and c.erp), key=lambda c: c.appetite, reverse=True
        )
        for company in clients[:customer_cards]:
            entity_index = self._home_entity(company.country, delivering)
            entity = self.entities[entity_index]
            start = date(self.rng.choice((2024, 2025)), self.rng.randint(1, 6), 1)
            end = None if self.rng.random() < 0.5 else date(start.year + 3, start.month, 1) - timedelta(days=1)
            payload = {
                "name": "Framework Agreement",
                "currency": entity.currency,
                "customer_id": company.ref,
                "legal_entity_id": entity.ref,
                "effective_from": start.isoformat(),
                "lines": self._rate_lines(entity.currency, self.rng.uniform(0.85, 0.95)),
                "status": "active",
            }
            if end is not None:
                payload["effective_to"] = end.isoformat()
            record = SourceRecord("rate_card", "netsuite", self.netsuite_id("price_level"), payload)
            records.append(record)
            self.cards.append(_Card(record.ref, entity_index, company.ref, start, end))
        self.add_step("rate_card", "netsuite", "price levels", records)

    def _rate_lines(self, currency: str, factor: float) -> list[dict[str, str]]:
        lines = []
        for title, eur in zip(TITLES, DAY_RATES_EUR, strict=True):
            day = round(eur * factor * CURRENCY_FACTORS[currency] / 10) * 10
            hour = round(day / 8 * 1.1 / 5) * 5
            lines.append({"role": title, "unit": "day", "rate": _money(day)})
            lines.append({"role": title, "unit": "hour", "rate": _money(hour)})
        return lines

    def _home_entity(self, country: str, delivering: list[int]) -> int:
        """The entity that contracts with a client: one in its country, else the largest."""
        local = [i for i in delivering if self.entities[i].plan.country == country]
        if local:
            return local[0]
        return max(delivering, key=lambda i: self.entities[i].plan.weight)

    # ---- projects (certinia, netsuite) ------------------------------------------------

    def projects(self) -> None:
        delivering = [i for i, e in enumerate(self.entities) if e.plan.delivers]
        clients = [c for c in self.companies if c.status != "prospect"]
        prospects = [c for c in self.companies if c.status == "prospect"] or clients
        client_weights = [c.appetite for c in clients]
        sequence: dict[tuple[str, int], int] = {}
        psa, erp = [], []
        last_start = AS_OF + timedelta(days=120)
        starts = sorted(self.day_between(FIRST_PROJECT_START, last_start) for _ in range(self.sizes["project"]))
        for start in starts:  # in date order, so that codes count up through each year
            proposed = start > AS_OF
            company = self.rng.choice(prospects) if proposed and self.rng.random() < 0.4 else None
            company = company or self.rng.choices(clients, client_weights)[0]
            customer = company.ref
            display = company.crm.payload["name"] if company.crm else company.base
            if company.duplicate is not None and self.rng.random() < 0.25:  # booked against the second account
                customer, display = company.duplicate.ref, company.duplicate.payload["name"]
            if self.rng.random() < 0.85:
                entity_index = self._home_entity(company.country, delivering)
            else:
                entity_index = self.rng.choices(delivering, [self.entities[i].plan.weight for i in delivering])[0]
            entity = self.entities[entity_index]
            model = self.rng.choices(BILLING_MODELS, BILLING_WEIGHTS)[0]
            days = self.rng.randint(365, 1095) if model == "managed_service" else self.rng.randint(30, 540)
            end = start + timedelta(days=days)
            status = self._project_status(start, end)
            if status == "cancelled":
                end = start + timedelta(days=self.rng.randint(7, 60))
            key = (entity.plan.country, start.year)
            sequence[key] = sequence.get(key, 0) + 1
            code = f"{entity.plan.country}-{start.year}-{sequence[key]:04d}"
            phase = f" Phase {self.rng.randint(2, 4)}" if self.rng.random() < 0.15 else ""
            delivery: dict[str, Any] = {
                "code": code,
                "name": f"{display} - {self.rng.choice(ENGAGEMENTS)}{phase}",
                "customer_id": customer,
                "manager_id": self._project_manager(entity),
                "billing_model": model,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "status": status,
            }
            psa.append(SourceRecord("project", "certinia", self.salesforce_id("a0V"), delivery))
            if proposed:
                continue  # not sold yet: only the PSA knows it
            finance: dict[str, Any] = {  # the ERP's job: the code links it, the rest is its own
                "code": code,
                "customer_id": customer,
                "legal_entity_id": entity.ref,
                "cost_center_id": self.rng.choice(entity.delivery_centers or [entity.cost_centers[0][1].ref]),
                "currency": entity.currency,
                "contract_value": _money(self._contract_value(entity.currency, days, model)),
            }
            card = self._rate_card(entity_index, customer, start, model)
            if card is not None:
                finance["rate_card_id"] = card
            erp.append(SourceRecord("project", "netsuite", self.netsuite_id("job"), finance))
        self.add_step("project", "certinia", "projects", psa)
        self.add_step("project", "netsuite", "jobs", erp)

    def cost_rates(self) -> None:
        """The ERP's cost rate per worker (a day rate in the entity's currency), linked by
        worker number: the one employee field the default policy gives the ERP."""
        records = []
        rehired = {original for original, _ in self.employee_duplicates}  # golden has the second number
        for person in self.people:
            if person.ref in rehired:
                continue
            rate = round(DAY_COST[person.grade] * self.rng.uniform(0.9, 1.1))
            payload = {"employee_number": person.number, "cost_rate": _money(rate)}
            records.append(SourceRecord("employee", "netsuite", self.netsuite_id("employee"), payload))
        self.add_step("employee", "netsuite", "cost rates", records)

    def _project_status(self, start: date, end: date) -> str:
        if start > AS_OF:
            return "proposed"
        roll = self.rng.random()
        if roll < 0.03:
            return "cancelled"
        if end < AS_OF:
            return "closed"
        return "on_hold" if roll < 0.12 else "active"

    def _project_manager(self, entity: _Entity) -> SourceRef:
        staff = [self.people[i] for i in entity.staff]
        managers = [p for p in staff if 1 <= p.grade <= 3 and p.status != "terminated"]
        return self.rng.choice(managers or staff[:1]).ref

    def _contract_value(self, currency: str, days: int, model: str) -> int:
        team = self.rng.randint(1, 8)
        working_days = days * 5 // 7
        value = working_days * team * 1400 * CURRENCY_FACTORS[currency] * self.rng.uniform(0.5, 1.0)
        step = 5000 if model in ("fixed_fee", "milestone") else 1000
        return max(step, round(value / step) * step)

    def _rate_card(self, entity: int, customer: SourceRef, start: date, model: str) -> SourceRef | None:
        """The client's framework card if it covers the start, else the entity's standard card."""
        if model not in RATE_CARD_MODELS and self.rng.random() < 0.5:
            return None
        fitting = [c for c in self.cards if c.entity == entity and c.covers(start)]
        own = [c for c in fitting if c.customer == customer]
        standard = [c for c in fitting if c.customer is None]
        chosen = own or standard
        return chosen[0].ref if chosen else None

    # ---- the whole estate ---------------------------------------------------------------

    def build(self) -> tuple[tuple[Step, ...], dict[str, int], tuple[tuple[SourceRef, SourceRef], ...]]:
        """The steps, the golden records they should make per domain, and the planted customer pairs."""
        self.legal_entities()
        self.cost_centers()
        self.employees()
        self.cost_center_owners()
        self.customers()
        self.rate_cards()
        self.projects()
        self.cost_rates()
        duplicates = tuple((c.ref, c.duplicate.ref) for c in self.companies if c.duplicate is not None)
        expected = {
            "legal_entity": len(self.entities),
            "cost_center": sum(len(e.cost_centers) for e in self.entities),
            "employee": len(self.people),
            "customer": len(self.companies) + len(duplicates),
            "rate_card": len(self.cards),
            "project": sum(len(s.records) for s in self.steps if s.domain == "project" and s.system == "certinia"),
        }
        return tuple(self.steps), expected, duplicates


def generate(seed: int = 7, scale: float = 1.0) -> DemoEstate:
    """The demo estate for a seed and scale: the same arguments always give the same estate."""
    builder = _Builder(seed, scale)
    steps, expected, customer_duplicates = builder.build()
    return DemoEstate(seed, scale, steps, expected, customer_duplicates, tuple(builder.employee_duplicates))
