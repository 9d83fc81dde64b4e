"""Employee: HCM owns the person, ERP owns the cost rate."""

from contracts import v1, v2
from mdm.domains.descriptor import Contract, Domain, Field, Key, enum, ref, text
from mdm.domains.views import PartAs, View
from mdm.matching.blocking import Blocking, employee_keys

BLOCKING = Blocking(reads=("email", "name", "country"), make=employee_keys, version=4)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 3  # 2: particles written together ("deVries") dropped; two work addresses of one domain differ; 3: one name field
auto_link = 0.92
review = 0.75
link_weight = 0.7
compare = [
  # siblings Anna and Hanna are 0.93 alike; a typo in one name usually more
  { name = "family_name", fields = ["name.family"], normalize = "family_name", comparator = "jaro_winkler", weight = 0.35, required = true, link_min = 0.94 },
  { name = "given_name", fields = ["name.given"], normalize = "given_name", comparator = "given_name", weight = 0.25, required = true, link_min = 0.94 },
  { name = "legal_entity_id", fields = ["legal_entity_id"], normalize = "text", comparator = "exact", weight = 0.05 },
  { name = "country", fields = ["country"], normalize = "fold", comparator = "exact", weight = 0.05 },
  { name = "start_date", fields = ["start_date"], normalize = "text", comparator = "exact", weight = 0.10 },
]
# people have several addresses: the same one is strong, two different ones say little,
# unless both are at one domain (two work addresses of one firm are two people): to review
evidence = [
  { name = "email", fields = ["email"], normalize = "email", same_floor = 0.95, different_cap = 0.90, different_if = "same_domain" },
]
"""

# the seed policy's lines for this domain: who may create it and own which of its fields
POLICY = """
# ---- employee: HCM owns the person, ERP the cost rate
p, system:workday, employee, *, create, allow
p, system:workday, employee, *, write, allow
p, system:workday, employee, cost_rate, write, deny
p, system:netsuite, employee, cost_rate, write, allow
p, system:netsuite, employee, employee_number, write, allow
"""

EMPLOYEE = Domain(
    name="employee",
    prefix="emp",
    path="employees",
    label="Employee",
    plural_label="Employees",
    read=v2.Employee,
    create=v2.EmployeeCreate,
    source=v2.EmployeeSource,
    patch=v2.EmployeePatch,
    fields=(
        text("employee_number", required=True, searchable=True),
        Field("name", "person_name", required=True, searchable=True),
        Field("email", "email", searchable=True),
        Field("phones", "phones"),
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
    blocking=BLOCKING,
    match=MATCH,
    policy=POLICY,
    older={"v1": Contract(v1.Employee, v1.EmployeeCreate, v1.EmployeeSource, v1.EmployeePatch,
                          View((PartAs("given_name", "name", "given"), PartAs("family_name", "name", "family"))))},
)  # fmt: skip
