"""match keys rebuilt for customers and employees: the sound of each uncommon word of a
company name and the sorted letters of its first make keys (a typo or swap in the first word
no longer hides a record), common business words none; for people, the sorted letters of
each name, and particles written together ("deVries")

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 21:20:00
"""

from collections.abc import Sequence

from alembic import op

from mdm.domains import BY_NAME
from mdm.records.reindex import rebuild_match_keys

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for name in ("customer", "employee"):
        rebuild_match_keys(op.get_bind(), BY_NAME[name])


def downgrade() -> None:
    """Nothing to undo: the keys are whatever the running code makes (upgrade again to rebuild)."""
