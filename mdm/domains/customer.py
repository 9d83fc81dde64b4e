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
)
