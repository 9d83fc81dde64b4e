"""Legal entity: the firm's own companies; ERP owns them whole."""

from contracts import v1, v2
from mdm.domains.descriptor import Contract, Domain, Field, enum, ref, text
from mdm.domains.views import IdentifierAs, View
from mdm.matching.blocking import Blocking, named_keys

BLOCKING = Blocking(reads=("name", "country"), make=named_keys("country"), version=5)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 3  # 3: a Fellegi-Sunter model (levels, m and u); hand-set, not trained yet
prior = 0.001  # a firm's own few companies: a duplicate is rare among few
auto_link = 0.99
review = 0.2

[[comparison]]
# a group's companies share a name in several countries ('Acme GmbH', 'Acme Ltd')
name = "name"
fields = ["name"]
normalize = "company_name"
levels = ["exact", "glued", "token_set>=0.90", "initials", "prefix", "jaro_winkler>=0.92", "jaro_winkler>=0.80", "token_set>=0.60"]  # then else
m      = [0.72,    0.03,    0.14,              0.02,       0.02,     0.03,                 0.02,                 0.01,              0.01]
u      = [0.01,    0.001,   0.01,              0.002,      0.002,    0.005,                0.03,                 0.1,               0.84]

[[comparison]]
# a register's number, a tax number, an LEI: the same is one company, two are two
name = "registration"
fields = ["identifiers.registration", "identifiers.other:registration_number"]
normalize = "postcode"
levels = ["exact"]  # then else
m      = [0.99999, 1e-05]
u      = [0.0001,  0.9999]

[[comparison]]
name = "tax"
fields = ["identifiers.vat", "identifiers.ein", "identifiers.gst", "identifiers.other:tax_id"]
normalize = "tax_id"
levels = ["exact"]  # then else
m      = [0.99999, 1e-05]
u      = [0.0001,  0.9999]

[[comparison]]
name = "lei"
fields = ["identifiers.lei"]
normalize = "identifier"
levels = ["exact"]  # then else
m      = [0.99999, 1e-05]
u      = [0.0001,  0.9999]

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
