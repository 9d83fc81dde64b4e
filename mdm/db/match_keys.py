"""The blocking index (`match_key`) is derived data: every golden record's keys, from its
values and its live sources' values, as its domain's `Blocking` makes them today.
Migrations never compute it (a revision must not run today's code); `mdm db upgrade` calls
`refresh` after the revisions, which rebuilds each domain whose stored keys were made by
another blocking version than its descriptor's (`match_key_version`), so a change to the
keys a record makes reaches the stored ones."""

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mdm.db.convert import from_column
from mdm.db.tables import GOLDEN, match_key, match_key_version, source_record
from mdm.domains import Domain
from mdm.matching.blocking import blocking_keys_of

BATCH = 5_000


def rebuild(bind: Connection, domain: Domain) -> int:
    """Rewrite one domain's keys from its live golden records and each one's live source
    records (matching meets every value a source sent); answers how many keys."""
    bind.execute(sa.delete(match_key).where(match_key.c.domain == domain.name))
    table = GOLDEN[domain.name]
    reads = [table.c[n] for n in domain.blocking.reads]
    goldens = bind.execute(
        sa.select(table.c.id, *reads).where(table.c.merged_into.is_(None)).order_by(table.c.id)
    ).mappings()
    sources = bind.execute(
        sa.select(source_record.c.golden_id, source_record.c.payload)
        .where(source_record.c.domain == domain.name, source_record.c.ended_at.is_(None))
        .order_by(source_record.c.golden_id)
    )
    pending = next(sources, None)
    batch: list[dict[str, str]] = []
    written = 0
    for row in goldens:  # both ordered by golden id: each record's sources are read beside it
        records = [{n: from_column(domain.field(n), row[n]) for n in domain.blocking.reads}]
        while pending is not None and pending.golden_id <= row["id"]:
            if pending.golden_id == row["id"]:
                records.append(pending.payload)
            pending = next(sources, None)
        keys = blocking_keys_of(domain.blocking, records)
        batch += [{"domain": domain.name, "key": k, "golden_id": row["id"]} for k in keys]
        if len(batch) >= BATCH:
            bind.execute(sa.insert(match_key), batch)
            written, batch = written + len(batch), []
    if batch:
        bind.execute(sa.insert(match_key), batch)
    return written + len(batch)


def refresh(bind: Connection, domains: Iterable[Domain]) -> list[str]:
    """Rebuild the keys of every domain whose stored version is not its descriptor's; answers
    the domains rebuilt. A domain whose table or read columns no revision has made yet (a
    descriptor whose revision is still to be written) is left for a later upgrade. Several
    processes starting at once take turns (an advisory lock on PostgreSQL; SQLite serializes
    writers), and each sees the versions its predecessor stored."""
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('mdm.match_keys.refresh'))"))
    stored = dict(bind.execute(sa.select(match_key_version.c.domain, match_key_version.c.version)).all())
    inspector = sa.inspect(bind)
    tables = set(inspector.get_table_names())
    rebuilt = []
    for domain in domains:
        if stored.get(domain.name) == domain.blocking.version or domain.name not in tables:
            continue
        columns = {c["name"] for c in inspector.get_columns(domain.name)}
        if not set(domain.blocking.reads) <= columns:
            continue
        rebuild(bind, domain)
        bind.execute(sa.delete(match_key_version).where(match_key_version.c.domain == domain.name))
        bind.execute(sa.insert(match_key_version).values(domain=domain.name, version=domain.blocking.version,
                                                         built_at=datetime.now(UTC)))  # fmt: skip
        rebuilt.append(domain.name)
    return rebuilt
