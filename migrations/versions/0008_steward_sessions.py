"""steward sessions: the workbench's sign-ins, kept on the server so that a cookie holds a
random token instead of the API key, and signing out (here or everywhere) ends them

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "steward_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_key.id"], name=op.f("fk_steward_session_key_id_api_key")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_steward_session")),
    )
    op.create_index(op.f("ix_steward_session_key_id"), "steward_session", ["key_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_steward_session_key_id"), table_name="steward_session")
    op.drop_table("steward_session")
