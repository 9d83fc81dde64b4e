"""Contract v1: the shapes of the REST API's first version."""

from contracts.v1.common import (
    Address,
    AuditEntry,
    AuditPage,
    BulkResolveItem,
    BulkResolveRequest,
    BulkResolveResponse,
    Crosswalk,
    DetachResult,
    FieldError,
    HistoryEntry,
    LineageEntry,
    Page,
    Problem,
    RateLine,
    ResolveKey,
    SourceSystem,
    Translation,
    UpsertResult,
)
from contracts.v1.cost_center import CostCenter, CostCenterCreate, CostCenterPatch
from contracts.v1.customer import Customer, CustomerCreate, CustomerPatch
from contracts.v1.employee import Employee, EmployeeCreate, EmployeePatch
from contracts.v1.legal_entity import LegalEntity, LegalEntityCreate, LegalEntityPatch
from contracts.v1.project import Project, ProjectCreate, ProjectPatch
from contracts.v1.rate_card import RateCard, RateCardCreate, RateCardPatch

__all__ = [
    "Address",
    "AuditEntry",
    "AuditPage",
    "BulkResolveItem",
    "BulkResolveRequest",
    "BulkResolveResponse",
    "CostCenter",
    "CostCenterCreate",
    "CostCenterPatch",
    "Crosswalk",
    "Customer",
    "CustomerCreate",
    "CustomerPatch",
    "DetachResult",
    "Employee",
    "EmployeeCreate",
    "EmployeePatch",
    "FieldError",
    "HistoryEntry",
    "LegalEntity",
    "LegalEntityCreate",
    "LegalEntityPatch",
    "LineageEntry",
    "Page",
    "Problem",
    "Project",
    "ProjectCreate",
    "ProjectPatch",
    "RateCard",
    "RateCardCreate",
    "RateCardPatch",
    "RateLine",
    "ResolveKey",
    "SourceSystem",
    "Translation",
    "UpsertResult",
]
