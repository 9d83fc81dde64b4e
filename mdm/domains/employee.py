"""Employee: HCM owns the person, ERP owns the cost rate."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text

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
        text("employee_number", required=True, searchable=True),
        text("given_name", required=True, searchable=True),
        text("family_name", required=True, searchable=True),
        Field("email", "email", searchable=True),
        ref("legal_entity_id", "legal_entity"),
        ref("cost_center_id", "cost_center"),
        ref("manager_id", "employee"),
        text("job_title"),
        enum("employment_type", ("employee", "contractor")),
        Field("country", "country"),
        Field("start_date", "date"),
        Field("end_date", "date"),
        Field("cost_rate", "money"),
        enum("status", ("active", "leave", "terminated")),
    ),
    keys=(Key(("employee_number",), unique=True), Key(("email",))),
    date_ranges=(("start_date", "end_date"),),
    statuses=("active", "leave", "terminated"),
)
