"""The review queue: pages of candidate pairs, a pair side by side, "not a match", bulk
decisions, and what steward decisions say about match quality."""

import base64
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mdm import events
from mdm.auth.actor import Actor
from mdm.db import events as events_sql
from mdm.db import repository as repo
from mdm.domains import BY_NAME, Domain
from mdm.errors import Conflict, Invalid, MdmError, NotFound
from mdm.matching import service as matching
from mdm.matching import versions
from mdm.matching.rules import MatchRules
from mdm.policy.visibility import shown
from mdm.records.workspace import golden_from_row
from stewardship import repository as srepo
from stewardship.merge import check_merge_right, merge

# the queue's words for the stored statuses
STATUS_OUT = {"pending": "open", "not_a_match": "rejected", "merged": "merged", "closed": "closed"}
STATUS_IN = {v: k for k, v in STATUS_OUT.items()}
# score bands, as match probabilities: a band's precision from steward decisions should be about
# its probabilities (0.0 catches pairs queued by older rules or another threshold)
BANDS = [0.0, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0]


def entry(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "domain": row.domain,
        "left_id": row.left_id,
        "right_id": row.right_id,
        "score": row.score,
        "status": STATUS_OUT.get(row.status, row.status),
        "source": row.source,
        "rules_version": row.rules_version,
        "created_at": row.created_at,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at,
    }


def _cursor(row: Any) -> str:
    return base64.urlsafe_b64encode(f"{row.score!r}|{row.id}".encode()).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[float, int] | None:
    if not cursor:
        return None
    try:
        score, cid = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        return float(score), int(cid)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("the cursor is not one this API gave", [("cursor", "not a cursor of this list")]) from None


async def page(
    session: AsyncSession,
    domains: list[str],
    *,
    status: str | None,
    min_score: float | None,
    max_score: float | None,
    system: str | None,
    cursor: str | None,
    limit: int,
    record: str | None = None,
) -> dict[str, Any]:
    """Queue entries of `domains`, best score first, cursor-paginated."""
    rows = await srepo.candidates_page(
        session,
        domains=domains,
        status=STATUS_IN[status] if status else None,
        min_score=min_score,
        max_score=max_score,
        system=system,
        record=record,
        after=_after(cursor),
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [entry(r) for r in rows], "next_cursor": _cursor(rows[-1]) if more else None}


async def counts(
    session: AsyncSession,
    domains: list[str],
    *,
    status: str | None,
    min_score: float | None,
    max_score: float | None,
    system: str | None,
    record: str | None = None,
) -> dict[str, int]:
    """domain -> how many queue entries pass the filters `page` takes."""
    return await srepo.candidate_counts(session, domains=domains, status=STATUS_IN[status] if status else None,
                                        min_score=min_score, max_score=max_score, system=system,
                                        record=record)  # fmt: skip


async def records(
    session: AsyncSession, domain: Domain, ids: Iterable[str], readable: frozenset[str]
) -> dict[str, dict[str, Any]]:
    """The records of `domain` among `ids` as the caller may read them, merged-away ones
    too (with `merged_into`), in one query: what the queue shows of a page of pairs."""
    rows = await repo.goldens(session, domain, sorted(set(ids)), lock=False)
    return {r.id: {**shown(domain, golden_from_row(domain, r).read_view(), readable), "merged_into": r.merged_into}
            for r in rows}  # fmt: skip


async def _candidate(session: AsyncSession, cid: int, *, lock: bool = False) -> tuple[Any, Domain]:
    row = await srepo.candidate(session, cid, lock=lock)
    if row is None or row.domain not in BY_NAME:
        raise NotFound(f"no match candidate {cid}")
    return row, BY_NAME[row.domain]


