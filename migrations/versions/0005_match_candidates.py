"""match candidates and decisions: the queue of likely duplicate pairs, and why each
source record was linked or queued

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 06:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_candidate",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("left_id", sa.String(length=40), nullable=False),
        sa.Column("right_id", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column(
            "explanation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_candidate")),
        sa.UniqueConstraint("domain", "left_id", "right_id", name=op.f("uq_match_candidate_domain_left_id_right_id")),
    )
    op.create_index("ix_match_candidate_status", "match_candidate", ["domain", "status"], unique=False)
    op.create_table(
        "match_decision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.Column("system", sa.String(length=50), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("candidate_id", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column(
            "explanation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_decision")),
    )
    op.create_index("ix_match_decision_golden", "match_decision", ["domain", "golden_id"], unique=False)
    op.create_index("ix_match_decision_candidate", "match_decision", ["domain", "candidate_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_match_decision_candidate", table_name="match_decision")
    op.drop_index("ix_match_decision_golden", table_name="match_decision")
    op.drop_table("match_decision")
    op.drop_index("ix_match_candidate_status", table_name="match_candidate")
    op.drop_table("match_candidate")
