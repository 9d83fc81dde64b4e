"""Employee: HCM owns the person, ERP owns the cost rate."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text

_HCM = ("workday",)

EMPLOYEE = Domain(
    name="employee",
    prefix="emp",
    path="employees",
    label="Employee",
    plural_label="Employees",
    read=v1.Employee,
    create=v1.EmployeeCreate,
    source=v1.EmployeeSource,
    patch=v1.EmployeePatch,
    fields=(
        text("employee_number", required=True, owners=_HCM, searchable=True),
        text("given_name", required=True, owners=_HCM, searchable=True),
        text("family_name", required=True, owners=_HCM, searchable=True),
        Field("email", "email", owners=_HCM, searchable=True),
        ref("legal_entity_id", "legal_entity", owners=_HCM),
        ref("cost_center_id", "cost_center", owners=_HCM),
        ref("manager_id", "employee", owners=_HCM),
        text("job_title", owners=_HCM),
        enum("employment_type", ("employee", "contractor"), owners=_HCM),
        Field("country", "country", owners=_HCM),
        Field("start_date", "date", owners=_HCM),
        Field("end_date", "date", owners=_HCM),
        Field("cost_rate", "money", owners=("netsuite",), sensitive=True),
        enum("status", ("active", "leave", "terminated"), owners=_HCM),
    ),
    keys=(Key(("employee_number",), unique=True), Key(("email",))),
    date_ranges=(("start_date", "end_date"),),
    statuses=("active", "leave", "terminated"),
)
