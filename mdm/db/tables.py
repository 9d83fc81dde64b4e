"""mdm's tables, as SQLAlchemy Core. Golden tables are built from the domain descriptors.
Stewardship's own tables (`merge_log`, `steward_session`) are in stewardship/tables.py,
on this same `metadata`.

Alembic revisions are generated from this metadata and checked in; the app never
calls `create_all` (tests compare the migrated schema with this metadata).
"""

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from mdm.db.types import JSONType, Money, UTCDateTime
from mdm.domains import DOMAINS, Domain, Field

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 40  # "prj_" + 26-char ULID, with room for longer prefixes

source_system = Table(
    "source_system",
    metadata,
    Column("code", String(50), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

crosswalk = Table(
    "crosswalk",
    metadata,
    Column("domain", String(32), primary_key=True),
    Column("system", String(50), primary_key=True),
    Column("source_id", String(200), primary_key=True),
    Column("golden_id", String(ID), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),
)

source_record = Table(
    "source_record",
    metadata,
    Column("domain", String(32), primary_key=True),
    Column("system", String(50), primary_key=True),
    Column("source_id", String(200), primary_key=True),
    Column("golden_id", String(ID), nullable=False, index=True),
    Column("payload", JSONType, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("correlation_id", String(100)),
    Column("ended_at", UTCDateTime()),
)

golden_history = Table(
    "golden_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain", String(32), nullable=False),
    Column("golden_id", String(ID), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
    Column("action", String(32), nullable=False),
    Column("principal", String(100), nullable=False),
    Column("correlation_id", String(100)),
    Column("data", JSONType, nullable=False),
    UniqueConstraint("golden_id", "version"),
)

held_source = Table(
    "held_source",
    metadata,
    # a source record that could neither join nor become a golden record (its system may not
    # create, it landed in the review band without that right, or it lacks a required field):
    # kept whole until it links by itself, or a steward links it or makes a record of it
    Column("domain", String(32), primary_key=True),
    Column("system", String(50), primary_key=True),
    Column("source_id", String(200), primary_key=True),
    Column("payload", JSONType, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("reason", String(32), nullable=False),  # no_create_right | review_without_create | incomplete
    Column("detail", Text, nullable=False),
    Column("candidates", JSONType, nullable=False),  # [{id, score}], best first
    Column("received_at", UTCDateTime(), nullable=False),
    Column("correlation_id", String(100)),
)

held_key = Table(
    "held_key",
    metadata,
    # a held record's blocking keys: a write whose golden record shares one looks at it again
    Column("domain", String(32), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("system", String(50), primary_key=True),
    Column("source_id", String(200), primary_key=True),
)

outbox_event = Table(
    "outbox_event",
    metadata,
    # every change as a CloudEvent, written in the transaction that made it (mdm.events);
    # xid: that transaction's id on PostgreSQL plus the feed clock's offset (the column's
    # default, set by the migrations and a restore), 0 on SQLite; the feed reads in (xid, id)
    # order (mdm.db.events)
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("xid", BigInteger, nullable=False),
    Column("event_id", String(40), nullable=False, unique=True),
    Column("type", String(80), nullable=False),  # mdm.customer.updated, mdm.policy.changed, ...
    Column("domain", String(32)),
    Column("subject", String(250)),  # the golden record's id, when the event is about one
    # a golden record's event: the version it made, whose golden_history row is the record after
    # (the feed reads it from there: an event does not keep a second copy)
    Column("version", Integer),
    Column("time", UTCDateTime(), nullable=False),
    Column("principal", String(100)),
    Column("correlation_id", String(100)),
    Column("data", JSONType, nullable=False),
    Index("ix_outbox_event_position", "xid", "id"),
    Index("ix_outbox_event_time", "time"),
    # SQLite would reuse the ids of deleted newest rows: after retention pruned them, a new
    # event would land behind every cursor; AUTOINCREMENT never reuses one
    sqlite_autoincrement=True,
)

event_consumer = Table(
    "event_consumer",
    metadata,
    # a consumer the hub delivers events to (the NATS publisher): the position of the last
    # event it delivered, when, and which process holds its lease until when (one at a time)
    Column("name", String(60), primary_key=True),
    Column("xid", BigInteger, nullable=False),
    Column("id", BigInteger, nullable=False),
    Column("delivered_at", UTCDateTime()),
    Column("holder", String(120)),
    Column("lease_until", UTCDateTime()),
    # counted up each time a replay places it: a round that read another count cannot move it
    Column("placed", Integer, nullable=False, server_default="0"),
)

outbox_horizon = Table(
    "outbox_horizon",
    metadata,
    # where retention last pruned the outbox ("feed"): a cursor before it asks for events gone
    Column("name", String(20), primary_key=True),
    Column("xid", BigInteger, nullable=False),
    Column("id", BigInteger, nullable=False),
    Column("pruned_at", UTCDateTime(), nullable=False),
)

feed_clock = Table(
    "feed_clock",
    metadata,
    # PostgreSQL: what the feed adds to a transaction's id (one row; outbox_event.xid's column
    # default adds the same, as a constant): raised by a restore into a cluster whose
    # transaction ids are behind the restored positions (mdm.db.backup), so new events still
    # come after them. Always 0 on SQLite
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("xid_offset", BigInteger, nullable=False),
)

webhook_subscription = Table(
    "webhook_subscription",
    metadata,
    # a receiver of signed webhooks: the events it wants (domains, types; null: all), the
    # contract version and roles they are shaped for, its secrets ({secret, expires_at}; a
    # rotated-out one signs beside the new one until it expires); its feed position is its
    # event_consumer row `webhook:<id>`
    Column("id", String(40), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("version", String(4), nullable=False),
    Column("domains", JSONType),
    Column("types", JSONType),
    Column("roles", JSONType, nullable=False),
    Column("secrets", JSONType, nullable=False),
    Column("description", String(500)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(100), nullable=False),
)

webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    # an event a subscription's receiver has not taken: the body as first sent, its attempts,
    # when the next is due; dead (dead_at, no next attempt) after the retry window
    Column("subscription_id", String(40), primary_key=True),
    Column("event_id", String(40), primary_key=True),
    Column("xid", BigInteger, nullable=False),
    Column("id", BigInteger, nullable=False),
    Column("type", String(80), nullable=False),
    Column("subject", String(250)),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_attempt_at", UTCDateTime(), nullable=False),
    Column("last_attempt_at", UTCDateTime()),
    Column("next_attempt_at", UTCDateTime()),
    Column("last_status", Integer),
    Column("last_error", String(500)),
    Column("dead_at", UTCDateTime()),
    Index("ix_webhook_delivery_due", "subscription_id", "next_attempt_at"),
    Index("ix_webhook_delivery_subject", "subscription_id", "subject"),
)

idempotency_key = Table(
    "idempotency_key",
    metadata,
    Column("principal", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("method", String(10), nullable=False),
    Column("path", Text, nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
    Column("response_headers", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("owner", String(300)),  # the worker ("host:pid") running it while in flight
)

api_key = Table(
    "api_key",
    metadata,
    Column("id", String(40), primary_key=True),  # key_<ULID>: what `mdm keys list/revoke` name
    Column("principal", String(100), nullable=False, index=True),
    Column("roles", JSONType, nullable=False),
    Column(
        "key_hash", String(64), nullable=False, unique=True
    ),  # sha256 of the whole key; the key itself is never kept
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("principal", String(100), nullable=False),
    Column("roles", JSONType),  # the caller's roles then: policy dry-runs replay writes with them
    Column("action", String(32), nullable=False),
    Column("domain", String(32)),
    Column("record_id", String(ID), index=True),
    Column("fields", JSONType),
    Column("correlation_id", String(100)),
    Column("outcome", String(32), nullable=False),
    Column("detail", Text),
)

match_key = Table(
    "match_key",
    metadata,
    Column("domain", String(32), primary_key=True),
    Column("key", String(200), primary_key=True),  # "kind:value" (mdm.matching.blocking)
    Column("golden_id", String(ID), primary_key=True),
    # golden_id alone: an index led by domain lets PostgreSQL's generic plan for a block read
    # (domain = ? AND key = ? ORDER BY golden_id LIMIT n) walk the whole domain in id order
    Index("ix_match_key_golden", "golden_id"),
)

golden_identifier = Table(
    "golden_identifier",
    metadata,
    # the identifiers of live golden records that link (mdm.domains.identifiers.LINKS), kept
    # with every write, so a source record with the same (scheme, country, value) joins it and
    # an integration can look a DUNS or VAT number up; a merged-away record keeps none
    Column("domain", String(32), primary_key=True),
    Column("scheme", String(50), primary_key=True),
    Column("country", String(2), primary_key=True),  # "" where the scheme is not of a country
    Column("value", String(100), primary_key=True),
    Column("golden_id", String(ID), primary_key=True),
    Index("ix_golden_identifier_golden", "golden_id"),
    Index("ix_golden_identifier_value", "value"),
)

match_key_version = Table(
    "match_key_version",
    metadata,
    # the Blocking.version a domain's stored keys were made with (mdm.db.match_keys)
    Column("domain", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("built_at", UTCDateTime(), nullable=False),
)

match_candidate = Table(
    "match_candidate",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain", String(32), nullable=False),
    Column("left_id", String(ID), nullable=False),  # the smaller id of the pair
    Column("right_id", String(ID), nullable=False),
    Column("score", Float, nullable=False),
    Column("rules_version", Integer, nullable=False),
    Column("explanation", JSONType, nullable=False),
    Column("status", String(16), nullable=False),  # pending | not_a_match | merged
    Column("source", String(16), nullable=False),  # scan | ingest
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_by", String(100)),  # the steward who merged, rejected or closed it
    Column("decided_at", UTCDateTime()),
    UniqueConstraint("domain", "left_id", "right_id"),
    Index("ix_match_candidate_status", "domain", "status"),
)

match_decision = Table(
    "match_decision",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("domain", String(32), nullable=False),
    Column("golden_id", String(ID), nullable=False),  # the record the source record joined or made
    Column("system", String(50), nullable=False),
    Column("source_id", String(200), nullable=False),
    Column("outcome", String(16), nullable=False),  # linked | pending_review
    Column("candidate_id", String(ID), nullable=False),  # the best-scoring golden record
    Column("score", Float, nullable=False),
    Column("threshold", Float, nullable=False),  # the threshold the score was held against
    Column("rules_version", Integer, nullable=False),
    Column("explanation", JSONType, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("correlation_id", String(100)),
    Index("ix_match_decision_golden", "domain", "golden_id"),
    Index("ix_match_decision_candidate", "domain", "candidate_id"),
)

match_rules_version = Table(
    "match_rules_version",
    metadata,
    # a domain's match rules as `mdm match train` wrote them (TOML text with trained m/u); the
    # newest adopted one is in force, else the descriptor's (or MDM_MATCH_RULES') defaults
    Column("domain", String(32), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("text", Text, nullable=False),
    Column("report", JSONType, nullable=False),  # m/u per level, pairs used, EM iterations, labels
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("adopted_at", UTCDateTime()),
    Column("adopted_by", String(100)),
)

match_term = Table(
    "match_term",
    metadata,
    # how often each normalized value of a term-frequency comparison occurs among the records
    # a rules version was trained on (values seen once are left out: they count as 1)
    Column("domain", String(32), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("comparison", String(64), primary_key=True),
    Column("value", String(200), primary_key=True),
    Column("count", Integer, nullable=False),
)

policy_version = Table(
    "policy_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),  # 1, 2, ...: the newest is in force
    Column("text", Text, nullable=False),  # casbin CSV, as the admin sent it
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("comment", String(500)),
    Column("correlation_id", String(100)),
)


def _column_type(f: Field) -> TypeEngine[Any]:
    match f.kind:
        case "date":
            return Date()
        case "money":
            return Money()
        case "address" | "rate_lines" | "identifiers" | "phones" | "addresses" | "person_name":
            return JSONType
        case "ref":
            return String(ID)
        case "country":
            return String(2)
        case "currency":
            return String(3)
        case "enum":
            return String(32)
        case "email":
            return String(320)
        case _:
            return String(500)


def golden_table(domain: Domain) -> Table:
    """The typed table of one domain's golden records: real columns so reports can filter."""
    columns: list[Column[Any]] = [
        Column("id", String(ID), primary_key=True),
        Column("version", Integer, nullable=False),
        Column("status", String(32), nullable=False, index=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False, index=True),
        Column("merged_into", String(ID)),
        Column("overrides", JSONType, nullable=False),
        Column("lineage", JSONType, nullable=False),
    ]
    columns += [Column(f.name, _column_type(f), index=f.kind == "ref") for f in domain.fields if f.name != "status"]
    table = Table(domain.name, metadata, *columns)
    # partial: "merged_into IS NULL" filters must not be planned through this index (SQLite
    # did, walking every live row); it serves "what was merged into X" lookups
    merged = table.c.merged_into.is_not(None)
    Index(f"ix_{domain.name}_merged_into", table.c.merged_into, sqlite_where=merged, postgresql_where=merged)
    for i, key in enumerate(domain.keys, start=1):
        if key.unique:
            table.append_constraint(UniqueConstraint(*key.fields, name=f"uq_{domain.name}_key{i}"))
        else:
            Index(f"ix_{domain.name}_key{i}", *(table.c[n] for n in key.fields))
    return table


GOLDEN: dict[str, Table] = {d.name: golden_table(d) for d in DOMAINS}
