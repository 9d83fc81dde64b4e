"""Backup and restore of the hub's database (`mdm db backup` / `mdm db restore`).

SQLite: the library's online backup, a consistent copy while the service runs. PostgreSQL:
pg_dump's custom format and pg_restore (the client programs of the server's major version
or newer must be on PATH). A restore goes into an empty database unless told to replace; on
PostgreSQL it then moves the change feed's clock past the restored positions."""

import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

# after a PostgreSQL restore: the feed's clock moved past every restored position, with room
# for those the old cluster made after the backup (2^32 transactions), so events written here
# come after every cursor and consumer position (mdm.db.events; migration 0016 does the same)
RAISE_FEED_CLOCK = """
DO $$
DECLARE wanted bigint;
BEGIN
IF to_regclass('feed_clock') IS NOT NULL THEN
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
END IF;
END $$
"""


class RestoreRefused(Exception):
    """The target database already holds a hub."""


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(url: str, target: Path) -> None:
    path = _sqlite_path(url)
    if path is not None:
        with sqlite3.connect(path) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target),
                    "--dbname", _libpq(url)], check=True, capture_output=True, text=True)  # fmt: skip


def _holds_a_hub(url: str) -> bool:
    path = _sqlite_path(url)
    if path is not None:
        if not path.exists():
            return False
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone() is not None
    found = subprocess.run(["psql", "--no-psqlrc", "--tuples-only", "--no-align", "--dbname", _libpq(url), "--command",
                            "SELECT to_regclass('public.alembic_version') IS NOT NULL"],
                           check=True, capture_output=True, text=True)  # fmt: skip
    return found.stdout.strip() == "t"


def restore(url: str, source: Path, *, replace: bool = False) -> None:
    if not replace and _holds_a_hub(url):
        raise RestoreRefused("the database already holds a hub: restore into an empty one, or pass --replace")
    path = _sqlite_path(url)
    if path is not None:
        with sqlite3.connect(source) as backup_file, sqlite3.connect(path) as target:
            backup_file.backup(target)
        return
    subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                    *(["--clean", "--if-exists"] if replace else []), "--dbname", _libpq(url), str(source)],
                   check=True, capture_output=True, text=True)  # fmt: skip
    subprocess.run(["psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--dbname", _libpq(url),
                    "--command", RAISE_FEED_CLOCK], check=True, capture_output=True, text=True)  # fmt: skip
