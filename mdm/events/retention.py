"""Retention: the outbox keeps events for `events_retention_days`; older ones are pruned (a
cursor before them is answered 410 by the feed), except those a webhook subscription has not
passed yet. Every worker prunes now and then: a prune
deletes only what is past retention, so two that overlap do the same work once."""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from mdm.db import events as sql
from mdm.db import webhooks as webhooks_sql
from mdm.db.engine import Database

log = logging.getLogger("mdm.events.retention")
EVERY = 600.0  # seconds between prunes


async def prune_once(db: Database, days: float) -> int:
    """Prune the events older than `days`, but none a webhook subscription has not passed
    yet (it would never get them; its lag shows it is behind). Answers how many went."""
    now = datetime.now(UTC)
    async with db.transaction() as session:
        keep_after = await sql.oldest_position(session, webhooks_sql.PREFIX)
        return await sql.prune(session, now - timedelta(days=days), now, keep_after)


async def prune_events(db: Database, days: float, stop: asyncio.Event) -> None:
    """Prune every EVERY seconds until `stop` is set; a failure waits for the next round."""
    while not stop.is_set():
        try:
            gone = await prune_once(db, days)
            if gone:
                log.info("pruned %d events older than %s days", gone, days)
        except Exception as exc:  # the database is away: the next round tries again
            log.warning("event retention: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), EVERY)
