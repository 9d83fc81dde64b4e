"""Apply Alembic revisions programmatically (the only way the schema changes), then bring
derived data (the blocking index) up to date with today's descriptors, and the change feed's
clock past its positions should a restore by hand have left it behind them."""

import asyncio
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

from mdm.db import match_keys
from mdm.db.events import catch_up_clock
from mdm.domains import DOMAINS

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "migrations" / "versions"


def alembic_config(url: str) -> Config:
    """mdm's revisions plus those shipped beside descriptors registered from outside
    (`Domain.migrations`): each such revision branches from the core head it was written on,
    so upgrades go to every head."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    locations = [str(VERSIONS), *(d.migrations for d in DOMAINS if d.migrations)]
    config.set_main_option("version_locations", os.pathsep.join(locations))  # alembic.ini: path_separator = os
    return config


def upgrade(url: str, revision: str = "heads") -> list[str]:
    """Migrate to `revision`, then rebuild stale blocking keys; answers the domains rebuilt."""
    command.upgrade(alembic_config(url), revision)
    return asyncio.run(_refresh(url))


async def _refresh(url: str) -> list[str]:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as connection:
            await catch_up_clock(connection, restored=False)  # a restore into another cluster, by hand
        async with engine.begin() as connection:
            if not await connection.run_sync(lambda c: c.dialect.has_table(c, "match_key_version")):
                return []  # migrated to a revision before 0009: nothing to record versions in
            return await connection.run_sync(match_keys.refresh, DOMAINS)
    finally:
        await engine.dispose()
