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

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mdm.domains import Domain
from mdm.matching.blocking import blocking_keys, rank
from mdm.matching.rules import RULES, MatchRules
from mdm.matching.score import score
from mdm.records import repository as repo
from mdm.records.values import from_column

Record = dict[str, Any]
INGEST_BLOCK_CAP = 25  # index entries read per blocking key while ingesting
CANDIDATES = 8  # golden records scored per new source record, the best-ranked


class FuzzyIndex:
    """Blocks and candidate values for one domain in one batch."""

    def __init__(self, domain: Domain):
        self.domain = domain
        self.rules: MatchRules = RULES[domain.name]
        self.blocks: dict[str, set[str]] = {}
        self.values: dict[str, Record] = {}
        self._keys: dict[int, set[str]] = {}  # id(payload) -> its blocking keys, computed once
        self.apart: set[tuple[str, str]] = set()  # candidate pairs a steward marked not a match

    def keys_of(self, payload: Record) -> set[str]:
        keys = self._keys.get(id(payload))
        if keys is None:
            keys = self._keys[id(payload)] = blocking_keys(self.domain.name, payload)
        return keys

    def ranked(self, keys: set[str]) -> list[str]:
        return rank(keys, self.blocks, CANDIDATES)

    async def prefetch(self, session: AsyncSession, payloads: list[Record]) -> None:
        keys = sorted({k for p in payloads for k in self.keys_of(p)} - set(self.blocks))
        if not keys:
            return
        for key, ids in (await repo.blocks_of(session, self.domain, keys, INGEST_BLOCK_CAP)).items():
            self.blocks.setdefault(key, set()).update(ids)
        for key in keys:
            self.blocks.setdefault(key, set())
        wanted = sorted({i for p in payloads for i in self.ranked(self.keys_of(p))} - set(self.values))
        names = {name for c in self.rules.comparisons for name in c.reads}
        names |= {name for e in self.rules.evidence for name in e.reads}
        fields = [f for f in self.domain.fields if f.name in names]
        for row in await repo.goldens(session, self.domain, wanted, lock=False) if wanted else []:
            if not row.merged_into:
                self.values[row.id] = {f.name: from_column(f, row._mapping[f.name]) for f in fields}
        self.apart |= await repo.not_a_match(session, self.domain, wanted)

    def add(self, golden_id: str, values: Record) -> None:
        """A record this batch made or changed: later items may match it."""
        self.values[golden_id] = dict(values)
        for key in blocking_keys(self.domain.name, values):
            self.blocks.setdefault(key, set()).add(golden_id)

    def best(self, payload: Record) -> tuple[str, float, list[dict[str, Any]]] | None:
        """The best-scoring golden record for a payload (ties: the smaller id), or None;
        kept below auto_link when a record a steward set apart from it scores as high."""
        scored = []
        for golden_id in self.ranked(self.keys_of(payload)):
            if golden_id in self.values:
                value, explanation = score(self.rules, payload, self.values[golden_id], floor=self.rules.review)
                if value > 0:
                    scored.append((-value, golden_id, explanation))
        if not scored:
            return None
        scored.sort(key=lambda t: (t[0], t[1]))
        top, golden_id, explanation = scored[0]
        value = -top
        if value >= self.rules.auto_link:
            rivals = [other for v, other, _ in scored[1:] if -v >= self.rules.auto_link and
                      tuple(sorted((golden_id, other))) in self.apart]  # fmt: skip
            if rivals:
                value = round(self.rules.auto_link - 0.01, 4)
                explanation = [*explanation, {"field": "*", "cap": value, "note": f"as alike to {rivals[0]}, which "
                               f"a steward marked not a match with {golden_id}: to review"}]  # fmt: skip
        return golden_id, value, explanation
