"""SQL of the outbox (mdm.events): writing events in the writer's transaction, reading the
feed in order without gaps, and retention.

The feed's order is (xid, id). On PostgreSQL `xid` is the writing transaction's id (the
column's default: pg_current_xact_id()), and a page reads only rows whose transaction is
below the oldest one still running (pg_snapshot_xmin of the statement's snapshot): every
transaction below it has ended, so no row can commit later behind a cursor. Polling by
`id > last` alone skips the rows of a transaction that took its ids early and committed late.
The price: a transaction that stays open holds back the rows of every transaction after it
(on the whole cluster: xids are the cluster's) until it ends; it delays, it loses nothing.
Stored xids carry the feed clock's offset (table feed_clock; raised by a restore into
another cluster: `catch_up_clock`), and so does the bound they are compared with.
SQLite serializes writers, so id order is commit order: there `xid` is 0."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from mdm.db import driver
from mdm.db.tables import event_consumer, golden_history, outbox_event, outbox_horizon

Position = tuple[int, int]  # (xid, id)
START: Position = (-1, 0)  # before every event
HORIZON = "feed"


# the feed's clock moved past every stored position, with room for 2^32 transactions another
# cluster may have made after a backup (migration 0016 holds its own copy). Always after a
# restore; otherwise only when a position is ahead of the clock: a restore made by hand. Only
# on a schema that has the clock (a backup of an older release restored over a newer hub
# leaves the newer's feed_clock behind: not its clock), one process at a time (the advisory
# lock, taken before any table), and the check takes no transaction id (pg_snapshot_xmax)
_CLOCK = """
DO $$
DECLARE newest bigint; offset_now bigint; wanted bigint;
BEGIN
IF to_regclass('feed_clock') IS NOT NULL AND EXISTS (
    SELECT 1 FROM alembic_version WHERE version_num ~ '^[0-9]{4}$' AND version_num >= '0016'
) THEN
    PERFORM pg_advisory_xact_lock(hashtext('mdm.feed_clock'));
    SELECT xid_offset INTO offset_now FROM feed_clock WHERE id = 1;
    SELECT COALESCE(MAX(x), 0) INTO newest FROM (
        SELECT MAX(xid) AS x FROM outbox_event
        UNION ALL SELECT MAX(xid) FROM event_consumer
        UNION ALL SELECT MAX(xid) FROM outbox_horizon
    ) AS positions;
    IF {always} OR pg_snapshot_xmax(pg_current_snapshot())::text::bigint + offset_now <= newest THEN
        wanted := GREATEST(offset_now, newest + 4294967296 - pg_current_xact_id()::text::bigint);
        UPDATE feed_clock SET xid_offset = wanted WHERE id = 1;
        EXECUTE 'ALTER TABLE outbox_event ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text::bigint + '
            || wanted || ')';
    END IF;
