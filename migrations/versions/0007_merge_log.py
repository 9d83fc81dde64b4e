"""merge log: each steward merge, with what its exact unmerge restores; who decided each
queued pair, and when

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "merge_log",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("survivor_id", sa.String(length=40), nullable=False),
        sa.Column("merged_ids", JSON, nullable=False),
        sa.Column("picks", JSON, nullable=False),
        sa.Column("undo", JSON, nullable=False),
        sa.Column("principal", sa.String(length=100), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_log")),
    )
    op.create_index("ix_merge_log_survivor", "merge_log", ["domain", "survivor_id"], unique=False)
    op.add_column("match_candidate", sa.Column("decided_by", sa.String(length=100), nullable=True))
    op.add_column("match_candidate", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match_candidate") as batch:
        batch.drop_column("decided_at")
        batch.drop_column("decided_by")
    op.drop_index("ix_merge_log_survivor", table_name="merge_log")
    op.drop_table("merge_log")
