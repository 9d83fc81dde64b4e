"""the transactional outbox: every change (golden records, crosswalks, held source records,
review candidates, the policy) as a CloudEvent written in the transaction that made it, and
the feed's retention horizon, and where each consumer the hub delivers to (the NATS publisher)
has got to, with the lease that lets one process at a time deliver for it.

On PostgreSQL each row carries the id of the transaction that wrote it (`xid`, from
pg_current_xact_id()): the feed reads in (xid, id) order and only below the oldest running
transaction, so a transaction that commits late never lands behind a reader's cursor. SQLite
serializes writers: there `xid` is 0 and id order is commit order.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite's rowid alias


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    xid = sa.text("(pg_current_xact_id()::text::bigint)") if postgres else sa.text("0")
    op.create_table(
        "outbox_event",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("xid", sa.BigInteger(), server_default=xid, nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=True),
        sa.Column("subject", sa.String(length=250), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("principal", sa.String(length=100), nullable=True),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_event_id")),
        sqlite_autoincrement=True,  # never reuse an id: a pruned newest event's would land behind cursors
    )
    op.create_index("ix_outbox_event_position", "outbox_event", ["xid", "id"])
    op.create_index("ix_outbox_event_time", "outbox_event", ["time"])
    op.create_table(
        "event_consumer",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("holder", sa.String(length=120), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_consumer")),
    )
    op.create_table(
        "outbox_horizon",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_horizon")),
    )


def downgrade() -> None:
    op.drop_table("outbox_horizon")
    op.drop_table("event_consumer")
    op.drop_index("ix_outbox_event_time", table_name="outbox_event")
    op.drop_index("ix_outbox_event_position", table_name="outbox_event")
    op.drop_table("outbox_event")
