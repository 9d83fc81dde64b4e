"""Customer: CRM owns the commercial face, ERP the fiscal identity."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text

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
        text("name", required=True, owners=("salesforce",), searchable=True),
        text("legal_name", owners=("salesforce", "netsuite"), searchable=True),
        text("website", owners=("salesforce",)),
        text("tax_id", owners=("netsuite",)),
        Field("country", "country", owners=("netsuite", "salesforce")),
        Field("billing_address", "address", owners=("salesforce",)),
        text("industry", owners=("salesforce",)),
        Field("currency", "currency", owners=("netsuite",)),
        ref("parent_id", "customer", owners=("salesforce",)),
        enum("status", ("active", "inactive", "prospect"), owners=("salesforce", "netsuite")),
    ),
    keys=(Key(("tax_id", "country")),),
    statuses=("active", "inactive", "prospect"),
)
