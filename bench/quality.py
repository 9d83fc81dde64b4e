"""Match quality on labelled data: precision, recall and F1 of match-before-create.

    uv run python bench/quality.py [--entities 1500] [--setting easy|hard|both] [--db sqlite|postgresql]

A seeded generator (no network) makes companies and people, then source records of them:
the first record of an entity, and for some entities one or more duplicates written the
way another system or a careless clerk would (typos, OCR swaps, abbreviations, legal-form
variants, reordered words, missing fields, transliteration, nicknames and initials,
another address format), plus hard negatives that are different entities looking alike
(the same company name in another country; siblings sharing a family name, country and
start date). Every record is ingested, shuffled, through `service.ingest` into a fresh
database with matching on, exactly as the REST upsert would. The label of every record
is its entity; each automatic link and each queued pair is then right or wrong.

Per domain and setting it prints, beside the targets of the matching issue:
- at `auto_link`: precision = right links / links, recall = right links / duplicates;
- at `review`: the same counting links and queued pairs together.
A duplicate is a record whose entity already had a record when it arrived. Nothing is
asserted; see bench/README.md.
"""

import argparse
import asyncio
import random
import string
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.core import fresh_database  # noqa: E402
from mdm.auth.actor import Actor  # noqa: E402
from mdm.db.engine import Database  # noqa: E402
from mdm.domains import (  # noqa: E402
    BY_NAME,
    RULES,
    Domain,
)
from mdm.policy.store import load as load_policy  # noqa: E402
from mdm.records import service  # noqa: E402

console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
TARGET_PRECISION_AUTO = 0.99  # hard setting, customers and employees
TARGET_RECALL_REVIEW = 0.95

