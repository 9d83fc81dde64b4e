"""Employee: HCM owns the person, ERP owns the cost rate."""

from contracts import v1, v2
from mdm.domains.descriptor import Contract, Domain, Field, Key, enum, ref, text
from mdm.domains.views import PartAs, View
from mdm.matching.blocking import Blocking, employee_keys

BLOCKING = Blocking(reads=("email", "name", "country", "start_date", "phones"), make=employee_keys, version=6)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 4  # 4: a Fellegi-Sunter model (levels, m and u); hand-set, not trained yet
prior = 1e-05  # two employees drawn at random: one person in 100,000 pairs
auto_link = 0.99
review = 0.2

[[comparison]]
# particles dropped (van der Berg ~ Berg); a slip, a name cut short
name = "family_name"
fields = ["name.family"]
normalize = "family_name"
tf = true
levels = ["exact", "jaro_winkler>=0.92", "levenshtein<=1", "prefix", "jaro_winkler>=0.80"]  # then else
m      = [0.84,    0.07,                 0.03,             0.02,     0.02,                 0.02]
u      = [0.003,   0.002,                0.001,            0.0005,   0.01,                 0.9835]

[[comparison]]
# a nickname or an initial for a name; siblings Anna and Hanna are 0.93 alike, as a typo is
name = "given_name"
fields = ["name.given"]
normalize = "given_name"
tf = true
levels = ["exact", "nickname", "initial", "prefix", "jaro_winkler>=0.92", "jaro_winkler>=0.80"]  # then else
m      = [0.78,    0.08,       0.04,      0.02,     0.03,                 0.02,                 0.03]
u      = [0.005,   0.002,      0.01,      0.001,    0.003,                0.02,                 0.959]

[[comparison]]
# people have several addresses: a private and a work address say little, two work
# addresses of one firm say two people
name = "email"
fields = ["email"]
normalize = "email"
levels = ["exact", "same_domain"]  # then else
m      = [0.85,    0.01,          0.14]
u      = [1e-06,   0.8,           0.199999]

[[comparison]]
name = "phone"
fields = ["phones.*.number"]
normalize = "phone"
levels = ["exact"]  # then else
m      = [0.7,     0.3]
u      = [1e-05,   0.99999]

[[comparison]]
# namesakes start on other days; a clerk swaps day and month or slips a digit
name = "start_date"
fields = ["start_date"]
normalize = "date"
levels = ["exact", "date_swap", "levenshtein<=1"]  # then else
m      = [0.82,    0.01,        0.05,             0.12]
u      = [0.0003,  0.0001,      0.005,            0.9946]

[[comparison]]
name = "manager"
fields = ["manager_id"]
normalize = "text"
levels = ["exact"]  # then else
m      = [0.75,    0.25]
u      = [0.01,    0.99]

[[comparison]]
name = "job_title"
fields = ["job_title"]
normalize = "fold"
levels = ["exact", "token_set>=0.80"]  # then else
m      = [0.6,     0.15,              0.25]
u      = [0.05,    0.05,              0.9]

[[comparison]]
name = "legal_entity"
fields = ["legal_entity_id"]
normalize = "text"
levels = ["exact"]  # then else
m      = [0.9,     0.1]
u      = [0.15,    0.85]

[[comparison]]
name = "country"
fields = ["country"]
normalize = "fold"
levels = ["exact"]  # then else
m      = [0.98,    0.02]
u      = [0.2,     0.8]
"""

# the seed policy's lines for this domain: who may create it and own which of its fields
POLICY = """
# ---- employee: HCM owns the person, ERP the cost rate; HCM must never send a cost rate
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
        ref("manager_id", "employee", reverse="reports"),
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
    retired_statuses=("terminated",),
    blocking=BLOCKING,
    match=MATCH,
    policy=POLICY,
    older={"v1": Contract(v1.Employee, v1.EmployeeCreate, v1.EmployeeSource, v1.EmployeePatch,
                          View((PartAs("given_name", "name", "given"), PartAs("family_name", "name", "family"))))},
)  # fmt: skip
