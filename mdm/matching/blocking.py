"""Blocking keys: the few index entries per golden record that make a real-time match a
handful of lookups plus scoring a bounded candidate set, never a scan.

Kept in the `match_key` table and rewritten whenever a golden record is written. Each key
is "kind:value"; a record has several, so one typo does not hide it.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

import jellyfish
import msgspec
import phonenumbers

from mdm.matching import normalize as n

Record = dict[str, Any]
BLOCK_CAP = 500  # candidates read per key at most; a larger block is reported as capped
STRONG_KEYS = ("tax:", "email:")  # a candidate sharing one of these ranks first
# words too common in company names to make a block of their own (a "logistics" block would
# hold every logistics firm of a country): they still count in the sorted-name key
# fmt: off
STOP_TOKENS = frozenset([
    "and", "of", "the", "group", "holding", "holdings", "consulting", "services", "solutions", "international",
    "global", "partners", "associates", "brothers", "company", "corporation", "industries", "systems",
    "technologies", "technology", "engineering", "logistics", "analytics", "capital", "manufacturing", "foods",
    "pharma", "energy", "media", "insurance", "retail", "software", "advisory", "labs", "robotics", "materials",
    "health", "telecom", "shipping", "construction", "design", "ventures", "management", "trading", "enterprises",
])
# fmt: on


def _phonetic(word: str) -> str:
    return jellyfish.metaphone(word)[:6] or word[:4]


def _phones(r: Record) -> set[str]:
    """A number's national digits (`normalize.phone`): with or without its country code, one
    number; a placeholder ("000-000-0000") makes no key."""
    return {f"tel:{digits}" for p in r.get("phones") or () if len(digits := n.phone(p.get("number")) or "") >= 6}


def _countries(r: Record) -> set[str]:
    """The record's country; without one, where its address, phone or website says it is,
    and no country too ("" , as before): a CRM row without a country still blocks with its
    own country's firms and with the other rows that have none."""
    if country := r.get("country"):
        return {str(country)}
    if country := next((a["country"] for a in r.get("addresses") or () if a.get("country")), None):
        return {str(country), ""}
    for p in r.get("phones") or ():
        if str(p.get("number", "")).startswith("+") and (region := _phone_region(p["number"])):
            return {region, ""}
    return {_TLDS.get((n.website_domain(r.get("website")) or "").rsplit(".", 1)[-1], ""), ""}


@lru_cache(maxsize=50_000)
def _phone_region(number: str) -> str | None:
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region.isalpha() and region != "ZZ" else None  # "001": a non-geographic number


# a country-code top-level domain and its country (uk is GB's); .com and the like say
# nothing, nor do the country codes sold as brands (.io, .co, .ai, .me, .tv ...)
_VANITY = frozenset(["io", "co", "ai", "me", "tv", "ly", "fm", "gg", "to", "cc", "ws", "la", "am", "is", "it", "so"])
_TLDS = {code.lower(): code for code in phonenumbers.SUPPORTED_REGIONS if code.lower() not in _VANITY} | {"uk": "GB"}


def _initials(tokens: list[str]) -> str:
    """A name's initials, its first two words' ("om" for "oscorp manufacturing"), or a short
    one-word name as the acronym it is ("om")."""
    words = [t for t in tokens if len(t) > 1] or tokens
    if len(words) == 1 and len(words[0]) <= 4:
        return words[0][:2]
    return "".join(t[0] for t in words[:2])


def customer_keys(r: Record) -> set[str]:
    keys = _phones(r)
    countries = _countries(r)
    addresses = [(n.postcode(a.get("postal_code")), n.street_number(a.get("line1"))) for a in r.get("addresses") or ()]
    postals = {postal for postal, _ in addresses if postal}
    for postal, number in addresses:  # one address: whatever the name became
        if postal and number:
            keys.add(f"zn:{postal}:{number}")
    streets = [(n.fold(a.get("city")), n.street_number(a.get("line1")), n.street_name(a.get("line1")))
               for a in r.get("addresses") or ()]  # fmt: skip
    for city, number, street in streets:  # one address without its postcode, or with a digit of it wrong
        if city and number and street:
            keys.add(f"sn:{city}:{number}:{street.split()[0]}")
        if number and street:  # ... and without its city, or with the city mistyped or named otherwise
            for country in countries:
                keys.add(f"st:{country}:{number}:{street.split()[0][:4]}")
    for digits in [k.removeprefix("tel:") for k in keys if k.startswith("tel:")]:  # one switchboard: all
        if len(digits) >= n.AREA_DIGITS:  # but the last two digits of a number with its area code
            keys.add(f"tp:{digits[:-2]}")
    name = n.company_name(r.get("name")) or n.company_name(r.get("legal_name"))
    if name:
        tokens = name.split()
        keys.add(f"name:{n.sorted_tokens(name)}")
        core = [t for t in tokens if t not in STOP_TOKENS and len(t) > 1] or tokens
        glued = "".join(tokens)  # words run together or split: "SUMMITCONSULTING", "Summit Consulting"
        for country in countries:
            for token in core[:3]:  # each word's sound: a typo or a reordering spares the others
                keys.add(f"ph:{_phonetic(token)}:{country}")
            keys.add(f"ana:{''.join(sorted(core[0]))}:{country}")  # swapped letters: "Tsark", "Zpehyr"
            keys.add(f"glu:{jellyfish.metaphone(glued)[:5]}:{country}")
        for postal in postals:
            keys.add(f"zip:{postal}:{core[0][:4]}")
            keys.add(f"zi:{postal}:{_initials(tokens)}")  # acronyms: "OM" for "Oscorp Manufacturing"
        for city in {city for city, _, _ in streets if city}:  # and in a city, where a postcode is missing
            keys.add(f"ci:{city}:{_initials(tokens)}")
    for ident in r.get("identifiers") or ():  # every identifier: the same number is one firm
        if tax := n.tax_id(ident.get("value"), ident.get("country")):
            keys.add(f"tax:{tax}")
    if site := n.website_domain(r.get("website")):
        keys.add(f"web:{site}")
        if len(own := n.site_name(site) or "") >= 4:  # the same name under another ending: acme.co.uk, acme.com
            keys.add(f"wn:{own}")
    return keys


