"""Alembic environment: runs revisions on the async engine of MDM_DATABASE_URL
(or the URL the caller put in the config's `sqlalchemy.url`).

Autogenerate (`mdm db revision`) compares the database with today's metadata; the revision
it writes must never import mdm, so mdm's column types are rendered as the plain SQLAlchemy
types they make (`render_item`)."""

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import JSON, Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

import stewardship.tables  # noqa: F401  (its tables join the metadata: autogenerate sees the whole schema)
from mdm.db.tables import metadata
from mdm.db.types import Money, UTCDateTime
from mdm.settings import Settings

# what each mdm type is in DDL, written as a frozen revision must spell it
PLAIN_TYPES = {
    UTCDateTime: "sa.DateTime(timezone=True)",
    Money: 'sa.Numeric(20, 4).with_variant(sa.String(40), "sqlite")',
}


def seed_policy_sql(domain: str, lines: str) -> str:
    """SQL a new domain's revision runs: a new policy version, the newest one plus the lines."""
    added = ("\n" + lines.strip() + "\n").replace("'", "''")
    return (
        "INSERT INTO policy_version (version, text, created_at, created_by, comment) "
        f"SELECT version + 1, text || '{added}', CURRENT_TIMESTAMP, 'mdm', "
        f"'seed policy lines of {domain}' FROM policy_version ORDER BY version DESC LIMIT 1"
    )


def add_seed_policy(context: Any, revision: Any, directives: list[Any]) -> None:
    """A revision that creates a domain's golden table, or adds a field to one, also seeds the
    descriptor's policy lines for it, written out in the revision, so an existing hub learns
    who may write the new domain or field without a hand-made policy change."""
    from alembic.operations import ops

    from mdm.domains import BY_NAME

    for script in directives:
        for upgrade in script.upgrade_ops_list:
            for op in list(upgrade.ops):
                descriptor = BY_NAME.get(op.table_name) if hasattr(op, "table_name") else None
                if descriptor is None:
                    continue
                if isinstance(op, ops.CreateTableOp):
                    lines = descriptor.policy
                elif isinstance(op, ops.ModifyTableOps):
                    added = {o.column.name for o in op.ops if isinstance(o, ops.AddColumnOp)}
                    rows = descriptor.policy.splitlines()
                    lines = "\n".join(r for r in rows if r.startswith("p,") and r.split(",")[3].strip() in added)
                else:
                    continue
                if lines.strip():
                    upgrade.ops.append(ops.ExecuteSQLOp(seed_policy_sql(descriptor.name, lines)))


def render_item(kind: str, item: Any, autogen_context: Any) -> str | bool:
    if kind != "type":
        return False  # alembic's own rendering
    if type(item) in PLAIN_TYPES:
        return PLAIN_TYPES[type(item)]
    if isinstance(item, JSON) and "postgresql" in getattr(item, "_variant_mapping", {}):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")'
    return False


config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings.from_env().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        process_revision_directives=add_seed_policy,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())
