"""Legal entity: the firm's own companies; ERP owns them whole."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text

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
        text("name", required=True, owners=("netsuite",), searchable=True),
        text("registration_number", owners=("netsuite",)),
        text("tax_id", owners=("netsuite",)),
        Field("country", "country", required=True, owners=("netsuite",)),
        Field("functional_currency", "currency", owners=("netsuite",)),
        ref("parent_id", "legal_entity", owners=("netsuite",)),
        enum("status", ("active", "inactive"), owners=("netsuite",)),
    ),
    keys=(Key(("registration_number", "country")),),
)
