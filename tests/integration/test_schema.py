"""Storage through Alembic: the migrated schema is exactly the table metadata (mdm's
tables and stewardship's, which share one `metadata`)."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

import stewardship.tables  # noqa: F401  (merge_log and steward_session join the metadata)
from mdm.db.tables import GOLDEN, metadata


def _diff(url: str) -> list:
    async def run() -> list:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": False}), metadata
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrations_create_every_table_of_the_metadata(database_url):
    assert _diff(database_url) == []


def test_golden_tables_have_typed_columns_for_every_field():
    from mdm.domains import DOMAINS

    for d in DOMAINS:
        columns = set(GOLDEN[d.name].c.keys())
        assert set(d.field_names) <= columns
        assert {"id", "version", "merged_into", "overrides", "lineage"} <= columns


def test_demo_systems_are_registered(client):
    codes = {s["code"] for s in client.get("/v1/systems").json()}
    assert {"salesforce", "certinia", "netsuite", "workday"} <= codes
