"""The blast radius of a rule or threshold change, before it ships: reads only.

Two questions, each answered from what the hub holds now:
- Which golden records would newly link? Every block is scored under both rule sets
  (pairs either set's pre-filter lets through); a pair at or above the new `auto_link`
  that was below the old one would be one record had the new rules been in force, and a
  pair newly at or above `review` would be queued. Pairs a steward marked "not a match"
  are left out: no rules link them.
- Which automatic links would the new rules no longer make? Every source record linked by
  score is scored again, under the new rules, against the other source records of the
  golden record it joined; below the new `auto_link` against all of them, the link would
  not have been made.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mdm.db import repository as repo
from mdm.db.engine import Database
from mdm.domains import Domain
from mdm.matching import versions
from mdm.matching.rules import Features, MatchRules
from mdm.matching.scan import featured, pairs, read_blocks
from mdm.matching.score import score, scored


@dataclass(slots=True)
class Impact:
    domain: str
    old: MatchRules
    new: MatchRules
    newly_linked: list[dict[str, Any]] = field(default_factory=list)
    newly_queued: list[dict[str, Any]] = field(default_factory=list)
    no_longer_linked: list[dict[str, Any]] = field(default_factory=list)
    blocks: int = 0
    pairs_scored: int = 0
    links_checked: int = 0


async def impact(
    db: Database,
    domain: Domain,
    new: MatchRules,
    *,
    old: MatchRules | None = None,
    on_blocks: Callable[[int], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> Impact:
    async with db.sessionmaker(write=False)() as session:
        old = old or await versions.in_force(session, domain)
    report = Impact(domain.name, old, new)
    async with db.sessionmaker(write=False)() as session:
        apart = {(p.left_id, p.right_id) for p in await repo.candidate_pairs(session, domain, repo.NOT_A_MATCH)}
        blocks = await repo.blocks(session, domain)
        if on_blocks:
            on_blocks(len(blocks))
        seen: set[tuple[str, str]] = set()
        names = tuple(dict.fromkeys(old.fields + new.fields))
        async for chunk in read_blocks(db, domain, blocks, names):
            by_old: dict[str, Features] = {}
            by_new: dict[str, Features] = {}
            for _, _, records in chunk:
                report.blocks += 1
                before_block, after_block = featured(old, records, by_old), featured(new, records, by_new)
                # each rule set's likely pairs, at its own review
                for i, j in sorted(set(pairs(old, before_block)) | set(pairs(new, after_block))):
                    a, b = sorted((records[i][0], records[j][0]))
                    if (a, b) in seen or (a, b) in apart:
                        continue
                    seen.add((a, b))
                    before = scored(old, by_old[a], by_old[b])[0]
                    after = scored(new, by_new[a], by_new[b])[0]
                    report.pairs_scored += 1
                    pair = {"left_id": a, "right_id": b, "old_score": before, "new_score": after}
                    if after >= new.auto_link and before < old.auto_link:
                        report.newly_linked.append(pair)
                    elif new.review <= after < new.auto_link and before < old.review:
                        report.newly_queued.append(pair)
            if advance:
                advance(len(chunk))
        for decision in await repo.linked_decisions(session, domain):
            report.links_checked += 1
            sources = await repo.sources_of(session, domain, [decision.golden_id])
            mine = [s for s in sources if (s.system, s.source_id) == (decision.system, decision.source_id)]
            others = [s for s in sources if (s.system, s.source_id) != (decision.system, decision.source_id)
                      and s.ended_at is None]  # fmt: skip
            if not mine or mine[0].golden_id != decision.golden_id:
                continue  # the source record has moved on since (detached, merged): nothing to redo
            best = max((score(new, mine[0].payload, o.payload)[0] for o in others), default=0.0)
            if best < new.auto_link:
                report.no_longer_linked.append({"golden_id": decision.golden_id, "system": decision.system,
                                                "source_id": decision.source_id, "old_score": decision.score,
                                                "new_score": best})  # fmt: skip
    for found in (report.newly_linked, report.newly_queued):
        found.sort(key=lambda p: -p["new_score"])
    return report
