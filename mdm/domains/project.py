"""Project: PSA owns delivery, ERP owns the financial dimensions."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text

_FIN = ("netsuite", "certinia")
_PSA = ("certinia", "netsuite")

PROJECT = Domain(
    name="project",
    prefix="prj",
    path="projects",
    label="Project",
    plural_label="Projects",
    read=v1.Project,
    create=v1.ProjectCreate,
    source=v1.ProjectSource,
    patch=v1.ProjectPatch,
    fields=(
        text("code", required=True, owners=_PSA, searchable=True),
        text("name", required=True, owners=_PSA, searchable=True),
        ref("customer_id", "customer", owners=("salesforce", "certinia")),
        ref("legal_entity_id", "legal_entity", owners=_FIN),
        ref("cost_center_id", "cost_center", owners=_FIN),
        ref("rate_card_id", "rate_card", owners=_FIN),
        ref("manager_id", "employee", owners=_PSA),
        enum(
            "billing_model",
            ("time_and_materials", "fixed_fee", "milestone", "retainer", "managed_service"),
            owners=_PSA,
        ),
        Field("currency", "currency", owners=_FIN),
        Field("contract_value", "money", owners=_FIN),
        Field("start_date", "date", owners=_PSA),
        Field("end_date", "date", owners=_PSA),
        enum("status", ("proposed", "active", "on_hold", "closed", "cancelled"), owners=_PSA),
    ),
    keys=(Key(("code",), unique=True),),
    date_ranges=(("start_date", "end_date"),),
    status_default="proposed",
    statuses=("proposed", "active", "on_hold", "closed", "cancelled"),
)
