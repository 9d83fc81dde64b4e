"""A demo estate of a professional-services firm, loaded through the hub's real ingestion path.

A fresh hub is empty, yet stewards, the workbench, matching and the benchmarks all need an
estate that looks like a real firm's: four source systems that overlap, references across
all six domains, and planted near-duplicates for fuzzy matching to find.

- `data/`: the tables a person edits to change the demo (legal entities, the cost-center
  chart, countries and their cities and streets, names, grades and rates, ...).
- `tables.py` reads them; `builder.py` draws the estate from them with one seeded random
  stream: `generate` is pure and deterministic for a seed, so tests check the estate
  without a database.
- `load_demo` (here) sends the estate through `ingest` in dependency order, batch by
  batch, as integrations would.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mdm.auth.actor import Actor
from mdm.db import repository as repo
from mdm.db.engine import Database
from mdm.demo.builder import TARGETS, generate, target_sizes
from mdm.demo.estate import DemoEstate, SourceRecord, SourceRef, Step
from mdm.domains import BY_NAME, DOMAINS
from mdm.errors import MdmError
from mdm.policy.store import load as load_policy
from mdm.records.service import SourceItem, decode_payload, ingest

__all__ = [
    "TARGETS",
    "DemoEstate",
    "DemoLoadError",
    "SourceRecord",
    "SourceRef",
    "Step",
    "count_goldens",
    "generate",
    "load_demo",
    "target_sizes",
]

BATCH = 500  # items per ingest call and transaction, like an integration's batch


class DemoLoadError(RuntimeError):
    """The estate did not load as generated: an item was rejected or linked where it should not."""


def _decoded(record: SourceRecord, golden: dict[SourceRef, str]) -> dict[str, Any]:
    """The payload as the REST upsert would pass it on: references as the canonical ids they
    were given, then decoded with the domain's create contract."""
    where = f"{record.domain} {record.system}/{record.source_id}"
    payload = {}
    for name, value in record.payload.items():
        if isinstance(value, SourceRef):
            if value not in golden:
                raise DemoLoadError(f"{where}: {name} points at {value}, which is not loaded")
            value = golden[value]
        payload[name] = value
    try:
        return decode_payload(BY_NAME[record.domain], payload)
    except MdmError as exc:
        raise DemoLoadError(f"{where} does not fit the create contract: {exc.detail} {exc.errors}") from exc


async def _ingest_step(
    db: Database, step: Step, golden: dict[SourceRef, str], actor: Actor, advance: Callable[[int], None]
) -> None:
    domain = BY_NAME[step.domain]
    for start in range(0, len(step.records), BATCH):
        batch = step.records[start : start + BATCH]
        items = [SourceItem(r.system, r.source_id, _decoded(r, golden)) for r in batch]
        async with db.transaction() as session:
            results = await ingest(session, domain, items, actor)
            rejected = [(r, res) for r, res in zip(batch, results, strict=True) if isinstance(res, MdmError)]
            if rejected:  # raising here rolls the batch back
                lines = [
                    f"{r.system}/{r.source_id}: {e.detail} " + "; ".join(f"{f}: {m}" for f, m in e.errors)
                    for r, e in rejected[:5]
                ]
                raise DemoLoadError(
                    f"{len(rejected)} {step.domain} record(s) of step '{step.label}' rejected:\n" + "\n".join(lines)
                )
        ids = [result["id"] for result in results if not isinstance(result, MdmError)]
        golden.update(zip((r.ref for r in batch), ids, strict=True))
        advance(len(batch))


def _check_links(estate: DemoEstate, golden: dict[SourceRef, str]) -> None:
    """Every domain must end with exactly the golden records the generator meant: no stray
    link by key or score. A planted customer near-duplicate may stay apart or join its
    original (fuzzy matching found it), never another record."""
    planted = {dup: original for original, dup in estate.customer_duplicates}
    for domain, expected in estate.expected.items():
        ids = {golden[r.ref] for r in estate.records(domain) if r.ref not in planted}
        mine = {d: o for d, o in planted.items() if d.domain == domain}
        if len(ids) != expected - len(mine):
            raise DemoLoadError(
                f"{domain}: the estate's source records became {len(ids)} golden records "
                f"(planted duplicates aside), not {expected - len(mine)}"
            )
        for dup, original in mine.items():
            if golden[dup] != golden[original] and golden[dup] in ids:
                raise DemoLoadError(f"{domain}: planted duplicate {dup.source_id} joined an unrelated record")


async def count_goldens(db: Database) -> dict[str, int]:
    """Live (not merged-away) golden records per domain."""
    async with db.sessionmaker(write=False)() as session:
        return {d.name: await repo.count_live(session, d) for d in DOMAINS}


async def load_demo(db: Database, *, seed: int = 7, scale: float = 1.0, progress: bool = True) -> dict[str, int]:
    """Generate the estate and ingest it as its source systems would; returns {domain_name: number of
    golden records after loading}.

    Each batch of up to 500 items is one transaction. A rejected item stops the load with a
    `DemoLoadError` (its batch rolls back): the estate is generated valid, so a rejection is a bug.
    Loading the same seed again links every record to the golden record it made the first time and
    changes nothing, except that cost centers lose their owners in the owner-less first pass and
    get them back in the owners pass (two versions each).
    """
    estate = generate(seed, scale)
    async with db.sessionmaker(write=False)() as session:
        policy = await load_policy(session)
    golden: dict[SourceRef, str] = {}
    columns = (TextColumn("{task.description:<48}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not progress) as bar:
        tasks = {d: bar.add_task(d, total=n, start=False) for d, n in estate.record_counts().items()}
        for step in estate.steps:
            task = tasks[step.domain]
            bar.start_task(task)
            bar.update(task, description=f"{step.domain} ({step.system}: {step.label})")
            actor = Actor(principal=f"system:{step.system}", correlation_id="demo-load", policy=policy)
            await _ingest_step(db, step, golden, actor, partial(bar.advance, task))
            bar.update(task, description=step.domain)
    _check_links(estate, golden)
    return await count_goldens(db)
