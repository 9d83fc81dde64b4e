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
from mdm.matching.blocking import blocking_keys, frozen, rank
from mdm.matching.rules import RULES, Features, MatchRules
from mdm.matching.score import scored
from mdm.records import repository as repo

Record = dict[str, Any]
INGEST_BLOCK_CAP = 10  # index entries read per blocking key while ingesting
CANDIDATES = 4  # golden records scored per new source record, the best-ranked


class FuzzyIndex:
    """Blocks and candidates (as scoring features) for one domain in one batch."""

    def __init__(self, domain: Domain):
        self.domain = domain
        self.rules: MatchRules = RULES[domain.name]
        self.blocks: dict[str, set[str]] = {}  # as read from match_key
        self.added: dict[str, set[str]] = {}  # records this batch made or changed, by key
        self.features: dict[str, Features] = {}  # golden id -> what scoring reads of it
        self._payloads: dict[int, tuple[set[str], Features]] = {}  # id(payload) -> its keys and features
        self._ranked: dict[int, list[str]] = {}  # id(payload) -> its candidates among the blocks read
        self._by_values: dict[tuple[Any, ...], Features] = {}  # features by the values they come from
        self.apart: set[tuple[str, str]] = set()  # candidate pairs a steward marked not a match

    def _features(self, values: Record) -> Features:
        """Features, computed once for equal values (a new record's are its payload's)."""
        key = tuple(frozen(values.get(name)) for name in self.rules.fields)
        found = self._by_values.get(key)
        if found is None:
            found = self._by_values[key] = self.rules.features(values)
        return found

    def _of(self, payload: Record) -> tuple[set[str], Features]:
        found = self._payloads.get(id(payload))
        if found is None:
            found = self._payloads[id(payload)] = (blocking_keys(self.domain.name, payload), self._features(payload))
        return found

    def ranked(self, payload: Record) -> list[str]:
        """The payload's best-ranked candidates. The ranking among the blocks read is kept;
        records the batch added since are ranked against it alone: the others read rank
        below it and their counts of shared keys have not changed."""
        keys = self._of(payload)[0]
        found = self._ranked.get(id(payload))
        if found is None:
            found = self._ranked[id(payload)] = rank(keys, self.blocks, CANDIDATES)
        fresh = {i for k in keys for i in self.added.get(k, ())}
        if not fresh:
            return found
        ids = set(found) | fresh
        members = {k: [i for i in ids if i in self.blocks.get(k, ()) or i in self.added.get(k, ())] for k in keys}
        return rank(keys, members, CANDIDATES)

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
        for golden_id, values in (await repo.golden_values(session, self.domain, wanted, self.rules.fields)).items():
            self.features[golden_id] = self._features(values)
        self.apart |= await repo.not_a_match(session, self.domain, wanted)

    def add(self, golden_id: str, values: Record) -> None:
        """A record this batch made or changed: later items may match it."""
        self.features[golden_id] = self._features(values)
        for key in blocking_keys(self.domain.name, values):
            self.added.setdefault(key, set()).add(golden_id)

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
                value = round(self.rules.auto_link - 0.01, 4)
                explanation = [*explanation, {"field": "*", "cap": value, "note": f"as alike to {rivals[0]}, which "
                               f"a steward marked not a match with {golden_id}: to review"}]  # fmt: skip
        return golden_id, value, explanation
