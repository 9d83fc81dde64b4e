"""Legal entity: the firm's own companies; ERP owns them whole."""

from contracts import v1, v2
from mdm.domains.descriptor import Contract, Domain, Field, enum, ref, text
from mdm.domains.views import IdentifierAs, View
from mdm.matching.blocking import Blocking, named_keys

BLOCKING = Blocking(reads=("name", "country"), make=named_keys("country"), version=2)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 2  # 2: identifiers
auto_link = 0.92
review = 0.75
compare = [
  { name = "name", fields = ["name"], normalize = "company_name", comparator = "token_set", weight = 0.7, required = true },
  { name = "country", fields = ["country"], normalize = "fold", comparator = "exact", weight = 0.3, required = true },
]
evidence = [
  { name = "registration", fields = ["identifiers.registration", "identifiers.other:registration_number"], normalize = "postcode", same_floor = 0.97, different_cap = 0.40 },
  { name = "vat", fields = ["identifiers.vat", "identifiers.ein", "identifiers.gst", "identifiers.other:tax_id"], normalize = "tax_id", same_floor = 0.97, different_cap = 0.40 },
  { name = "lei", fields = ["identifiers.lei"], normalize = "identifier", same_floor = 0.97, different_cap = 0.40 },
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
    read=v2.LegalEntity,
    create=v2.LegalEntityCreate,
    source=v2.LegalEntitySource,
    patch=v2.LegalEntityPatch,
    fields=(
        text("name", required=True, searchable=True),
        Field("identifiers", "identifiers"),
        Field("phones", "phones"),
        Field("addresses", "addresses"),
        Field("country", "country", required=True),
        Field("functional_currency", "currency"),
        ref("parent_id", "legal_entity"),
        enum("status", ("active", "inactive")),
    ),
    blocking=BLOCKING,
    match=MATCH,
    policy=POLICY,
    older={"v1": Contract(v1.LegalEntity, v1.LegalEntityCreate, v1.LegalEntitySource, v1.LegalEntityPatch,
                          View((IdentifierAs("registration_number", "registration"), IdentifierAs("tax_id", "tax"))))},
)  # fmt: skip
