"""Backup and restore of the hub's database (`mdm db backup` / `mdm db restore`).

SQLite: the library's online backup, a consistent copy while the service runs. PostgreSQL:
pg_dump's custom format and pg_restore (the client programs of the server's major version
or newer must be on PATH). A restore goes into an empty database unless told to replace; on
PostgreSQL it then moves the change feed's clock past the restored positions."""

import asyncio
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from mdm.db.engine import Database
from mdm.db.events import catch_up_clock


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
    asyncio.run(_after_restore(url))


async def _after_restore(url: str) -> None:
    """The change feed's clock past every restored position: the restored events are readable
    and new ones come after every cursor, whatever the new cluster's transaction ids."""
    async with Database.opened(url) as db, db.write.begin() as connection:
        await catch_up_clock(connection, restored=True)