# fmt: off
COMPANY_WORDS = [
    "Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell",
    "Cyberdyne", "Wonka", "Oceanic", "Aperture", "Virtucom", "Prestige", "Kellerman", "Sterling", "Cooper", "Pierce",
    "Monarch", "Bluth", "Gekko", "Oscorp", "Nakatomi", "Zorin", "Rekall", "Weyland", "Yutani", "Nova", "Polar",
    "Cedar", "Harbor", "Summit", "Granite", "Atlas", "Beacon", "Meridian", "Vertex", "Horizon", "Pioneer", "Quantum",
    "Evergreen", "Falcon", "Orion", "Juniper", "Sequoia", "Ironwood", "Redwood", "Bluebird", "Kestrel", "Lighthouse",
    "Mariner", "Northstar", "Oakridge", "Pinnacle", "Riverside", "Sapphire", "Trident", "Upland", "Valiant",
    "Westbrook", "Yellowstone", "Zenith", "Amber", "Boulder", "Crescent", "Delta", "Emerald", "Fjord", "Glacier",
    "Highland", "Inland", "Jasper", "Keystone", "Lakeshore", "Magnolia", "Nimbus", "Obsidian", "Prairie", "Quarry",
    "Rainier", "Silverline", "Tundra", "Unity", "Vanguard", "Willow", "Xenon", "Yarrow", "Zephyr", "Müller",
    "Schäfer", "Groß", "Société", "Lumière", "Česká", "Øresund", "Ångström", "Nordlys", "Kobayashi", "Tanaka",
    "Sakura", "Fuji",
]
INDUSTRY_WORDS = [
    "Consulting", "Engineering", "Logistics", "Analytics", "Capital", "Partners", "Systems", "Technologies",
    "Manufacturing", "Foods", "Pharma", "Energy", "Media", "Insurance", "Retail", "Software", "Advisory", "Labs",
    "Robotics", "Materials", "Health", "Telecom", "Shipping", "Construction", "Design", "Ventures", "Industries",
    "International", "Associates", "Brothers", "Corporation", "Company",
]
ABBREVIATIONS = {
    "International": "Intl", "Consulting": "Consult", "Corporation": "Corp", "Company": "Co", "Technologies": "Tech",
    "Manufacturing": "Mfg", "Associates": "Assoc", "Brothers": "Bros", "Industries": "Ind", "Engineering": "Eng",
    "Logistics": "Log", "Advisory": "Adv", "Systems": "Sys", "Telecom": "Tel",
}
LEGAL_FORMS = {
    "US": ["Inc", "Inc.", "LLC", "Corp"], "GB": ["Ltd", "Limited", "plc"], "DE": ["GmbH", "AG", "GmbH & Co. KG"],
    "FR": ["SARL", "S.A.", "SAS"], "NL": ["B.V.", "N.V."], "IT": ["S.p.A.", "S.r.l."], "ES": ["S.A.", "S.L."],
    "SE": ["AB"], "FI": ["Oy"], "JP": ["KK", "K.K."], "AU": ["Pty Ltd"], "CH": ["AG", "GmbH", "SA"],
}
LEGAL_VARIANTS = {
    "Inc": ["Incorporated", "Inc."], "Inc.": ["Inc", "Incorporated"], "LLC": ["L.L.C."], "Corp": ["Corporation"],
    "Ltd": ["Limited", "Ltd."], "Limited": ["Ltd"], "GmbH": ["G.m.b.H."], "AG": ["A.G."], "S.A.": ["SA"],
    "B.V.": ["BV"], "N.V.": ["NV"], "S.p.A.": ["SpA"], "S.r.l.": ["Srl"], "KK": ["Kabushiki Kaisha"],
    "Pty Ltd": ["Pty. Ltd.", "Proprietary Limited"], "SARL": ["S.A.R.L."],
}
CITIES = {
    "US": [("New York", "100"), ("Austin", "787"), ("Chicago", "606")], "GB": [("London", "EC1"), ("Leeds", "LS1")],
    "DE": [("Berlin", "101"), ("München", "803")], "FR": [("Paris", "750"), ("Lyon", "690")],
    "NL": [("Amsterdam", "101"), ("Utrecht", "351")], "IT": [("Milano", "201"), ("Roma", "001")],
    "ES": [("Madrid", "280"), ("Sevilla", "410")], "SE": [("Stockholm", "111")], "FI": [("Helsinki", "001")],
    "JP": [("Tokyo", "100")], "AU": [("Sydney", "200")], "CH": [("Zürich", "800"), ("Genève", "120")],
}
STREET_FORMS = {  # country -> how a street line is written, and its variants
    "DE": ["{name}straße {no}", "{name}str. {no}", "{name}strasse {no}"],
    "CH": ["{name}strasse {no}", "{name}str. {no}"],
    "FR": ["{no} rue {name}", "{no}, rue {name}"],
}
STREET_NAMES = ["Main", "Market", "Station", "Church", "Harbour", "King", "Park", "Mill", "Bridge", "High", "Garden",
                "Linden", "Berg", "Rosen", "Victoria", "Lake", "River", "Forest", "Hill", "Castle"]
