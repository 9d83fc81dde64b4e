"""Labelled companies and people for bench/quality.py: a seeded generator (no network).

It makes entities (companies, people) and source records of them, as several systems and
careless clerks would write them, and labels every record with its entity. It knows nothing
of the hub's match rules, normalizers or blocking keys: the corruptions are what real data
does, whether or not today's engine expects them. Records are contract v2 payloads
(customers: identifiers, phones, addresses of a kind; employees: a structured name).

Two levels of corruption:
- level 1, the first benchmark's (comparable with its figures): per setting, duplicates of
  a CRM record with a few of typos, OCR swaps, abbreviations, legal-form variants, reordered
  words, transliteration, case, street formats, missing fields, nicknames and initials;
- level 2 adds, for customers: initials and acronyms ("FS" for "First Solutions"), glued
  ("SUMMITCONSULTING") and split ("Sum mit") words, names cut at a field's length, records
  without any name, a postcode with one digit wrong, identifiers (DUNS, VAT numbers with
  valid check digits) and phones written with spaces, dashes, with or without the country
  prefix, and three systems per company (CRM, ERP, billing) each sending its version at its
  own time while the company moves and renames itself (the CRM re-sends its record when it
  learns of a change; the others keep what they had); for people: names cut short, family
  names of several words glued, phones with formatting noise.
"""

import random
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import phonenumbers
from stdnum import luhn
from stdnum.au import abn
from stdnum.ch import uid as ch_uid
from stdnum.ch import vat as ch_vat
from stdnum.es import cif as es_cif
from stdnum.eu import vat as eu_vat
from stdnum.fi import alv as fi_alv
from stdnum.gb import vat as gb_vat
from stdnum.iso7064 import mod_11_10
from stdnum.jp import cn as jp_cn
from stdnum.nl import bsn as nl_bsn
from stdnum.us import ein

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

TRUNCATED_AT = (12, 15, 20)  # field lengths of older systems: a name cut there
EUROPE = ("GB", "DE", "FR", "NL", "IT", "ES", "SE", "FI", "CH")  # dialled with 00 from abroad


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


def acronym(words: Sequence[str]) -> str:
    """The initials of a name's words: "First Solutions" -> "FS"."""
    return "".join(w[0] for w in words if w[:1].isalpha()).upper()


def initials(words: Sequence[str], rng: random.Random) -> list[str]:
    """One word of several cut to its initial: "First Solutions" -> "F. Solutions"."""
    if len(words) < 2:
        return list(words)
    i = rng.randrange(len(words))
    return [f"{w[0]}." if j == i else w for j, w in enumerate(words)]


def glue(words: Sequence[str], rng: random.Random) -> list[str]:
    """Two neighbouring words written as one, as a system without spaces in codes does:
    "SUMMITCONSULTING", "SummitConsulting"."""
    if len(words) < 2:
        return list(words)
    i = rng.randrange(len(words) - 1)
    joined = words[i] + words[i + 1]
    joined = rng.choice((joined.upper(), joined, joined.lower()))
    return [*words[:i], joined, *words[i + 2 :]]


def split(words: Sequence[str], rng: random.Random) -> list[str]:
    """A long word split in two: "Northwind" -> "North wind"."""
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return list(words)
    i = rng.choice(long)
    at = rng.randrange(3, len(words[i]) - 2)
    return [*words[:i], words[i][:at], words[i][at:], *words[i + 1 :]]


def truncate(text: str, rng: random.Random) -> str:
    """Cut at an older system's field length."""
    return text[: rng.choice(TRUNCATED_AT)].rstrip()


def one_digit(text: str, rng: random.Random) -> str:
    """One digit replaced by another: a postcode misread or mistyped."""
    at = [i for i, c in enumerate(text) if c.isdigit()]
    if not at:
        return text
    i = rng.choice(at)
    return text[:i] + rng.choice([d for d in string.digits if d != text[i]]) + text[i + 1 :]


# ---- identifiers and phones --------------------------------------------------------------------


def _digits(rng: random.Random, n: int, *, first_nonzero: bool = False) -> str:
    out = [rng.choice(string.digits) for _ in range(n)]
    if first_nonzero:
        out[0] = rng.choice("123456789")
    return "".join(out)