def _evidence(rules: MatchRules, explanation: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each record field's level and weight (a similarity under older rules), from the
    explanation of the comparison reading it: the one named after the field, else the first
    that compared something (a tax number reads the country too, to strip its prefix)."""
    by_name = {e["field"]: e for e in explanation if e.get("level") is not None or e.get("similarity") is not None}
    found: dict[str, dict[str, Any]] = {}
    for c in rules.comparisons:
        entry = by_name.get(c.name)
        if entry is None:
            continue
        for name in c.reads:
            held = found.get(name)
            if held is None or (held.get("level") == "missing" and entry.get("level") != "missing") or c.name == name:
                found[name] = entry
    return {name: {k: e.get(k) for k in ("level", "weight", "similarity")} for name, e in found.items()}


async def detail(session: AsyncSession, cid: int, readable: frozenset[str]) -> dict[str, Any]:
    """A queued pair side by side: both records (None if merged away), each field's values,
    whether they agree and the level and weight the rules gave it."""
    row, domain = await _candidate(session, cid)
    rows = await repo.goldens(session, domain, [row.left_id, row.right_id], lock=False)
    views = {r.id: (golden_from_row(domain, r).read_view() if r.merged_into is None else None) for r in rows}
    left, right = views.get(row.left_id), views.get(row.right_id)
    rules = await versions.in_force(session, domain)
    evidence = _evidence(rules, list(row.explanation))
    fields = []
    for f in domain.fields:
        if f.name not in readable:
            continue
        a, b = (left or {}).get(f.name), (right or {}).get(f.name)
        if a is None and b is None:
            continue
        found = evidence.get(f.name, {})
        fields.append({"field": f.name, "left": a, "right": b, "same": a == b} |
                      {k: v for k, v in found.items() if v is not None})  # fmt: skip
    return {
        "candidate": entry(row),
        "left": None if left is None else shown(domain, left, readable),
        "right": None if right is None else shown(domain, right, readable),
        "fields": fields,
        "explanation": matching.hide(rules, list(row.explanation), readable),
    }


async def reject(session: AsyncSession, cid: int, actor: Actor) -> dict[str, Any]:
    """ "Not a match", for good: scans and ingestion never queue or auto-link the pair again."""
    row, domain = await _candidate(session, cid, lock=True)
    check_merge_right(actor, domain)
    if row.status != "pending":
        raise Conflict(f"match candidate {cid} is already {STATUS_OUT.get(row.status, row.status)}",
                       [("status", f"{STATUS_OUT.get(row.status, row.status)}, not open")])  # fmt: skip
    await matching.reject(session, domain, row.left_id, row.right_id)
    now = datetime.now(UTC)
    await srepo.set_statuses(session, [{"id": cid, "status": "not_a_match", "decided_by": actor.principal,
                                        "decided_at": now}])  # fmt: skip
    decided = events.candidate_decided(domain, cid, row.left_id, row.right_id, "not_a_match", actor, now)
    await events_sql.insert_events(session, [decided])
    found = await srepo.candidate(session, cid)
    return {"candidate": entry(found)}


async def merge_pair(session: AsyncSession, cid: int, survivor: str, actor: Actor) -> dict[str, Any]:
    """Merge a queued pair, the `survivor` side ("left" or "right") surviving."""
    row, domain = await _candidate(session, cid, lock=True)
    if row.status != "pending":
        raise Conflict(f"match candidate {cid} is already {STATUS_OUT.get(row.status, row.status)}",
                       [("status", f"{STATUS_OUT.get(row.status, row.status)}, not open")])  # fmt: skip
    keep, fold = (row.left_id, row.right_id) if survivor == "left" else (row.right_id, row.left_id)
    return await merge(session, domain, keep, [fold], {}, actor)


async def bulk(session: AsyncSession, items: list[dict[str, Any]], actor: Actor) -> list[dict[str, Any]]:
    """Each decision on its own savepoint: one that fails leaves the others standing."""
    out = []
    for item in items:
        try:
            async with session.begin_nested():
                if item["action"] == "reject":
                    await reject(session, item["candidate_id"], actor)
                    out.append({"candidate_id": item["candidate_id"], "status": 200})
                else:
                    done = await merge_pair(session, item["candidate_id"], item["survivor"], actor)
                    out.append({"candidate_id": item["candidate_id"], "status": 200, "merge_id": done["merge_id"]})
        except MdmError as exc:
            out.append({"candidate_id": item["candidate_id"], "status": exc.status, "error": exc})
    return out


async def quality(session: AsyncSession, domains: list[str]) -> dict[str, Any]:
    """Per domain: precision per score band estimated from steward decisions (merged is a
    right pair, rejected a wrong one), the auto-link rate, and how old the open queue is."""
    counts = await srepo.band_counts(session, BANDS)
    outcomes = await srepo.decision_counts(session)
    now = datetime.now(UTC)
    out = []
    for name in domains:
        bands = []
        for i, low in enumerate(BANDS[:-1]):
            got = {status: n for (d, band, status), n in counts.items() if d == name and band == i}
            merged, rejected = got.get("merged", 0), got.get("not_a_match", 0)
            precision = round(merged / (merged + rejected), 4) if merged + rejected else None
            bands.append({"low": low, "high": BANDS[i + 1], "merged": merged, "rejected": rejected,
                          "open": got.get("pending", 0), "precision": precision})  # fmt: skip
        links, queued = outcomes.get((name, "linked"), 0), outcomes.get((name, "pending_review"), 0)
        waiting, oldest, middle = await srepo.open_ages(session, name)
        out.append({
            "domain": name,
            "bands": bands,
            "auto_links": links,
            "queued": queued,
            "auto_link_rate": round(links / (links + queued), 4) if links + queued else None,
            "open": waiting,
            "oldest_open": oldest,
            "median_open_age_hours": round((now - middle).total_seconds() / 3600, 2) if middle else None,
        })  # fmt: skip
    return {"domains": out}
