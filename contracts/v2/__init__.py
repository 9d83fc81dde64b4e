"""Contract v2: the canonical model's shapes. Customers and legal entities carry
identifiers, phones and addresses; employees a structured name and phones. Projects, cost
centers and rate cards, and every shape that is not a record (problems, pages, results,
lineage, stewardship), are v1's unchanged."""

from contracts.v1 import (
    CostCenter,
    CostCenterCreate,
    CostCenterPatch,
    CostCenterSource,
    Project,
    ProjectCreate,
    ProjectPatch,
    ProjectSource,
    RateCard,
    RateCardCreate,
    RateCardPatch,
    RateCardSource,
)
from contracts.v2.common import Identifier, PersonName, Phone, PostalAddress
from contracts.v2.customer import Customer, CustomerCreate, CustomerPatch, CustomerSource
from contracts.v2.employee import Employee, EmployeeCreate, EmployeePatch, EmployeeSource
from contracts.v2.legal_entity import LegalEntity, LegalEntityCreate, LegalEntityPatch, LegalEntitySource

__all__ = [
    "CostCenter",
    "CostCenterCreate",
    "CostCenterPatch",
    "CostCenterSource",
    "Customer",
    "CustomerCreate",
    "CustomerPatch",
    "CustomerSource",
    "Employee",
    "EmployeeCreate",
    "EmployeePatch",
    "EmployeeSource",
    "Identifier",
    "LegalEntity",
    "LegalEntityCreate",
    "LegalEntityPatch",
    "LegalEntitySource",
    "PersonName",
    "Phone",
    "PostalAddress",
    "Project",
    "ProjectCreate",
    "ProjectPatch",
    "ProjectSource",
    "RateCard",
    "RateCardCreate",
    "RateCardPatch",
    "RateCardSource",
]
