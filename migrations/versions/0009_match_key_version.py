"""match key version: which blocking version each domain's stored keys were made with, so
`mdm db upgrade` rebuilds them when a descriptor's keys change (revisions never compute
them). Starts empty: the next upgrade rebuilds every domain's keys once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "match_key_version",
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_match_key_version")),
    )


def downgrade() -> None:
    op.drop_table("match_key_version")
