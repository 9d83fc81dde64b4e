"""Project: a client engagement (PSA's project, ERP's job)."""

from datetime import date, datetime
from typing import Literal

from msgspec import UNSET, Struct, UnsetType

from contracts.v1.common import CurrencyCode, Id, Money, MoneyText, ShortText, Text, source_contract

BillingModel = Literal["time_and_materials", "fixed_fee", "milestone", "retainer", "managed_service"]
ProjectStatus = Literal["proposed", "active", "on_hold", "closed", "cancelled"]


class ProjectCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    code: ShortText
    name: Text
    customer_id: Id | None = None
    legal_entity_id: Id | None = None
    cost_center_id: Id | None = None
    rate_card_id: Id | None = None
    manager_id: Id | None = None
    billing_model: BillingModel | None = None
    currency: CurrencyCode | None = None
    contract_value: MoneyText | None = None
    start_date: date | None = None
    end_date: date | None = None
    status: ProjectStatus | None = None


ProjectSource = source_contract(ProjectCreate, "ProjectSource")


class ProjectPatch(Struct, kw_only=True, forbid_unknown_fields=True):
    code: ShortText | UnsetType = UNSET
    name: Text | UnsetType = UNSET
    customer_id: Id | None | UnsetType = UNSET
    legal_entity_id: Id | None | UnsetType = UNSET
    cost_center_id: Id | None | UnsetType = UNSET
    rate_card_id: Id | None | UnsetType = UNSET
    manager_id: Id | None | UnsetType = UNSET
    billing_model: BillingModel | None | UnsetType = UNSET
    currency: CurrencyCode | None | UnsetType = UNSET
    contract_value: MoneyText | None | UnsetType = UNSET
    start_date: date | None | UnsetType = UNSET
    end_date: date | None | UnsetType = UNSET
    status: ProjectStatus | UnsetType = UNSET
    overrides_cleared: list[str] | UnsetType = UNSET


class Project(Struct, kw_only=True):
    id: Id
    version: int
    status: ProjectStatus | UnsetType = UNSET
    created_at: datetime
    updated_at: datetime
    code: str | None | UnsetType = UNSET
    name: str | None | UnsetType = UNSET
    customer_id: str | None | UnsetType = UNSET
    legal_entity_id: str | None | UnsetType = UNSET
    cost_center_id: str | None | UnsetType = UNSET
    rate_card_id: str | None | UnsetType = UNSET
    manager_id: str | None | UnsetType = UNSET
    billing_model: BillingModel | None | UnsetType = UNSET
    currency: str | None | UnsetType = UNSET
    contract_value: Money | None | UnsetType = UNSET
    start_date: date | None | UnsetType = UNSET
    end_date: date | None | UnsetType = UNSET
    overrides: list[str] = []
