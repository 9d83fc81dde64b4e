"""SQL of webhook subscriptions and of the deliveries their receivers have not taken yet
(mdm.events.webhooks). A subscription's position in the feed is its event_consumer row
(mdm.db.events, named by `consumer_name`)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, case, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.events import Position
from mdm.db.tables import webhook_delivery, webhook_subscription

PREFIX = "webhook:"  # a subscription's event_consumer row is webhook:<id>


def consumer_name(subscription_id: str) -> str:
    return PREFIX + subscription_id


async def add(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(webhook_subscription).values(row))


async def subscriptions(session: AsyncSession) -> list[Row[Any]]:
    t = webhook_subscription
    return list((await session.execute(select(t).order_by(t.c.created_at, t.c.id))).all())


async def subscription(session: AsyncSession, subscription_id: str, lock: bool = False) -> Row[Any] | None:
    """A subscription; `lock`: held until the transaction ends (two rotations do not cross)."""
    t = webhook_subscription
    stmt = select(t).where(t.c.id == subscription_id)
    return (await session.execute(stmt.with_for_update() if lock else stmt)).first()


async def set_secrets(session: AsyncSession, subscription_id: str, secrets: list[dict[str, Any]]) -> None:
    t = webhook_subscription
    await session.execute(update(t).where(t.c.id == subscription_id).values(secrets=secrets))


async def remove(session: AsyncSession, subscription_id: str) -> bool:
    await session.execute(delete(webhook_delivery).where(webhook_delivery.c.subscription_id == subscription_id))
    gone = await session.execute(delete(webhook_subscription).where(webhook_subscription.c.id == subscription_id))
    return bool(gone.rowcount)  # type: ignore[attr-defined]


async def fail(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Record deliveries that failed their first attempt (an event already waiting, after a
    replay, keeps its row)."""
    if not rows:
        return
    insert_ = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert_(webhook_delivery).on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
    await session.execute(stmt, list(rows))


async def due(session: AsyncSession, subscription_id: str, now: datetime, limit: int) -> list[Row[Any]]:
    """Each record's first waiting delivery (not dead), where its next attempt is due, oldest
    event first: a record's later events wait behind its first."""
    d, e = webhook_delivery.c, webhook_delivery.alias("earlier").c
    same_record = and_(e.subscription_id == d.subscription_id, e.subject.is_not_distinct_from(d.subject))
    before = tuple_(e.xid, e.id) < tuple_(d.xid, d.id)
    earlier = select(e.event_id).where(same_record, e.dead_at.is_(None), before).exists()
    stmt = (
        select(webhook_delivery)
        .where(d.subscription_id == subscription_id, d.dead_at.is_(None), d.next_attempt_at <= now, ~earlier)
        .order_by(d.xid, d.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def blocked(session: AsyncSession, subscription_id: str, subjects: Sequence[str | None]) -> set[str | None]:
    """Of these subjects, those with a delivery waiting: their later events wait behind it."""
    d = webhook_delivery.c
    named = [s for s in subjects if s is not None]
    matches = d.subject.in_(named) | d.subject.is_(None) if None in subjects else d.subject.in_(named)
    stmt = select(d.subject).distinct().where(d.subscription_id == subscription_id, d.dead_at.is_(None), matches)
    return {r[0] for r in (await session.execute(stmt)).all()}


async def delivered(session: AsyncSession, subscription_id: str, event_ids: Sequence[str]) -> None:
    if event_ids:
        d = webhook_delivery.c
        await session.execute(
            delete(webhook_delivery).where(d.subscription_id == subscription_id, d.event_id.in_(event_ids))
        )


async def attempted(session: AsyncSession, subscription_id: str, event_id: str, values: dict[str, Any]) -> None:
    """A failed retry: its count, status, error and next attempt (none and dead_at: dead)."""
    d = webhook_delivery.c
    where = and_(d.subscription_id == subscription_id, d.event_id == event_id)
    await session.execute(update(webhook_delivery).where(where).values(attempts=d.attempts + 1, **values))


async def dead_letters(session: AsyncSession, subscription_id: str, limit: int) -> list[Row[Any]]:
    d = webhook_delivery.c
    stmt = select(webhook_delivery).where(d.subscription_id == subscription_id, d.dead_at.is_not(None))
    return list((await session.execute(stmt.order_by(d.xid, d.id).limit(limit))).all())


Counts = dict[str, tuple[int, int, datetime | None]]


async def counts(session: AsyncSession, ids: Sequence[str] | None = None) -> Counts:
    """Per subscription (all, or these): deliveries waiting for a retry, dead letters, and
    when the oldest waiting one was first due."""
    d = webhook_delivery.c
    dead = func.count(d.dead_at)
    oldest = func.min(case((d.dead_at.is_(None), d.first_attempt_at)))
    stmt = select(d.subscription_id, func.count() - dead, dead, oldest).group_by(d.subscription_id)
    if ids is not None:
        stmt = stmt.where(d.subscription_id.in_(ids))
    rows = (await session.execute(stmt)).all()
    return {r[0]: (int(r[1]), int(r[2]), _aware(r[3])) for r in rows}


def _aware(value: Any) -> datetime | None:
    """An aggregate's timestamp (SQLite answers text, without the column's type)."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    found = datetime.fromisoformat(str(value))
    return found if found.tzinfo else found.replace(tzinfo=UTC)


async def clear_from(session: AsyncSession, subscription_id: str, at: Position) -> int:
    """Drop the waiting and dead deliveries at or after a position (a replay sends them again)."""
    d = webhook_delivery.c
    gone = await session.execute(
        delete(webhook_delivery).where(d.subscription_id == subscription_id, tuple_(d.xid, d.id) >= tuple_(*at))
    )
    return int(gone.rowcount)  # type: ignore[attr-defined]
