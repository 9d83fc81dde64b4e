"""Customer: CRM owns the commercial face, ERP the fiscal identity."""

from contracts import v1, v2
from mdm.domains.descriptor import Contract, Domain, Field, enum, ref, text
from mdm.domains.views import AddressAs, IdentifierAs, View
from mdm.matching.blocking import Blocking, customer_keys

BLOCKING = Blocking(
    reads=("name", "legal_name", "country", "addresses", "identifiers", "website", "phones"),
    make=customer_keys,
    version=7,
)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 5  # m and u trained on the demo estate (bench/defaults.py); 5: phone and website near levels
prior = 1e-05  # two customers drawn at random: one company in 100,000 pairs (set: not the demo's)
auto_link = 0.99
review = 0.2

[[comparison]]
# every name of one record against every name of the other; a company is written with its
# legal form or without, glued, as initials or cut short, and two firms rarely share a name
name = "name"
fields = ["name", "legal_name"]
normalize = "company_name"
tf = true
levels = ["exact", "glued", "token_set>=0.90", "initials", "abbreviated", "prefix", "jaro_winkler>=0.92", "jaro_winkler>=0.80", "token_set>=0.60"]  # then else
m      = [0.7846,  0.02019, 0.131,             0.02177,    0.02418,       0.003123, 0.00693,              0.003113,             0.001768,          0.003338]
u      = [2e-05,   2e-06,   0.000115,          3e-05,      9.999e-06,     5e-06,    6.5e-05,              0.004895,             0.00812,           0.98674]

[[comparison]]
# a country's tax number, whatever its scheme: the same number is one firm; two numbers of
# one scheme are two firms (a group's companies share a name and a website, never a number).
# Their "else" m is set, not learnt: the demo's thousand-odd pairs cannot tell 1e-8 from 1e-3
name = "tax"
fields = ["identifiers.vat", "identifiers.gst", "identifiers.ein", "identifiers.other:tax_id"]
normalize = "tax_id"
levels = ["exact"]  # then else
m      = [1,       1e-08]
u      = [1e-06,   0.999999]

[[comparison]]
name = "duns"
fields = ["identifiers.duns"]
normalize = "identifier"
levels = ["exact"]  # then else
m      = [1,       1e-08]
u      = [1e-06,   0.999999]

[[comparison]]
name = "lei"
fields = ["identifiers.lei"]
normalize = "identifier"
levels = ["exact"]  # then else
m      = [1,       1e-08]
u      = [1e-06,   0.999999]

[[comparison]]
# a website is one firm's, or its group's; a firm may have several, one name under endings.
# A group's companies in several countries share the name too: that level's u is set (one
# pair in a thousand), not the demo's, whose random pairs are hardly ever of one group
name = "website"
fields = ["website"]
normalize = "website"
levels = ["exact",   "same_site"]  # then else
m      = [0.869,     0.1206,      0.01043]
u      = [4.752e-05, 0.001,       0.998953]

[[comparison]]
# a number's national digits (a placeholder is none); mistyped, or another line of one
# switchboard; a firm that moved has a new number
name = "phone"
fields = ["phones.*.number"]
normalize = "phone"
levels = ["exact",   "phone_typo", "switchboard"]  # then else
m      = [0.6871,    0.02876,      0.07063,       0.2135]
u      = [1.794e-05, 1.752e-05,    5e-05,         0.999915]

[[comparison]]
name = "country"
fields = ["country"]
normalize = "fold"
levels = ["exact"]  # then else
m      = [0.998106, 0.001894]
u      = [0.1177,   0.8823]

[[comparison]]
# any address's postcode against any of the other's; one digit mistyped
name = "postal_code"
fields = ["addresses.*.postal_code"]
normalize = "postcode"
levels = ["exact",   "digits<=1"]  # then else
m      = [0.789,     0.07958,     0.1314]
u      = [0.0001267, 0.002441,    0.997432]

[[comparison]]
# any address's town against any of the other's: another town says the firm moved or is
# another firm's branch; the same town says little (a regional firm's clients are in a few):
# its u is set (half of all pairs), not the demo's, whose firms are spread over many countries
name = "city"
fields = ["addresses.*.city"]
normalize = "city"
levels = ["exact", "token_set>=0.90", "jaro_winkler>=0.88"]  # then else
m      = [0.8963,  0.002651,          0.002651,             0.09838]
u      = [0.5,     2.072e-05,         0.0004007,            0.4996]

[[comparison]]
# the street line; mostly the same as the postcode's evidence, and one line ("Hauptstrasse 1",
# a business centre) is many firms': its u is set (one pair in a thousand), not the demo's
name = "street"
fields = ["addresses.*.line1"]
normalize = "street"
levels = ["exact", "same_street", "token_set>=0.90", "jaro_winkler>=0.80"]  # then else
m      = [0.8471,  0.02906,       0.007078,          0.01064,              0.1062]
u      = [0.001,   0.001,         0.004,             0.03,                 0.964]
"""

# the seed policy's lines for this domain: who may create it and own which of its fields
POLICY = """
# ---- customer: CRM owns the commercial face, ERP the fiscal identity
p, system:salesforce, customer, *, create, allow
p, system:salesforce, customer, name, write, allow
p, system:salesforce, customer, legal_name, write, allow
p, system:netsuite, customer, legal_name, write, allow
p, system:salesforce, customer, website, write, allow
p, system:salesforce, customer, industry, write, allow
p, system:salesforce, customer, addresses, write, allow
p, system:salesforce, customer, phones, write, allow
p, system:salesforce, customer, parent_id, write, allow
p, system:netsuite, customer, identifiers.vat, write, allow
p, system:netsuite, customer, identifiers.ein, write, allow
p, system:netsuite, customer, identifiers.gst, write, allow
p, system:salesforce, customer, identifiers.duns, write, allow
p, system:salesforce, customer, identifiers, write, allow
p, system:netsuite, customer, identifiers, write, allow
p, system:netsuite, customer, currency, write, allow
p, system:netsuite, customer, country, write, allow
p, system:salesforce, customer, country, write, allow
p, system:salesforce, customer, status, write, allow
p, system:netsuite, customer, status, write, allow
"""

CUSTOMER = Domain(
    name="customer",
    prefix="cus",
    path="customers",
    label="Customer",
    plural_label="Customers",
    read=v2.Customer,
    create=v2.CustomerCreate,
    source=v2.CustomerSource,
    patch=v2.CustomerPatch,
    fields=(
        text("name", required=True, searchable=True),
        text("legal_name", searchable=True),
        text("website"),
        Field("identifiers", "identifiers"),
        Field("phones", "phones"),
        Field("addresses", "addresses"),
        Field("country", "country"),
        text("industry"),
        Field("currency", "currency"),
        ref("parent_id", "customer"),
        enum("status", ("active", "inactive", "prospect")),
    ),
    statuses=("active", "inactive", "prospect"),
    blocking=BLOCKING,
    match=MATCH,
    policy=POLICY,
    older={"v1": Contract(v1.Customer, v1.CustomerCreate, v1.CustomerSource, v1.CustomerPatch,
                          View((IdentifierAs("tax_id", "tax"), AddressAs("billing_address", "billing"))))},
)  # fmt: skip