def _until(rng: random.Random, make: Callable[[], str], valid: Callable[[str], bool]) -> str:
    for _ in range(10_000):
        candidate = make()
        if valid(candidate):
            return candidate
    raise RuntimeError("no valid number found")  # never: a check digit is right once in at most 97 tries


def _check_loop(rng: random.Random, body: Callable[[], str], checks: int, valid: Callable[[str], bool]) -> str:
    """A body with the first check digits (of `checks` candidates) that make it valid."""
    width = len(str(checks - 1))
    for _ in range(1_000):
        start = body()
        for check in range(checks):
            if valid(candidate := f"{start}{check:0{width}d}"):
                return candidate
    raise RuntimeError("no valid number found")  # never: every body has a check digit, or the next one does


def tax_number(country: str, rng: random.Random) -> tuple[str, str]:
    """(scheme, value) of a valid tax number of a country, as its registry writes it:
    EIN in the US, ABN (GST) in Australia, the corporate number in Japan, else VAT. Check
    digits are computed (stdnum's functions), and every number is validated by stdnum."""
    d = lambda n, **kw: _digits(rng, n, **kw)  # noqa: E731
    if country == "US":
        return "ein", _until(rng, lambda: d(9), ein.is_valid)
    if country == "AU":
        return "gst", _until(
            rng, lambda: (b := d(9, first_nonzero=True)) and abn.calc_check_digits(b) + b, abn.is_valid
        )
    if country == "JP":
        return "vat", _until(rng, lambda: (b := d(12, first_nonzero=True)) and jp_cn.calc_check_digit(b) + b,
                             jp_cn.is_valid)  # fmt: skip
    if country == "DE":
        body = d(8, first_nonzero=True)
        return "vat", f"DE{body}{mod_11_10.calc_check_digit(body)}"
    if country == "FR":
        siren = d(8, first_nonzero=True)
        siren += luhn.calc_check_digit(siren)
        return "vat", f"FR{int(siren + '12') % 97:02d}{siren}"  # the key of a numeric TVA number
    if country == "IT":
        body = d(7) + f"{rng.randint(1, 100):03d}"
        return "vat", f"IT{body}{luhn.calc_check_digit(body)}"
    if country == "SE":
        body = d(9, first_nonzero=True)
        return "vat", f"SE{body}{luhn.calc_check_digit(body)}01"
    if country == "GB":  # the weighted sum of the nine digits is 0 or 42 modulo 97
        number = _check_loop(rng, lambda: d(7, first_nonzero=True), 100, lambda v: gb_vat.checksum(v) in (0, 42))
        return "vat", _until(rng, lambda: "GB" + number, gb_vat.is_valid)
    if country == "NL":  # the eleven-test of a BSN, as the btw number's first nine digits
        number = _check_loop(rng, lambda: d(8, first_nonzero=True), 10, lambda v: nl_bsn.checksum(v) == 0)
        return "vat", _until(rng, lambda: f"NL{number}B01", eu_vat.is_valid)
    if country == "ES":  # a company's CIF: a letter, seven digits, a check digit
        return "vat", _until(
            rng, lambda: (b := "B" + d(7)) and f"ES{b}{es_cif.calc_check_digits(b)[0]}", eu_vat.is_valid
        )
    if country == "FI":
        number = _check_loop(rng, lambda: d(7, first_nonzero=True), 10, lambda v: fi_alv.checksum(v) == 0)
        return "vat", _until(rng, lambda: f"FI{number}", eu_vat.is_valid)
    return "vat", _until(rng, lambda: (b := d(8, first_nonzero=True)) and f"CHE{b}{ch_uid.calc_check_digit(b)}MWST",
                         ch_vat.is_valid)  # fmt: skip


# numbers written one way by everyone (an EIN "12-3456789", an ABN "51 824 753 556"): noise
# beyond that form is not what clerks type, and the hub would refuse it
OFFICIAL: dict[str, Callable[[str], str]] = {"ein": ein.format, "gst": abn.format}


