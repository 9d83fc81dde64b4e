"""Rate card: ERP's price list; cards of one scope never overlap in time."""

from contracts import v1
from mdm.domains.descriptor import Domain, ExclusiveRange, Field, Key, enum, ref, text
from mdm.matching.blocking import Blocking, named_keys

SCOPE = ("name", "customer_id", "legal_entity_id", "currency")

BLOCKING = Blocking(reads=("name", "currency"), make=named_keys("currency"), version=2)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 1
auto_link = 0.92
review = 0.75
compare = [
  { name = "name", fields = ["name"], normalize = "fold", comparator = "token_set", weight = 0.5, required = true },
  { name = "currency", fields = ["currency"], normalize = "fold", comparator = "exact", weight = 0.2, required = true },
  { name = "customer_id", fields = ["customer_id"], normalize = "text", comparator = "exact", weight = 0.1 },
  { name = "legal_entity_id", fields = ["legal_entity_id"], normalize = "text", comparator = "exact", weight = 0.1 },
  { name = "effective_from", fields = ["effective_from"], normalize = "text", comparator = "exact", weight = 0.1 },
]
# a card's scope is its customer, legal entity and currency: another scope or another start
# date (its successor) is another card, however alike the names
evidence = [
  { name = "effective_from", fields = ["effective_from"], normalize = "text", different_cap = 0.40 },
  { name = "customer_id", fields = ["customer_id"], normalize = "text", different_cap = 0.40 },
  { name = "legal_entity_id", fields = ["legal_entity_id"], normalize = "text", different_cap = 0.40 },
]
"""

# the seed policy's lines for this domain: who may create it and own which of its fields
POLICY = """
# ---- rate_card: ERP owns it whole
p, system:netsuite, rate_card, *, create, allow
p, system:netsuite, rate_card, *, write, allow
"""

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
    blocking=BLOCKING,
    match=MATCH,
    policy=POLICY,
)