def employee_keys(r: Record) -> set[str]:
    keys = _phones(r)
    if mail := n.email(r.get("email")):
        keys.add(f"email:{mail}")
    name = r.get("name") or {}
    family, given = n.family_name(name.get("family")), n.given_name(name.get("given"))
    country = r.get("country") or ""
    if family:
        last = family.split()[-1]
        keys.add(f"fam:{_phonetic(last)}:{given[0] if given else ''}")
        # a family name's sound where one works, and on the day one started: whatever the given
        # name became ("Sasha" for "Alexander", "H." for "Hanna", "aHnna")
        keys.add(f"fc:{_phonetic(last)}:{country}")
        if start := n.date(str(r.get("start_date") or "")):
            keys.add(f"fd:{_phonetic(last)}:{start}")
        if given:  # typos in the family name: the given name's forms and the family initial ...
            for form in n.given_name_forms(given):
                keys.add(f"full:{form}:{last[0]}")
            # ... and an initial for a given name: its letter, the family name's first two, the country
            for initial in {form[0] for form in n.given_name_forms(given)}:
                keys.add(f"ini:{initial}:{last[:2]}:{country}")
            # letters swapped or a name shouted ("uLcas", "aKya", "EJNSEN"): each name's letters, sorted
            letters = "".join(sorted(last))
            keys.add(f"ana:{''.join(sorted(given))}:{letters}")
            keys.add(f"ani:{given[0]}:{letters}:{country}")
    return keys


def named_keys(*scope: str) -> Callable[[Record], set[str]]:
    """Name tokens within a scope (a customer, a legal entity, a currency)."""

    def keys(r: Record) -> set[str]:
        name = n.company_name(r.get("name"))
        if not name:
            return set()
        where = ":".join(str(r.get(s) or "") for s in scope)
        first = name.split()[0]
        return {f"name:{where}:{n.sorted_tokens(name)}", f"ph:{where}:{_phonetic(first)}"}

    return keys


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: a cache key
class Blocking:
    """How a domain's records are found for matching, declared on its descriptor: the fields
    its keys read (a record's keys are computed once for these values, though ingestion asks
    for them three times) and the function that makes them. Bump `version` whenever the keys
    a record makes change: `mdm db upgrade` rebuilds the stored keys of older versions."""

    reads: tuple[str, ...]
    make: Callable[[Record], set[str]]
    version: int = 1


def frozen(value: Any) -> Any:
    """A field value as a cache key: a dict or list (an address, identifiers) as its JSON,
    which msgspec writes in C; a field never holds bytes of its own."""
    return msgspec.json.encode(value) if isinstance(value, dict | list) else value


def thawed(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, bytes) else value


@lru_cache(maxsize=100_000)
def _keys(blocking: Blocking, values: tuple[Any, ...]) -> frozenset[str]:
    record = {name: thawed(v) for name, v in zip(blocking.reads, values, strict=True)}
    return frozenset(k[:200] for k in blocking.make(record))


def blocking_keys(blocking: Blocking, record: Record) -> frozenset[str]:
    """The blocking keys of a record (at most 200 characters each)."""
    return _keys(blocking, tuple(frozen(record.get(name)) for name in blocking.reads))


def blocking_keys_of(blocking: Blocking, records: Iterable[Record]) -> frozenset[str]:
    """The keys of a golden record read through several records (its values and each of its
    sources'): a typo the survivor took does not take the record out of the other blocks."""
    return frozenset(chain.from_iterable(blocking_keys(blocking, r) for r in records))


def rank(keys: Iterable[str], blocks: Mapping[str, Iterable[str]], limit: int) -> list[str]:
    """The golden ids sharing a block with `keys`, best first: an identifier key shared,
    then the most keys shared, then the smaller id; at most `limit`."""
    return [golden_id for golden_id, _ in ranking(keys, blocks, limit)]


Shared = tuple[bool, int]  # (an identifier key shared, how many keys shared)


def order(shared: Mapping[str, Shared], limit: int) -> list[tuple[str, Shared]]:
    """The best `limit` of golden ids by what they share (see `rank`)."""
    best = sorted(shared.items(), key=lambda item: (not item[1][0], -item[1][1], item[0]))
    return best[:limit]


def ranking(keys: Iterable[str], blocks: Mapping[str, Iterable[str]], limit: int | None) -> list[tuple[str, Shared]]:
    """`rank`, with what each ranked id shares (all of them with no `limit`). Counted and
    sorted in C (ingestion ranks every new record): by id, then stably by count, then
    identifier keys first."""
    keys = list(keys)
    shared = Counter(chain.from_iterable(filter(None, map(blocks.get, keys))))
    by_count = sorted(sorted(shared), key=shared.__getitem__, reverse=True)
    strong = {i for k in keys if k.startswith(STRONG_KEYS) and k in blocks for i in blocks[k]}
    if strong:
        by_count = [i for i in by_count if i in strong] + [i for i in by_count if i not in strong]
    return [(i, (i in strong, shared[i])) for i in by_count[:limit]]
