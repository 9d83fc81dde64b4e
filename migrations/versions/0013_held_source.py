"""held source records: what a source sent that could neither join nor become a golden
record (its system may not create, it scored in the review band without that right, or it
lacks a required field), kept whole with its reason and candidates, and its blocking keys,
so a later write that makes it match links it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "held_source",
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("system", sa.String(length=50), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("candidates", JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("domain", "system", "source_id", name=op.f("pk_held_source")),
    )
    op.create_table(
        "held_key",
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("system", sa.String(length=50), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("domain", "key", "system", "source_id", name=op.f("pk_held_key")),
    )


def downgrade() -> None:
    op.drop_table("held_key")
    op.drop_table("held_source")
