"""a consumer's `placed` count: a replay counts it up.

A webhook round reads its subscription's position, sends, and then moves the position past
what it sent if the position is still the one it read. A replay placed while the round was
in flight at that same position (the events the round was sending, asked for again) was
lost: the round moved past them. The round now also checks the count it read.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event_consumer", sa.Column("placed", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("event_consumer") as batch:
        batch.drop_column("placed")
