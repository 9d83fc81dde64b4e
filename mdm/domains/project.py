"""Project: PSA owns delivery, ERP owns the financial dimensions."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text
from mdm.matching.blocking import Blocking, named_keys

BLOCKING = Blocking(reads=("name", "customer_id"), make=named_keys("customer_id"), version=5)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 2  # 2: a Fellegi-Sunter model (levels, m and u); hand-set, not trained yet
prior = 1e-05
auto_link = 0.99
review = 0.2

[[comparison]]
name = "customer"
fields = ["customer_id"]
normalize = "text"
levels = ["exact"]  # then else
m      = [0.95,    0.05]
u      = [0.001,   0.999]

[[comparison]]
name = "name"
fields = ["name"]
normalize = "fold"
levels = ["exact", "token_set>=0.90", "jaro_winkler>=0.80"]  # then else
m      = [0.7,     0.15,              0.08,                 0.07]
u      = [0.001,   0.003,             0.03,                 0.966]

[[comparison]]
# codes name projects: two codes are two projects (codes are given in sequence, so one
# character off is the next project, not a slip)
name = "code"
fields = ["code"]
normalize = "postcode"
levels = ["exact"]  # then else
m      = [0.98,    0.02]
u      = [1e-05,   0.99999]

[[comparison]]
name = "start_date"
fields = ["start_date"]
normalize = "date"
levels = ["exact", "date_swap"]  # then else
m      = [0.8,     0.01,        0.19]
u      = [0.001,   0.0004,      0.9986]

[[comparison]]
name = "manager"
fields = ["manager_id"]
normalize = "text"
levels = ["exact"]  # then else
m      = [0.8,     0.2]
u      = [0.005,   0.995]
"""

# the seed policy's lines for this domain: who may create it and own which of its fields
POLICY = """
# ---- project: PSA owns delivery, ERP the financial dimensions
p, system:certinia, project, *, create, allow
p, system:certinia, project, code, write, allow
p, system:netsuite, project, code, write, allow
p, system:certinia, project, name, write, allow
p, system:certinia, project, customer_id, write, allow
p, system:netsuite, project, customer_id, write, allow
p, system:certinia, project, manager_id, write, allow
p, system:certinia, project, billing_model, write, allow
p, system:certinia, project, start_date, write, allow
p, system:certinia, project, end_date, write, allow
p, system:certinia, project, status, write, allow
p, system:netsuite, project, legal_entity_id, write, allow
p, system:netsuite, project, cost_center_id, write, allow
p, system:netsuite, project, rate_card_id, write, allow
p, system:netsuite, project, contract_value, write, allow
p, system:netsuite, project, currency, write, allow
"""

PROJECT = Domain(
    name="project",
    prefix="prj",
    path="projects",
    label="Project",
    plural_label="Projects",
    read=v1.Project,
    create=v1.ProjectCreate,
    source=v1.ProjectSource,
    patch=v1.ProjectPatch,
    fields=(
        text("code", required=True, searchable=True),
        text("name", required=True, searchable=True),
        ref("customer_id", "customer"),
        ref("legal_entity_id", "legal_entity"),
        ref("cost_center_id", "cost_center"),
        ref("rate_card_id", "rate_card"),
        ref("manager_id", "employee", reverse="managed_projects"),
        enum(
            "billing_model",
            ("time_and_materials", "fixed_fee", "milestone", "retainer", "managed_service"),
        ),
        Field("currency", "currency"),
        Field("contract_value", "money"),
        Field("start_date", "date"),
        Field("end_date", "date"),
        enum("status", ("proposed", "active", "on_hold", "closed", "cancelled")),
    ),
    keys=(Key(("code",), unique=True),),
    date_ranges=(("start_date", "end_date"),),
    status_default="proposed",
    statuses=("proposed", "active", "on_hold", "closed", "cancelled"),
    retired_statuses=("closed", "cancelled"),
    blocking=BLOCKING,
    match=MATCH,
    policy=POLICY,
)
