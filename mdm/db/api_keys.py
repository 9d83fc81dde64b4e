"""The API-key store. Keys are random; only their sha256 is kept."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.tables import api_key


async def add(
    session: AsyncSession, key_id: str, principal: str, roles: list[str], key_hash: str, at: datetime
) -> None:
    await session.execute(
        insert(api_key).values(id=key_id, principal=principal, roles=roles, key_hash=key_hash, created_at=at)
    )


async def by_hash(session: AsyncSession, key_hash: str) -> Row[Any] | None:
    return (await session.execute(select(api_key).where(api_key.c.key_hash == key_hash))).first()


async def all_keys(session: AsyncSession) -> list[Row[Any]]:
    return list((await session.execute(select(api_key).order_by(api_key.c.created_at))).all())


async def revoke(session: AsyncSession, key_id: str, at: datetime) -> bool:
    stmt = update(api_key).where(api_key.c.id == key_id, api_key.c.revoked_at.is_(None)).values(revoked_at=at)
    return bool((await session.execute(stmt.returning(api_key.c.id))).first())
