"""Legal entity v2: v1's `registration_number` and `tax_id` become identifiers (scheme
`registration` and the country's tax scheme); entities gain phones and addresses."""

from datetime import datetime

from msgspec import UNSET, Struct, UnsetType

from contracts.v1.common import CountryCode, CurrencyCode, Id, Text, source_contract
from contracts.v1.legal_entity import LegalEntityStatus
from contracts.v2.common import Addresses, Identifier, Identifiers, Phone, Phones, PostalAddress


class LegalEntityCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    identifiers: Identifiers | None = None
    phones: Phones | None = None
    addresses: Addresses | None = None
    country: CountryCode
    functional_currency: CurrencyCode | None = None
    parent_id: Id | None = None
    status: LegalEntityStatus | None = None


LegalEntitySource = source_contract(LegalEntityCreate, "LegalEntitySource")


class LegalEntityPatch(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text | UnsetType = UNSET
    identifiers: Identifiers | None | UnsetType = UNSET
    phones: Phones | None | UnsetType = UNSET
    addresses: Addresses | None | UnsetType = UNSET
    country: CountryCode | UnsetType = UNSET
    functional_currency: CurrencyCode | None | UnsetType = UNSET
    parent_id: Id | None | UnsetType = UNSET
    status: LegalEntityStatus | UnsetType = UNSET
    overrides_cleared: list[str] | UnsetType = UNSET


class LegalEntity(Struct, kw_only=True):
    id: Id
    version: int
    status: LegalEntityStatus | UnsetType = UNSET
    created_at: datetime
    updated_at: datetime
    name: str | None | UnsetType = UNSET
    identifiers: list[Identifier] | None | UnsetType = UNSET
    phones: list[Phone] | None | UnsetType = UNSET
    addresses: list[PostalAddress] | None | UnsetType = UNSET
    country: str | None | UnsetType = UNSET
    functional_currency: str | None | UnsetType = UNSET
    parent_id: str | None | UnsetType = UNSET
    overrides: list[str] = []
