"""Rate card: ERP's price list; cards of one scope never overlap in time."""

from contracts import v1
from mdm.domains.descriptor import Domain, ExclusiveRange, Field, Key, enum, ref, text

_ERP = ("netsuite",)
SCOPE = ("name", "customer_id", "legal_entity_id", "currency")

RATE_CARD = Domain(
    name="rate_card",
    prefix="rc",
    path="rate-cards",
    label="RateCard",
    plural_label="RateCards",
    read=v1.RateCard,
    create=v1.RateCardCreate,
    source=v1.RateCardSource,
    patch=v1.RateCardPatch,
    fields=(
        text("name", required=True, owners=_ERP, searchable=True),
        Field("currency", "currency", required=True, owners=_ERP),
        ref("customer_id", "customer", owners=_ERP),
        ref("legal_entity_id", "legal_entity", owners=_ERP),
        Field("effective_from", "date", required=True, owners=_ERP),
        Field("effective_to", "date", owners=_ERP),
        Field("lines", "rate_lines", required=True, owners=_ERP),
        enum("status", ("active", "inactive"), owners=_ERP),
    ),
    keys=(Key((*SCOPE, "effective_from"), nullable=("customer_id", "legal_entity_id")),),
    date_ranges=(("effective_from", "effective_to"),),
    exclusive_ranges=(ExclusiveRange(SCOPE, "effective_from", "effective_to"),),
)