STREET_TYPES = [("Street", "St."), ("Road", "Rd"), ("Avenue", "Ave"), ("Boulevard", "Blvd"), ("Lane", "Ln")]
GIVEN = [
    ("William", ["Bill", "Will", "Billy"]), ("Robert", ["Bob", "Rob", "Bobby"]),
    ("Elizabeth", ["Liz", "Beth", "Betty"]), ("Jonathan", ["Jon", "Jonny"]),
    ("Katherine", ["Kate", "Kathy", "Katie"]), ("Alexander", ["Alex", "Sasha"]),
    ("Margaret", ["Maggie", "Peggy", "Meg"]), ("Richard", ["Rick", "Dick", "Rich"]), ("Michael", ["Mike", "Mick"]),
    ("Jennifer", ["Jen", "Jenny"]), ("Christopher", ["Chris", "Kit"]), ("Patricia", ["Pat", "Trish"]),
    ("Anthony", ["Tony"]), ("Daniel", ["Dan", "Danny"]), ("Thomas", ["Tom", "Tommy"]), ("Susan", ["Sue", "Susie"]),
    ("Joseph", ["Joe", "Joey"]), ("Rebecca", ["Becky", "Becca"]), ("Nicholas", ["Nick"]), ("Victoria", ["Vicky"]),
    ("Benjamin", ["Ben"]), ("Samantha", ["Sam"]), ("Edward", ["Ed", "Ted"]), ("Deborah", ["Deb", "Debbie"]),
    ("Andrew", ["Andy", "Drew"]), ("Jessica", ["Jess"]), ("Matthew", ["Matt"]), ("Abigail", ["Abby"]), ("Stefan", []),
    ("Jürgen", []), ("Søren", []), ("François", []), ("José", []), ("Łukasz", []), ("Zoë", []), ("Anna", []),
    ("Hanna", []), ("Maria", []), ("Marie", []), ("Ingrid", []), ("Hiroshi", []), ("Yuki", []), ("Priya", []),
    ("Rahul", []), ("Olga", []), ("Dmitri", []), ("Fatima", []), ("Omar", []), ("Chen", []), ("Wei", []),
    ("Lucas", []), ("Lukas", []), ("Sophie", []), ("Sofia", []), ("Mateo", []), ("Elena", []), ("Ahmed", []),
]
FAMILY = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "García", "Rodríguez", "Martínez", "Müller",
    "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "van der Berg",
    "de Vries", "van Dijk", "de la Cruz", "O'Brien", "O'Connor", "MacDonald", "Nguyen", "Tran", "Kim", "Lee", "Park",
    "Tanaka", "Suzuki", "Watanabe", "Kowalski", "Nowak", "Novák", "Svoboda", "Ivanov", "Петров", "Смирнов", "Rossi",
    "Russo", "Ferrari", "Esposito", "Bianchi", "Dubois", "Lefèvre", "Moreau", "Laurent", "Andersson", "Johansson",
    "Karlsson", "Nielsen", "Jensen", "Hansen", "Virtanen", "Korhonen", "Patel", "Sharma", "Singh", "Gupta", "Chen",
    "Wang", "Li", "Zhang", "Liu", "Cohen", "Levi", "Haddad", "Khan", "Ali", "Hussain", "Okafor", "Adeyemi", "Mensah",
    "Silva", "Santos", "Oliveira", "Pereira", "Costa", "Kaya", "Y\u0131lmaz", "Demir", "Papadopoulos", "Fitzgerald",
    "Kennedy", "Whitfield", "Ashworth", "Pemberton", "Blackwood", "Thornbury", "Wolstenholme",
]
TRANSLIT = {"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss", "é": "e", "è": "e", "ø": "oe", "å": "aa", "ç": "c",
            "í": "i", "á": "a", "ł": "l", "ë": "e", "č": "c", "\u0131": "i", "Ü": "Ue", "Ö": "Oe", "Ä": "Ae", "Ø": "Oe",
            "Å": "Aa", "Č": "C", "Ł": "L"}
OCR = {"O": "0", "o": "0", "l": "1", "I": "1", "S": "5", "B": "8", "rn": "m", "m": "rn", "cl": "d", "e": "c"}
COUNTRIES = list(LEGAL_FORMS)
# fmt: on


# ---- perturbations -----------------------------------------------------------------------------


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip in a word of 4+ letters: a letter dropped, doubled, swapped or replaced."""
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    p = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        w = w[:p] + w[p + 1 :]
    elif kind == 1:
        w = w[:p] + w[p] + w[p:]
    elif kind == 2:
        w = w[: p - 1] + w[p] + w[p - 1] + w[p + 1 :]
    else:
        w = w[:p] + rng.choice(string.ascii_lowercase) + w[p + 1 :]
    words[i] = w
    return " ".join(words)


def ocr(text: str, rng: random.Random) -> str:
    """A scanner's confusion: O for 0, l for 1, rn for m ..."""
    options = [k for k in OCR if k in text]
    if not options:
        return text
    k = rng.choice(options)
    at = [i for i in range(len(text)) if text.startswith(k, i)]
    i = rng.choice(at)
    return text[:i] + OCR[k] + text[i + len(k) :]


def transliterate(text: str) -> str:
    return "".join(TRANSLIT.get(c, c) for c in text)


# ---- companies ---------------------------------------------------------------------------------


