"""the feed's clock: what the feed adds to a PostgreSQL transaction id (`feed_clock.xid_offset`).

An event's position is (xid, id), xid its transaction's id. A database restored into another
cluster brings positions from the old cluster's transaction ids, and the new cluster's may be
far behind them: its events would sort before every cursor and position read before, and no
consumer would see them. `mdm db restore` (and this revision, for a backup restored before it)
raises the offset so that new events come after every position there is, with room for
positions of events the old cluster made after the backup (2^32 transactions). The column's
default becomes the transaction's id plus the offset, as a constant (as cheap as before); the
feed's bound reads the offset from the table. SQLite: 0, unused.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kept beside mdm.db.events._CLOCK (a migration never imports today's code)
RAISE = """
DO $$
DECLARE wanted bigint;
BEGIN
    SELECT GREATEST(xid_offset, (
        SELECT COALESCE(MAX(x), 0) FROM (
            SELECT MAX(xid) AS x FROM outbox_event
            UNION ALL SELECT MAX(xid) FROM event_consumer
            UNION ALL SELECT MAX(xid) FROM outbox_horizon
        ) AS positions
    ) + 4294967296 - pg_current_xact_id()::text::bigint) INTO wanted FROM feed_clock WHERE id = 1;
    UPDATE feed_clock SET xid_offset = wanted WHERE id = 1;
    EXECUTE 'ALTER TABLE outbox_event ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text::bigint + '
        || wanted || ')';
END $$
"""


def upgrade() -> None:
    # a newer hub's, left by restoring an older release's backup over it with --replace
    op.execute("DROP TABLE IF EXISTS feed_clock")
    op.create_table(
        "feed_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("xid_offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO feed_clock (id, xid_offset) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(RAISE)


def downgrade() -> None:
    # stored positions back on the transaction ids alone (order kept), so 0015's feed reads
    # them; a pull-feed cursor handed out since is ahead of them: read the head again
    if op.get_bind().dialect.name == "postgresql":
        for table in ("outbox_event", "event_consumer", "outbox_horizon", "webhook_delivery"):
            op.execute(f"UPDATE {table} SET xid = xid - (SELECT xid_offset FROM feed_clock WHERE id = 1)")
        op.execute("ALTER TABLE outbox_event ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text::bigint)")
    op.drop_table("feed_clock")
