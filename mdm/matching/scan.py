"""Batch duplicate detection over the golden records of a domain into the candidate queue.

Works block by block (the blocking keys two or more records share): inside a block of
more than SMALL_BLOCK records every pair is scored at once as matrices (rapidfuzz's
`process.cdist` per compared field, numpy for exact fields and evidence;
mdm.matching.matrix), and only the pairs that may reach `review` get the full, explained
score; a smaller block's few pairs get it at once. Blocks come in the order of their first
member, so the blocks a pair of duplicates shares (name, phone, postcode ...) come together,
and a record's values are read and its features computed about once, not once per key.
Pairs at or above `review` are queued; a pair already queued (pending, not a match, or
merged) is never added again, so rerunning adds nothing. A pair scored at or above
`auto_link` that is newly queued, or pending from other rules (queued before a model was
adopted; it takes the new score), is what ingestion would link now (a record renamed since,
one the other's block did not rank among its best, a model that weighs the estate better):
after the last block it is merged, as
stewardship merges (found through the `mdm.plugins` entry point: matching never imports
it), unless `link` is off. `--shard i/n` takes the blocks whose key hashes to i modulo n,
so several processes can share one domain.

A large domain's blocks are compared in one worker process per core (`workers`): each takes
runs of consecutive blocks, reads and scores them and answers the pairs to queue; this
process writes the queue and merges, so the database has one writer and each run's
records are read once.

Before the first block, a domain that never had a rules version gets its first model,
learnt from its own records (`training.first_model`: adopted when EM's duplicates are those
the defaults see), unless `learn` is off: the shipped defaults were learnt on the demo, and
an estate's duplicates drift their own way.
"""

import asyncio
import contextlib
import gc
import itertools
import multiprocessing
import os
import signal
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Container
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import Any

import msgspec
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from mdm import events
from mdm.db import events as events_sql
from mdm.db import repository as repo
from mdm.db.engine import Database
from mdm.domains import BY_NAME, RULES, Domain
from mdm.errors import MdmError
from mdm.matching import training, versions
from mdm.matching.blocking import BLOCK_CAP
from mdm.matching.matrix import likely_pairs
from mdm.matching.rules import Features, MatchRules
from mdm.matching.score import scored

SCAN_CHUNK = 2_000  # blocks read per two queries
SCANNER = "system:mdm-scan"  # who adopts the model a scan learns (and, in stewardship, merges)


@dataclass(slots=True)
class ScanReport:
    blocks: int = 0
    pairs_compared: int = 0
    pairs_scored: int = 0
    queued: int = 0
    already_queued: int = 0
    linked: int = 0  # pairs at or above auto_link merged into one record
    left_queued: list[str] = field(default_factory=list)  # pairs at or above auto_link not merged, and why
    oversized: list[str] = field(default_factory=list)
    workers: int = 1  # processes that compared the blocks
    learnt: training.Learnt | None = None  # the domain's first model, learnt before the scan


Found = list[tuple[float, str, str]]  # pairs at or above auto_link to merge: (score, left, right)
# (session, domain, survivor id, ids folded into it, why): stewardship.merge.link
Linker = Callable[[AsyncSession, Domain, str, list[str], str], Awaitable[Any]]


def plugged_linker() -> Linker | None:
    """The merge a plugin offers (stewardship's: its merge log, its exact unmerge), found as
    the app finds its routes; None without one (pairs are then only queued)."""
    for point in entry_points(group="mdm.plugins"):
        found = getattr(point.load(), "link", None)
        if found is not None:
            return found
    return None


def in_shard(key: str, shard: tuple[int, int]) -> bool:
    index, count = shard
    return zlib.crc32(key.encode()) % count == index


Records = list[tuple[str, list[dict[str, Any]]]]  # (golden id, its values then each live source's) of one block
SMALL_BLOCK = 12  # a block this small is scored pair by pair: its matrices would cost more


def pairs(rules: MatchRules, records: list[Features]) -> list[tuple[int, int]]:
    """Index pairs (i < j) of a block (its records' features) that may score at or above
    `review`: every pair of a small block, else those its score matrix keeps."""
    n = len(records)
    if n <= SMALL_BLOCK:
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    return likely_pairs(rules, records, rules.review)