@dataclass
class Company:
    words: list[str]
    form: str
    country: str
    tax: str
    site: str
    street_no: int
    street_name: str
    street_type: int
    city: int
    postal: str
    industry: str


def new_company(rng: random.Random, serial: int) -> Company:
    n = rng.choice((1, 2, 2, 2, 3))
    words = [rng.choice(COMPANY_WORDS)] + [rng.choice(INDUSTRY_WORDS) for _ in range(n - 1)]
    if n >= 2 and rng.random() < 0.4:
        words.insert(1, rng.choice(COMPANY_WORDS))
    country = rng.choice(COUNTRIES)
    city = rng.randrange(len(CITIES[country]))
    slug = "".join(transliterate(w).lower() for w in words[:2] if w.isalpha())
    return Company(
        words=words,
        form=rng.choice(LEGAL_FORMS[country]),
        country=country,
        tax=f"{rng.randrange(10**8, 10**9)}{serial % 10}",
        site=f"{slug}{serial % 97}.example",
        street_no=rng.randint(1, 250),
        street_name=rng.choice(STREET_NAMES),
        street_type=rng.randrange(len(STREET_TYPES)),
        city=city,
        postal=f"{CITIES[country][city][1]}{rng.randint(10, 99)}",
        industry=rng.choice(INDUSTRY_WORDS),
    )


def street_line(c: Company, variant: bool, rng: random.Random) -> str:
    forms = STREET_FORMS.get(c.country)
    if forms:
        form = rng.choice(forms[1:]) if variant else forms[0]
        return form.format(name=c.street_name, no=c.street_no)
    long, short = STREET_TYPES[c.street_type]
    return f"{c.street_no} {c.street_name} {short if variant else long}"


def company_record(c: Company, rng: random.Random, *, perturb: Sequence[str] = ()) -> dict[str, Any]:
    words = list(c.words)
    form = c.form
    if "abbreviate" in perturb:
        words = [ABBREVIATIONS.get(w, w) for w in words]
    if "reorder" in perturb and len(words) > 1:
        words = words[1:] + words[:1]
    if "legal_form" in perturb:
        form = rng.choice([*LEGAL_VARIANTS.get(form, []), ""])
    name = " ".join(words)
    if "transliterate" in perturb:
        name = transliterate(name)
    if "case" in perturb:
        name = name.upper()
    if "and" in perturb and " " in name:
        name = name.replace(" ", " & ", 1)
    if "the" in perturb:
        name = "The " + name
    if "typo" in perturb:
        name = typo(name, rng)
    if "ocr" in perturb:
        name = ocr(name, rng)
    full = f"{name} {form}".strip()
    city, _ = CITIES[c.country][c.city]
    record: dict[str, Any] = {
        "name": full,
        "legal_name": full,
        "country": c.country,
        "tax_id": f"{c.country}{c.tax}" if rng.random() < 0.5 else c.tax,
        "website": f"https://www.{c.site}" if "site_format" not in perturb else f"http://{c.site}/about",
        "industry": c.industry,
        "billing_address": {
            "line1": street_line(c, "address_format" in perturb, rng),
            "city": transliterate(city) if "transliterate" in perturb else city,
            "postal_code": c.postal if "address_format" not in perturb else f"{c.postal[:2]} {c.postal[2:]}",
            "country": c.country,
        },
    }
    if "no_tax" in perturb:
        del record["tax_id"]
    if "no_site" in perturb:
        del record["website"]
    if "no_address" in perturb:
        del record["billing_address"]
    return record


# ---- people ------------------------------------------------------------------------------------


@dataclass
class Person:
    given: int  # index into GIVEN
    family: str
    country: str
    start: date
    mail: str
    legal_entity: str = ""


def new_person(rng: random.Random, serial: int) -> Person:
    given = rng.randrange(len(GIVEN))
    family = rng.choice(FAMILY)
    country = rng.choice(COUNTRIES)
    start = date(2010, 1, 1) + timedelta(days=rng.randrange(5000))
    local = f"{transliterate(GIVEN[given][0])}.{transliterate(family)}".lower().replace(" ", "").replace("'", "")
    return Person(given, family, country, start, f"{local}{serial}@firm.example")


