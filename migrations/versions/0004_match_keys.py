"""match keys: the blocking index of fuzzy matching. The keys are derived from today's
descriptors, so this revision only makes the table: `mdm db upgrade` fills it after the
revisions (mdm.db.match_keys; revision 0009 records which version it holds).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_key",
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("golden_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("domain", "key", "golden_id", name=op.f("pk_match_key")),
    )
    op.create_index("ix_match_key_golden", "match_key", ["golden_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_match_key_golden", table_name="match_key")
    op.drop_table("match_key")
