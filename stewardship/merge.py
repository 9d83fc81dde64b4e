"""Merge golden records into a survivor, and undo a merge exactly.

A merge runs in the request's one transaction: the folded records' source records and
crosswalks move to the survivor, survivorship recomputes it (a steward's picks become
overrides), records of any domain that reference a folded record follow it to the
survivor (survivorship maps a reference to a merged-away record onto its survivor, so
nothing rewrites their sources), the survivor's status stays its own unless a pick names
another record's, open queue entries about the folded records close, and
history and audit record it all. What the undo needs is kept in `merge_log.undo`.

Unmerge moves back exactly what moved and recomputes every record involved from its own
sources and overrides, so reads answer as before the merge (versions and history move on);
edits made since to records the merge did not touch are kept, and a pick a steward has
since replaced stays replaced.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from mdm import events
from mdm.auth.actor import Actor
from mdm.domains import BY_NAME, DOMAINS, Domain
from mdm.errors import Conflict, Forbidden, Invalid, NotFound
from mdm.matching.scan import SCANNER
from mdm.policy.store import load as load_policy
from mdm.records.service import check_rights
from mdm.records.validation import validate
from mdm.records.workspace import GoldenState, Workspace
from stewardship import repository as srepo

MERGE_PREFIX = "mrg_"
MATCHER = SCANNER  # who a scan's merges are by


def check_merge_right(actor: Actor, domain: Domain) -> None:
    if not actor.policy.allows(actor.subjects, domain.name, "*", "merge"):
        grantees = ", ".join(actor.policy.grantees(domain.name, "*", "merge")) or "nobody"
        raise Forbidden(
            f"{actor.principal} may not merge {domain.name} records (the policy lets {grantees}); nothing was changed",
            [("body", f"merging {domain.name} records needs the merge right")],
        )


def _closing(pairs: Iterable[Any], merged: set[str], actor: Actor, now: datetime) -> list[dict[str, Any]]:
    """Open queue entries about folded records: a pair inside the merge was a match, any
    other pair names a record that is gone."""
    return [
        {"id": p.id, "status": "merged" if {p.left_id, p.right_id} <= merged else "closed",
         "decided_by": actor.principal, "decided_at": now, "before": p.status, "left_id": p.left_id,
         "right_id": p.right_id}
        for p in pairs
    ]  # fmt: skip


async def _live(ws: Workspace, domain: Domain, ids: list[str], names: list[str]) -> list[GoldenState]:
    """The records, loaded and locked; 422 for an unknown id, 409 for one merged away."""
    await ws.load(domain, set(ids))
    found = []
    for golden_id, name in zip(ids, names, strict=True):
        g = ws.goldens.get(golden_id)
        if g is None or g.domain is not domain:
            raise Invalid(f"no {domain.name} with id {golden_id}", [(name, f"no {domain.name} with this id")])
        if g.merged_into:
            raise Conflict(
                f"{domain.name} {golden_id} was already merged into {g.merged_into}; nothing was changed",
                [(name, f"merged into {g.merged_into}")],
            )
        found.append(g)
    return found


async def _follow_references(ws: Workspace, domain: Domain, ids: list[str], action: str) -> dict[str, list[str]]:
    """Recompute the live records of any domain whose references point at `ids` (what the
    workspace knows of merges decides where they end); answers which records changed."""
    touched: dict[str, list[str]] = {}
    for other in DOMAINS:
        for f in other.references:
            if f.ref != domain.name:
                continue
            held = await srepo.referencing(ws.session, other, f, ids)
            await ws.load(other, set(held))
            for golden_id in held:
                g = ws.goldens[golden_id]
                if g.merged_into:
                    continue
                changed = ws.recompute(g)
                if changed:
                    await validate(ws, g, changed)
                    ws.commit_version(g, action)
                    touched.setdefault(other.name, []).append(golden_id)
    return touched


async def merge(
    session: AsyncSession,
    domain: Domain,
    survivor_id: str,
    merged_ids: list[str],
    picks: dict[str, str],
    actor: Actor,
) -> dict[str, Any]:
    """Fold `merged_ids` into `survivor_id`; `picks` names, per field, the record whose
    value wins (it becomes an override of the survivor). Without a pick for `status` the
    survivor keeps its own."""
    check_merge_right(actor, domain)
    return await _fold(session, domain, survivor_id, merged_ids, picks, actor)


async def link(session: AsyncSession, domain: Domain, survivor_id: str, merged_ids: list[str],
               reason: str) -> dict[str, Any]:  # fmt: skip
    """The matcher's merge (`mdm match scan`, through the `mdm.plugins` entry point): a pair
    scored at or above `auto_link` that ingestion could not see, folded as ingestion would
    have linked it. No picks and no steward's right asked (the rules decided, as they do when
    a source record links); a merge like any other, by `MATCHER`, in the merge log and the
    audit with `reason`, so a steward can undo it exactly. A merge of the pair a steward
    undid is a decision: the matcher never makes it again (409), whatever rules it scores by."""
    if undone := await srepo.undone_between(session, domain, survivor_id, merged_ids):
        raise Conflict(f"a steward undid the merge of {survivor_id} and {undone} ({domain.name})")
    actor = Actor(MATCHER, "match-scan", await load_policy(session))
    return await _fold(session, domain, survivor_id, merged_ids, {}, actor, reason)


async def _fold(
    session: AsyncSession,
    domain: Domain,
    survivor_id: str,
    merged_ids: list[str],
    picks: dict[str, str],
    actor: Actor,
    reason: str = "",
) -> dict[str, Any]:
    ids = [survivor_id, *merged_ids]
    problems = []
    if not merged_ids:
        problems.append(("merged_ids", "name at least one record to fold into the survivor"))
    if survivor_id in merged_ids:
        problems.append(("merged_ids", "must not hold the survivor"))
    if len(set(merged_ids)) < len(merged_ids):
        problems.append(("merged_ids", "names a record twice"))
    for name, golden_id in picks.items():
        if not domain.has_field(name):
            problems.append((f"picks.{name}", f"not a field of {domain.name}"))
        elif golden_id not in ids:
            problems.append((f"picks.{name}", "must name the survivor or one of merged_ids"))
    if problems:
        raise Invalid(f"{domain.name} merge is not valid; nothing was changed", problems)
    check_rights(actor.policy, actor.subjects, domain, sorted(picks))  # a pick is an edit of that field
    now = datetime.now(UTC)
    ws = Workspace(session, actor, now)
    names = ["survivor_id", *(f"merged_ids[{i}]" for i in range(len(merged_ids)))]
    survivor, *folded = await _live(ws, domain, ids, names)
    merge_id = f"{MERGE_PREFIX}{ULID()}"
    values_before = {g.id: dict(g.values) for g in (survivor, *folded)}
    gone = set(merged_ids)

    # 1. the folded records' sources and crosswalks move; the records point at the survivor
    mine = [s for s in ws.sources.values() if s.domain == domain.name and s.golden_id in gone]
    keys = sorted((s.system, s.source_id) for s in mine)
    await ws.load_crosswalks(domain, keys)
    moved_sources, moved_crosswalks = [], []
    for key in keys:
        src = ws.sources[(domain.name, *key)]
        moved_sources.append([*key, src.golden_id])
        src.golden_id, src.dirty = survivor.id, True
        x = ws.crosswalks.get((domain.name, *key))
        if x is not None and x.golden_id in gone:
            moved_crosswalks.append([*key, x.golden_id])
            x.golden_id, x.dirty = survivor.id, True
    cleared: dict[str, dict[str, Any]] = {}
    unique_fields = {n for key in domain.unique_keys for n in key.fields}
    for g in folded:
        survivor.source_keys |= g.source_keys
        g.source_keys = set()
        g.merged_into = survivor.id
        ws.ref_cache[g.id] = survivor.id
        cleared[g.id] = {n: g.values.get(n) for n in sorted(unique_fields) if g.values.get(n) is not None}
        for name in cleared[g.id]:  # the survivor may take these over: the folded row lets them go
            g.values[name] = None
        ws.commit_version(g, "merge")
    await ws.flush()

    # 2. survivorship of the survivor, with the picks as overrides
    overrides_before = {name: survivor.overrides.get(name) for name in picks}
    for name, golden_id in picks.items():
        survivor.overrides[name] = {"value": values_before[golden_id].get(name), "by": actor.principal,
                                    "at": now.isoformat(), "merge_id": merge_id}  # fmt: skip
    changed = ws.recompute(survivor)
    # a link between the survivor and a folded record (a parent merged into its child, or
    # the other way round) would now point at the survivor itself: the merge drops it, as
    # an override the unmerge takes back
    for f in domain.references:
        if f.ref == domain.name and survivor.values.get(f.name) == survivor.id:
            overrides_before.setdefault(f.name, survivor.overrides.get(f.name))
            survivor.overrides[f.name] = {"value": None, "by": actor.principal, "at": now.isoformat(),
                                          "merge_id": merge_id}  # fmt: skip
            changed = sorted({*changed, *ws.recompute(survivor)})
    # the survivor's status changes only by a pick: survivorship over the sources it took
    # in would otherwise give it a folded record's (a newer source's, an owner's) unasked,
    # so without a pick it keeps its own, as an override the unmerge takes back
    kept = values_before[survivor.id].get("status")
    if domain.has_field("status") and "status" not in picks and survivor.values.get("status") != kept:
        overrides_before.setdefault("status", survivor.overrides.get("status"))
        survivor.overrides["status"] = {"value": kept, "by": actor.principal, "at": now.isoformat(),
                                        "merge_id": merge_id}  # fmt: skip
        changed = sorted({*changed, *ws.recompute(survivor)})
        picks = {**picks, "status": survivor.id}  # the log and the audit say whose status won
    await validate(ws, survivor, changed)
    ws.commit_version(survivor, "merge")

    # 3. references from any domain follow; 4. the queue closes what it held about the folded
    referencing = await _follow_references(ws, domain, merged_ids, "merge")
    closing = _closing(await srepo.open_pairs_of(session, domain, merged_ids), gone | {survivor.id}, actor, now)
    await srepo.set_statuses(session, closing)
    ws.events += [events.candidate_decided(domain, c["id"], c["left_id"], c["right_id"], c["status"], actor, now)
                  for c in closing]  # fmt: skip
    undo = {
        "sources": moved_sources,
        "crosswalks": moved_crosswalks,
        "overrides": overrides_before,
        "cleared": cleared,
        "referencing": referencing,
        "candidates": [[c["id"], c["before"], c["status"]] for c in closing],
    }
    await srepo.insert_merge(session, {"id": merge_id, "domain": domain.name, "survivor_id": survivor.id,
                                       "merged_ids": merged_ids, "picks": picks, "undo": undo,
                                       "principal": actor.principal, "correlation_id": actor.correlation_id,
                                       "created_at": now})  # fmt: skip
    detail = f"{merge_id}: {', '.join(merged_ids)}" + (f" ({reason})" if reason else "")
    ws.record_audit("merge", domain, survivor.id, sorted(picks), "merged", detail)
    await ws.flush()
    return {"merge_id": merge_id, "survivor_id": survivor.id, "merged_ids": merged_ids, "record": survivor.read_view(),
            "references_moved": referencing, "candidates_closed": len(closing)}  # fmt: skip


async def unmerge(session: AsyncSession, domain: Domain, golden_id: str, merge_id: str, actor: Actor) -> dict[str, Any]:
    """Undo merge `merge_id` into `golden_id`: the folded records come back with their own
    sources, crosswalks and the references that followed them."""
    check_merge_right(actor, domain)
    row = await srepo.merge_row(session, merge_id, lock=True)
    if row is None or row.domain != domain.name or row.survivor_id != golden_id:
        raise NotFound(f"no merge {merge_id} into {domain.name} {golden_id}")
    if row.undone_at is not None:
        raise Conflict(f"merge {merge_id} was undone at {row.undone_at.isoformat()} by {row.undone_by}",
                       [("merge_id", "already undone")])  # fmt: skip
    now = datetime.now(UTC)
    ws = Workspace(session, actor, now)
    merged_ids: list[str] = list(row.merged_ids)
    (survivor,) = await _live(ws, domain, [golden_id], ["id"])
    await ws.load(domain, set(merged_ids))
    for golden_id_ in merged_ids:
        g = ws.goldens.get(golden_id_)
        if g is None or g.merged_into != survivor.id:
            where = g.merged_into if g is not None else "nowhere"
            raise Conflict(f"{domain.name} {golden_id_} is no longer folded into {survivor.id} (it is in {where})",
                           [("merge_id", "the merge cannot be undone as it was")])  # fmt: skip
    undo = row.undo
    folded = [ws.goldens[i] for i in merged_ids]

    # 1. sources and crosswalks go back; the survivor lets go of what its picks set
    keys = [(system, source_id) for system, source_id, _ in undo["sources"]]
    await ws.load_crosswalks(domain, keys)
    for system, source_id, home in undo["sources"]:
        src = ws.sources.get((domain.name, system, source_id))
        if src is None or src.golden_id != survivor.id:
            continue  # moved on since (detached and sent elsewhere): it stays where it is
        src.golden_id, src.dirty = home, True
        survivor.source_keys.discard((system, source_id))
        if src.ended_at is None:
            ws.goldens[home].source_keys.add((system, source_id))
    for system, source_id, home in undo["crosswalks"]:
        x = ws.crosswalks.get((domain.name, system, source_id))
        if x is not None and x.golden_id == survivor.id:
            x.golden_id, x.dirty = home, True
    for name, before in undo["overrides"].items():
        if (survivor.overrides.get(name) or {}).get("merge_id") == merge_id:  # not replaced since
            if before is None:
                survivor.overrides.pop(name, None)
            else:
                survivor.overrides[name] = before
    for g in folded:  # live again for the survivor's references too (a link the merge dropped)
        ws.ref_cache[g.id] = None
    changed = ws.recompute(survivor)
    await validate(ws, survivor, changed)
    ws.commit_version(survivor, "unmerge")
    await ws.flush()  # the survivor first: it may let go of unique values the folded take back

    # 2. the folded records live again, from their own sources and overrides
    for g in folded:
        g.merged_into = None
    for g in folded:
        changed = ws.recompute(g)
        await validate(ws, g, changed)
        ws.commit_version(g, "unmerge")
    await ws.flush()

    # 3. references follow back; 4. the queue as it was, where nobody decided since
    for name, ids in undo["referencing"].items():
        other = BY_NAME[name]
        await ws.load(other, set(ids))
        for rid in ids:
            g = ws.goldens[rid]
            if g.merged_into is None and (changed := ws.recompute(g)):
                await validate(ws, g, changed)
                ws.commit_version(g, "unmerge")
    restored = await srepo.restore_statuses(
        session, [(cid, before, after) for cid, before, after in undo["candidates"]]
    )
    # a merge closes only open pairs (`_closing`), so each one put back is queued again
    ws.events += [events.candidate_queued(domain, pair, actor, now) for pair in restored]
    await srepo.mark_undone(session, merge_id, now, actor.principal)
    ws.record_audit("unmerge", domain, survivor.id, [], "unmerged", f"{merge_id}: {', '.join(merged_ids)}")
    await ws.flush()
    return {"merge_id": merge_id, "survivor_id": survivor.id, "restored_ids": merged_ids,
            "record": survivor.read_view()}  # fmt: skip
