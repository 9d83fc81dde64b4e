"""Stewardship's own tables: the merge log (what an exact unmerge needs) and the
workbench's sign-in sessions. They are defined on mdm's shared `metadata`, so Alembic's
autogenerate and the schema test see one schema; migrations 0007 and 0008 create them.
The queue itself (`match_candidate`, `match_decision`) stays in mdm: its matching writes it."""

from sqlalchemy import Column, ForeignKey, Index, String, Table

from mdm.db.tables import ID, metadata
from mdm.db.types import JSONType, UTCDateTime

merge_log = Table(
    "merge_log",
    metadata,
    Column("id", String(ID), primary_key=True),  # "mrg_" + ULID: the merge_id stewards undo by
    Column("domain", String(32), nullable=False),
    Column("survivor_id", String(ID), nullable=False),
    Column("merged_ids", JSONType, nullable=False),
    Column("picks", JSONType, nullable=False),  # field -> the record whose value won
    # what an exact unmerge puts back: the crosswalks and source records that moved, the
    # survivor's overrides the picks replaced, the records whose references followed the
    # merge, and the queue entries it closed
    Column("undo", JSONType, nullable=False),
    Column("principal", String(100), nullable=False),
    Column("correlation_id", String(100)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("undone_at", UTCDateTime()),
    Column("undone_by", String(100)),
    Index("ix_merge_log_survivor", "domain", "survivor_id"),
)

steward_session = Table(
    "steward_session",
    metadata,
    # sha256 of the workbench cookie's random token; the token itself is never kept
    Column("id", String(64), primary_key=True),
    Column("key_id", String(ID), ForeignKey("api_key.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime()),  # signed out (here or everywhere)
)
