"""match keys rebuilt for customers and employees: the sound of each uncommon word of a
company name and the sorted letters of its first make keys (a typo or swap in the first word
no longer hides a record), common business words none; for people, the sorted letters of
each name, and particles written together ("deVries").
Those keys are derived data: this revision once rebuilt them with the code of its day, which a
revision must never run. It now does nothing; `mdm db upgrade` rebuilds stale keys itself
(mdm.db.match_keys, revision 0009).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 21:20:00
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing: the keys follow the descriptors' blocking versions (see the docstring)."""


def downgrade() -> None:
    """Nothing to undo."""
