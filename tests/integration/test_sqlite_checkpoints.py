"""SQLite: the server copies the write-ahead log into the database in the background, so a
commit does not (a commit past SQLite's threshold of 1,000 log pages did it itself, fsync
included: one write group in ten waited ~10 ms). Run on an SQLite file of its own whatever
the suite's database: the behaviour is SQLite's."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from mdm.db import driver
from mdm.db.engine import Database, checkpoints
from mdm.db.migrate import upgrade
from mdm.db.tables import audit_log

ROWS = 5000  # ~1 kB each: some 1,300 pages, past SQLite's threshold


def _size(path: Path) -> int:
    return path.stat().st_size


async def _write(db: Database) -> None:
    at = datetime.now(UTC)
    rows = [{"at": at, "principal": "user:checkpoint", "roles": [], "action": "upsert", "domain": None,
             "record_id": str(i), "fields": None, "correlation_id": None, "outcome": "ok", "detail": "x" * 1000}
            for i in range(ROWS)]  # fmt: skip
    async with db.transaction() as session:
        await driver.insert(session, audit_log, rows)


def test_commits_leave_the_log_to_the_background_checkpointer(tmp_path: Path):
    path = tmp_path / "hub.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)

    async def run() -> tuple[int, int, int, int]:
        plain = Database.connect(url)
        try:
            before = _size(path)
            await _write(plain)  # SQLite's default: the commit copied the log into the file
            by_commit = _size(path) - before
        finally:
            await plain.dispose()
        db = Database.connect(url, background_checkpoints=True)
        try:
            before = _size(path)
            await _write(db)
            at_commit = _size(path) - before
            log = _size(Path(f"{path}-wal"))
            stop = asyncio.Event()
            task = asyncio.create_task(checkpoints(db, stop, every=0.05))
            await asyncio.sleep(0.5)
            stop.set()
            await task
            return by_commit, at_commit, log, _size(path) - before
        finally:
            await db.dispose()

    by_commit, at_commit, log, after_checkpoint = asyncio.run(run())
    megabytes = ROWS * 1000 * 0.8
    assert by_commit > megabytes  # the premise: this much passes SQLite's threshold
    assert at_commit == 0  # the server's commit left it in the log ...
    assert log > megabytes
    assert after_checkpoint > megabytes  # ... and the checkpointer copied it into the database
