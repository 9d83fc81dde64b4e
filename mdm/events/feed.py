"""The pull feed: the outbox's events after a cursor, as CloudEvents 1.0, for one caller.

A cursor is an event's `sequence` (an extension attribute): its feed position (xid, id) as
two zero-padded hexadecimal numbers, so cursors compare as text in feed order. A consumer keeps the last
`sequence` it handled and asks for what comes after it; any cursor replays from there, until
retention has pruned past it (410). Order and visibility: mdm.db.events.

Each event shows what its caller may read: a domain's events only to those who may read
some of that domain, their record and changed fields only the readable ones (costRate only to
finance and stewards), in the caller's contract version."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db import events as sql
from mdm.db import webhooks as webhooks_sql
from mdm.domains import BY_NAME, Domain
from mdm.errors import Gone, Invalid, MdmError
from mdm.events import SOURCE, SPEC_VERSION
from mdm.policy.rules import Policy
from mdm.policy.visibility import readable_by, shown

Record = dict[str, Any]
# two bigints (at most 2**63 - 1) in zero-padded hex: they compare as text in feed order
CURSOR_PATTERN = r"^([0-7][0-9a-f]{15})-([0-7][0-9a-f]{15})$"
CURSOR = re.compile(CURSOR_PATTERN)


def sequence(position: sql.Position) -> str:
    return f"{position[0]:016x}-{position[1]:016x}"


def position(cursor: str, field: str = "after") -> sql.Position:
    found = CURSOR.match(cursor)
    if found is None:
        raise Invalid("not a feed cursor", [(field, "must be an event's `sequence`")])
    return int(found[1], 16), int(found[2], 16)


@dataclass(slots=True)
class Page:
    items: list[Record]
    next: str | None  # the cursor to ask with next: the last event read (shown or not), else the one asked with


class Reader:
    """One caller's view of the feed: what it may read of each domain, in its version."""

    def __init__(self, policy: Policy, subjects: tuple[str, ...], version: str):
        self.policy, self.subjects, self.version = policy, subjects, version
        self._readable: dict[str, frozenset[str] | None] = {}

    def readable(self, domain: Domain) -> frozenset[str] | None:
        if domain.name not in self._readable:
            try:
                self._readable[domain.name] = readable_by(self.policy, self.subjects, domain)
            except MdmError:
                self._readable[domain.name] = None  # it may read nothing of it: none of its events
        return self._readable[domain.name]

    def event(self, row: Any) -> Record | None:
        """A stored event as this caller sees it, or None if it may not see it."""
        data = row.data
        domain = BY_NAME.get(row.domain or "")
        if domain is not None:
            fields = self.readable(domain)
            if fields is None:
                return None
            data = self._data(domain, fields, row)
        return {
            "specversion": SPEC_VERSION,
            "id": row.event_id,
            "source": SOURCE,
            "type": row.type,
            "subject": row.subject,
            "time": row.time.isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "sequence": sequence((row.xid, row.id)),
            "correlationid": row.correlation_id,
            "principal": row.principal,
            "data": data,
        }

    def _data(self, domain: Domain, fields: frozenset[str], row: Any) -> Record:
        out = dict(row.data)
        view = domain.contract(self.version).view
        if "changed" in out:
            changed = [f for f in out["changed"] if f in fields]
            out["changed"] = sorted({view.error_field(f) for f in changed}) if view else changed
        if row.record is not None:  # the version's record after the change (mdm.db.events.page)
            out["record"] = domain.shaped(self.version, shown(domain, row.record, fields))
        return out


async def read(session: AsyncSession, reader: Reader, after: str | None, limit: int,
               domains: Sequence[str] | None, types: Sequence[str] | None) -> Page:  # fmt: skip
    """Up to `limit` events after the cursor (from the oldest kept when None), those the
    caller may see; 410 when retention has pruned past the cursor."""
    start = position(after) if after else sql.START
    pruned = await sql.horizon(session)
    if pruned is not None:
        if after and start < pruned:
            raise Gone(
                f"the feed no longer holds the events after {after}: retention pruned them",
                [("after", f"must be {sequence(pruned)} or later; start again from the oldest kept (no after)")],
            )
        start = max(start, pruned)
    rows = await sql.page(session, start, limit, domains, types)
    items = [e for e in (reader.event(r) for r in rows) if e is not None]
    return Page(items, sequence((rows[-1].xid, rows[-1].id)) if rows else after)


async def lags(session: AsyncSession, now: datetime, names: Sequence[str] | None = None) -> list[Record]:
    """Every consumer's (or these ones') position and how far behind the feed it is: events
    and seconds; for a webhook subscription, also its events waiting for a retry (the oldest
    of them counts in the seconds behind) and its dead letters."""
    out = []
    consumers = await sql.consumers(session, names)
    hooks = [c.name.removeprefix(webhooks_sql.PREFIX) for c in consumers if c.name.startswith(webhooks_sql.PREFIX)]
    waiting = await webhooks_sql.counts(session, hooks) if hooks else {}
    for c in consumers:
        at = (c.xid, c.id)
        retrying, dead, oldest_waiting = waiting.get(c.name.removeprefix(webhooks_sql.PREFIX), (0, 0, None))
        oldest = min(filter(None, (await sql.oldest_after(session, at), oldest_waiting)), default=None)
        out.append({
            "name": c.name,
            "delivered": sequence(at) if at != sql.START else None,
            "delivered_at": c.delivered_at,
            "behind_events": await sql.count_after(session, at),
            "behind_seconds": max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
            "holder": c.holder if c.lease_until and c.lease_until >= now else None,
            "lease_until": c.lease_until,
            "retrying": retrying,
            "dead_letters": dead,
        })  # fmt: skip
    return out
