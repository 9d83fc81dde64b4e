"""The seeded generator of the demo estate: the firm, its people, clients and work, drawn
from the tables in `mdm/demo/data/` by one random stream in a fixed order.

Each golden record to be is drawn whole (`_Golden`: its canonical fields and its id in each
system that knows it); `emit` sends it as each of those systems would, with only the fields
the default policy lets that system write. `generate` is pure and deterministic for a seed
and scale, so tests check the estate without a database.
"""

import random
import string
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat

from mdm.demo import tables as t
from mdm.demo.estate import DemoEstate, SourceRecord, SourceRef, Step
from mdm.domains import BY_NAME
from mdm.domains.identifiers import BadIdentifier, identifier, slot_policy_field, tax_scheme
from mdm.policy.rules import default_policy

POLICY = default_policy()  # who sends which field
AS_OF = date.fromisoformat(t.SETTINGS["as_of"])  # the estate's "today", so that a seed always gives the same estate
TARGETS: dict[str, int] = t.SETTINGS["targets"]
EMP, CUS, CARD, PRJ = (t.SETTINGS[k] for k in ("employee", "customer", "rate_card", "project"))
E164 = PhoneNumberFormat.E164
ROOT = t.COST_CENTERS[0][0]  # the chart's root, which each entity's lead owns
_DRAW = {
    "#": string.digits,
    "@": string.ascii_uppercase,
    "*": string.digits + string.ascii_letters,
    "%": "0123456789abcdef",
}
_TRANSLITERATION = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE"})


