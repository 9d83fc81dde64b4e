"""match rules versions: the rules `mdm match train` learns from a hub's own records (the
m and u of every comparison level, the prior), kept per domain and version beside the
term frequencies they were trained with; the newest adopted version is in force.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "match_rules_version",
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("report", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("adopted_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("domain", "version", name=op.f("pk_match_rules_version")),
    )
    op.create_table(
        "match_term",
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("comparison", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("domain", "version", "comparison", "value", name=op.f("pk_match_term")),
    )


def downgrade() -> None:
    op.drop_table("match_term")
    op.drop_table("match_rules_version")
