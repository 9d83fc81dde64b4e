"""A seventh domain, as a firm would add one: this descriptor module (its contracts, its
blocking keys, match rules and seed policy) plus its own revision beside it, registered with
MDM_DOMAIN_MODULES=tests.extension.vendor. Nothing else in mdm changes for it."""

from datetime import datetime
from pathlib import Path
from typing import Literal

from msgspec import UNSET, Struct, UnsetType

from contracts.v1.common import CountryCode, Id, ShortText, Text, source_contract
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text
from mdm.matching.blocking import Blocking, named_keys

VendorStatus = Literal["active", "inactive"]


class VendorCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    tax_id: ShortText | None = None
    country: CountryCode | None = None
    website: Text | None = None
    parent_id: Id | None = None
    status: VendorStatus | None = None


VendorSource = source_contract(VendorCreate, "VendorSource")


class VendorPatch(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text | UnsetType = UNSET
    tax_id: ShortText | None | UnsetType = UNSET
    country: CountryCode | None | UnsetType = UNSET
    website: Text | None | UnsetType = UNSET
    parent_id: Id | None | UnsetType = UNSET
    status: VendorStatus | UnsetType = UNSET
    overrides_cleared: list[str] | UnsetType = UNSET


class Vendor(Struct, kw_only=True):
    id: Id
    version: int
    status: VendorStatus | UnsetType = UNSET
    created_at: datetime
    updated_at: datetime
    name: str | None | UnsetType = UNSET
    tax_id: str | None | UnsetType = UNSET
    country: str | None | UnsetType = UNSET
    website: str | None | UnsetType = UNSET
    parent_id: str | None | UnsetType = UNSET
    overrides: list[str] = []


DOMAIN = Domain(
    name="vendor",
    prefix="ven",
    path="vendors",
    label="Vendor",
    plural_label="Vendors",
    read=Vendor,
    create=VendorCreate,
    source=VendorSource,
    patch=VendorPatch,
    fields=(
        text("name", required=True, searchable=True),
        text("tax_id"),
        Field("country", "country"),
        text("website"),
        ref("parent_id", "vendor"),
        enum("status", ("active", "inactive")),
    ),
    keys=(Key(("tax_id", "country")),),
    blocking=Blocking(reads=("name", "country"), make=named_keys("country")),
    match="""
version = 2
prior = 1e-04
auto_link = 0.99
review = 0.2

[[comparison]]
name = "name"
fields = ["name"]
normalize = "company_name"
levels = ["exact", "glued", "token_set>=0.90", "initials", "prefix", "jaro_winkler>=0.92", "jaro_winkler>=0.80", "token_set>=0.60"]  # then else
m      = [0.7,     0.03,    0.14,              0.03,       0.02,     0.03,                 0.02,                 0.01,              0.02]
u      = [2e-05,   2e-06,   2e-05,             5e-06,      5e-06,    0.0001,               0.01,                 0.06,              0.929848]

[[comparison]]
name = "country"
fields = ["country"]
normalize = "fold"
levels = ["exact"]  # then else
m      = [0.97,    0.03]
u      = [0.15,    0.85]

[[comparison]]
name = "website"
fields = ["website"]
normalize = "website"
levels = ["exact"]  # then else
m      = [0.85,    0.15]
u      = [1e-05,   0.99999]

[[comparison]]
name = "tax_id"
fields = ["tax_id"]
normalize = "tax_id"
levels = ["exact"]  # then else
m      = [0.97,    0.03]
u      = [1e-06,   0.999999]
""",
    policy="""
# ---- vendor: the ERP owns suppliers whole; procurement (coupa) may name them
p, system:netsuite, vendor, *, create, allow
p, system:netsuite, vendor, *, write, allow
p, system:coupa, vendor, name, write, allow
""",
    migrations=str(Path(__file__).with_name("vendor_migrations")),
)
