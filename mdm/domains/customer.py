"""Customer: CRM owns the commercial face, ERP the fiscal identity."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text
from mdm.matching.blocking import Blocking, customer_keys

BLOCKING = Blocking(
    reads=("name", "legal_name", "country", "billing_address", "tax_id", "website"), make=customer_keys, version=2
)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 1
auto_link = 0.92
review = 0.75
link_weight = 0.7
compare = [
  { name = "name", fields = ["name", "legal_name"], normalize = "company_name", comparator = "token_set", weight = 0.55, required = true },
  { name = "website", fields = ["website"], normalize = "website", comparator = "exact", weight = 0.15 },
  { name = "country", fields = ["country"], normalize = "fold", comparator = "exact", weight = 0.10 },
  { name = "street", fields = ["billing_address.line1"], normalize = "street", comparator = "token_set", weight = 0.10 },
  { name = "postal_code", fields = ["billing_address.postal_code"], normalize = "postcode", comparator = "exact", weight = 0.10 },
]
evidence = [
  { name = "tax_id", fields = ["tax_id"], normalize = "tax_id", same_floor = 0.97, different_cap = 0.40 },
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
p, system:salesforce, customer, billing_address, write, allow
p, system:salesforce, customer, parent_id, write, allow
p, system:netsuite, customer, tax_id, write, allow
p, system:salesforce, customer, tax_id, write, allow
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
    read=v1.Customer,
    create=v1.CustomerCreate,
    source=v1.CustomerSource,
    patch=v1.CustomerPatch,
    fields=(
        text("name", required=True, searchable=True),
        text("legal_name", searchable=True),
        text("website"),
        text("tax_id"),
        Field("country", "country"),
        Field("billing_address", "address"),
        text("industry"),
        Field("currency", "currency"),
        ref("parent_id", "customer"),
        enum("status", ("active", "inactive", "prospect")),
    ),
    keys=(Key(("tax_id", "country")),),
    statuses=("active", "inactive", "prospect"),
    blocking=BLOCKING,
    match=MATCH,
    policy=POLICY,
)
