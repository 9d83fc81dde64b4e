"""Project: PSA owns delivery, ERP owns the financial dimensions."""

from contracts import v1
from mdm.domains.descriptor import Domain, Field, Key, enum, ref, text

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
        text("code", required=True, searchable=True),
        text("name", required=True, searchable=True),
        ref("customer_id", "customer"),
        ref("legal_entity_id", "legal_entity"),
        ref("cost_center_id", "cost_center"),
        ref("rate_card_id", "rate_card"),
        ref("manager_id", "employee"),
        enum(
            "billing_model",
            ("time_and_materials", "fixed_fee", "milestone", "retainer", "managed_service"),
        ),
        Field("currency", "currency"),
        Field("contract_value", "money"),
        Field("start_date", "date"),
        Field("end_date", "date"),
        enum("status", ("proposed", "active", "on_hold", "closed", "cancelled")),
    ),
    keys=(Key(("code",), unique=True),),
    date_ranges=(("start_date", "end_date"),),
    status_default="proposed",
    statuses=("proposed", "active", "on_hold", "closed", "cancelled"),
)
