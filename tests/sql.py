"""Direct SQL for tests that check or set what the API does not show (audit rows, merge
pointers before the merge API exists), on the test database."""

import asyncio
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import create_async_engine


def execute(url: str, *statements: Executable) -> None:
    """Run statements in one committed transaction."""

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                for stmt in statements:
                    await conn.execute(stmt)
        finally:
            await engine.dispose()

    asyncio.run(run())


def fetch_all(url: str, statement: Executable) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(statement)).all())
        finally:
            await engine.dispose()

    return asyncio.run(run())
