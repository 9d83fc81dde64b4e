"""Rate card: ERP's price list; cards of one scope never overlap in time."""

from contracts import v1
from mdm.domains.descriptor import Domain, ExclusiveRange, Field, Key, enum, ref, text
from mdm.matching.blocking import Blocking, named_keys

SCOPE = ("name", "customer_id", "legal_entity_id", "currency")

BLOCKING = Blocking(reads=("name", "currency"), make=named_keys("currency"), version=5)

# the default match rules (a rules table, see mdm/matching/rules.py); MDM_MATCH_RULES may override them
MATCH = """
version = 2  # 2: a Fellegi-Sunter model (levels, m and u); hand-set, not trained yet
prior = 0.01  # few cards, each often sent by two systems
auto_link = 0.99
review = 0.2

[[comparison]]
name = "name"
fields = ["name"]
normalize = "fold"
levels = ["exact", "token_set>=0.90", "jaro_winkler>=0.80"]  # then else
m      = [0.7,     0.15,              0.08,                 0.07]
u      = [0.005,   0.01,              0.05,                 0.935]

[[comparison]]
# a card's scope is its customer, legal entity and currency, and its start date begins it:
# another scope or another start (its successor) is another card, however alike the names;
# one card with two of them is a slip of a clerk's hand
name = "currency"
fields = ["currency"]
normalize = "fold"
levels = ["exact"]  # then else
m      = [0.998,   0.002]
u      = [0.3,     0.7]

[[comparison]]
name = "effective_from"
fields = ["effective_from"]
normalize = "date"
levels = ["exact"]  # then else
m      = [0.998,   0.002]
u      = [0.05,    0.95]

[[comparison]]
name = "customer"
fields = ["customer_id"]
normalize = "text"
levels = ["exact"]  # then else
m      = [0.9999,  0.0001]
u      = [0.02,    0.98]

[[comparison]]
name = "legal_entity"
fields = ["legal_entity_id"]
normalize = "text"
levels = ["exact"]  # then else
m      = [0.9999,  0.0001]
u      = [0.2,     0.8]
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
