"""Customer: a client of the firm (CRM's account, ERP's customer)."""

from datetime import datetime
from typing import Literal

from msgspec import UNSET, Struct, UnsetType

from contracts.v1.common import Address, CountryCode, CurrencyCode, Id, ShortText, Text, source_contract

CustomerStatus = Literal["active", "inactive", "prospect"]


class CustomerCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    legal_name: Text | None = None
    website: Text | None = None
    tax_id: ShortText | None = None
    country: CountryCode | None = None
    billing_address: Address | None = None
    industry: ShortText | None = None
    currency: CurrencyCode | None = None
    parent_id: Id | None = None
    status: CustomerStatus | None = None


CustomerSource = source_contract(CustomerCreate, "CustomerSource")


class CustomerPatch(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text | UnsetType = UNSET
    legal_name: Text | None | UnsetType = UNSET
    website: Text | None | UnsetType = UNSET
    tax_id: ShortText | None | UnsetType = UNSET
    country: CountryCode | None | UnsetType = UNSET
    billing_address: Address | None | UnsetType = UNSET
    industry: ShortText | None | UnsetType = UNSET
    currency: CurrencyCode | None | UnsetType = UNSET
    parent_id: Id | None | UnsetType = UNSET
    status: CustomerStatus | UnsetType = UNSET
    overrides_cleared: list[str] | UnsetType = UNSET


class Customer(Struct, kw_only=True):
    id: Id
    version: int
    status: CustomerStatus | UnsetType = UNSET
    created_at: datetime
    updated_at: datetime
    name: str | None | UnsetType = UNSET
    legal_name: str | None | UnsetType = UNSET
    website: str | None | UnsetType = UNSET
    tax_id: str | None | UnsetType = UNSET
    country: str | None | UnsetType = UNSET
    billing_address: Address | None | UnsetType = UNSET
    industry: str | None | UnsetType = UNSET
    currency: str | None | UnsetType = UNSET
    parent_id: str | None | UnsetType = UNSET
    overrides: list[str] = []
