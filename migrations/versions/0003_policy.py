"""policy: the edit-right policy as versioned rows, seeded with the default; audit rows keep roles

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:10:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mdm.db.types
from mdm.policy.rules import DEFAULT_TEXT

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    policy = op.create_table(
        "policy_version",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", mdm.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_policy_version")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "roles",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    # the policy in force on a new hub: mdm/policy/default.csv as this release ships it
    op.bulk_insert(
        policy,
        [
            {
                "version": 1,
                "text": DEFAULT_TEXT,
                "created_at": datetime.now(UTC),
                "created_by": "mdm",
                "comment": "default policy",
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("roles")
    op.drop_table("policy_version")
