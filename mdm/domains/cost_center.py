"""Cost center: ERP's booking dimension, unique by code within a legal entity."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text

COST_CENTER = Domain(
    name="cost_center",
    prefix="cc",
    path="cost-centers",
    label="CostCenter",
    plural_label="CostCenters",
    read=v1.CostCenter,
    create=v1.CostCenterCreate,
    source=v1.CostCenterSource,
    patch=v1.CostCenterPatch,
    fields=(
        text("code", required=True, searchable=True),
        text("name", required=True, searchable=True),
        ref("legal_entity_id", "legal_entity", required=True),
        ref("parent_id", "cost_center"),
        ref("owner_id", "employee"),
        Field("valid_from", "date"),
        Field("valid_to", "date"),
        enum("status", ("active", "inactive")),
    ),
    keys=(Key(("code", "legal_entity_id"), unique=True),),
    date_ranges=(("valid_from", "valid_to"),),
)
