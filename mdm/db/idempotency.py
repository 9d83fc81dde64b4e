"""The idempotency-key store: claim a key before the request runs, complete it after;
keys are kept for a retention period, then forgotten."""

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.tables import idempotency_key

t = idempotency_key.c


HOST = socket.gethostname()


def this_worker() -> str:
    """The owner an in-flight claim names: this host and process."""
    return f"{HOST}:{os.getpid()}"


def abandoned(owner: str | None) -> bool:
    """Whether the worker that claimed a key is gone: a process of this host that no longer
    runs (killed mid-request, its claim never completed). Another host's worker cannot be
    asked; its claim is freed by the timeout only."""
    host, _, pid = (owner or "").rpartition(":")
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    return False


async def claim(session: AsyncSession, row: dict[str, Any], stale_after: timedelta, keep: timedelta) -> Row[Any] | None:
    """Take the key for this request, or answer the row that already holds it.

    Concurrent first uses race on the primary key without an error (ON CONFLICT DO
    NOTHING). A claim is taken over when it is older than `keep` (a key is remembered that
    long), or still in flight but its worker is gone (this host's process that no longer
    runs) or it is older than `stale_after` (another host's worker that crashed).
    """
    row = {**row, "owner": this_worker()}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(idempotency_key).values(**row).on_conflict_do_nothing().returning(t.key)
    if (await session.execute(stmt)).first() is not None:
        return None
    where = (t.principal == row["principal"], t.key == row["key"])
    existing = (await session.execute(select(idempotency_key).where(*where))).first()
    now: datetime = row["created_at"]
    if existing is None:
        return None  # forgotten between the insert and the read: the retry will claim it
    expired = now - existing.created_at > keep
    in_flight = existing.status_code == 0
    if expired or (in_flight and (abandoned(existing.owner) or now - existing.created_at > stale_after)):
        await session.execute(update(idempotency_key).where(*where).values(**row))
        return None
    return existing


async def forget_older_than(session: AsyncSession, before: datetime) -> int:
    """Forget keys claimed before `before` (their retention is over); how many."""
    done = await session.execute(delete(idempotency_key).where(t.created_at < before))
    return int(getattr(done, "rowcount", 0) or 0)


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
            .values(status_code=status, response_body=body, response_headers=headers, owner=None)
        )
