"""Cost center: ERP's booking dimension, unique by code within a legal entity."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text
from mdm.matching.blocking import Blocking, named_keys

BLOCKING = Blocking(reads=("name", "legal_entity_id"), make=named_keys("legal_entity_id"), version=5)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 2  # 2: a Fellegi-Sunter model (levels, m and u); hand-set, not trained yet
prior = 1e-04
auto_link = 0.99
review = 0.2

[[comparison]]
# a code is unique within a legal entity: another entity's is another cost center
name = "legal_entity"
fields = ["legal_entity_id"]
normalize = "text"
levels = ["exact"]  # then else
m      = [0.99,    0.01]
u      = [0.05,    0.95]

[[comparison]]
name = "name"
fields = ["name"]
normalize = "fold"
levels = ["exact", "token_set>=0.90", "jaro_winkler>=0.80"]  # then else
m      = [0.7,     0.15,              0.08,                 0.07]
u      = [0.005,   0.01,              0.05,                 0.935]

[[comparison]]
# codes name cost centers: two codes are two cost centers
name = "code"
fields = ["code"]
normalize = "postcode"
levels = ["exact"]  # then else
m      = [0.98,    0.02]
u      = [0.0001,  0.9999]
"""

# the seed policy's lines for this domain: who may create it and own which of its fields
POLICY = """
# ---- cost_center: ERP owns it whole
p, system:netsuite, cost_center, *, create, allow
p, system:netsuite, cost_center, *, write, allow
"""

COST_CENTER = Domain(
    name="cost_center",
    prefix="cc",
    path="cost-centers",
    label="CostCenter",
    plural_label="CostCenters",
    read=v1.CostCenter,
    create=v1.CostCenterCreate,
    source=v1.CostCenterSource,
    patch=v1.CostCenterPatch,
    fields=(
        text("code", required=True, searchable=True),
        text("name", required=True, searchable=True),
        ref("legal_entity_id", "legal_entity", required=True),
        ref("parent_id", "cost_center"),
        ref("owner_id", "employee", reverse="owned_cost_centers"),
        Field("valid_from", "date"),
        Field("valid_to", "date"),
        enum("status", ("active", "inactive")),
    ),
    keys=(Key(("code", "legal_entity_id"), unique=True),),
    date_ranges=(("valid_from", "valid_to"),),
    blocking=BLOCKING,
    match=MATCH,
    policy=POLICY,
)