def noisy_identifier(scheme: str, value: str, country: str, rng: random.Random) -> dict[str, Any]:
    """An identifier as a clerk types it: in groups of digits with spaces or dashes, in lower
    case, with its country prefix or without."""
    if scheme in OFFICIAL:  # numbers with one written form: it, or the bare digits
        return {"scheme": scheme, "value": OFFICIAL[scheme](value) if rng.random() < 0.6 else value, "country": country}
    prefixed = scheme == "vat" and value[:2].isalpha() and country not in ("CH",)
    body = value[2:] if prefixed else value
    style = rng.randrange(5)
    if style == 1:  # groups of three, perhaps after the prefix
        text = " ".join(body[i : i + 3] for i in range(0, len(body), 3))
    elif style == 2:
        text = "-".join(body[i : i + 3] for i in range(0, len(body), 3))
    elif style == 3:
        text = body
    elif style == 4:
        text = value.lower()
    else:
        text = value
    if prefixed and style in (1, 2) and rng.random() < 0.5:
        text = f"{value[:2]} {text}"
    return {"scheme": scheme, "value": text, **({"country": country} if scheme != "duns" else {})}


def phone_number(country: str, rng: random.Random, digits: int = 4) -> phonenumbers.PhoneNumber:
    """A valid fixed-line number of a country: its example number with the last `digits`
    digits redrawn (4: 10,000 numbers a country, plenty for a few thousand firms)."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
    national = str(example.national_number)
    for _ in range(1_000):
        candidate = phonenumbers.PhoneNumber()
        candidate.merge_from(example)  # keeps Italy's leading zero
        candidate.national_number = int(national[:-digits] + _digits(rng, digits))
        if phonenumbers.is_valid_number(candidate):
            return candidate
    return example


def phone_text(number: phonenumbers.PhoneNumber, country: str, rng: random.Random, *, noisy: bool) -> str:
    """A phone number as a system holds it: E.164, or (noisy) international or national format
    with spaces, dashes or dots, or the 00 prefix dialled from Europe."""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not noisy:
        return e164
    style = rng.randrange(5)
    if style == 0:
        return e164
    if style == 1:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if style == 2:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if style == 3:
        text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return text.replace(" ", rng.choice(("-", ".", ""))).replace("+", "00" if country in EUROPE else "+")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "-")


# ---- companies ---------------------------------------------------------------------------------


@dataclass
class Company:
    words: list[str]
    form: str
    country: str
    tax: tuple[str, str]  # (scheme, value): the country's tax number
    duns: str
    phone: phonenumbers.PhoneNumber
    site: str
    street_no: int
    street_name: str
    street_type: int
    city: int
    postal: str
    industry: str
    moved: float | None = None  # when it moved (0..1 of the time the load covers), if it did
    renamed: float | None = None  # when it renamed itself, if it did
    later: "Company | None" = None  # what it is after those changes


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
        tax=tax_number(country, rng),
        duns=f"{(serial * 7919 + 104_729) % 1_000_000_000:09d}",  # no two companies share one
        phone=phone_number(country, rng),
        site=f"{slug}{serial}.example",  # a website is one company's
        street_no=rng.randint(1, 250),
        street_name=rng.choice(STREET_NAMES),
        street_type=rng.randrange(len(STREET_TYPES)),
        city=city,
        postal=f"{CITIES[country][city][1]}{rng.randint(10, 99)}",
        industry=rng.choice(INDUSTRY_WORDS),
    )


def drift(c: Company, rate: float, rng: random.Random) -> None:
    """Perhaps a move (another street, postcode and phone in its city) and perhaps a new name
    (another legal form, or a word added or dropped), each at its own time."""
    later = replace(c, words=list(c.words))
    if rng.random() < rate:
        c.moved = rng.random()
        later.street_no, later.street_name = rng.randint(1, 250), rng.choice(STREET_NAMES)
        later.postal = f"{CITIES[c.country][c.city][1]}{rng.randint(10, 99)}"
        later.phone = phone_number(c.country, rng)
    if rng.random() < rate / 2:
        c.renamed = rng.random()
        if len(later.words) > 1 and rng.random() < 0.5:
            later.words = later.words[:-1]
        elif rng.random() < 0.5:
            later.words = [*later.words, rng.choice(("Group", "Digital", "Solutions", "Holding"))]
        else:
            later.form = rng.choice([f for f in LEGAL_FORMS[c.country] if f != c.form] or [c.form])
    if c.moved is not None or c.renamed is not None:
        c.later = later


def company_at(c: Company, t: float) -> Company:
    """The company as it was at time t: moved or renamed once those changes happened."""
    if c.later is None:
        return c
    moved = c.moved is not None and t >= c.moved
    renamed = c.renamed is not None and t >= c.renamed
    if not moved and not renamed:
        return c
    base = c.later if renamed else c
    place = c.later if moved else c
    return replace(base, street_no=place.street_no, street_name=place.street_name, postal=place.postal,
                   phone=place.phone, later=None)  # fmt: skip


def street_line(c: Company, variant: bool, rng: random.Random) -> str:
    forms = STREET_FORMS.get(c.country)
    if forms:
        form = rng.choice(forms[1:]) if variant else forms[0]
        return form.format(name=c.street_name, no=c.street_no)
    long, short = STREET_TYPES[c.street_type]
    return f"{c.street_no} {c.street_name} {short if variant else long}"


def company_record(
    c: Company, rng: random.Random, *, perturb: Sequence[str] = (), ids: Sequence[str] = ("tax",), noisy: bool = False
) -> dict[str, Any]:
    """One source record of a company (contract v2). `ids` are the identifiers it carries
    ("tax", "duns"); `noisy` writes them and the phone as clerks do."""
    words = list(c.words)
    form = c.form
    if "abbreviate" in perturb:
        words = [ABBREVIATIONS.get(w, w) for w in words]
    if "reorder" in perturb and len(words) > 1:
        words = words[1:] + words[:1]
    if "legal_form" in perturb:
        form = rng.choice([*LEGAL_VARIANTS.get(form, []), ""])
    if "acronym" in perturb and len(words) > 1:
        words = [acronym(words)]
    if "initials" in perturb:
        words = initials(words, rng)
    if "split" in perturb:
        words = split(words, rng)
    if "glue" in perturb:
        words = glue(words, rng)
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
    if "truncate" in perturb:
        full = truncate(full, rng)
    city, _ = CITIES[c.country][c.city]
    postal = c.postal
    if "postcode_digit" in perturb:
        postal = one_digit(postal, rng)
    if "address_format" in perturb:
        postal = f"{postal[:2]} {postal[2:]}"
    identifiers = []
    for kind in () if "no_tax" in perturb else ids:
        scheme, value = c.tax if kind == "tax" else ("duns", c.duns)
        if noisy:
            identifiers.append(noisy_identifier(scheme, value, c.country, rng))
        else:
            identifiers.append({"scheme": scheme, "value": value, **({"country": c.country} if kind == "tax" else {})})
    record: dict[str, Any] = {
        "name": full,
        "legal_name": full,
        "country": c.country,
        "identifiers": identifiers,
        "phones": [{"kind": "main", "number": phone_text(c.phone, c.country, rng, noisy=noisy)}],
        "website": f"https://www.{c.site}" if "site_format" not in perturb else f"http://{c.site}/about",
        "industry": c.industry,
        "addresses": [{
            "kind": "billing",
            "line1": street_line(c, "address_format" in perturb, rng),
            "city": transliterate(city) if "transliterate" in perturb else city,
            "postal_code": postal,
            "country": c.country,
        }],
    }  # fmt: skip
    if not identifiers:
        del record["identifiers"]
    if "no_site" in perturb:
        del record["website"]
    if "no_address" in perturb:
        del record["addresses"]
    if "no_name" in perturb:  # only identifiers, website, address: a billing account without a name
        del record["name"], record["legal_name"]
    return record


# ---- people ------------------------------------------------------------------------------------


@dataclass
class Person:
    given: int  # index into GIVEN
    family: str
    country: str
    start: date
    mail: str
    phone: phonenumbers.PhoneNumber | None = None
    legal_entity: str = ""


def new_person(rng: random.Random, serial: int) -> Person:
    given = rng.randrange(len(GIVEN))
    family = rng.choice(FAMILY)
    country = rng.choice(COUNTRIES)
    start = date(2010, 1, 1) + timedelta(days=rng.randrange(5000))
    local = f"{transliterate(GIVEN[given][0])}.{transliterate(family)}".lower().replace(" ", "").replace("'", "")
    return Person(given, family, country, start, f"{local}{serial}@firm.example")


def person_record(p: Person, rng: random.Random, *, perturb: Sequence[str] = (), noisy: bool = False) -> dict[str, Any]:
    """One source record of a person (contract v2); with a phone when the person has one."""
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
    if "glue" in perturb:  # a family name of several words as one: "Van Dijk" -> "VanDijk"
        family = "".join(family.split())
    if "truncate" in perturb:
        cut = rng.choice((4, 5, 6))
        if rng.random() < 0.5 and len(given) > cut + 1:
            given = given[:cut]
        elif len(family) > cut + 1:
            family = family[:cut]
    if "case" in perturb:
        family = family.upper()
    record: dict[str, Any] = {
        "name": {"given": given, "family": family},
        "country": p.country,
        "start_date": p.start.isoformat(),
        "email": p.mail,
    }
    if p.phone is not None:
        record["phones"] = [{"kind": "mobile", "number": phone_text(p.phone, p.country, rng, noisy=noisy)}]
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

# Level 1 (the first benchmark's). Each duplicate takes `count` of the pool at random
# (besides the ones it always takes). The exact keys (a tax number, employee number, e-mail)
# are what deterministic matching already links, so duplicates here never share them: a
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

# Level 2 adds to level 1: more corruptions in each pool, noisy identifiers and phones, and
# for customers three systems per company that drift. `systems`: the share of companies
# each of the ERP and billing also holds (the CRM holds all); `ids`: which identifiers each
# system's record carries, with their odds; `drift`: the share of companies that move (half
# as many rename themselves); `nameless`: the share of ERP and billing records without a name.
LEVEL2: dict[str, dict[str, Any]] = {
    "easy": {
        "customer": {"pool": ["glue", "split", "postcode_digit"], "systems": {"netsuite": 0.5, "certinia": 0.3},
                     "drift": 0.1, "nameless": 0.0},
        "employee": {"pool": ["glue"], "phones": 0.5},
    },
    "hard": {
        "customer": {"pool": ["initials", "acronym", "glue", "split", "truncate", "postcode_digit"],
                     "systems": {"netsuite": 0.6, "certinia": 0.4}, "drift": 0.3, "nameless": 0.05},
        "employee": {"pool": ["glue", "truncate"], "phones": 0.5},
    },
}  # fmt: skip
# identifiers per system at level 2: (kind, odds); the CRM's same-system duplicates carry none
SYSTEM_IDS = {"salesforce": (("duns", 0.4),), "netsuite": (("tax", 0.9),), "certinia": (("tax", 0.4), ("duns", 0.2))}


@dataclass
class Event:
    """One source record sent: its entity (the label), system, source id and payload."""

    entity: int
    system: str
    source_id: str
    payload: dict[str, Any]
    at: float = 0.0  # when it was sent (level 2 orders by it)


@dataclass
class Labelled:
    system: str  # the system that creates (level 1: every record's)
    events: list[Event] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    ordered: bool = False  # the events are in arrival order (else the benchmark shuffles them)


def _pick(setting: dict[str, Any], extra: Sequence[str], rng: random.Random) -> list[str]:
    pool = [*setting["pool"], *extra]
    return [*setting["always"], *rng.sample(pool, rng.randint(*setting["count"]))]


def customers(
    entities: int, setting: dict[str, Any], rng: random.Random, level2: dict[str, Any] | None = None
) -> Labelled:
    out = Labelled("salesforce", ordered=level2 is not None)
    companies = [new_company(rng, i) for i in range(entities)]
    extra = level2["pool"] if level2 else []
    serial = iter(range(10**7))

    def send(e: int, system: str, payload: dict[str, Any], at: float, kind: str, sid: str | None = None) -> str:
        sid = sid or f"{system[:2].upper()}{next(serial):06d}"
        out.events.append(Event(e, system, sid, payload, at))
        out.kinds[kind] += 1
        return sid

    def ids_of(system: str) -> list[str]:
        return [kind for kind, odds in SYSTEM_IDS[system] if rng.random() < odds]

    for e, c in enumerate(companies):
        if level2 is None:
            send(e, "salesforce", company_record(c, rng), 0.0, "original")
        else:
            drift(c, level2["drift"], rng)
            at = rng.random()
            sid = send(e, "salesforce", company_record(company_at(c, at), rng, ids=ids_of("salesforce"), noisy=True),
                       at, "original")  # fmt: skip
            for change in (c.moved, c.renamed):  # the CRM learns of a change, sometimes, and sends its record again
                if change is not None and change > at and rng.random() < 0.5:
                    later = rng.uniform(change, 1.0)
                    record = company_record(company_at(c, later), rng, ids=ids_of("salesforce"), noisy=True)
                    send(e, "salesforce", record, later, "update", sid)
            for system, share in level2["systems"].items():
                if rng.random() < share:
                    at = rng.random()
                    perturb = [name for name in _pick(setting, extra, rng) if name != "no_tax"]  # its own ids
                    if rng.random() < level2["nameless"]:
                        perturb.append("no_name")
                    record = company_record(company_at(c, at), rng, perturb=perturb, ids=ids_of(system), noisy=True)
                    send(
                        e, system, record, at, "other system" if "no_name" not in perturb else "other system, nameless"
                    )
        if rng.random() < 0.4:  # one or two duplicates in the CRM itself
            for _ in range(rng.choice((1, 1, 2))):
                at = rng.random()
                state = company_at(c, at) if level2 else c
                record = company_record(state, rng, perturb=_pick(setting, extra, rng), noisy=level2 is not None)
                send(e, "salesforce", record, at, "duplicate")
    for _ in range(int(entities * setting["negatives"])):  # another company of the same name
        twin = rng.choice(companies)
        other = new_company(rng, len(companies))
        other.words, other.form = list(twin.words), rng.choice(LEGAL_FORMS[other.country])
        if rng.random() < 0.5:  # same city and country, another street: a namesake next door
            other.country, other.city, other.form = twin.country, twin.city, twin.form
            other.postal = CITIES[twin.country][twin.city][1] + str(rng.randint(10, 99))
            other.tax = tax_number(other.country, rng)
            other.phone = phone_number(other.country, rng)
        companies.append(other)
        if level2 is None:
            record = company_record(other, rng, perturb=["no_tax"] if rng.random() < 0.5 else [])
        else:
            record = company_record(other, rng, ids=ids_of("salesforce"), noisy=True)
        send(len(companies) - 1, "salesforce", record, rng.random(), "hard negative")
    if level2 is not None:
        out.events.sort(key=lambda ev: ev.at)
    return out


def employees(
    entities: int, setting: dict[str, Any], rng: random.Random, level2: dict[str, Any] | None = None
) -> Labelled:
    out = Labelled("workday")
    people = [new_person(rng, i) for i in range(entities)]
    extra = level2["pool"] if level2 else []
    noisy = level2 is not None
    if level2 is not None:
        for p in people:
            p.phone = phone_number(p.country, rng) if rng.random() < level2["phones"] else None

    def send(e: int, payload: dict[str, Any], kind: str) -> None:
        n = len(out.events)
        payload = {**payload, "employee_number": f"E{n:06d}"}
        out.events.append(Event(e, "workday", f"E{n:06d}", payload))
        out.kinds[kind] += 1

    for e, p in enumerate(people):
        send(e, person_record(p, rng, noisy=noisy), "original")
        if rng.random() < 0.4:
            for _ in range(rng.choice((1, 1, 2))):
                perturb = _pick(setting, extra, rng)
                if "other_email" not in perturb and "no_email" not in perturb:
                    perturb.append("no_email")  # the same e-mail is a key: deterministic, not fuzzy
                send(e, person_record(p, rng, perturb=perturb, noisy=noisy), "duplicate")
    for _ in range(int(entities * setting["negatives"])):  # a sibling: same family, country, often start date
        sib = rng.choice(people)
        other = new_person(rng, len(people))
        other.family, other.country = sib.family, sib.country
        if rng.random() < 0.5:
            other.start = sib.start
        elif rng.random() < 0.3:  # a namesake: same given name too, another e-mail and start date
            other.given = sib.given
        if level2 is not None and rng.random() < level2["phones"]:
            other.phone = phone_number(other.country, rng)
        people.append(other)
        send(len(people) - 1, person_record(other, rng, noisy=noisy), "hard negative")
    return out