def person_record(p: Person, rng: random.Random, *, perturb: Sequence[str] = ()) -> dict[str, Any]:
    formal, nicks = GIVEN[p.given]
    given, family = formal, p.family
    if "nickname" in perturb and nicks:
        given = rng.choice(nicks)
    if "initial" in perturb:
        given = given[0] + "."
    if "typo" in perturb:
        if rng.random() < 0.5:
            family = typo(family, rng)
        else:
            given = typo(given, rng)
    if "transliterate" in perturb:
        given, family = transliterate(given), transliterate(family)
    if "particle" in perturb and " " in family:
        family = family.split()[-1] if rng.random() < 0.5 else family.replace(" ", "")
    if "case" in perturb:
        family = family.upper()
    record: dict[str, Any] = {
        "given_name": given,
        "family_name": family,
        "country": p.country,
        "start_date": p.start.isoformat(),
        "email": p.mail,
    }
    if "other_email" in perturb:
        record["email"] = f"{transliterate(formal).lower()}{rng.randrange(100, 999)}@mail.example"
    if "no_email" in perturb:
        del record["email"]
    if "no_start" in perturb:
        del record["start_date"]
    if "start_off" in perturb:
        record["start_date"] = (p.start + timedelta(days=rng.choice((-1, 1, 30)))).isoformat()
    return record


# ---- settings ----------------------------------------------------------------------------------

# Perturbations by setting: each duplicate takes `count` of them at random (besides the
# ones it always takes). The exact keys (tax ID + country, employee number, e-mail) are
# what deterministic matching already links, so duplicates here never share them: a
# duplicate either lacks the identifier or writes it differently.
SETTINGS: dict[str, dict[str, Any]] = {
    "easy": {
        "customer": {
            "always": ["no_tax"],
            "pool": ["case", "legal_form", "the", "and", "site_format", "no_address"],
            "count": (1, 2),
            "negatives": 0.05,
        },
        "employee": {
            "always": ["no_email"],
            "pool": ["case", "nickname", "no_start"],
            "count": (1, 1),
            "negatives": 0.05,
        },
    },
    "hard": {
        "customer": {
            "always": ["no_tax"],
            "pool": [
                "typo",
                "ocr",
                "abbreviate",
                "reorder",
                "legal_form",
                "transliterate",
                "case",
                "address_format",
                "site_format",
                "no_site",
                "no_address",
                "and",
                "the",
            ],
            "count": (2, 4),
            "negatives": 0.25,
        },
        "employee": {
            "always": [],
            "pool": [
                "nickname",
                "initial",
                "typo",
                "transliterate",
                "particle",
                "case",
                "no_email",
                "other_email",
                "no_start",
                "start_off",
            ],
            "count": (2, 3),
            "negatives": 0.25,
        },
    },
}


@dataclass
class Labelled:
    system: str
    items: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (entity, payload)
    kinds: Counter[str] = field(default_factory=Counter)


def customers(entities: int, setting: dict[str, Any], rng: random.Random) -> Labelled:
    out = Labelled("salesforce")
    companies = [new_company(rng, i) for i in range(entities)]
    for e, c in enumerate(companies):
        out.items.append((e, company_record(c, rng)))
        out.kinds["original"] += 1
        if rng.random() < 0.4:  # one or two duplicates
            for _ in range(rng.choice((1, 1, 2))):
                extra = rng.sample(setting["pool"], rng.randint(*setting["count"]))
                out.items.append((e, company_record(c, rng, perturb=setting["always"] + extra)))
                out.kinds["duplicate"] += 1
    for _ in range(int(entities * setting["negatives"])):  # another company of the same name
        twin = rng.choice(companies)
        other = new_company(rng, len(companies))
        other.words, other.form = list(twin.words), rng.choice(LEGAL_FORMS[other.country])
        if rng.random() < 0.5:  # same city and country, another street: a namesake next door
            other.country, other.city, other.form = twin.country, twin.city, twin.form
            other.postal = CITIES[twin.country][twin.city][1] + str(rng.randint(10, 99))
        companies.append(other)
        record = company_record(other, rng, perturb=["no_tax"] if rng.random() < 0.5 else [])
        out.items.append((len(companies) - 1, record))
        out.kinds["hard negative"] += 1
    return out