async def read_blocks(
    db: Database,
    domain: Domain,
    blocks: list[tuple[str, int]],
    names: tuple[str, ...],
    known: Container[str] = (),
) -> AsyncIterator[list[tuple[str, int, Records]]]:
    """The live records of each block (the fields `names`, and every live source's payload:
    matching compares every value a source sent), SCAN_CHUNK blocks at a time: three
    queries a chunk (the blocks' members, at most BLOCK_CAP each; their values; their
    sources'), not three a block. A record in `known` (the caller holds its features) is
    not read again: it comes with no values."""
    for start in range(0, len(blocks), SCAN_CHUNK):
        chunk = blocks[start : start + SCAN_CHUNK]
        async with db.sessionmaker(write=False)() as session:
            members = await repo.blocks_of(session, domain, [key for key, _ in chunk], BLOCK_CAP)
            ids = sorted({i for found in members.values() for i in found if i not in known})
            values = await repo.golden_values(session, domain, ids, names) if ids else {}
            sources = await repo.live_payloads(session, domain, ids) if ids else {}
        records = {i: [v, *(msgspec.json.decode(p) for p in sources.get(i, ()))] for i, v in values.items()}
        records |= {i: [] for found in members.values() for i in found if i in known}
        yield [(key, size, [(i, records[i]) for i in members.get(key, []) if i in records]) for key, size in chunk]


FEATURES_KEPT = 100_000  # records whose features a scan keeps from chunk to chunk


def forget(cache: dict[str, Features], keep: int) -> None:
    """Drop the oldest entries of `cache` beyond `keep` (blocks come in the order of their
    first member, so the records a chunk shares with the next are the recent ones)."""
    for golden_id in list(itertools.islice(cache, max(len(cache) - keep, 0))):
        del cache[golden_id]


def featured(rules: MatchRules, records: Records, cache: dict[str, Features]) -> list[Features]:
    """The features of a block's records, each record's computed once (`cache`)."""
    out = []
    for golden_id, profile in records:
        found = cache.pop(golden_id, None)  # and put back last: recently used
        if found is None:
            found = rules.features_of(profile)
        cache[golden_id] = found
        out.append(found)
    return out


ROUNDS = 3  # scans of merged records' blocks after the first: a merge brings others in reach


