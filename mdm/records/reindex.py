"""Rebuild a domain's blocking keys from its golden records, for migrations: when the keys a
record makes change (mdm.matching.blocking), the stored ones must follow, or records
written before the change stay out of the new blocks."""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mdm.db.tables import GOLDEN, match_key
from mdm.domains import Domain
from mdm.matching.blocking import blocking_keys
from mdm.records.values import from_column

BATCH = 5_000


def rebuild_match_keys(bind: Connection, domain: Domain) -> None:
    bind.execute(sa.delete(match_key).where(match_key.c.domain == domain.name))
    table = GOLDEN[domain.name]
    rows = bind.execute(sa.select(table).where(table.c.merged_into.is_(None))).mappings()
    batch: list[dict[str, str]] = []
    for row in rows:
        values = {f.name: from_column(f, row[f.name]) for f in domain.fields}
        batch += [{"domain": domain.name, "key": k, "golden_id": row["id"]} for k in blocking_keys(domain.name, values)]
        if len(batch) >= BATCH:
            bind.execute(sa.insert(match_key), batch)
            batch = []
    if batch:
        bind.execute(sa.insert(match_key), batch)
