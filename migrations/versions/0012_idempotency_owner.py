"""idempotency owner: the worker holding an in-flight Idempotency-Key ("host:pid"), so a
retry after that worker was killed takes the key over at once instead of waiting out a
timeout. Rows written before have none (their timeout still frees them).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_key") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_key") as batch:
        batch.drop_column("owner")
