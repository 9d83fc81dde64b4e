"""The pairs `mdm match train` learns from, read from the hub's own source records: the
records as the systems sent them, before the hub linked them, so the duplicates are still
there to learn from (golden records, once deduplicated, hold few). Pairs drawn at random
(nearly all non-matches: what `u` measures; two records the hub already holds as one are
drawn again, since in an estate of a few thousand the systems' copies of one customer are
as common as a rare level and would pass for random agreement); pairs of source records whose golden records
share a block, or the same golden record (where the matches are: what EM estimates `m`
from); and the pairs stewards decided (merged: a match; "not a match": a non-match), read
as matching reads a golden record: its values and every value its sources sent."""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db import repository as repo
from mdm.db.convert import values_of
from mdm.domains import Domain
from mdm.matching.blocking import BLOCK_CAP

Record = dict[str, Any]
SourceRef = tuple[str, str]  # (system, source id)


@dataclass(slots=True)
class Sample:
    random_pairs: list[tuple[SourceRef, SourceRef]] = field(default_factory=list)
    blocked_pairs: list[tuple[SourceRef, SourceRef]] = field(default_factory=list)
    labelled: list[tuple[str, str, bool]] = field(default_factory=list)  # golden ids, and whether a match
    payloads: dict[SourceRef, Record] = field(default_factory=dict)  # what each sampled source sent
    profiles: dict[str, list[Record]] = field(default_factory=dict)  # decided golden records, as matched
    sources: int = 0  # live source records of the domain


async def _payloads(session: AsyncSession, domain: Domain, golden_ids: Sequence[str]) -> dict[str, list[Any]]:
    """golden id -> its live source rows."""
    found: dict[str, list[Any]] = {}
    for row in await repo.sources_of(session, domain, list(golden_ids)):
        if row.ended_at is None:
            found.setdefault(row.golden_id, []).append(row)
    return found


async def sample(
    session: AsyncSession, domain: Domain, *, random_pairs: int, blocked_pairs: int, seed: int = 7
) -> Sample:
    """Up to `random_pairs` pairs of live source records of two golden records drawn at random, up to
    `blocked_pairs` pairs of live source records whose golden records share a blocking key
    (blocks drawn at random) or are one record, and every pair a steward decided."""
    rng = random.Random(seed)
    found = Sample()
    keys = await repo.live_source_keys(session, domain)  # (system, source id, golden id)
    found.sources = len(keys)
    picked: dict[str, set[SourceRef]] = {}
    if len(keys) >= 2:
        for _ in range(random_pairs):
            a, b = rng.sample(keys, 2)
            for _retry in range(10):  # one golden record's sources are a match, not a random pair
                if a[2] != b[2]:
                    break
                a, b = rng.sample(keys, 2)
            found.random_pairs.append(((a[0], a[1]), (b[0], b[1])))
            picked.setdefault(a[2], set()).add((a[0], a[1]))
            picked.setdefault(b[2], set()).add((b[0], b[1]))
    blocks = await repo.blocks(session, domain)
    rng.shuffle(blocks)
    seen: set[tuple[SourceRef, SourceRef]] = set()
    for start in range(0, len(blocks), 500):
        if len(found.blocked_pairs) >= blocked_pairs:
            break
        chunk = [key for key, _ in blocks[start : start + 500]]
        members = await repo.blocks_of(session, domain, chunk, BLOCK_CAP)
        held = await _payloads(session, domain, sorted({i for ids in members.values() for i in ids}))
        for key in chunk:
            block = [r for golden_id in members.get(key, []) for r in held.get(golden_id, [])]
            for i, a in enumerate(block):
                for b in block[i + 1 :]:
                    pair = tuple(sorted(((a.system, a.source_id), (b.system, b.source_id))))
                    if pair not in seen and len(found.blocked_pairs) < blocked_pairs:
                        seen.add(pair)  # type: ignore[arg-type]
                        found.blocked_pairs.append(pair)  # type: ignore[arg-type]
                        found.payloads[pair[0]] = a.payload if pair[0] == (a.system, a.source_id) else b.payload
                        found.payloads[pair[1]] = b.payload if pair[1] == (b.system, b.source_id) else a.payload
    for golden_id, sent in (await _payloads(session, domain, sorted(picked))).items():
        for source in sent:
            if (source.system, source.source_id) in picked[golden_id]:
                found.payloads[(source.system, source.source_id)] = source.payload
    for pair in await repo.candidate_pairs(session, domain):
        if pair.status in ("merged", repo.NOT_A_MATCH):
            found.labelled.append((pair.left_id, pair.right_id, pair.status == "merged"))
    decided = sorted({i for a, b, _ in found.labelled for i in (a, b)})
    for golden in await repo.goldens(session, domain, decided, lock=False) if decided else []:
        found.profiles[golden.id] = [values_of(domain, golden)]
    for golden_id, sent in (await _payloads(session, domain, decided)).items():
        if golden_id in found.profiles:
            found.profiles[golden_id] += [r.payload for r in sent]
    return found
