"""The feed under concurrency: 32 writers commit events out of the order their transactions
began (a random delay between the insert and the commit, the failure that skips rows in an
`id > last` poll), while a reader polls the feed throughout. Every event arrives, once, and
each record's events arrive in the order its writers committed them.

Writers to one record take a transaction lock on it (as golden rows are locked by a write),
so its versions are committed one after another. PostgreSQL: 100,000 events. SQLite
serializes writers (ids are handed out in commit order), so there the same check runs on
20,000 with shorter delays."""

import asyncio
import random
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from mdm import events
from mdm.db import events as events_sql
from mdm.db.engine import Database

WRITERS = 32
SUBJECTS = 400


async def _write(db: Database, writer: int, quota: int, versions: dict[str, int], rng: random.Random,
                 delay: float, written: list[str]) -> None:  # fmt: skip
    postgres = db.dialect == "postgresql"
    while quota > 0:
        subject = f"evt-load-{rng.randrange(SUBJECTS)}"
        n = min(quota, rng.randint(1, 5))
        async with db.transaction() as session:
            # the record's write lock, held to the commit (SQLite: the database's, BEGIN IMMEDIATE's)
            lock = "SELECT pg_advisory_xact_lock(hashtext(:s))" if postgres else "SELECT :s"
            await session.execute(text(lock), {"s": subject})
            rows = []
            for _ in range(n):
                versions[subject] += 1
                rows.append(events.row("mdm.load.updated", "load", subject, {"version": versions[subject]}, None,
                                       datetime.now(UTC)))  # fmt: skip
            await events_sql.insert_events(session, rows)
            await asyncio.sleep(rng.uniform(0, delay))  # commit late: later transactions commit first
        written += [r["event_id"] for r in rows]
        quota -= n


async def _read(db: Database, after: events_sql.Position, done: asyncio.Event, total: int) -> list[Any]:
    """Poll until every event came, or the writers are done and 10 s pass with nothing new."""
    seen: list[Any] = []
    quiet_since = None
    while len(seen) < total:
        async with db.sessionmaker(write=False)() as session, session.begin():
            page = await events_sql.page(session, after, 1000, None, ["mdm.load.updated"])
        seen += page
        if page:
            after, quiet_since = (page[-1].xid, page[-1].id), None
            continue
        if done.is_set():
            quiet_since = quiet_since or asyncio.get_running_loop().time()
            if asyncio.get_running_loop().time() - quiet_since > 10:
                break
        await asyncio.sleep(0.01)
    return seen


async def _run(url: str, total: int, delay: float) -> tuple[list[str], list[Any]]:
    db = Database.connect(url, pool_size=WRITERS + 4)
    try:
        async with db.sessionmaker(write=False)() as session, session.begin():
            start, _ = await events_sql.head(session)
        versions: dict[str, int] = defaultdict(int)
        written: list[str] = []
        done = asyncio.Event()
        reader = asyncio.create_task(_read(db, start or (-1, 0), done, total))
        share = total // WRITERS
        await asyncio.gather(*(_write(db, w, share, versions, random.Random(w), delay, written)
                               for w in range(WRITERS)))  # fmt: skip
        done.set()
        seen = await asyncio.wait_for(reader, timeout=120)
        return written, seen
    finally:
        async with db.transaction() as session:  # leave the feed as other tests expect it
            await session.execute(events_sql.outbox_event.delete().where(events_sql.outbox_event.c.domain == "load"))
        await db.dispose()


def test_the_feed_loses_and_reorders_nothing_under_32_writers(database_url, backend):
    total, delay = (100_000, 0.02) if backend == "postgresql" else (20_000, 0.001)
    written, seen = asyncio.run(_run(database_url, total - total % WRITERS, delay))
    ids = [r.event_id for r in seen]
    assert len(written) == total - total % WRITERS
    assert len(ids) == len(set(ids)), "an event came twice"
    assert set(ids) == set(written), f"{len(set(written) - set(ids))} events missing"
    last: dict[str, int] = {}
    for r in seen:
        assert r.data["version"] == last.get(r.subject, 0) + 1, f"{r.subject} out of order"
        last[r.subject] = r.data["version"]
