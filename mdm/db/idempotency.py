"""The idempotency-key store: claim a key before the request runs, complete it after."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.tables import idempotency_key

t = idempotency_key.c


async def claim(session: AsyncSession, row: dict[str, Any], stale_after: timedelta) -> Row[Any] | None:
    """Take the key for this request, or answer the row that already holds it.

    Concurrent first uses race on the primary key without an error (ON CONFLICT DO
    NOTHING); a claim left in flight longer than `stale_after` (a crashed worker) is
    taken over.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(idempotency_key).values(**row).on_conflict_do_nothing().returning(t.key)
    if (await session.execute(stmt)).first() is not None:
        return None
    existing = (
        await session.execute(select(idempotency_key).where(t.principal == row["principal"], t.key == row["key"]))
    ).first()
    now: datetime = row["created_at"]
    if existing is not None and existing.status_code == 0 and now - existing.created_at > stale_after:
        await session.execute(
            update(idempotency_key).where(t.principal == row["principal"], t.key == row["key"]).values(**row)
        )
        return None
    return existing


async def complete(
    session: AsyncSession, principal: str, key: str, status: int, body: bytes, headers: list[tuple[str, str]]
) -> None:
    """Keep the response for replays; a server error frees the key for a retry instead."""
    where = (t.principal == principal, t.key == key)
    if status >= 500:
        await session.execute(delete(idempotency_key).where(*where))
    else:
        await session.execute(
            update(idempotency_key)
            .where(*where)
            .values(status_code=status, response_body=body, response_headers=headers)
        )
