"""Rate card: ERP's price list; cards of one scope never overlap in time."""

from contracts import v1
from mdm.domains.descriptor import Domain, ExclusiveRange, Field, Key, enum, ref, text

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
        text("name", required=True, searchable=True),
        Field("currency", "currency", required=True),
        ref("customer_id", "customer"),
        ref("legal_entity_id", "legal_entity"),
        Field("effective_from", "date", required=True),
        Field("effective_to", "date"),
        Field("lines", "rate_lines", required=True),
        enum("status", ("active", "inactive")),
    ),
    keys=(Key((*SCOPE, "effective_from"), nullable=("customer_id", "legal_entity_id")),),
    date_ranges=(("effective_from", "effective_to"),),
    exclusive_ranges=(ExclusiveRange(SCOPE, "effective_from", "effective_to"),),
)
