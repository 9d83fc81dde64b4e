"""Customer: CRM owns the commercial face, ERP the fiscal identity."""

from contracts import v1, v2
from mdm.domains.descriptor import Contract, Domain, Field, enum, ref, text
from mdm.domains.views import AddressAs, IdentifierAs, View
from mdm.matching.blocking import Blocking, customer_keys

BLOCKING = Blocking(
    reads=("name", "legal_name", "country", "addresses", "identifiers", "website"), make=customer_keys, version=4
)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 2  # 2: identifiers, the first address
auto_link = 0.92
review = 0.75
link_weight = 0.7
compare = [
  { name = "name", fields = ["name", "legal_name"], normalize = "company_name", comparator = "token_set", weight = 0.55, required = true },
  { name = "website", fields = ["website"], normalize = "website", comparator = "exact", weight = 0.15 },
  { name = "country", fields = ["country"], normalize = "fold", comparator = "exact", weight = 0.10 },
  { name = "street", fields = ["addresses.*.line1"], normalize = "street", comparator = "token_set", weight = 0.10 },
  { name = "postal_code", fields = ["addresses.*.postal_code"], normalize = "postcode", comparator = "exact", weight = 0.10 },
]
# one scheme's values, equal or different: the same tax or DUNS number decides, two differ.
# A country's tax number is one piece of evidence whatever its scheme, or none a v1 client's
# unchecked text was kept as (other:tax_id)
evidence = [
  { name = "tax", fields = ["identifiers.vat", "identifiers.gst", "identifiers.ein", "identifiers.other:tax_id"], normalize = "tax_id", same_floor = 0.97, different_cap = 0.40 },
  { name = "duns", fields = ["identifiers.duns"], normalize = "identifier", same_floor = 0.97, different_cap = 0.40 },
  { name = "lei", fields = ["identifiers.lei"], normalize = "identifier", same_floor = 0.97, different_cap = 0.40 },
]
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
