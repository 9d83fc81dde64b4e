"""Fuzzy matching inside an ingestion batch: match-before-create.

A batch first reads, in one query, the blocks its unmatched records fall into (at most
`INGEST_BLOCK_CAP` entries a key). Each record's candidates are ranked by how many of its
blocking keys they share (an identifier key first), and only the best `CANDIDATES` of
each are fetched, in one more query, and scored; so the work per record stays bounded
however large the tables and blocks grow. Records the batch creates join the in-memory
index, so two spellings of one new client in the same batch find each other too.

"Not a match" holds transitively: when a record is as alike to two golden records as an
automatic link needs, and a steward said those two are different, linking it to either
would say they are one; it goes to review instead.
"""

from functools import lru_cache
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db import repository as repo
from mdm.domains import BY_NAME, Domain
from mdm.matching.blocking import STRONG_KEYS, Shared, blocking_keys, blocking_keys_of, order, ranking
from mdm.matching.rules import Features, MatchRules
from mdm.matching.score import scored

Record = dict[str, Any]
INGEST_BLOCK_CAP = 10  # index entries read per blocking key while ingesting, and kept per key from the batch
CANDIDATES = 4  # golden records scored per new source record, the best-ranked
ROW_CACHE = 20_000  # golden rows whose features stay computed across batches (block heads recur)


@lru_cache(maxsize=ROW_CACHE)
def _row_features(rules: MatchRules, row: tuple[Any, ...], payloads: tuple[str, ...]) -> Features:
    """Features of a golden record as the driver answers it, its values and every value its
    live sources sent (a drifted survivor hides no duplicate): row and payloads are the key,
    so a record written since is a new key, and a record in many blocks is read once."""
    values = repo.row_values(BY_NAME[rules.domain], rules.fields, row)
    return rules.features_of([values, *(msgspec.json.decode(p) for p in payloads)])


class FuzzyIndex:
    """Blocks and candidates (as scoring features) for one domain in one batch."""

    def __init__(self, domain: Domain, rules: MatchRules):
        self.domain = domain
        self.rules = rules
        self.reads = tuple(dict.fromkeys(domain.blocking.reads + self.rules.fields))  # what keys and features read
        self.blocks: dict[str, set[str]] = {}  # as read from match_key
        self.added: dict[str, list[str]] = {}  # records this batch made or changed, by key (at most the cap)
        self.changed: set[str] = set()  # of those, the ones that existed before the batch
        self.features: dict[str, Features] = {}  # golden id -> what scoring reads of it
        self._payloads: dict[int, tuple[frozenset[str], Features]] = {}  # id(payload) -> its keys and features
        self._ranked: dict[int, list[tuple[str, Shared]]] = {}  # id(payload) -> its best among the blocks read
        self.apart: set[tuple[str, str]] = set()  # candidate pairs a steward marked not a match

    def _of(self, payload: Record) -> tuple[frozenset[str], Features]:
        found = self._payloads.get(id(payload))
        if found is None:
            keys = blocking_keys(self.domain.blocking, payload)
            found = self._payloads[id(payload)] = (keys, self.rules.features(payload))
        return found

    def _shared(self, golden_id: str, keys: frozenset[str]) -> Shared:
        hits = [k for k in keys if golden_id in self.blocks.get(k, ()) or golden_id in self.added.get(k, ())]
        return any(k.startswith(STRONG_KEYS) for k in hits), len(hits)

    def ranked(self, payload: Record) -> list[str]:
        """The payload's best-ranked candidates, as `rank` would order all it shares a key
        with. The ranking among the blocks read is kept; records the batch made since are
        counted from the batch's keys alone (the database read none of them), records it
        changed are counted again: every other record read ranks below the kept ones, and
        its count of shared keys has not changed."""
        keys = self._of(payload)[0]
        found = self._ranked.get(id(payload))
        if found is None:
            found = self._ranked[id(payload)] = ranking(keys, self.blocks, CANDIDATES)
        if not any(k in self.added for k in keys):
            return [i for i, _ in found]
        fresh = ranking(keys, self.added, None)
        pool = dict(found) | dict(fresh)
        for i in self.changed.intersection(pool):
            pool[i] = self._shared(i, keys)
        return [i for i, _ in order(pool, CANDIDATES)]

    async def prefetch(self, session: AsyncSession, payloads: list[Record]) -> None:
        keys = sorted({k for p in payloads for k in self._of(p)[0]} - set(self.blocks))
        if not keys:
            return
        for key, ids in (await repo.blocks_of(session, self.domain, keys, INGEST_BLOCK_CAP)).items():
            self.blocks.setdefault(key, set()).update(ids)
        for key in keys:
            self.blocks.setdefault(key, set())
        wanted = sorted({i for p in payloads for i in self.ranked(p)} - set(self.features))
        if not wanted:
            return
        found, apart = await repo.candidate_rows(session, self.domain, wanted, self.rules.fields)
        for golden_id, (row, sources) in found.items():
            self.features[golden_id] = _row_features(self.rules, row, sources)
        self.apart |= apart

    def add(self, golden_id: str, records: list[Record], payload: Record, *, new: bool) -> None:
        """A record this batch made or changed (`records`: its values, then each live
        source's payload): later items may match it. Made from one payload and equal to it
        where keys and features read, it shares the payload's."""
        values = records[0]
        if len(records) <= 2 and all(values.get(name) == payload.get(name) for name in self.reads):
            keys, self.features[golden_id] = self._of(payload)
        else:
            keys = blocking_keys_of(self.domain.blocking, records)
            self.features[golden_id] = self.rules.features_of(records)
        if not new:
            self.changed.add(golden_id)
        for key in keys:
            ids = self.added.setdefault(key, [])
            if len(ids) < INGEST_BLOCK_CAP and golden_id not in ids:
                ids.append(golden_id)

    def held_back(self) -> float:
        """The probability a pair kept from linking automatically is given: just below
        `auto_link`, and not below `review` (a steward sees it)."""
        value = max(self.rules.review, round(self.rules.auto_link - 0.01, 4))
        return value if value < self.rules.auto_link else round(self.rules.auto_link - 0.0001, 4)

    def best(self, payload: Record) -> tuple[str, float, list[dict[str, Any]]] | None:
        """The best-scoring golden record for a payload (ties: the smaller id), or None;
        kept below auto_link when a record a steward set apart from it scores as high."""
        mine = self._of(payload)[1]
        found = []
        for golden_id in self.ranked(payload):
            if golden_id in self.features:
                value, explanation = scored(self.rules, mine, self.features[golden_id], floor=self.rules.review)
                if value > 0:
                    found.append((-value, golden_id, explanation))
        if not found:
            return None
        found.sort(key=lambda t: (t[0], t[1]))
        top, golden_id, explanation = found[0]
        value = -top
        if value >= self.rules.auto_link:
            rivals = [other for v, other, _ in found[1:] if -v >= self.rules.auto_link and
                      tuple(sorted((golden_id, other))) in self.apart]  # fmt: skip
            if rivals:
                value = self.held_back()
                explanation = [*explanation, {"field": "*", "cap": value, "note": f"as alike to {rivals[0]}, which "
                               f"a steward marked not a match with {golden_id}: to review"}]  # fmt: skip
        return golden_id, value, explanation
