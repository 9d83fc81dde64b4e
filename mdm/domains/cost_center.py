"""Cost center: ERP's booking dimension, unique by code within a legal entity."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text
from mdm.matching.blocking import Blocking, named_keys

BLOCKING = Blocking(reads=("name", "legal_entity_id"), make=named_keys("legal_entity_id"), version=2)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 1
auto_link = 0.92
review = 0.75
compare = [
  { name = "legal_entity_id", fields = ["legal_entity_id"], normalize = "text", comparator = "exact", weight = 0.3, required = true },
  { name = "name", fields = ["name"], normalize = "fold", comparator = "token_set", weight = 0.5, required = true },
  { name = "code", fields = ["code"], normalize = "postcode", comparator = "jaro_winkler", weight = 0.2 },
]
evidence = [  # codes name cost centers
  { name = "code", fields = ["code"], normalize = "postcode", different_cap = 0.40 },
]
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
        ref("owner_id", "employee"),
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
