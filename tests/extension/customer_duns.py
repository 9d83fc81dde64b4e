"""Today's code after a change: the customer descriptor with one more field (`duns`), its
contracts widened to match, and the revision that adds the column beside it. Registered with
MDM_DOMAIN_MODULES=tests.extension.customer_duns, it replaces the built-in customer."""

from dataclasses import replace
from pathlib import Path
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from contracts import v2
from contracts.v1.common import source_contract
from mdm.domains.customer import CUSTOMER
from mdm.domains.descriptor import text

Duns = Annotated[str, Meta(pattern=r"^[0-9]{9}$", description="D-U-N-S number")]


class CustomerCreate(v2.CustomerCreate, kw_only=True, forbid_unknown_fields=True):
    duns: Duns | None = None


class CustomerPatch(v2.CustomerPatch, kw_only=True, forbid_unknown_fields=True):
    duns: Duns | None | UnsetType = UNSET


class Customer(v2.Customer, kw_only=True):
    duns: str | None | UnsetType = UNSET


DOMAIN = replace(
    CUSTOMER,
    fields=(*CUSTOMER.fields, text("duns")),
    create=CustomerCreate,
    source=source_contract(CustomerCreate, "CustomerSource"),
    patch=CustomerPatch,
    read=Customer,
    policy=CUSTOMER.policy + "p, system:salesforce, customer, duns, write, allow\n",
    migrations=str(Path(__file__).with_name("customer_duns_migrations")),
)