END IF;
END $$
"""


async def catch_up_clock(connection: AsyncConnection, *, restored: bool) -> None:
    """Move the feed's clock past the stored positions (PostgreSQL; see _CLOCK): `restored`,
    always; else only if one is ahead of it, as after a restore into another cluster by hand.
    In a transaction of its own: when it moves the clock it locks outbox_event until commit."""
    if connection.dialect.name == "postgresql":
        await connection.exec_driver_sql(_CLOCK.replace("{always}", "true" if restored else "false"))


async def insert_events(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await driver.insert(session, outbox_event, rows)


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# the oldest running transaction's id, on the feed's clock (xids there carry its offset)
_XMIN = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint + (SELECT xid_offset FROM feed_clock WHERE id = 1)"


def _visible(session: AsyncSession) -> Any:
    """Rows of transactions that have all ended (see the module's docstring); on SQLite, all."""
    if not _postgres(session):
        return literal_column("1") == 1
    return outbox_event.c.xid < literal_column(f"({_XMIN})")


async def page(session: AsyncSession, after: Position, limit: int, domains: Sequence[str] | None,
               types: Sequence[str] | None, upto: Position | None = None) -> list[Row[Any]]:  # fmt: skip
    """Up to `limit` events after a position (and none after `upto`), in feed order;
    `domains`/`types`: only these. A golden record's event comes with its version's record
    (`record`, from the history)."""
    t, h = outbox_event, golden_history
    made = and_(h.c.golden_id == t.c.subject, h.c.version == t.c.version)
    stmt = (
        select(t, h.c.data.label("record"))
        .select_from(t.outerjoin(h, made))
        .where(tuple_(t.c.xid, t.c.id) > tuple_(*after), _visible(session))
    )
    if upto is not None:
        stmt = stmt.where(tuple_(t.c.xid, t.c.id) <= tuple_(*upto))
    if domains is not None:
        stmt = stmt.where(t.c.domain.in_(domains))
    if types is not None:
        stmt = stmt.where(t.c.type.in_(types))
    return list((await session.execute(stmt.order_by(t.c.xid, t.c.id).limit(limit))).all())


async def nth_after(session: AsyncSession, after: Position, n: int) -> Position | None:
    """The position of the n-th readable event after a position (None: there are fewer), read
    from the position index alone: a bound that keeps a filtered page's scan to n events."""
    t = outbox_event
    stmt = (
        select(t.c.xid, t.c.id)
        .where(tuple_(t.c.xid, t.c.id) > tuple_(*after), _visible(session))
        .order_by(t.c.xid, t.c.id)
        .offset(n - 1)
        .limit(1)
    )
    found = (await session.execute(stmt)).first()
    return (found.xid, found.id) if found else None


async def head(session: AsyncSession) -> tuple[Position | None, datetime | None]:
    """The newest readable event's position and time (None when the feed is empty)."""
    t = outbox_event
    stmt = select(t.c.xid, t.c.id, t.c.time).where(_visible(session)).order_by(t.c.xid.desc(), t.c.id.desc())
    found = (await session.execute(stmt.limit(1))).first()
    return ((found.xid, found.id), found.time) if found else (None, None)


async def horizon(session: AsyncSession) -> Position | None:
    """The newest position retention has pruned: the feed no longer holds it nor anything before."""
    found = (await session.execute(select(outbox_horizon).where(outbox_horizon.c.name == HORIZON))).first()
    return (found.xid, found.id) if found else None


async def prune(session: AsyncSession, before: datetime, now: datetime, keep_after: Position | None = None) -> int:
    """Delete the events older than `before` that are readable (never one a reader has not
    been able to see yet), none after `keep_after`, and move the horizon to the newest of
    them. Answers how many."""
    t = outbox_event
    old = select(t.c.xid, t.c.id).where(t.c.time < before, _visible(session)).order_by(t.c.xid.desc(), t.c.id.desc())
    if keep_after is not None:
        old = old.where(tuple_(t.c.xid, t.c.id) <= tuple_(*keep_after))
    newest = (await session.execute(old.limit(1))).first()
    if newest is None:
        return 0
    gone = await session.execute(delete(t).where(tuple_(t.c.xid, t.c.id) <= tuple_(newest.xid, newest.id)))
    mark = {"xid": newest.xid, "id": newest.id, "pruned_at": now}
    updated = await session.execute(outbox_horizon.update().where(outbox_horizon.c.name == HORIZON).values(**mark))
    if not updated.rowcount:  # type: ignore[attr-defined]
        await session.execute(insert(outbox_horizon).values(name=HORIZON, **mark))
    return int(gone.rowcount)  # type: ignore[attr-defined]


async def count_after(session: AsyncSession, after: Position) -> int:
    """Readable events after a position: how far behind a consumer at `after` is."""
    t = outbox_event
    stmt = select(func.count()).select_from(t).where(tuple_(t.c.xid, t.c.id) > tuple_(*after), _visible(session))
    return int((await session.execute(stmt)).scalar_one())


async def take_lease(session: AsyncSession, name: str, holder: str, now: datetime, until: datetime,
                     create: bool = True) -> bool:  # fmt: skip
    """Hold a consumer's lease until `until` if it is free, expired or already ours (a new
    consumer starts before the first event, unless `create` is false: then only a consumer
    that exists can be held). Answers whether we hold it."""
    c = event_consumer.c
    free = (c.holder == holder) | c.holder.is_(None) | (c.lease_until < now)
    taken = await session.execute(
        event_consumer.update().where(c.name == name, free).values(holder=holder, lease_until=until)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        return True
    if not create or (await session.execute(select(c.name).where(c.name == name))).first() is not None:
        return False  # another holds it, or it is not there to hold
    dialect = session.get_bind().dialect.name
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    row = {"name": name, "xid": START[0], "id": START[1], "holder": holder, "lease_until": until}
    made = await session.execute(insert_(event_consumer).values(row).on_conflict_do_nothing(index_elements=["name"]))
    return bool(made.rowcount)  # type: ignore[attr-defined]


async def advance(session: AsyncSession, name: str, holder: str, to: Position, now: datetime,
                  since: tuple[Position, int] | None = None) -> bool:  # fmt: skip
    """Record that a consumer delivered everything up to `to`, if `holder` still holds its
    lease (and, given `since`, the position and its `placed` count are still the ones it
    read: a replay may have placed it since, even where it was)."""
    c = event_consumer.c
    stmt = event_consumer.update().where(c.name == name, c.holder == holder, c.lease_until >= now)
    if since is not None:
        (xid, id_), placed = since
        stmt = stmt.where(c.xid == xid, c.id == id_, c.placed == placed)
    moved = await session.execute(stmt.values(xid=to[0], id=to[1], delivered_at=now))
    return bool(moved.rowcount)  # type: ignore[attr-defined]


async def place(session: AsyncSession, name: str, at: Position) -> None:
    """Put a consumer at a position (made if new, its lease untouched): where it starts, or
    replays from. Its `placed` count goes up: a round in flight that began at this same
    position would otherwise move it past the events the replay asked for again."""
    c = event_consumer.c
    placed = event_consumer.update().where(c.name == name).values(xid=at[0], id=at[1], placed=c.placed + 1)
    moved = await session.execute(placed)
    if not moved.rowcount:  # type: ignore[attr-defined]
        await session.execute(insert(event_consumer).values(name=name, xid=at[0], id=at[1]))


async def forget(session: AsyncSession, name: str) -> None:
    await session.execute(delete(event_consumer).where(event_consumer.c.name == name))


async def locate(session: AsyncSession, event_id: str) -> Position | None:
    """An event's position, while the outbox holds it."""
    t = outbox_event
    found = (await session.execute(select(t.c.xid, t.c.id).where(t.c.event_id == event_id))).first()
    return (found.xid, found.id) if found else None


async def first_since(session: AsyncSession, when: datetime) -> Position | None:
    """The position of the first readable event made at or after `when`."""
    t = outbox_event
    stmt = select(t.c.xid, t.c.id).where(t.c.time >= when, _visible(session)).order_by(t.c.xid, t.c.id)
    found = (await session.execute(stmt.limit(1))).first()
    return (found.xid, found.id) if found else None


async def release(session: AsyncSession, name: str, holder: str) -> None:
    c = event_consumer.c
    await session.execute(event_consumer.update().where(c.name == name, c.holder == holder).values(lease_until=None))


async def consumers(session: AsyncSession, names: Sequence[str] | None = None) -> list[Row[Any]]:
    stmt = select(event_consumer).order_by(event_consumer.c.name)
    if names is not None:
        stmt = stmt.where(event_consumer.c.name.in_(names))
    return list((await session.execute(stmt)).all())


async def oldest_position(session: AsyncSession, prefix: str) -> Position | None:
    """The position of the furthest behind of the consumers named `<prefix>...`."""
    c = event_consumer.c
    stmt = select(c.xid, c.id).where(c.name.startswith(prefix, autoescape=True)).order_by(c.xid, c.id).limit(1)
    found = (await session.execute(stmt)).first()
    return (found.xid, found.id) if found else None


async def consumer(session: AsyncSession, name: str) -> Row[Any] | None:
    return (await session.execute(select(event_consumer).where(event_consumer.c.name == name))).first()


async def oldest_after(session: AsyncSession, after: Position) -> datetime | None:
    """When the first readable event after a position was made: how long a consumer there has waited."""
    t = outbox_event
    stmt = select(t.c.time).where(tuple_(t.c.xid, t.c.id) > tuple_(*after), _visible(session))
    return (await session.execute(stmt.order_by(t.c.xid, t.c.id).limit(1))).scalar()
