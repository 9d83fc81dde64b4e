"""Legal entity: the firm's own companies; ERP owns them whole."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text
from mdm.matching.blocking import Blocking, named_keys

BLOCKING = Blocking(reads=("name", "country"), make=named_keys("country"), version=1)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 1
auto_link = 0.92
review = 0.75
compare = [
  { name = "name", fields = ["name"], normalize = "company_name", comparator = "token_set", weight = 0.7, required = true },
  { name = "country", fields = ["country"], normalize = "fold", comparator = "exact", weight = 0.3, required = true },
]
evidence = [
  { name = "registration_number", fields = ["registration_number"], normalize = "postcode", same_floor = 0.97, different_cap = 0.40 },
  { name = "tax_id", fields = ["tax_id"], normalize = "tax_id", same_floor = 0.97, different_cap = 0.40 },
]
"""

# the seed policy's lines for this domain: who may create it and own which of its fields
POLICY = """
# ---- legal_entity: ERP owns it whole
p, system:netsuite, legal_entity, *, create, allow
p, system:netsuite, legal_entity, *, write, allow
"""

LEGAL_ENTITY = Domain(
    name="legal_entity",
    prefix="le",
    path="legal-entities",
    label="LegalEntity",
    plural_label="LegalEntities",
    read=v1.LegalEntity,
    create=v1.LegalEntityCreate,
    source=v1.LegalEntitySource,
    patch=v1.LegalEntityPatch,
    fields=(
        text("name", required=True, searchable=True),
        text("registration_number"),
        text("tax_id"),
        Field("country", "country", required=True),
        Field("functional_currency", "currency"),
        ref("parent_id", "legal_entity"),
        enum("status", ("active", "inactive")),
    ),
    keys=(Key(("registration_number", "country")),),
    blocking=BLOCKING,
    match=MATCH,
    policy=POLICY,
)