async def scan(
    db: Database,
    domain: Domain,
    *,
    shard: tuple[int, int] = (0, 1),
    link: bool = True,
    learn: bool = True,
    on_blocks: Callable[[int], None] | None = None,
    advance: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> ScanReport:
    """The domain's first model learnt (see the module's docstring), every block once (in
    `workers` processes; by default one per core for a large domain), then
    the pairs at or above `auto_link` merged (newly queued, or pending from other rules); while a
    merge took place, the blocks of the records that took others in are compared again (at
    most ROUNDS times) and what that finds merged too: a survivor holds its folded records'
    values now, and a third record their pairs named (queued, then closed by the merge) is
    compared with it (the pairs with a side among those records; here, in this process).
    With `shard`, only the shard's blocks, again too."""
    report = ScanReport()
    linker = plugged_linker() if link else None
    if learn and link and shard == (0, 1):  # not per shard (each would write a version of one model),
        # nor when only queueing: an adopted model links in ingestion at once
        report.learnt = await training.first_model(db, domain, by=SCANNER)
    async with db.sessionmaker(write=False)() as session:
        rules = await versions.in_force(session, domain)
        blocks = [(k, n) for k, n in await repo.blocks(session, domain, by_member=True) if in_shard(k, shard)]
    if on_blocks:
        on_blocks(len(blocks))
    features: dict[str, Features] = {}
    report.workers = 1 if in_memory(db.url) else workers or default_workers(len(blocks), shard)
    found = await _compare(db, domain, rules, blocks, features, report, advance, workers=report.workers)
    into: dict[str, str] = {}  # merged by this scan: folded id -> the record it went into
    for again in range(ROUNDS + 1):
        if linker is None or not found:
            break
        survivors = await link_pairs(db, domain, linker, found, rules.auto_link, into, report)
        if not survivors or again == ROUNDS:
            break
        async with db.sessionmaker(write=False)() as session:
            keys = set().union(*(await repo.match_keys_of(session, domain, sorted(survivors))).values())
        for golden_id in survivors:
            features.pop(golden_id, None)
        again_blocks = [(k, n) for k, n in blocks if k in keys]
        found = await _compare(db, domain, rules, again_blocks, features, report, only=survivors)
    return report


async def _compare(
    db: Database,
    domain: Domain,
    rules: MatchRules,
    blocks: list[tuple[str, int]],
    features: dict[str, Features],
    report: ScanReport,
    advance: Callable[[int], None] | None = None,
    *,
    only: Container[str] | None = None,
    workers: int = 1,
) -> Found:
    """Score the pairs of `blocks` (with `only`, those with a side in it, in this process)
    and queue those at or above `review`, in this process or, with `workers` > 1, in that
    many at once (`_compared_apart`); answers those at or above `auto_link` to merge
    (score, left, right): newly queued, or pending from other rules (given their new score
    here)."""
    found: Found = []
    written: set[tuple[str, str]] = set()  # pairs queued by this call (two workers may both score one)
    compared = (
        _compared_apart(db, domain, rules, blocks, workers)
        if workers > 1 and only is None
        else _compared_here(db, domain, rules, blocks, features, only)
    )
    async with contextlib.aclosing(compared):  # a failed write stops the workers
        async for queue, part in compared:
            for name in ("blocks", "pairs_compared", "pairs_scored"):
                setattr(report, name, getattr(report, name) + getattr(part, name))
            report.oversized += part.oversized
            queue = [q for q in queue if (q["left_id"], q["right_id"]) not in written]
            written |= {(q["left_id"], q["right_id"]) for q in queue}
            async with db.transaction() as session:
                queued = await repo.queue_candidates(session, queue)
                now = datetime.now(UTC)
                await events_sql.insert_events(session, [events.candidate_queued(domain, q, None, now) for q in queued])
                sure = {(q["left_id"], q["right_id"]): q for q in queue if q["score"] >= rules.auto_link}
                new = {(q.left_id, q.right_id) for q in queued}
                older = await repo.pending_under_other_rules(
                    session, domain, [p for p in sure if p not in new], rules.version
                )
                await repo.rescore_candidates(session, [sure[pair] for pair in older])
            found += [(sure[pair]["score"], *pair) for pair in sure if pair in new or pair in older]
            report.queued += len(queued)
            report.already_queued += len(queue) - len(queued)
            if advance:
                advance(part.blocks)
    return found


Compared = AsyncGenerator[tuple[list[dict[str, Any]], ScanReport], None]  # queue rows, and the counts that made them


async def _compared_here(
    db: Database,
    domain: Domain,
    rules: MatchRules,
    blocks: list[tuple[str, int]],
    features: dict[str, Features],
    only: Container[str] | None = None,
) -> Compared:
    """`blocks` scored in this process, SCAN_CHUNK at a time."""
    seen: set[tuple[str, str]] = set()
    async for chunk in read_blocks(db, domain, blocks, rules.fields, known=features):
        part = ScanReport()
        yield _score(domain, rules, chunk, seen, features, part, only), part
        forget(features, FEATURES_KEPT)  # before the next chunk is read: what it finds here, it need not read


def _score(
    domain: Domain,
    rules: MatchRules,
    chunk: list[tuple[str, int, Records]],
    seen: set[tuple[str, str]],
    features: dict[str, Features],
    report: ScanReport,
    only: Container[str] | None = None,
) -> list[dict[str, Any]]:
    """The queue rows of a chunk's blocks: their pairs not `seen` yet (with `only`, those
    with a side in it) that score at or above `review`."""
    queue = []
    for key, size, records in chunk:
        report.blocks += 1
        if size > BLOCK_CAP:
            report.oversized.append(f"{key} ({size} records, first {BLOCK_CAP} compared)")
        block = featured(rules, records, features)
        for i, j in pairs(rules, block):
            (a, left), (b, right) = sorted(((records[i][0], block[i]), (records[j][0], block[j])))
            report.pairs_compared += 1
            if (a, b) in seen or (only is not None and a not in only and b not in only):
                continue
            seen.add((a, b))
            value, explanation = scored(rules, left, right, floor=rules.review)
            report.pairs_scored += 1
            if value >= rules.review:
                queue.append(repo.candidate_row(domain, a, b, value, rules.version, explanation,
                                                status="pending", source="scan", at=datetime.now(UTC)))  # fmt: skip
    return queue


# ---- several processes ---------------------------------------------------------------------------

SEGMENT = 10 * SCAN_CHUNK  # the most consecutive blocks a worker takes at a time (they share records)
PARALLEL_FROM = 40_000  # blocks from which a scan uses every core: below, starting workers costs more
MAX_WORKERS = 8  # by default: each reads the database and holds the features of its blocks' records


def default_workers(blocks: int, shard: tuple[int, int] = (0, 1)) -> int:
    """One per core for a large scan of a whole domain; one (this process) for a small one,
    or a shard (shards run side by side already)."""
    if blocks < PARALLEL_FROM or shard != (0, 1):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def in_memory(url: str) -> bool:
    """An in-memory SQLite database, which no other process can open."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and (
        parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
    )


async def _compared_apart(
    db: Database, domain: Domain, rules: MatchRules, blocks: list[tuple[str, int]], workers: int
) -> Compared:
    """`blocks` scored by `workers` processes, a segment of consecutive blocks a task (at
    most SEGMENT; four or more a worker), answered as each is done. The workers only read;
    this process writes the queue, so SQLite has one writer. They score with the very rules
    given: the stored version, or the defaults in force."""
    stored = rules is not RULES[domain.name]
    version = rules.version if stored else None
    context = multiprocessing.get_context("spawn")  # no fork of a process holding threads and connections
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(gc.get_threshold(),))
    loop = asyncio.get_running_loop()
    size = min(SEGMENT, max(SCAN_CHUNK // 4, -(-len(blocks) // (4 * workers))))  # four a worker, to even out
    tasks = [loop.run_in_executor(pool, _worker_segment, db.url, domain.name, version, blocks[i : i + size])
             for i in range(0, len(blocks), size)]  # fmt: skip
    try:
        for done in asyncio.as_completed(tasks):
            yield await done
    finally:  # on a failure: segments not begun are dropped, those begun end with their worker
        for task in tasks:
            task.cancel()
        pool.shutdown(wait=False, cancel_futures=True)


_worker: dict[str, Any] = {}  # in a worker process: its event loop, and once opened its database and rules


def _start_worker(gc_threshold: tuple[int, int, int]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the scan's process, which stops the pool
    gc.set_threshold(*gc_threshold)
    _worker["loop"] = asyncio.new_event_loop()


def _worker_segment(
    url: str, name: str, version: int | None, blocks: list[tuple[str, int]]
) -> tuple[list[dict[str, Any]], ScanReport]:
    """One segment's queue rows and counts, in a worker: its records' features and the pairs
    it saw are its own (segments go to whichever worker is free, so the next is rarely the
    neighbour of this one). The database and the rules are opened at the first segment, so
    a failure there comes back as the segment's error."""
    domain = BY_NAME[name]

    async def go() -> tuple[list[dict[str, Any]], ScanReport]:
        if "db" not in _worker:
            _worker["db"] = db = Database.connect(url, pool_size=1)
            if version is None:
                _worker["rules"] = RULES[name]
            else:
                async with db.sessionmaker(write=False)() as session:
                    _worker["rules"] = await versions.build(session, domain, version)
        db, rules = _worker["db"], _worker["rules"]
        report, queue, features, seen = ScanReport(), [], dict[str, Features](), set[tuple[str, str]]()
        async for chunk in read_blocks(db, domain, blocks, rules.fields, known=features):
            queue += _score(domain, rules, chunk, seen, features, report)
            forget(features, FEATURES_KEPT)
        return queue, report

    found: tuple[list[dict[str, Any]], ScanReport] = _worker["loop"].run_until_complete(go())
    return found


async def link_pairs(
    db: Database, domain: Domain, linker: Linker, found: Found, auto_link: float, into: dict[str, str],
    report: ScanReport,
) -> set[str]:  # fmt: skip
    """Merge each (score, left, right) into one record, best first, one transaction each: the
    older record survives (ids are time-ordered); a pair already one record is done (`into`:
    what this scan merged so far). As in ingestion, "not a match" holds transitively: a pair
    whose sides stand for two records a steward set apart (themselves or any record merged
    into them, before this scan or in it) stays queued, as does one the merge or the
    database refuses (merged elsewhere since, a lock not granted). Answers the records that
    took others in."""

    def root(golden_id: str) -> str:
        while golden_id in into:
            golden_id = into[golden_id]
        return golden_id

    survivors: set[str] = set()
    for score, left, right in sorted(found, key=lambda f: (-f[0], f[1], f[2])):
        survivor, folded = sorted((root(left), root(right)))
        if survivor == folded:
            continue
        why = f"match scan: {left} and {right} scored {score} (auto_link {auto_link})"
        try:
            async with db.transaction() as session:
                if await _set_apart(session, domain, survivor, folded):
                    report.left_queued.append(f"{left} / {right}: a steward marked records of the two not a match")
                    continue
                await linker(session, domain, survivor, [folded], why)
        except (MdmError, DBAPIError) as exc:
            report.left_queued.append(f"{left} / {right}: {str(exc).splitlines()[0]}")
            continue
        into[folded] = survivor
        survivors.discard(folded)
        survivors.add(survivor)
        report.linked += 1
    return survivors


async def _set_apart(session: AsyncSession, domain: Domain, first: str, second: str) -> bool:
    """Whether a steward marked two records "not a match" of which one is, or was merged
    into, `first` and the other `second`."""
    ours = {first} | await repo.folded_into(session, domain, first)
    theirs = {second} | await repo.folded_into(session, domain, second)
    apart = await repo.not_a_match(session, domain, sorted(ours | theirs))
    return any((min(a, b), max(a, b)) in apart for a in ours for b in theirs)
