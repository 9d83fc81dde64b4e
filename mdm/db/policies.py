"""The policy store: one row per adopted version; the newest is in force."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db import driver
from mdm.db.tables import policy_version

_NEWEST = select(func.max(policy_version.c.version))


async def newest_version(session: AsyncSession) -> int:
    """Read before every write group (the policy in force), so on the driver."""
    return int((await driver.rows(session, _NEWEST))[0][0] or 0)


async def version(session: AsyncSession, number: int) -> Row[Any] | None:
    return (await session.execute(select(policy_version).where(policy_version.c.version == number))).first()


async def versions(session: AsyncSession) -> list[Row[Any]]:
    columns = [c for c in policy_version.c if c.name != "text"]
    return list((await session.execute(select(*columns).order_by(policy_version.c.version.desc()))).all())


async def add(
    session: AsyncSession,
    number: int,
    text: str,
    by: str,
    at: datetime,
    comment: str | None,
    correlation_id: str | None,
) -> None:
    """Adopt a version; a racing adopter of the same number fails on the primary key."""
    await session.execute(
        insert(policy_version).values(
            version=number, text=text, created_at=at, created_by=by, comment=comment, correlation_id=correlation_id
        )
    )
