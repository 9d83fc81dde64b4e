"""Cost center: where cost is booked inside a legal entity (ERP's department)."""

from datetime import date, datetime
from typing import Literal

from msgspec import UNSET, Struct, UnsetType

from contracts.v1.common import Id, ShortText, Text, source_contract

CostCenterStatus = Literal["active", "inactive"]


class CostCenterCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    code: ShortText
    name: Text
    legal_entity_id: Id
    parent_id: Id | None = None
    owner_id: Id | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    status: CostCenterStatus | None = None


CostCenterSource = source_contract(CostCenterCreate, "CostCenterSource")


class CostCenterPatch(Struct, kw_only=True, forbid_unknown_fields=True):
    code: ShortText | UnsetType = UNSET
    name: Text | UnsetType = UNSET
    legal_entity_id: Id | UnsetType = UNSET
    parent_id: Id | None | UnsetType = UNSET
    owner_id: Id | None | UnsetType = UNSET
    valid_from: date | None | UnsetType = UNSET
    valid_to: date | None | UnsetType = UNSET
    status: CostCenterStatus | UnsetType = UNSET
    overrides_cleared: list[str] | UnsetType = UNSET


class CostCenter(Struct, kw_only=True):
    id: Id
    version: int
    status: CostCenterStatus | UnsetType = UNSET
    created_at: datetime
    updated_at: datetime
    code: str | None | UnsetType = UNSET
    name: str | None | UnsetType = UNSET
    legal_entity_id: str | None | UnsetType = UNSET
    parent_id: str | None | UnsetType = UNSET
    owner_id: str | None | UnsetType = UNSET
    valid_from: date | None | UnsetType = UNSET
    valid_to: date | None | UnsetType = UNSET
    overrides: list[str] = []
