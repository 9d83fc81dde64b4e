"""Customer v2: v1's single `tax_id` and `billing_address` become identifiers, phones and
addresses of a kind."""

from datetime import datetime

from msgspec import UNSET, Struct, UnsetType

from contracts.v1.common import CountryCode, CurrencyCode, Id, ShortText, Text, source_contract
from contracts.v1.customer import CustomerStatus
from contracts.v2.common import Addresses, Identifier, Identifiers, Phone, Phones, PostalAddress


class CustomerCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    legal_name: Text | None = None
    website: Text | None = None
    identifiers: Identifiers | None = None
    phones: Phones | None = None
    addresses: Addresses | None = None
    country: CountryCode | None = None
    industry: ShortText | None = None
    currency: CurrencyCode | None = None
    parent_id: Id | None = None
    status: CustomerStatus | None = None


CustomerSource = source_contract(CustomerCreate, "CustomerSource")


class CustomerPatch(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text | UnsetType = UNSET
    legal_name: Text | None | UnsetType = UNSET
    website: Text | None | UnsetType = UNSET
    identifiers: Identifiers | None | UnsetType = UNSET
    phones: Phones | None | UnsetType = UNSET
    addresses: Addresses | None | UnsetType = UNSET
    country: CountryCode | None | UnsetType = UNSET
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
    identifiers: list[Identifier] | None | UnsetType = UNSET
    phones: list[Phone] | None | UnsetType = UNSET
    addresses: list[PostalAddress] | None | UnsetType = UNSET
    country: str | None | UnsetType = UNSET
    industry: str | None | UnsetType = UNSET
    currency: str | None | UnsetType = UNSET
    parent_id: str | None | UnsetType = UNSET
    overrides: list[str] = []
