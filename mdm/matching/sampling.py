"""The pairs `mdm match train` learns from, read from the hub's own records: pairs drawn at
random (nearly all non-matches: what `u` measures), pairs that share a block (where the
matches are: what EM estimates `m` from), and the pairs stewards decided (merged: a match;
"not a match": a non-match). A golden record is read as matching sees it: its values and
every value its live source records sent."""

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
Profile = list[Record]  # a golden record's values, then each live source's payload


@dataclass(slots=True)
class Sample:
    random_pairs: list[tuple[str, str]] = field(default_factory=list)
    blocked_pairs: list[tuple[str, str]] = field(default_factory=list)
    labelled: list[tuple[str, str, bool]] = field(default_factory=list)  # (left, right, is a match)
    profiles: dict[str, Profile] = field(default_factory=dict)
    blocks_read: int = 0


async def profiles(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> dict[str, Profile]:
    """Each golden record (merged-away ones too: a steward's decision names them) as matching
    sees it; one query for the records, one for their live sources."""
    out: dict[str, Profile] = {}
    for row in await repo.goldens(session, domain, list(ids), lock=False):
        out[row.id] = [values_of(domain, row)]
    for row in await repo.sources_of(session, domain, list(out)):
        if row.ended_at is None and row.golden_id in out and row.payload not in out[row.golden_id]:
            out[row.golden_id].append(row.payload)
    return out


async def sample(
    session: AsyncSession, domain: Domain, *, random_pairs: int, blocked_pairs: int, seed: int = 7
) -> Sample:
    """Up to `random_pairs` pairs of distinct live records drawn at random, up to
    `blocked_pairs` pairs sharing a blocking key (blocks drawn at random, every pair of a
    block up to BLOCK_CAP members), and every pair a steward decided."""
    rng = random.Random(seed)
    found = Sample()
    ids = await repo.live_ids(session, domain)
    if len(ids) >= 2:
        for _ in range(random_pairs):
            a, b = rng.sample(ids, 2)
            found.random_pairs.append((a, b))
    blocks = await repo.blocks(session, domain)
    rng.shuffle(blocks)
    seen: set[tuple[str, str]] = set()
    for start in range(0, len(blocks), 500):
        if len(found.blocked_pairs) >= blocked_pairs:
            break
        chunk = [key for key, _ in blocks[start : start + 500]]
        members = await repo.blocks_of(session, domain, chunk, BLOCK_CAP)
        found.blocks_read += len(chunk)
        for key in chunk:
            block = members.get(key, [])
            for i, a in enumerate(block):
                for b in block[i + 1 :]:
                    pair = (a, b) if a < b else (b, a)
                    if pair not in seen and len(found.blocked_pairs) < blocked_pairs:
                        seen.add(pair)
                        found.blocked_pairs.append(pair)
    for row in await repo.candidate_pairs(session, domain):
        if row.status in ("merged", repo.NOT_A_MATCH):
            found.labelled.append((row.left_id, row.right_id, row.status == "merged"))
    wanted = {i for pair in (*found.random_pairs, *found.blocked_pairs) for i in pair}
    wanted |= {i for a, b, _ in found.labelled for i in (a, b)}
    found.profiles = await profiles(session, domain, sorted(wanted))
    return found