def employees(entities: int, setting: dict[str, Any], rng: random.Random) -> Labelled:
    out = Labelled("workday")
    people = [new_person(rng, i) for i in range(entities)]
    for e, p in enumerate(people):
        out.items.append((e, person_record(p, rng)))
        out.kinds["original"] += 1
        if rng.random() < 0.4:
            for _ in range(rng.choice((1, 1, 2))):
                extra = rng.sample(setting["pool"], rng.randint(*setting["count"]))
                perturb = setting["always"] + extra
                if "other_email" not in perturb and "no_email" not in perturb:
                    perturb.append("no_email")  # the same e-mail is a key: deterministic, not fuzzy
                out.items.append((e, person_record(p, rng, perturb=perturb)))
                out.kinds["duplicate"] += 1
    for _ in range(int(entities * setting["negatives"])):  # a sibling: same family, country, often start date
        sib = rng.choice(people)
        other = new_person(rng, len(people))
        other.family, other.country = sib.family, sib.country
        if rng.random() < 0.5:
            other.start = sib.start
        elif rng.random() < 0.3:  # a namesake: same given name too, another e-mail and start date
            other.given = sib.given
        people.append(other)
        out.items.append((len(people) - 1, person_record(other, rng)))
        out.kinds["hard negative"] += 1
    return out


# ---- evaluation --------------------------------------------------------------------------------


@dataclass
class Quality:
    domain: str
    setting: str
    records: int
    duplicates: int
    links: int = 0
    right_links: int = 0
    fuzzy_links: int = 0
    queued: int = 0
    right_queued: int = 0
    seconds: float = 0.0
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @staticmethod
    def ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    def at_auto(self) -> tuple[float, float]:
        return self.ratio(self.right_links, self.links), self.ratio(self.right_links, self.duplicates)

    def at_review(self) -> tuple[float, float]:
        right = self.right_links + self.right_queued
        return self.ratio(right, self.links + self.queued), self.ratio(right, self.duplicates)


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


async def evaluate(url: str, domain: Domain, data: Labelled, setting: str, batch: int, rng: random.Random) -> Quality:
    order = list(range(len(data.items)))
    rng.shuffle(order)
    first: dict[int, int] = {}  # entity -> its first record in arrival order
    duplicates = 0
    for i in order:
        entity = data.items[i][0]
        duplicates += entity in first
        first.setdefault(entity, i)
    q = Quality(domain.name, setting, len(order), duplicates)
    entity_of: dict[str, int] = {}  # golden id -> the entity of the record that made it
    prefix = {"employee": "E"}.get(domain.name, "C")
    async with Database.opened(url) as db:
        t0 = time.perf_counter()
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            items = []
            for i in chunk:
                entity, payload = data.items[i]
                if domain.name == "employee":
                    payload = {**payload, "employee_number": f"{prefix}{i:06d}"}
                decoded = service.decode_payload(domain, payload, "v1")  # this generator writes contract v1
                items.append(service.source_item(domain, "v1", data.system, f"{prefix}{i:06d}", decoded))
            async with db.transaction() as session:
                actor = Actor(f"system:{data.system}", f"quality-{start}", await load_policy(session))
                results = await service.ingest(session, domain, items, actor, fuzzy=True)
            for i, result in zip(chunk, results, strict=True):
                if not isinstance(result, dict):
                    raise SystemExit(f"record {i} was refused: {result}")
                entity = data.items[i][0]
                outcome, match = result["outcome"], result["match"] or {}
                if outcome == "created" or outcome == "pending_review":
                    entity_of[result["id"]] = entity
                if outcome == "linked":
                    q.links += 1
                    q.fuzzy_links += match.get("rule") == "fuzzy"
                    if entity_of.get(result["id"]) == entity:
                        q.right_links += 1
                    elif len(q.wrong) < 8:
                        q.wrong.append(f"linked {data.items[i][1].get('name') or data.items[i][1]} (score "
                                       f"{match.get('score')})")  # fmt: skip
                elif outcome == "pending_review":
                    q.queued += 1
                    q.right_queued += entity_of.get(match.get("id", "")) == entity
                right = (
                    outcome in ("linked", "pending_review")
                    and entity_of.get(result["id"] if outcome == "linked" else match.get("id", "")) == entity
                )
                if first[entity] != i and not right and len(q.missed) < 8:
                    q.missed.append(f"{_brief(data.items[i][1])} vs {_brief(data.items[first[entity]][1])}: "
                                    f"{outcome} {match.get('score')}")  # fmt: skip
        q.seconds = time.perf_counter() - t0
    return q


