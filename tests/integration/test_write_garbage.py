"""A write group leaves no garbage in reference cycles.

Objects in cycles outlive their use until the collector finds them, and its passes stop
the worker: when each group of single upserts left ~750 such objects (statements built per
call), a server taking 170 upserts/s paused 30-120 ms about once a second, and every
request in flight waited (bench/README.md, "Write throughput over HTTP"). Here the groups
the writer makes (`service.ingest` of new records that match and score against others, one
that is held, and changes to them, so held neighbours are looked at again) run with the
collector off, and the SQLAlchemy and mdm objects it then finds are garbage they left
(other libraries' cycles, asyncio's among them, are not this project's to remove)."""

import asyncio
import gc

from mdm.auth.actor import Actor
from mdm.db.engine import Database
from mdm.domains.customer import CUSTOMER
from mdm.policy.store import PolicyCache
from mdm.records import service
from tests.factory import unique


def _groups(tag: str) -> list[list[service.SourceItem]]:
    """Groups of four new customers (two near-duplicates of each other, so matching scores
    them) and one netsuite may not create (held), then the same records changed."""
    rows = [
        {"name": f"{tag} Consulting {name} GmbH", "legal_name": f"{tag} Consulting {name} GmbH", "country": "DE"}
        for name in ("Alpha", "Alpha", "Beta", "Gamma")
    ]
    held = {"legal_name": f"{tag} Consulting Alpha Holding GmbH", "country": "DE", "currency": "EUR"}
    new = [
        [service.SourceItem("salesforce", f"{tag}-{g}-{i}", dict(row)) for i, row in enumerate(rows)]
        + [service.SourceItem("netsuite", f"{tag}-{g}-held", dict(held))]
        for g in range(3)
    ]
    changed = [
        [service.SourceItem(it.system, it.source_id, {**it.payload, "industry": "Media"}) for it in group]
        for group in new
    ]
    return new + changed


async def _write(db: Database, policies: PolicyCache, groups: list[list[service.SourceItem]]) -> list[str]:
    outcomes = []
    for group in groups:
        async with db.transaction() as session:
            policy = await policies.for_write(session)
            for item in group:
                item.actor = Actor(f"system:{item.system}", "garbage-test", policy)
            for result in await service.ingest(session, CUSTOMER, group, group[0].actor, fuzzy=True):
                assert isinstance(result, dict), result
                outcomes.append(result["outcome"])
    return outcomes


def test_write_groups_leave_no_garbage_in_cycles(database_url):
    async def run() -> tuple[list[str], list[str]]:
        db = Database.connect(database_url)
        policies = PolicyCache(db)
        try:
            await _write(db, policies, _groups(unique("warm")))  # statement caches filled, as in a running server
            gc.collect()
            gc.garbage.clear()
            gc.disable()
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                outcomes = await _write(db, policies, _groups(unique("cyc")))
                gc.collect()
                left = [f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.garbage]
            finally:
                gc.set_debug(0)
                gc.garbage.clear()
                gc.enable()
            return outcomes, left
        finally:
            await db.dispose()

    outcomes, left = asyncio.run(run())
    assert {"created", "updated", "held"} <= set(outcomes)
    ours = sorted({name for name in left if name.startswith(("sqlalchemy.", "mdm."))})
    assert ours == [], f"{len(left)} objects left in cycles, among them {ours[:10]}"
