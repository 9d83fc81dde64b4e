"""Rate card: billing rates per role for a scope (name, customer, legal entity, currency)."""

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from contracts.v1.common import CurrencyCode, Id, RateLine, RateLineIn, Text, source_contract

RateCardStatus = Literal["active", "inactive"]
RateLines = Annotated[list[RateLineIn], Meta(min_length=1, max_length=200)]  # as written


class RateCardCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    currency: CurrencyCode
    customer_id: Id | None = None
    legal_entity_id: Id | None = None
    effective_from: date
    effective_to: date | None = None
    lines: RateLines
    status: RateCardStatus | None = None


RateCardSource = source_contract(RateCardCreate, "RateCardSource")


class RateCardPatch(Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text | UnsetType = UNSET
    currency: CurrencyCode | UnsetType = UNSET
    customer_id: Id | None | UnsetType = UNSET
    legal_entity_id: Id | None | UnsetType = UNSET
    effective_from: date | UnsetType = UNSET
    effective_to: date | None | UnsetType = UNSET
    lines: RateLines | UnsetType = UNSET
    status: RateCardStatus | UnsetType = UNSET
    overrides_cleared: list[str] | UnsetType = UNSET


class RateCard(Struct, kw_only=True):
    id: Id
    version: int
    status: RateCardStatus | UnsetType = UNSET
    created_at: datetime
    updated_at: datetime
    name: str | None | UnsetType = UNSET
    currency: str | None | UnsetType = UNSET
    customer_id: str | None | UnsetType = UNSET
    legal_entity_id: str | None | UnsetType = UNSET
    effective_from: date | None | UnsetType = UNSET
    effective_to: date | None | UnsetType = UNSET
    lines: list[RateLine] | None | UnsetType = UNSET
    overrides: list[str] = []
