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
        text("name", required=True, searchable=True),
        text("registration_number"),
        text("tax_id"),
        Field("country", "country", required=True),
        Field("functional_currency", "currency"),
        ref("parent_id", "legal_entity"),
        enum("status", ("active", "inactive")),
    ),
    keys=(Key(("registration_number", "country")),),
)
