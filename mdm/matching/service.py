"""Match a record against the golden records (blocking lookups, then scoring the bounded
candidate set; reads only), the decisions kept about a record, and a steward's
"not a match"."""

from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db import repository as repo
from mdm.db.convert import values_of
from mdm.domains import Domain
from mdm.errors import Invalid, NotFound
from mdm.matching import versions
from mdm.matching.blocking import BLOCK_CAP, blocking_keys, rank
from mdm.matching.rules import MatchRules
from mdm.matching.score import score, scored

MATCH_CANDIDATES = 50  # golden records scored per match, the best-ranked by shared blocking keys


async def candidates(session: AsyncSession, domain: Domain, record: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The golden ids worth scoring for a record, best-ranked first (sharing an identifier
    key, then the most blocking keys), at most MATCH_CANDIDATES; and the keys whose block
    was larger than BLOCK_CAP (only its first BLOCK_CAP ids were considered)."""
    keys = sorted(blocking_keys(domain.blocking, record))
    blocks = await repo.blocks_of(session, domain, keys, BLOCK_CAP + 1)
    capped = [k for k in keys if len(blocks.get(k, ())) > BLOCK_CAP]
    return rank(keys, {k: found[:BLOCK_CAP] for k, found in blocks.items()}, MATCH_CANDIDATES), capped


def hide(rules: MatchRules, explanation: list[dict[str, Any]], readable: frozenset[str]) -> list[dict[str, Any]]:
    """The explanation without the values of fields the caller may not read."""
    hidden = {c.name for c in rules.comparisons if not set(c.reads) <= readable}
    return [
        {k: v for k, v in entry.items() if k not in ("left", "right")} | {"hidden": True}
        if entry["field"] in hidden
        else entry
        for entry in explanation
    ]


async def decisions(
    session: AsyncSession, domain: Domain, golden_id: str, readable: frozenset[str]
) -> list[dict[str, Any]]:
    """Every match decision that made or named a golden record, newest first."""
    rows = await repo.decisions_about(session, domain, golden_id)
    if not rows and await repo.golden_row(session, domain, golden_id) is None:
        raise NotFound(f"no {domain.name} with id {golden_id}")
    out = []
    rules = await versions.in_force(session, domain)
    for row in rows:
        entry = {str(k): v for k, v in row._mapping.items() if str(k) != "domain"}
        entry["explanation"] = hide(rules, list(row.explanation), readable)
        out.append(entry)
    return out


async def match(
    session: AsyncSession, domain: Domain, record: dict[str, Any], *, limit: int, readable: frozenset[str]
) -> dict[str, Any]:
    """The best `limit` golden records for `record`, each with score and explanation; the
    values of fields the caller may not read are left out of the explanation."""
    rules = await versions.in_force(session, domain)
    ids, capped = await candidates(session, domain, record)
    found = []
    mine = rules.features(record)
    payloads = await repo.live_payloads(session, domain, ids) if ids else {}
    for row in await repo.goldens(session, domain, ids, lock=False) if ids else []:
        if row.merged_into:
            continue
        sources = [msgspec.json.decode(p) for p in payloads.get(row.id, ())]
        value, explanation = scored(rules, mine, rules.features_of([values_of(domain, row), *sources]))
        found.append((value, row.id, explanation))  # a probability that rounds to 0 is explained too
    found.sort(key=lambda t: (-t[0], t[1]))
    items = [
        {"id": golden_id, "score": value, "explanation": hide(rules, explanation, readable)}
        for value, golden_id, explanation in found[:limit]
    ]
    return {
        "items": items,
        "rules_version": rules.version,
        "auto_link": rules.auto_link,
        "review": rules.review,
        "capped_blocks": capped,
    }


async def reject(session: AsyncSession, domain: Domain, first: str, second: str) -> dict[str, Any]:
    """Mark two golden records "not a match", for good: the pair is never queued again
    (scans and ingestion add a pair only once), and no record alike to both is linked to
    either automatically. The steward API (issue 5) calls this; so do tests until then."""
    left, right = sorted((first, second))
    if left == right:
        raise Invalid("a record is always a match of itself", [("right_id", "name two different records")])
    rows = {r.id: r for r in await repo.goldens(session, domain, [left, right], lock=False)}
    for golden_id in (left, right):
        if golden_id not in rows:
            raise NotFound(f"no {domain.name} with id {golden_id}")
    rules = await versions.in_force(session, domain)
    value, explanation = score(rules, values_of(domain, rows[left]),
                               values_of(domain, rows[right]))  # fmt: skip
    row = repo.candidate_row(domain, left, right, value, rules.version, explanation, status=repo.NOT_A_MATCH,
                             source="steward", at=datetime.now(UTC))  # fmt: skip
    await repo.set_pair_status(session, row)
    return row
