"""Legal entity: one of the firm's own contracting or employing companies."""

from datetime import datetime
from typing import Literal

from msgspec import UNSET, Struct, UnsetType

from contracts.v1.common import CountryCode, CurrencyCode, Id, ShortText, Text, source_contract

LegalEntityStatus = Literal["active", "inactive"]


class LegalEntityCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    registration_number: ShortText | None = None
    tax_id: ShortText | None = None
    country: CountryCode
    functional_currency: CurrencyCode | None = None
    parent_id: Id | None = None
    status: LegalEntityStatus | None = None


LegalEntitySource = source_contract(LegalEntityCreate, "LegalEntitySource")


class LegalEntityPatch(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text | UnsetType = UNSET
    registration_number: ShortText | None | UnsetType = UNSET
    tax_id: ShortText | None | UnsetType = UNSET
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
    registration_number: str | None | UnsetType = UNSET
    tax_id: str | None | UnsetType = UNSET
    country: str | None | UnsetType = UNSET
    functional_currency: str | None | UnsetType = UNSET
    parent_id: str | None | UnsetType = UNSET
    overrides: list[str] = []
