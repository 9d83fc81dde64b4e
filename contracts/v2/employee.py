"""Employee v2: v1's `given_name` and `family_name` become `name{given, family, preferred}`;
employees gain phones. Read contracts leave out every field the caller may not read."""

from datetime import date, datetime

from msgspec import UNSET, Struct, UnsetType

from contracts.v1.common import CountryCode, Email, Id, Money, MoneyText, ShortText, source_contract
from contracts.v1.employee import EmployeeStatus, EmploymentType
from contracts.v2.common import PersonName, Phone, Phones


class EmployeeCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    employee_number: ShortText
    name: PersonName
    email: Email | None = None
    phones: Phones | None = None
    legal_entity_id: Id | None = None
    cost_center_id: Id | None = None
    manager_id: Id | None = None
    job_title: ShortText | None = None
    employment_type: EmploymentType | None = None
    country: CountryCode | None = None
    start_date: date | None = None
    end_date: date | None = None
    cost_rate: MoneyText | None = None
    status: EmployeeStatus | None = None


EmployeeSource = source_contract(EmployeeCreate, "EmployeeSource")


class EmployeePatch(Struct, kw_only=True, forbid_unknown_fields=True):
    employee_number: ShortText | UnsetType = UNSET
    name: PersonName | UnsetType = UNSET
    email: Email | None | UnsetType = UNSET
    phones: Phones | None | UnsetType = UNSET
    legal_entity_id: Id | None | UnsetType = UNSET
    cost_center_id: Id | None | UnsetType = UNSET
    manager_id: Id | None | UnsetType = UNSET
    job_title: ShortText | None | UnsetType = UNSET
    employment_type: EmploymentType | None | UnsetType = UNSET
    country: CountryCode | None | UnsetType = UNSET
    start_date: date | None | UnsetType = UNSET
    end_date: date | None | UnsetType = UNSET
    cost_rate: MoneyText | None | UnsetType = UNSET
    status: EmployeeStatus | UnsetType = UNSET
    overrides_cleared: list[str] | UnsetType = UNSET


class Employee(Struct, kw_only=True):
    id: Id
    version: int
    status: EmployeeStatus | UnsetType = UNSET
    created_at: datetime
    updated_at: datetime
    employee_number: str | None | UnsetType = UNSET
    name: PersonName | None | UnsetType = UNSET
    email: str | None | UnsetType = UNSET
    phones: list[Phone] | None | UnsetType = UNSET
    legal_entity_id: str | None | UnsetType = UNSET
    cost_center_id: str | None | UnsetType = UNSET
    manager_id: str | None | UnsetType = UNSET
    job_title: str | None | UnsetType = UNSET
    employment_type: EmploymentType | None | UnsetType = UNSET
    country: str | None | UnsetType = UNSET
    start_date: date | None | UnsetType = UNSET
    end_date: date | None | UnsetType = UNSET
    cost_rate: Money | None | UnsetType = UNSET
    overrides: list[str] = []
