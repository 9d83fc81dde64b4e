"""Batch duplicate detection over the golden records of a domain into the candidate queue.

Works block by block (the blocking keys two or more records share): inside a block every
pair is pre-scored at once on the domain's first required field with rapidfuzz's
`process.cdist`, and only pairs that clear a low bar get the full, explained score.
Pairs at or above `review` are queued; a pair already queued (pending, not a match, or
merged) is never added again, so rerunning adds nothing. `--shard i/n` takes the blocks
whose key hashes to i modulo n, so several processes can share one domain.
"""

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.engine import Database
from mdm.domains import Domain
from mdm.matching.blocking import BLOCK_CAP
from mdm.matching.rules import RULES, MatchRules
from mdm.matching.score import score
from mdm.records import repository as repo
from mdm.records.workspace import golden_from_row

PREFILTER = 50  # cdist score (0-100) on the first required field below which a pair is not scored


@dataclass(slots=True)
class ScanReport:
    blocks: int = 0
    pairs_compared: int = 0
    pairs_scored: int = 0
    queued: int = 0
    already_queued: int = 0
    oversized: list[str] = field(default_factory=list)


def in_shard(key: str, shard: tuple[int, int]) -> bool:
    index, count = shard
    return zlib.crc32(key.encode()) % count == index


def pairs(rules: MatchRules, records: list[tuple[str, dict[str, Any]]]) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose first required field is alike enough to score in full."""
    anchor = next(c for c in rules.comparisons if c.required)
    texts = [anchor.extract(values) or "" for _, values in records]
    matrix = process.cdist(texts, texts, scorer=fuzz.token_sort_ratio, dtype=np.uint8, workers=1)
    rows, cols = np.nonzero(np.triu(matrix >= PREFILTER, k=1))
    return list(zip(rows.tolist(), cols.tolist(), strict=True))


async def block_records(session: AsyncSession, domain: Domain, key: str) -> list[tuple[str, dict[str, Any]]]:
    """(id, values) of the live golden records of one block, the first BLOCK_CAP."""
    ids = (await repo.block(session, domain, key, BLOCK_CAP))[:BLOCK_CAP]
    rows = await repo.goldens(session, domain, ids, lock=False)
    return [(r.id, golden_from_row(domain, r).values) for r in rows if not r.merged_into]


async def scan(
    db: Database,
    domain: Domain,
    *,
    shard: tuple[int, int] = (0, 1),
    on_blocks: Callable[[int], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> ScanReport:
    rules = RULES[domain.name]
    report = ScanReport()
    async with db.sessionmaker(write=False)() as session:
        blocks = [(k, n) for k, n in await repo.blocks(session, domain) if in_shard(k, shard)]
    if on_blocks:
        on_blocks(len(blocks))
    seen: set[tuple[str, str]] = set()
    for key, size in blocks:
        report.blocks += 1
        async with db.transaction() as session:
            records = await block_records(session, domain, key)
            if size > BLOCK_CAP:
                report.oversized.append(f"{key} ({size} records, first {BLOCK_CAP} compared)")
            queue = []
            for i, j in pairs(rules, records):
                (a, left), (b, right) = sorted((records[i], records[j]), key=lambda t: t[0])
                report.pairs_compared += 1
                if (a, b) in seen:
                    continue
                seen.add((a, b))
                value, explanation = score(rules, left, right, floor=rules.review)
                report.pairs_scored += 1
                if value >= rules.review:
                    queue.append({"domain": domain.name, "left_id": a, "right_id": b, "score": value,
                                  "rules_version": rules.version, "explanation": explanation, "status": "pending",
                                  "source": "scan", "created_at": datetime.now(UTC)})  # fmt: skip
            added = await repo.queue_candidates(session, queue)
            report.queued += added
            report.already_queued += len(queue) - added
        if advance:
            advance(1)
    return report