def _brief(payload: dict[str, Any]) -> str:
    keep = ("name", "given_name", "family_name", "country", "start_date", "email", "tax_id", "website")
    return str({k: payload[k] for k in keep if k in payload})


def report(results: list[Quality], verbose: bool) -> None:
    table = Table(title="match quality (labelled data)", title_justify="left")
    for column in ("domain", "setting", "records", "dups", "P@auto", "R@auto", "F1@auto", "P@review", "R@review",
                   "F1@review", "links (fuzzy)", "queued"):  # fmt: skip
        table.add_column(column, justify="right")
    for q in results:
        pa, ra = q.at_auto()
        pr, rr = q.at_review()
        table.add_row(q.domain, q.setting, f"{q.records:,}", f"{q.duplicates:,}", f"{pa:.3f}", f"{ra:.3f}",
                      f"{f1(pa, ra):.3f}", f"{pr:.3f}", f"{rr:.3f}", f"{f1(pr, rr):.3f}",
                      f"{q.links} ({q.fuzzy_links})", f"{q.queued}")  # fmt: skip
    console.print(table)
    console.print(f"targets (hard setting, customers and employees): precision at auto_link >= "
                  f"{TARGET_PRECISION_AUTO}, recall at review >= {TARGET_RECALL_REVIEW}")  # fmt: skip
    for q in results:
        rules = RULES[q.domain]
        if q.setting == "hard" and q.domain in ("customer", "employee"):
            pa, _ = q.at_auto()
            _, rr = q.at_review()
            met = "met" if pa >= TARGET_PRECISION_AUTO and rr >= TARGET_RECALL_REVIEW else "MISSED"
            console.print(f"  {q.domain} hard: P@auto {pa:.3f}, R@review {rr:.3f}: {met} "
                          f"(auto_link {rules.auto_link}, review {rules.review}, rules v{rules.version}; "
                          f"{q.records / q.seconds:,.0f} records/s)")  # fmt: skip
        for line in q.wrong if verbose else []:
            console.print(f"    wrong ({q.domain}, {q.setting}): {line}")
        for line in q.missed if verbose else []:
            console.print(f"    missed ({q.domain}, {q.setting}): {line}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entities", type=int, default=1500, help="companies and people per domain (default 1,500)")
    p.add_argument("--setting", choices=("easy", "hard", "both"), default="both")
    p.add_argument("--domain", choices=("customer", "employee", "both"), default="both")
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--batch", type=int, default=100, help="records per ingestion transaction")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--verbose", action="store_true", help="print some wrong links and missed duplicates")
    args = p.parse_args(argv)
    settings = ["easy", "hard"] if args.setting == "both" else [args.setting]
    domains = ["customer", "employee"] if args.domain == "both" else [args.domain]
    results = []
    for setting in settings:
        for name in domains:
            rng = random.Random(f"{args.seed}-{setting}-{name}")
            make = customers if name == "customer" else employees
            data = make(args.entities, SETTINGS[setting][name], rng)
            console.print(f"{name} / {setting}: {dict(data.kinds)}")
            with tempfile.TemporaryDirectory(prefix="mdm-quality-") as tmp, fresh_database(args.db, Path(tmp)) as url:
                results.append(asyncio.run(evaluate(url, BY_NAME[name], data, setting, args.batch, rng)))
    report(results, args.verbose)


if __name__ == "__main__":
    main()