def target_sizes(scale: float) -> dict[str, int]:
    """Golden records per domain at a scale; small scales keep enough of each to stay connected."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    n = {d: round(size * scale) for d, size in TARGETS.items()}
    n_le = min(len(t.ENTITIES), max(2, n["legal_entity"]))
    return {
        "legal_entity": n_le,
        "cost_center": min(len(t.COST_CENTERS) * n_le, max(3 * n_le, n["cost_center"])),
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


def _money(amount: float) -> str:
    return f"{round(amount)}.00"


def _apportion(total: int, weights: Sequence[int], low: int, high: int) -> list[int]:
    """Split `total` by weight (highest averages), each share within [low, high]."""
    counts = [low] * len(weights)
    for _ in range(total - low * len(weights)):
        best = max((i for i in range(len(weights)) if counts[i] < high), key=lambda i: weights[i] / (counts[i] + 1))
        counts[best] += 1
    return counts


def _part(payload: dict[str, Any], path: str) -> Any:
    """A field or a part of one: `name.given`; of a list, the element of a kind (`addresses.billing`), without it."""
    top, _, part = path.partition(".")
    value = payload.get(top)
    if not part or value is None:
        return value
    if isinstance(value, list):
        found = next((e for e in value if e.get("kind") == part), None)
        return None if found is None else {k: v for k, v in found.items() if k != "kind"}
    return value.get(part)


def _set_part(domain: str, payload: dict[str, Any], path: str, value: Any) -> None:
    """Set the field or part at `path` of a payload (None leaves it out)."""
    top, _, part = path.partition(".")
    if not part:
        payload[top] = value
    elif BY_NAME[domain].field(top) in BY_NAME[domain].list_fields:
        others = [e for e in payload.get(top) or () if e.get("kind") != part]
        payload[top] = others + ([{"kind": part, **value}] if value is not None else []) or None
    else:
        whole = {k: v for k, v in (payload.get(top) or {}).items() if k != part}
        payload[top] = whole | ({part: value} if value is not None else {}) or None


def _waves(batch: dict[SourceRef, dict[str, Any]], loaded: set[SourceRef]) -> list[list[SourceRef]]:
    """The batch in waves: a record comes after the records of the batch it points at (parents, managers)."""
    level: dict[SourceRef, int] = {}

    def depth(ref: SourceRef) -> int:
        if ref not in level:
            waits = [v for v in batch[ref].values() if isinstance(v, SourceRef) and v in batch and v not in loaded]
            level[ref] = 1 + max(map(depth, waits), default=-1)
        return level[ref]

    waves: list[list[SourceRef]] = [[] for _ in range(1 + max(map(depth, batch), default=-1))]
    for ref in batch:
        waves[level[ref]].append(ref)
    return waves


STREET_KINDS = frozenset({"Street", "St", "Avenue", "Ave", "Road", "Rd", "Drive", "Dr", "Lane", "Ln", "Boulevard"})


@dataclass(eq=False, slots=True)
class _Golden:
    """A golden record to be: its canonical fields, its id in each system that sends it, and
    facts only the generator needs (a person's grade, a company's trading name...)."""

    domain: str
    fields: dict[str, Any]
    ids: dict[str, str]
    facts: dict[str, Any]

    @property
    def ref(self) -> SourceRef:
        """The record as the first system that sends it knows it."""
        system, source_id = next(iter(self.ids.items()))
        return SourceRef(self.domain, system, source_id)


class _Builder:
    """Builds the estate domain by domain from one random stream, in a fixed order."""

    def __init__(self, seed: int, scale: float):
        self.rng, self.sizes = random.Random(seed), target_sizes(scale)
        self.steps: list[Step] = []
        self.loaded: set[SourceRef] = set()
        self.made: Counter[str] = Counter()  # golden records per domain
        self.taken: set[str] = set()
        self.counters: Counter[str] = Counter()
        self.planted: dict[str, list[tuple[SourceRef, SourceRef]]] = defaultdict(list)
        self.entities: list[_Golden] = []
        self.people: list[_Golden] = []
        self.companies: list[_Golden] = []
        self.cards: list[_Golden] = []

    # ---- drawing from the stream, and sending ------------------------------------------

    def fill(self, pattern: str, unique: bool = True) -> str:
        """A value of a pattern (`_DRAW`: # a digit, @ a capital...); `unique`: one not given out before."""
        value = "".join(self.rng.choice(_DRAW[c]) if c in _DRAW else c for c in pattern)
        if unique and value in self.taken:
            return self.fill(pattern)
        self.taken.add(value)
        return value

    def weighted(self, weights: Mapping[Any, float]) -> Any:
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def source_id(self, domain: str, system: str) -> str:
        feed = t.FEEDS[domain][system]
        if feed.id_counter:
            self.counters[feed.id_counter] += self.rng.randint(1, 9)
            return str(100 + self.counters[feed.id_counter])
        return self.fill(feed.id_pattern)

    def new(self, domain: str, fields: dict[str, Any], systems: Sequence[str] | None = None, **facts: Any) -> _Golden:
        """A golden record to be, known to `systems` (by default every feed of its domain)."""
        self.made[domain] += 1
        ids = {s: self.source_id(domain, s) for s in (t.FEEDS[domain] if systems is None else systems)}
        return _Golden(domain, fields, ids, facts)

    def payload(self, golden: _Golden, system: str) -> dict[str, Any]:
        """What `system` sends of the record: the fields the default policy lets it write (of
        a list, the elements: netsuite sends the VAT number, salesforce the DUNS)."""
        domain, sent = BY_NAME[golden.domain], {}
        for k, v in golden.fields.items():
            if v is None:
                continue
            if domain.has_field(k) and domain.field(k) in domain.list_fields:
                kind = domain.field(k).kind
                v = [e for e in v if system in POLICY.owners(golden.domain, slot_policy_field(k, kind, e))] or None
                if v is not None:
                    sent[k] = v
            elif system in POLICY.owners(golden.domain, k):
                sent[k] = v
        return sent

    def emit(self, goldens: Sequence[_Golden], label: str | None = None) -> None:
        """The records each feed sends of these golden records, a step per wave."""
        for system, feed in t.FEEDS[goldens[0].domain].items():
            drift = t.SETTINGS["drift"].get(goldens[0].domain, {}).get(system)
            batch = {
                SourceRef(g.domain, system, g.ids[system]): self.drifted(g, self.payload(g, system), drift)
                for g in goldens
                if system in g.ids
            }
            waves = _waves(batch, self.loaded)
            for n, wave in enumerate(waves):
                name = (label or feed.label) + (f", level {n}" if len(waves) > 1 else "")
                self.add_step(name, [SourceRecord(r.domain, r.system, r.source_id, batch[r]) for r in wave])

    def add_step(self, label: str, records: list[SourceRecord]) -> None:
        if records:
            self.steps.append(Step(records[0].domain, records[0].system, label, tuple(records)))
            self.loaded |= {r.ref for r in records}

    def plant(self, domain: str, originals: list[_Golden]) -> None:
        """Planted near-duplicates (estate.json `duplicates`): records sent again under a new
        source id with some fields written another way; what no key links, only matching finds."""
        spec, records = t.SETTINGS["duplicates"][domain], []
        for golden in self.rng.sample(originals, min(len(originals), round(self.sizes[domain] * spec["share"]))):
            sent = self.payload(golden, spec["system"])
            payload = dict(sent) if spec["others"] == "same" else {}
            for field, stages in spec["fields"].items():  # each stage writes the field (or part) one more way
                value = _part(sent, field)
                for weights in stages:
                    value = self.vary(golden, value, weights, _part(sent, field))
                _set_part(domain, payload, field, value)
            payload |= {f: self.fill(pattern) for f, pattern in spec.get("new", {}).items()}
            payload = {k: v for k, v in payload.items() if v is not None}
            golden.facts["duplicate"] = SourceRecord(
                domain, spec["system"], self.source_id(domain, spec["system"]), payload
            )
            records.append(golden.facts["duplicate"])
            self.planted[domain].append((golden.ref, records[-1].ref))
            self.made[domain] += not any(
                k.values(payload) and k.values(payload) == k.values(sent) for k in BY_NAME[domain].keys
            )
        self.add_step(spec["label"], records)

    def drifted(self, golden: _Golden, sent: dict[str, Any], fields: dict[str, Any] | None) -> dict[str, Any]:
        """What a system sends when it keeps a record its own way (estate.json `drift`): each
        listed field or part written in stages as `plant` does, taken from what the system
        sends or, for a field it does not own (sent whole, contributed), from the record."""
        if not fields:
            return sent
        payload = dict(sent)
        for field, stages in fields.items():
            value = original = _part(sent, field) if _part(sent, field) is not None else _part(golden.fields, field)
            if value is None:
                continue
            for weights in stages:
                value = self.vary(golden, value, weights, original)
            _set_part(golden.domain, payload, field, value)
        return {k: v for k, v in payload.items() if v is not None}

    def vary(self, golden: _Golden, value: Any, weights: dict[str, float], original: Any) -> Any:
        """One of the ways (drawn by weight) a second record writes a value; a way that changes
        nothing or gives back the original is skipped, unless it is `same`."""
        form = golden.facts.get("form", "")
        ways: dict[str, Callable[[], Any]] = {
            "same": lambda: value,
            "drop": lambda: None,
            "typo": lambda: self.typo(value),
            "ascii": lambda: _ascii(value),
            "upper_first": lambda: value.replace(value.split(" ")[0], value.split(" ")[0].upper(), 1),
            "respell": lambda: self.respell(value),
            "legal_form": lambda: value.removesuffix(f" {form}") if value.endswith(f" {form}") else f"{value} {form}",
            "nickname": lambda: t.NICKNAMES.get(value, value),
            "http": lambda: value.replace("https://www.", "http://"),
            "shorthand": lambda: self.shorthand(value),
            "upper": lambda: value.upper(),
            "initials": lambda: self.initials(golden, value),
            "abbreviate": lambda: self.abbreviate(value),
            "glued": lambda: value.replace(golden.facts["base"], golden.facts["base"].replace(" ", "").upper()),
            "truncate": lambda: value[: max(8, len(value) * 2 // 3)].rstrip(" &,."),
            "postcode_digit": lambda: self.postcode_digit(value),
            "unkind": lambda: self.unkind(value),
            "moved": lambda: self.moved(golden),
            "renumbered": lambda: {"number": self.phone(golden.fields["country"])["number"]},
            "other_ending": lambda: value and self.other_ending(value),
            "line": lambda: value and {**value, "number": value["number"][:-2] + f"{self.rng.randint(0, 99):02d}"},
            "phone_digit": lambda: value and {**value, "number": self.digit_off(value["number"])},
        }
        written = {way: way[1:] if way.startswith("=") else ways[way]() for way in weights}
        return written[
            self.weighted({w: weights[w] for w, v in written.items() if v not in (value, original) or w == "same"})
        ]

    def typo(self, text: str) -> str:
        """A plausible misspelling of a word of the text: accents dropped, two letters swapped, or one lost."""
        words = text.split(" ")
        i = self.rng.choice([i for i, w in enumerate(words) if len(w) >= 5] or [len(words) - 1])
        word = words[i]
        letters = [j for j in range(1, len(word) - 1) if word[j].isalpha() and word[j + 1].isalpha()]
        j = self.rng.choice(letters) if letters else 0
        if _ascii(word) != word and self.rng.random() < 0.5:
            words[i] = _ascii(word)
        elif not letters:
            words[i] = word + word[-1]
        elif self.rng.random() < 0.5 and word[j] != word[j + 1]:
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        else:
            words[i] = word[:j] + word[j + 1 :]
        return " ".join(words)

    @staticmethod
    def initials(golden: _Golden, name: str) -> str:
        """The company's name with its words as initials: "PF Corp." for "Pacific Freight Corp."."""
        base = golden.facts["base"]
        return name.replace(base, "".join(w[0] for w in base.split() if w[0].isalnum()).upper())

    def abbreviate(self, name: str) -> str:
        """A long word of the name cut to its first letters and a dot: "Cornerstone" -> "Corn."."""
        words = name.split(" ")
        long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
        if not long:
            return name
        i = self.rng.choice(long)
        words[i] = f"{words[i][: self.rng.randint(3, 5)]}."
        return " ".join(words)

    def moved(self, golden: _Golden) -> dict[str, str]:
        """Another address in the company's country: it moved, or bills from its head office."""
        address = self.address(t.COUNTRIES[golden.fields["country"]])
        return {k: v for k, v in address.items() if k != "country"} | {"country": golden.fields["country"]}

    @staticmethod
    def unkind(address: dict[str, str]) -> dict[str, str]:
        """The address with its street's kind left out, as many write it: "12 Queen Street" -> "12 Queen"."""
        words = address["line1"].split(" ")
        kept = [w for w in words if w.rstrip(".,") not in STREET_KINDS]
        return {**address, "line1": " ".join(kept)} if 2 <= len(kept) < len(words) else address

    def postcode_digit(self, address: dict[str, str]) -> dict[str, str]:
        """The address with one digit of its postal code mistyped."""
        return {**address, "postal_code": self.digit_off(address.get("postal_code", ""))}

    def digit_off(self, code: str) -> str:
        """The code with one of its digits (not the first: a country code stays) mistyped."""
        digits = [i for i, c in enumerate(code) if c.isdigit()][1:]
        if not digits:
            return code
        i = self.rng.choice(digits)
        wrong = self.rng.choice([d for d in string.digits if d != code[i]])
        return code[:i] + wrong + code[i + 1 :]

    @staticmethod
    def other_ending(url: str) -> str:
        """The firm's site under another ending: its country's for a ".com", else ".com"."""
        host = url.split("://", 1)[-1].split("/", 1)[0]
        name, _, ending = host.partition(".") if not host.startswith("www.") else host[4:].partition(".")
        return url.replace(f"{name}.{ending}", f"{name}.{'com' if ending != 'com' else 'net'}")

    def respell(self, name: str) -> str:
        """A legal form, word or "&" written another way (spellings.csv), either way round."""
        pairs = [(a, b) for a, b in t.NAME_SPELLINGS if a in name] + [(b, a) for a, b in t.NAME_SPELLINGS if b in name]
        written, respelt = self.rng.choice(pairs) if pairs else (name, name)
        return name.replace(written, respelt, 1)

    @staticmethod
    def shorthand(address: dict[str, str]) -> dict[str, str]:
        """The address with a street shorthand, else without its postal code and the city in capitals."""
        for long, short in t.ADDRESS_SHORTHANDS.items():
            if long in address["line1"]:
                return {**address, "line1": address["line1"].replace(long, short)}
        return {k: v.upper() if k == "city" else v for k, v in address.items() if k != "postal_code"}

    def identifier(self, scheme: str, pattern: str, country: str) -> dict[str, Any]:
        """An identifier of a pattern that passes its scheme's check digits (drawn again until it does)."""
        for _ in range(10_000):
            try:
                return identifier({"scheme": scheme, "value": self.fill(pattern), "country": country}, country)
            except BadIdentifier:
                continue
        raise ValueError(f"no valid {scheme} of {country} fits the pattern {pattern!r} (countries.csv)")

    def phone(self, country: str) -> dict[str, str]:
        """A main line that phonenumbers takes as valid in the country, in E.164: the example
        number's first digits (its area), the rest drawn, so two firms' lines share an area
        code at most, as a country's do, not all but the last four digits."""
        example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
        if example is None:
            raise ValueError(f"phonenumbers has no example number of {country}")
        digits = phonenumbers.national_significant_number(example)
        for attempt in range(1_000):
            kept = 2 if attempt < 500 else len(digits) - 4  # a valid number near the example, else its last four
            drawn = "".join(str(self.rng.randint(0, 9)) for _ in range(len(digits) - kept))
            number = phonenumbers.parse(f"+{example.country_code}{digits[:kept]}{drawn}")
            if phonenumbers.is_valid_number(number):
                return {"kind": "main", "number": phonenumbers.format_number(number, E164)}
        raise ValueError(f"no valid phone number near {digits} in {country}")

    def address(self, country: t.Country) -> dict[str, str]:
        city, region, postal = self.rng.choice(country.cities)
        n, street = self.rng.randint(1, country.house_numbers), self.rng.choice(country.streets)
        address = {"line1": country.address_line1.format(n=n, street=street), "city": city, "region": region}
        address["postal_code"] = self.fill(postal, unique=False)
        if self.rng.random() < country.line2_share:
            address["line2"] = f"{self.rng.choice(CUS['line2'])} {self.rng.randint(2, 40)}"
        return {**address, "country": country.code}

    # ---- the firm: legal entities, cost centers, employees -----------------------------

    def legal_entities(self) -> None:
        for plan in t.ENTITIES[: self.sizes["legal_entity"]]:
            country = t.COUNTRIES[plan.country]
            parent = None if plan.parent is None else self.entities[plan.parent].ref
            identifiers = [
                self.identifier("registration", country.registration_number, plan.country),
                self.identifier(tax_scheme(plan.country), country.tax_id, plan.country),
            ]
            fields = {"name": plan.name, "identifiers": identifiers, "country": plan.country,
                      "addresses": [{"kind": "registered", **self.address(country)}],
                      "functional_currency": country.currency, "parent_id": parent, "status": "active"}  # fmt: skip
            self.entities.append(self.new("legal_entity", fields, plan=plan, centers={}, staff=[]))
        self.emit(self.entities)

    def cost_centers(self) -> None:
        weights, centers = [e.facts["plan"].staff_weight for e in self.entities], []
        counts = _apportion(self.sizes["cost_center"], weights, 3, len(t.COST_CENTERS))
        for entity, count in zip(self.entities, counts, strict=True):
            chart = entity.facts["centers"]
            for code, name, parent in t.COST_CENTERS[:count]:
                closed = t.CLOSED_CODES.get(code)
                chart[code] = self.new("cost_center", {
                    "code": code, "name": name, "legal_entity_id": entity.ref,
                    "parent_id": None if parent is None else chart[parent].ref,
                    "valid_from": entity.facts["plan"].founded.isoformat(), "valid_to": closed and closed.isoformat(),
                    "status": "active" if closed is None else "inactive", "owner_id": None,
                })  # fmt: skip
                centers.append(chart[code])
        self.emit(centers)

    def cost_center_owners(self) -> None:
        """ERP learns the owners once HCM has the people: a second upsert of the same records."""
        owned = []
        for entity in self.entities:
            lead, *staff = entity.facts["staff"]
            partners = [p for p in staff if p.facts["grade"] == 0] or [lead]
            seniors = [p for p in staff if p.facts["grade"] <= 1] or [lead]
            for code, center in entity.facts["centers"].items():
                if code not in t.CLOSED_CODES:
                    owner = lead if code == ROOT else self.rng.choice(partners if code in t.GROUP_CODES else seniors)
                    center.fields["owner_id"] = owner.ref
                    owned.append(center)
        self.emit(owned, "owners")

    def employees(self) -> None:
        weights = [e.facts["plan"].staff_weight for e in self.entities]
        for entity, count in zip(self.entities, _apportion(self.sizes["employee"], weights, 1, 10**9), strict=True):
            country = t.COUNTRIES[entity.fields["country"]]
            for k in range(count):
                grade = 0 if k == 0 else self.rng.choices(range(len(t.TITLES)), t.GRADE_WEIGHTS)[0]
                culture = self.rng.choice(country.cultures if self.rng.random() < 0.85 else tuple(t.NAMES))
                given, family = (self.rng.choice(names) for names in t.NAMES[culture])
                person = self.new("employee", {
                    "name": {"given": given, "family": family}, "legal_entity_id": entity.ref,
                    "job_title": EMP["lead_title"] if k == 0 else t.TITLES[grade], "country": country.code,
                    "cost_rate": _money(t.DAY_COST[grade] * self.rng.uniform(0.9, 1.1)),
                }, grade=grade, entity=entity, lead=k == 0)  # fmt: skip
                entity.facts["staff"].append(person)
                self.people.append(person)
        for entity in self.entities:
            self._hierarchy(entity)
        for person in self.people:
            self._employment(person)
        self._identities()
        self.emit(sorted(self.people, key=lambda p: p.fields["employee_number"]))
        self.plant("employee", [p for p in self.people if not p.facts["lead"] and p.fields["status"] != "terminated"])

    def _hierarchy(self, entity: _Golden) -> None:
        """Managers from the grade above in the same entity; entity leads report to the group's."""
        chief, (lead, *staff) = self.entities[0].facts["staff"][0], entity.facts["staff"]
        lead.fields["manager_id"] = None if lead is chief else chief.ref
        by_grade: dict[int, list[_Golden]] = defaultdict(list)
        for person in sorted(staff, key=lambda p: p.facts["grade"]):
            grade = person.facts["grade"]
            wanted = [*t.MANAGER_GRADES[grade], *range(min(grade, 5) - 1, -1, -1)]
            person.fields["manager_id"] = self.rng.choice(
                next((by_grade[g] for g in wanted if by_grade[g]), [lead])
            ).ref
            by_grade[grade].append(person)

    def _employment(self, person: _Golden) -> None:
        """Dates, contract type and status; grades.csv says who may contract or leave."""
        entity, grade, lead = person.facts["entity"], person.facts["grade"], person.facts["lead"]
        earliest = max(entity.facts["plan"].founded, AS_OF - timedelta(days=365 * t.MAX_TENURE_YEARS[grade]))
        start = self.day_between(earliest, AS_OF - timedelta(days=14))
        end, kind, status, roll = None, "employee", "active", self.rng.random()
        if roll < t.CONTRACTOR_SHARE[grade]:
            kind, end = "contractor", AS_OF + timedelta(days=self.rng.randint(*EMP["contract_days"]))
        elif roll >= 1 - t.LEAVER_SHARE[grade] and start < AS_OF - timedelta(days=60):
            status, end = "terminated", self.day_between(start + timedelta(days=30), AS_OF - timedelta(days=1))
        elif not lead and roll < t.CONTRACTOR_SHARE[grade] + EMP["on_leave_share"]:
            status = "leave"
        delivery = self._delivery(entity)
        at_root = lead or not delivery or (grade == 0 and self.rng.random() < EMP["root_partner_share"])
        center = entity.facts["centers"][ROOT].ref if at_root else self.rng.choice(delivery)
        person.fields |= {"start_date": start.isoformat(), "end_date": end and end.isoformat(),
                          "employment_type": kind, "status": status, "cost_center_id": center}  # fmt: skip

    def _identities(self) -> None:
        """Worker numbers in hiring order, and e-mails unique among people: a namesake gets a
        middle initial, and only then a number, as mail administrators do."""
        taken: set[str] = set()
        for number, person in enumerate(sorted(self.people, key=lambda p: p.fields["start_date"]), start=100001):
            given, family = _slug(person.fields["name"]["given"]), _slug(person.fields["name"]["family"])
            candidate = f"{given}.{family}"
            if candidate in taken:
                candidate = f"{given}.{self.rng.choice(string.ascii_lowercase)}.{family}"
            suffix = 2
            while candidate in taken:
                candidate, suffix = f"{given}.{family}{suffix}", suffix + 1
            taken.add(candidate)
            person.fields |= {"employee_number": str(number), "email": f"{candidate}@{EMP['email_domain']}"}

    def _delivery(self, entity: _Golden) -> list[SourceRef]:
        """The entity's open practices that staff projects."""
        chart = entity.facts["centers"].items()
        return [c.ref for code, c in chart if code in t.DELIVERY_CODES - t.GROUP_CODES and code not in t.CLOSED_CODES]

    # ---- clients: customers -------------------------------------------------------------

    def customers(self) -> None:
        n_companies = self.sizes["customer"] - round(
            self.sizes["customer"] * t.SETTINGS["duplicates"]["customer"]["share"]
        )
        n_tops, names = n_companies - round(n_companies * CUS["subsidiary_share"]), set[str]()
        for k in range(n_companies):
            self.companies.append(self._company(names, k >= n_tops))
        self.emit(self.companies)
        self.plant("customer", self.companies[:n_tops])

    def _company(self, names: set[str], subsidiary: bool) -> _Golden:
        """A company as the CRM (always) and the ERP (once it is billed) know it; a subsidiary is a
        group company in another country, e.g. "Atlas Capital Deutschland GmbH"."""
        tops = [c for c in self.companies if c.fields["parent_id"] is None and c.fields["status"] != "prospect"]
        while True:
            country = self.weighted({c: c.customer_weight for c in t.COUNTRIES.values()})
            parent = self.rng.choice(tops) if subsidiary else None
            if parent is not None:
                base, industry = f"{parent.facts['base']} {country.label}", parent.fields["industry"]
                if country.code == parent.fields["country"]:
                    continue
            else:
                industry = self.rng.choice(tuple(t.INDUSTRIES))
                family, family2 = self.rng.sample(t.NAMES[self.rng.choice(country.cultures)][1], 2)
                noun, brand = self.rng.choice(t.INDUSTRIES[industry]), self.rng.choice(t.BRANDS)
                base = self.weighted(CUS["names"]).format(brand=brand, noun=noun, family=family, family2=family2)
                base = base[0].upper() + base[1:]  # "de Jong Logistics" starts a sentence: "De Jong Logistics"
                base += self.rng.choice(CUS["suffixes"]) if self.rng.random() < CUS["suffix_share"] else ""
            if base.lower() not in names:
                break
        names.add(base.lower())
        status = "active" if parent else self.weighted(CUS["statuses"])
        form = self.rng.choice(country.forms)
        billed = status != "prospect" and self.rng.random() > CUS["unbilled_share"]
        identifiers = [self.identifier(tax_scheme(country.code), country.tax_id, country.code)] if billed else []
        if self.rng.random() < CUS["duns_share"]:
            identifiers.append(self.identifier("duns", "#########", country.code))
        fields = {
            "name": f"{base} {form}" if self.rng.random() < CUS["legal_name_as_name_share"] else base,
            "legal_name": f"{base} {form}", "identifiers": identifiers or None,
            "website": f"https://www.{_slug(parent.facts['base'] if parent else base)}.{country.tld}",
            "country": country.code, "addresses": [{"kind": "billing", **self.address(country)}],
            "phones": [self.phone(country.code)] if self.rng.random() < CUS["phone_share"] else None,
            "currency": country.currency, "industry": industry, "parent_id": parent and parent.ref, "status": status,
        }  # fmt: skip
        appetite = self.rng.paretovariate(CUS["appetite_pareto_alpha"])  # how much work the firm does for it
        appetite = parent.facts["appetite"] * self.rng.uniform(*CUS["subsidiary_appetite"]) if parent else appetite
        return self.new(
            "customer", fields, list(t.FEEDS["customer"])[: 2 if billed else 1], base=base, form=form, appetite=appetite
        )

    # ---- the work: rate cards and projects ---------------------------------------------

    def rate_cards(self) -> None:
        total, delivering = self.sizes["rate_card"], [e for e in self.entities if e.facts["plan"].delivers]
        standard = min(total - max(1, round(total * CARD["customer_share"])), len(t.RATE_PERIODS) * len(delivering))
        for k in range(standard):
            start, end, factor = t.RATE_PERIODS[k // len(delivering)]
            self._card(CARD["standard"], delivering[k % len(delivering)], None, start, end, factor)
        billed = [c for c in self.companies if c.fields["status"] == "active" and "netsuite" in c.ids]
        frame = CARD["framework"]
        for company in sorted(billed, key=lambda c: c.facts["appetite"], reverse=True)[: total - standard]:
            start = date(self.rng.choice(frame["start_years"]), self.rng.randint(*frame["start_months"]), 1)
            end = date(start.year + frame["term_years"], start.month, 1) - timedelta(days=1)
            end_or_none = None if self.rng.random() < frame["open_ended_share"] else end
            self._card(frame, self._home_entity(company, delivering), company, start, end_or_none, 1.0)
        self.emit(self.cards)

    def _card(self, template: dict[str, Any], entity: _Golden, customer: _Golden | None, start: date,
              end: date | None, factor: float) -> None:  # fmt: skip
        """A card from a template of estate.json: a day and an hour rate for every grade."""
        currency, lines = entity.fields["functional_currency"], []
        factor *= self.rng.uniform(*template["factor"]) * t.CURRENCY_FACTORS[currency]
        for title, eur in zip(t.TITLES, t.DAY_RATES_EUR, strict=True):
            day = round(eur * factor / 10) * 10
            hour = round(day / CARD["hours_per_day"] * CARD["hour_premium"] / 5) * 5
            lines += [
                {"role": title, "unit": "day", "rate": _money(day)},
                {"role": title, "unit": "hour", "rate": _money(hour)},
            ]
        self.cards.append(self.new("rate_card", {
            "name": template["name"], "currency": currency, "customer_id": customer and customer.ref,
            "legal_entity_id": entity.ref, "effective_from": start.isoformat(), "effective_to": end and end.isoformat(),
            "lines": lines, "status": "active" if end is None or end >= AS_OF else "inactive",
        }, entity=entity))  # fmt: skip

    def projects(self) -> None:
        delivering = [e for e in self.entities if e.facts["plan"].delivers]
        clients = [c for c in self.companies if c.fields["status"] != "prospect"]
        prospects = [c for c in self.companies if c.fields["status"] == "prospect"] or clients
        sequence: Counter[tuple[str, int]] = Counter()
        first, last = date.fromisoformat(PRJ["first_start"]), AS_OF + timedelta(days=PRJ["lookahead_days"])
        projects = []
        for start in sorted(self.day_between(first, last) for _ in range(self.sizes["project"])):  # codes count up
            proposed = start > AS_OF  # not sold yet: only the PSA knows it
            if proposed and self.rng.random() < PRJ["prospect_share"]:
                company = self.rng.choice(prospects)
            else:
                company = self.rng.choices(clients, [c.facts["appetite"] for c in clients])[0]
            customer, display = company.ref, company.fields["name"]
            second = company.facts.get("duplicate")
            if second and self.rng.random() < PRJ["second_account_share"]:  # booked against the second account
                customer, display = second.ref, second.payload["name"]
            if self.rng.random() < PRJ["home_entity_share"]:
                entity = self._home_entity(company, delivering)
            else:
                entity = self.rng.choices(delivering, [e.facts["plan"].staff_weight for e in delivering])[0]
            model = self.rng.choices(t.BILLING_MODELS, t.BILLING_WEIGHTS)[0]
            days = self.rng.randint(t.BILLING[model]["min_days"], t.BILLING[model]["max_days"])
            end, roll = start + timedelta(days=days), self.rng.random()
            cancelled, on_hold = roll < PRJ["cancelled_share"], roll < PRJ["cancelled_share"] + PRJ["on_hold_share"]
            status = (
                "proposed"
                if proposed
                else "cancelled"
                if cancelled
                else "closed"
                if end < AS_OF
                else "on_hold"
                if on_hold
                else "active"
            )
            if status == "cancelled":
                end = start + timedelta(days=self.rng.randint(*PRJ["cancelled_days"]))
            country, currency = entity.fields["country"], entity.fields["functional_currency"]
            sequence[(country, start.year)] += 1
            phase = (
                PRJ["phase"].format(n=self.rng.randint(*PRJ["phases"]))
                if self.rng.random() < PRJ["phase_share"]
                else ""
            )
            managers = [
                p
                for p in entity.facts["staff"]
                if p.facts["grade"] in PRJ["manager_grades"] and p.fields["status"] != "terminated"
            ]
            value = (
                days * 5 // 7 * self.rng.randint(*PRJ["team_size"]) * PRJ["team_day_eur"] * t.CURRENCY_FACTORS[currency]
            )
            step = t.BILLING[model]["value_step"]
            projects.append(self.new("project", {
                "code": PRJ["code"].format(country=country, year=start.year, seq=sequence[(country, start.year)]),
                "name": PRJ["name"].format(customer=display, engagement=self.rng.choice(t.ENGAGEMENTS), phase=phase),
                "customer_id": customer, "manager_id": self.rng.choice(managers or entity.facts["staff"][:1]).ref,
                "billing_model": model, "start_date": start.isoformat(), "end_date": end.isoformat(), "status": status,
                "legal_entity_id": entity.ref, "currency": currency,
                "cost_center_id": self.rng.choice(self._delivery(entity) or [entity.facts["centers"][ROOT].ref]),
                "contract_value": _money(max(step, round(value * self.rng.uniform(*PRJ["value_share"]) / step) * step)),
                "rate_card_id": self._rate_card(entity, customer, start, model),
            }, ["certinia"] if proposed else None))  # fmt: skip
        self.emit(projects)

    def _home_entity(self, company: _Golden, delivering: list[_Golden]) -> _Golden:
        """The entity that contracts with a client: one in its country, else the largest."""
        local = [e for e in delivering if e.fields["country"] == company.fields["country"]]
        return local[0] if local else max(delivering, key=lambda e: e.facts["plan"].staff_weight)

    def _rate_card(self, entity: _Golden, customer: SourceRef, start: date, model: str) -> SourceRef | None:
        """The client's framework card if it covers the start, else the entity's standard card."""
        if model not in t.RATE_CARD_MODELS and self.rng.random() < PRJ["without_rate_card_share"]:
            return None
        day = start.isoformat()
        fitting = [c for c in self.cards if c.facts["entity"] is entity
                   and c.fields["effective_from"] <= day <= (c.fields["effective_to"] or day)]  # fmt: skip
        chosen = [c for c in fitting if c.fields["customer_id"] == customer] or [
            c for c in fitting if c.fields["customer_id"] is None
        ]
        return chosen[0].ref if chosen else None

    def build(self, seed: int, scale: float) -> DemoEstate:
        """The steps, the golden records they should make per domain, and the planted pairs."""
        for make in (self.legal_entities, self.cost_centers, self.employees, self.cost_center_owners,
                     self.customers, self.rate_cards, self.projects):  # fmt: skip
            make()
        planted = tuple(self.planted["customer"]), tuple(self.planted["employee"])
        return DemoEstate(seed, scale, tuple(self.steps), dict(self.made), *planted)


def generate(seed: int = 7, scale: float = 1.0) -> DemoEstate:
    """The demo estate for a seed and scale: the same arguments always give the same estate."""
    return _Builder(seed, scale).build(seed, scale)
