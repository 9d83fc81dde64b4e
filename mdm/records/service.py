"""Operations on golden records. Each runs inside the caller's transaction and flushes;
the request (or the CLI batch) is the one place that commits.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.auth.actor import Actor
from mdm.db import held as held_sql
from mdm.db import repository as repo
from mdm.db.convert import values_of
from mdm.db.merges import follow, follow_rows
from mdm.domains import RULES, Domain
from mdm.domains.identifiers import BadIdentifier, changed_slots, link_keys, slot, slot_policy_field
from mdm.domains.identifiers import identifier as normalize_identifier
from mdm.errors import Conflict, Forbidden, Held, Invalid, MdmError, Moved, NotFound, PreconditionFailed
from mdm.matching import versions
from mdm.matching.blocking import blocking_keys_of
from mdm.matching.ingest import FuzzyIndex
from mdm.policy.rules import Policy
from mdm.records.survivorship import HUB_SYSTEM, contributes
from mdm.records.validation import normalized, validate
from mdm.records.values import Record, drop_nulls, payload_hash
from mdm.records.workspace import (
    CrosswalkState,
    GoldenState,
    SourceState,
    Workspace,
    identifier_links,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class SourceItem:
    system: str
    source_id: str
    payload: Record  # builtins of the domain's source contract (canonical), nulls dropped
    # an older contract's write sees part of the canonical model: this makes the whole
    # payload from the source's last one, keeping what that version cannot see
    merge: Callable[[Record | None], Record] | None = None
    # who sent this item, when items of several requests are written together (group
    # commit): its audit and history rows name its own principal and correlation id
    actor: Actor | None = None
    contributed: list[str] | None = None  # the policy fields it sends but its system does not own


def source_item(domain: Domain, version: str | None, system: str, source_id: str, payload: Record) -> SourceItem:
    """A source record sent in a contract version (None: the canonical model's). An older
    version's is made canonical against the source's last payload when it is applied, so
    what that version cannot see (a second identifier, a phone) is kept, never dropped."""
    view = domain.contract(version).view if version else None
    if view is None:
        return SourceItem(system, source_id, payload)
    unseen = domain.unseen_by(version or "")

    def merge(last: Record | None) -> Record:
        kept = {n: last[n] for n in unseen if n in last} if last else {}
        return kept | view.write(payload, last, whole=True)

    return SourceItem(system, source_id, view.write(payload, None, whole=True), merge=merge)


def written(domain: Domain, payload: Record) -> list[str]:
    """The policy fields a payload writes: each field, and per identifier its scheme's
    (`identifiers.vat`), so a scheme may have its own owner."""
    names: set[str] = set()
    for name, value in payload.items():
        f = domain.field(name) if domain.has_field(name) else None
        if f is not None and f in domain.list_fields and isinstance(value, list) and value:
            names |= {slot_policy_field(name, f.kind, e) if isinstance(e, dict) else name for e in value}
        else:
            names.add(name)
    return sorted(names)


# ---- the edit-right policy ------------------------------------------------------------


def check_rights(
    policy: Policy, subjects: tuple[str, ...], domain: Domain, fields: list[str], *, create: bool = False
) -> None:
    """Forbidden, naming each field the caller may not write and who may, unless every
    field (and, to make a new record, `create`) is allowed. Deny by default.

    A source record is written with its system's rights (`system:<code>`); a hub edit
    with the caller's principal and roles."""
    who = subjects[0]
    fields = sorted({domain.policy_field(n) for n in fields})  # a slot (`identifiers.vat.DE`) by its owner's field
    denied = [n for n in fields if domain.is_policy_field(n) and not policy.allows(subjects, domain.name, n, "write")]
    if denied:
        owners = {n: [f"system:{s}" for s in policy.owners(domain.name, n)] for n in denied}
        raise Forbidden(
            f"{who} may not write {', '.join(denied)} of {domain.name}; nothing was written",
            [(n, f"owned by {', '.join(owners[n]) or 'no system'}") for n in denied],
            owners=owners,
        )
    if create and not policy.allows(subjects, domain.name, "*", "create"):
        creators = ", ".join(policy.grantees(domain.name, "*", "create")) or "nobody"
        raise Forbidden(
            f"{who} may not create {domain.name} records (the policy lets {creators}); "
            "no existing record matched, so nothing was written",
            [("body", f"no {domain.name} matches and {who} may not create one")],
        )


def check_source(policy: Policy, system: str, domain: Domain, fields: list[str]) -> list[str]:
    """The policy fields a source record contributes (sends without owning them); Forbidden,
    naming each, when it sends a field the policy refuses its system (a write deny)."""
    names = sorted({n for f in fields if domain.is_policy_field(n := domain.policy_field(f))})
    rights = {n: policy.source_right(system, domain.name, n) for n in names}
    refused = [n for n, right in rights.items() if right == "refuse"]
    if refused:
        owners = {n: [f"system:{s}" for s in policy.owners(domain.name, n)] for n in refused}
        raise Forbidden(
            f"system:{system} may not send {', '.join(refused)} of {domain.name} (the policy refuses it); "
            "nothing was written",
            [(n, f"refused for system:{system}; owned by {', '.join(owners[n]) or 'no system'}") for n in refused],
            owners=owners,
        )
    return [n for n, right in rights.items() if right == "contribute"]


def _system_subjects(system: str) -> tuple[str, ...]:
    return (f"system:{system}",)


# ---- ingestion ------------------------------------------------------------------------


def _key_lock_ids(domain: Domain, item: SourceItem) -> list[int]:
    ids = [repo.lock_id(domain.name, "src", item.system, item.source_id)]
    for key in domain.keys:
        values = key.values(item.payload)
        if values is not None:
            ids.append(repo.lock_id(domain.name, "key", key.fields, values))
    ids += [repo.lock_id(domain.name, "identifier", *link) for link in identifier_links(domain, item.payload)]
    return ids


def find_match(ws: Workspace, domain: Domain, payload: Record) -> tuple[str | None, dict[str, Any] | None]:
    """The golden record a deterministic key or a linking identifier links a source record
    to, and the evidence (keys in the descriptor's order, then identifiers in the record's;
    after `ws.preload_keys` and `ws.preload_identifiers`)."""
    for key in domain.keys:
        values = key.values(payload)
        if values is None:
            continue
        golden_id = ws.key_lookup(domain, key, values)
        if golden_id is not None:
            return golden_id, {"rule": "key", "fields": list(key.fields), "id": golden_id, "score": 1.0}
    for link in identifier_links(domain, payload):
        golden_id = ws.key_lookup(domain, None, link)
        if golden_id is not None:
            scheme, country, value = link
            evidence = {"scheme": scheme, "value": value, **({"country": country} if country else {})}
            return golden_id, {"rule": "identifier", "fields": ["identifiers"], "identifier": evidence,
                               "id": golden_id, "score": 1.0}  # fmt: skip
    return None, None


Scored = tuple[str, float, list[dict[str, Any]]]  # (golden id, score, explanation)


@dataclass(slots=True)
class Found:
    """Where a source record without a live crosswalk goes: an existing golden record
    (`target`, with the evidence), or a new one, perhaps queued for review beside `review`."""

    target: str | None = None
    match: dict[str, Any] | None = None
    review: Scored | None = None


def _find(ws: Workspace, domain: Domain, item: SourceItem) -> Found:
    """Keys first; then a detached source returns to its record; then the fuzzy score
    against the batch's prefetched candidates: at or above `auto_link` it links, at or
    above `review` a new record is made and the pair queued for stewards."""
    target, match = find_match(ws, domain, item.payload)
    if target is not None:
        return Found(target, match)
    x = ws.crosswalks.get((domain.name, item.system, item.source_id))
    if x is not None and x.golden_id in ws.goldens:
        return Found(_live(ws, x.golden_id).id)
    best = ws.fuzzy.best(item.payload) if ws.fuzzy is not None else None
    if best is None:
        return Found()
    rules = ws.fuzzy.rules if ws.fuzzy is not None else RULES[domain.name]
    golden_id, value, explanation = best
    if value >= rules.auto_link:
        evidence = {"rule": "fuzzy", "id": golden_id, "score": value, "rules_version": rules.version,
                    "threshold": rules.auto_link, "explanation": explanation}  # fmt: skip
        return Found(golden_id, evidence)
    if value >= rules.review:
        return Found(review=best)
    return Found()


def _decide(ws: Workspace, domain: Domain, item: SourceItem, golden_id: str, outcome: str, best: Scored) -> None:
    """Keep why a source record was linked by score or queued: rules, threshold, scores."""
    rules = ws.fuzzy.rules if ws.fuzzy is not None else RULES[domain.name]
    candidate_id, value, explanation = best
    ws.decisions.append(
        {
            "domain": domain.name,
            "golden_id": golden_id,
            "system": item.system,
            "source_id": item.source_id,
            "outcome": outcome,
            "candidate_id": candidate_id,
            "score": value,
            "threshold": rules.auto_link if outcome == "linked" else rules.review,
            "rules_version": rules.version,
            "explanation": explanation,
            "at": ws.now,
            "correlation_id": ws.actor.correlation_id,
        }
    )
    if outcome == "pending_review":
        ws.candidates.append(repo.candidate_row(domain, golden_id, candidate_id, value, rules.version, explanation,
                                                status="pending", source="ingest", at=ws.now))  # fmt: skip


def _ref_ids(domain: Domain, items: list[SourceItem]) -> set[str]:
    return {v for it in items for f in domain.references if isinstance(v := it.payload.get(f.name), str)}


def _live(ws: Workspace, golden_id: str) -> GoldenState:
    """The record an id ends at among those loaded (after `_load_following_merges`)."""
    found = follow(golden_id, lambda i: ws.goldens[i].merged_into)
    if found is None:
        raise Conflict(f"merge chain of {golden_id} does not end")
    return ws.goldens[found[0]]


async def _load_following_merges(ws: Workspace, domain: Domain, ids: set[str]) -> None:
    pending = set(ids)
    while pending:
        await ws.load(domain, pending)
        pending = {g.merged_into for i in pending if (g := ws.goldens.get(i)) and g.merged_into} - set(ws.goldens)


async def ingest(
    session: AsyncSession,
    domain: Domain,
    items: list[SourceItem],
    actor: Actor,
    *,
    now: datetime | None = None,
    fuzzy: bool = True,
    releasing: bool = False,
) -> list[dict[str, Any] | MdmError]:
    """Upsert source records: link by crosswalk, then deterministic keys, then (with
    `fuzzy`) by match score, else create, else hold (`_hold_reason`). Then held records that
    share a blocking key with a golden record written here are looked at again (`_release`).

    Answers one result per item, in order: the upsert result, or the error that
    rejected that item alone (the other items still apply).
    """
    ws = Workspace(session, actor, now or utcnow())
    ws.releasing = releasing
    systems = await repo.registered(session, {item.system for item in items})
    results: list[dict[str, Any] | MdmError | None] = [None] * len(items)
    valid: list[int] = []
    denied: list[tuple[SourceItem, Forbidden]] = []
    for i, item in enumerate(items):
        if item.system in systems:  # rights first: a refused write learns nothing about its values
            try:
                item.contributed = check_source(actor.policy, item.system, domain, written(domain, item.payload))
            except Forbidden as exc:
                denied.append((item, exc))
                results[i] = exc
                continue
        item.payload, problems = normalized(domain, item.payload)
        if item.system not in systems:
            problems.insert(0, ("system", f"unknown source system '{item.system}'"))
        if problems:
            results[i] = Invalid(f"{domain.name} source record {item.system}/{item.source_id} is not valid", problems)
            continue
        valid.append(i)
    if denied:  # each refusal is audited under the golden record its source key links to, if any
        rows = await repo.crosswalks_for(session, domain, [(it.system, it.source_id) for it, _ in denied])
        for item, refusal in denied:
            row = rows.get((item.system, item.source_id))
            refusal.record_id = row.golden_id if row is not None and row.ended_at is None else None
            refusal.audited = True
            ws.actor = item.actor or actor
            ws.record_audit("upsert", domain, refusal.record_id or _source_ref(item), _fields(refusal, item), "denied",
                            f"{item.system}/{item.source_id}: {refusal.detail}")  # fmt: skip
    todo = [items[i] for i in valid]
    await repo.advisory_locks(session, [lid for it in todo for lid in _key_lock_ids(domain, it)])
    await ws.load_crosswalks(domain, [(it.system, it.source_id) for it in todo])
    unlinked = [
        it for it in todo if (x := ws.crosswalks.get((domain.name, it.system, it.source_id))) is None or x.ended_at
    ]
    for row in await held_sql.held_rows(session, domain, [(it.system, it.source_id) for it in unlinked]):
        ws.held[(domain.name, row.system, row.source_id)] = row
    await ws.preload_keys(domain, [it.payload for it in unlinked])
    await ws.preload_identifiers(domain, [it.payload for it in unlinked])
    by_key = [find_match(ws, domain, it.payload)[0] for it in unlinked]
    ids = {x.golden_id for x in ws.crosswalks.values() if x.domain == domain.name} | {m for m in by_key if m}
    await _load_following_merges(ws, domain, ids)
    await ws.preload_refs(_ref_ids(domain, todo))
    if fuzzy:
        ws.fuzzy = FuzzyIndex(domain, await versions.in_force(session, domain))
        await ws.fuzzy.prefetch(session, [it.payload for it, m in zip(unlinked, by_key, strict=True) if m is None])
    for i in valid:
        item = items[i]
        ws.actor = item.actor or actor
        key = (domain.name, item.system, item.source_id)
        x = ws.crosswalks.get(key)
        linked = x is not None and x.ended_at is None and x.golden_id in ws.goldens
        touched = [_live(ws, x.golden_id).id] if x and x.golden_id in ws.goldens else []
        found = None if linked else _find(ws, domain, item)
        touched += [found.target] if found and found.target else []
        snap = ws.snapshot(touched, [key])
        try:
            results[i] = result = await _apply(ws, domain, item, found=found)
            if result["outcome"] != "held" and key in ws.held:
                ws.unheld.add(key)  # it joined or became a golden record: no longer held
        except MdmError as exc:
            ws.restore(snap)
            outcome = "denied" if isinstance(exc, Forbidden) else "rejected"
            exc.record_id = exc.record_id or (touched[0] if touched else None)
            exc.audited = True
            ws.record_audit("upsert", domain, exc.record_id or _source_ref(item), _fields(exc, item), outcome,
                            f"{item.system}/{item.source_id}: {exc.detail}")  # fmt: skip
            results[i] = exc
    if fuzzy and not releasing:
        await _second_chance(ws, domain, items, results)
    await ws.flush()
    if fuzzy and not releasing and ws.reindexed.get(domain.name):
        await _release(session, domain, ws.reindexed[domain.name], {(it.system, it.source_id) for it in todo}, actor)
    return [r for r in results if r is not None]


async def _second_chance(
    ws: Workspace, domain: Domain, items: list[SourceItem], results: list[dict[str, Any] | MdmError | None]
) -> None:
    """An item this batch held is matched once more against what the rest of the batch made:
    a nameless account that came before the named one it matches joins it, and is answered
    so, instead of waiting for a write of its own (`_release` looks only at records held
    before this batch)."""
    for i, item in enumerate(items):
        result = results[i]
        key = (domain.name, item.system, item.source_id)
        if not isinstance(result, dict) or result["outcome"] != "held" or key not in ws.holding:
            continue
        found = _find(ws, domain, item)
        if found.target is None:
            continue
        ws.actor = item.actor or ws.actor
        snap = ws.snapshot([found.target], [key])
        held = ws.holding.pop(key)
        try:
            results[i] = await _apply(ws, domain, item, found=found)
        except MdmError:
            ws.restore(snap)
            ws.holding[key] = held
            continue
        if key in ws.held:
            ws.unheld.add(key)


RELEASE_MAX = 100  # held records looked at again after one write (the oldest first)


async def _release(
    session: AsyncSession, domain: Domain, keys: set[str], written_keys: set[tuple[str, str]], actor: Actor
) -> None:
    """Held records sharing a blocking key with golden records just written are matched
    again: one that now links (the owner's record arrived, an identifier now matches) joins
    its record, under its own system's name; the rest stay held as they were. A held record
    another writer holds the lock of is left for the next write."""
    items = []
    for row in await held_sql.held_by_keys(session, domain, sorted(keys), RELEASE_MAX):
        if (row.system, row.source_id) in written_keys:
            continue
        own = Actor(f"system:{row.system}", actor.correlation_id, actor.policy)
        item = SourceItem(row.system, row.source_id, dict(row.payload), actor=own)
        if await held_sql.try_locks(session, _key_lock_ids(domain, item)):
            items.append(item)
    if items:
        await ingest(session, domain, items, actor, releasing=True)


def _fields(exc: MdmError, item: SourceItem) -> list[str]:
    """The fields an audit row of a refused item names: those refused, else all it sent."""
    return [name for name, _ in exc.errors] or sorted(item.payload)


def _source_ref(item: SourceItem) -> str:
    """What an audit row names when no golden record is known: the source key (40 characters)."""
    return f"{item.system}/{item.source_id}"[:40]


async def _apply(
    ws: Workspace, domain: Domain, item: SourceItem, *, force_new: bool = False, found: Found | None = None
) -> dict[str, Any]:
    key = (domain.name, item.system, item.source_id)
    if problems := await ws.merged_refs(domain, item.payload):
        where = f"{domain.name} source record {item.system}/{item.source_id}"
        raise Invalid(f"{where} names a merged-away record", problems)
    x = ws.crosswalks.get(key)
    src = ws.sources.get(key)
    outcome: str | None = None
    match: dict[str, Any] | None = None
    if x is not None and x.ended_at is None and x.golden_id in ws.goldens:
        g = _live(ws, x.golden_id)
    else:
        if found is None:  # a record authored in the hub: keys only
            target, match = find_match(ws, domain, item.payload)
            found = Found(target, match)
        target, match = found.target, found.match
        if force_new and target and match:  # a record authored in the hub may not duplicate a key
            names = " and ".join(match["fields"])
            raise Conflict(
                f"{domain.name} {target} already has this {names}",
                [(match["fields"][0], f"{names} already used by {target}")],
            )
        if target is None and x is not None and x.golden_id in ws.goldens:
            target = _live(ws, x.golden_id).id  # a detached source came back: same record
        if target is not None:
            await _load_following_merges(ws, domain, {target})
            g, outcome = _live(ws, target), "linked"
        else:
            if not force_new and (reason := _hold_reason(ws, domain, item, found)) is not None:
                return _hold(ws, domain, item, found, *reason)
            steward = force_new or ws.steward_creates
            subjects = ws.actor.subjects if steward else _system_subjects(item.system)
            check_rights(ws.actor.policy, subjects, domain, [], create=True)
            g = ws.new_golden(domain, item.source_id if force_new else None)
            outcome = "pending_review" if found.review else "created"
        if x is None:
            ws.crosswalks[key] = CrosswalkState(domain.name, item.system, item.source_id, g.id, ws.now, None, new=True)
        else:
            x.golden_id, x.ended_at, x.dirty = g.id, None, True
    payload = _payload(ws, domain, item)
    digest = payload_hash(payload)
    if outcome is None and src is not None and src.payload_hash == digest and src.ended_at is None:
        return {"id": g.id, "outcome": "unchanged", "version": g.version, "match": None,
                "contributed": item.contributed or []}  # fmt: skip
    if src is None:
        ws.sources[key] = SourceState(
            domain.name,
            item.system,
            item.source_id,
            g.id,
            payload,
            digest,
            ws.now,
            ws.actor.correlation_id,
            None,
            new=True,
        )
    else:
        src.golden_id, src.payload, src.payload_hash = g.id, payload, digest
        src.received_at, src.correlation_id, src.ended_at, src.dirty = ws.now, ws.actor.correlation_id, None, True
    g.source_keys.add((item.system, item.source_id))
    was_new = g.version == 0
    changed = ws.recompute(g)
    if changed or was_new:
        await validate(ws, g, changed)
        ws.commit_version(g, "create" if was_new else "ingest")
    outcome = outcome or ("updated" if changed else "unchanged")
    if found is not None and found.review is not None:
        _decide(ws, domain, item, g.id, "pending_review", found.review)
        match = {"rule": "fuzzy", "id": found.review[0], "score": found.review[1], "review": True}
    elif match is not None and match.get("rule") == "fuzzy":
        _decide(ws, domain, item, g.id, "linked", (match["id"], match["score"], match["explanation"]))
    if ws.fuzzy is not None and (changed or was_new):
        ws.fuzzy.add(g.id, ws.match_records(g), payload, new=was_new)  # later items of this batch may match it
    ws.record_audit("create" if force_new else "upsert", domain, g.id, sorted(item.payload), outcome)
    return {"id": g.id, "outcome": outcome, "version": g.version, "match": match, "contributed": item.contributed or []}


def _payload(ws: Workspace, domain: Domain, item: SourceItem) -> Record:
    """The whole source record an item makes: as sent, or an older contract's made whole
    from what the source sent last (its source record, or its held record)."""
    if item.merge is None:
        return item.payload
    key = (domain.name, item.system, item.source_id)
    src, held = ws.sources.get(key), ws.held.get(key)
    last = src.payload if src is not None else dict(held.payload) if held is not None else None
    return normalized(domain, item.merge(last))[0]  # kept parts are normalized already; the merged ones become so


# ---- held source records --------------------------------------------------------------


def _hold_reason(ws: Workspace, domain: Domain, item: SourceItem, found: Found) -> tuple[str, str] | None:
    """Why a source record that links to nothing cannot become a golden record, if it
    cannot: its system may not create one (whether or not it scored in the review band),
    or it lacks a required field. A release pass never creates."""
    if ws.steward_creates:
        return None
    if not ws.actor.policy.allows(_system_subjects(item.system), domain.name, "*", "create") or ws.releasing:
        if found.review is not None:
            candidate, score, _ = found.review
            rules = ws.fuzzy.rules if ws.fuzzy is not None else RULES[domain.name]
            return "review_without_create", (
                f"it scored {score:.2f} against {candidate}, below auto-link ({rules.auto_link}), and "
                f"{item.system} may not create {domain.name} records"
            )
        return "no_create_right", f"no {domain.name} matched it and {item.system} may not create {domain.name} records"
    missing = [f.name for f in domain.fields if f.required and _payload(ws, domain, item).get(f.name) is None]
    if missing:
        return "incomplete", f"it lacks {', '.join(missing)} and matched no {domain.name} record to join"
    return None


def _hold(ws: Workspace, domain: Domain, item: SourceItem, found: Found, reason: str, detail: str) -> dict[str, Any]:
    """Keep a source record that can neither join nor become a golden record, whole, with
    why and its best candidate: stewards see it, resolve says so, a later write may release it
    or, where it now scores in the review band, show it with that candidate."""
    key = (domain.name, item.system, item.source_id)
    payload = _payload(ws, domain, item)
    digest = payload_hash(payload)
    candidates = [{"id": found.review[0], "score": round(found.review[1], 4)}] if found.review else []
    answer = {"id": None, "outcome": "held", "version": None, "match": None, "contributed": item.contributed or [],
              "system": item.system, "source_id": item.source_id,
              "held": {"reason": reason, "detail": detail, "candidates": candidates}}  # fmt: skip
    before = ws.held.get(key)
    if ws.releasing and before is not None and list(before.candidates or ()) != candidates:
        # looked at again, it has a candidate it had not: shown with it, held as it was
        row = {k: v for k, v in before._asdict().items() if k != "domain"} | {"candidates": candidates}
        ws.reshown[key] = (row, blocking_keys_of(domain.blocking, [payload]))
        return answer
    if ws.releasing or (before is not None and (before.payload_hash, before.reason) == (digest, reason)):
        return answer  # held as it was: nothing new to keep or audit
    row = {"system": item.system, "source_id": item.source_id, "payload": payload, "payload_hash": digest,
           "reason": reason, "detail": detail, "candidates": candidates, "received_at": ws.now,
           "correlation_id": ws.actor.correlation_id}  # fmt: skip
    ws.holding[key] = (row, blocking_keys_of(domain.blocking, [payload]))
    ws.record_audit("upsert", domain, _source_ref(item), sorted(payload), "held",
                    f"{item.system}/{item.source_id}: held, {detail}")  # fmt: skip
    return answer


async def _held_item(session: AsyncSession, ws: Workspace, domain: Domain, system: str, source_id: str) -> SourceItem:
    """A held record, locked and loaded into the workspace, as an item to apply."""
    item = SourceItem(system, source_id, {})
    await repo.advisory_locks(session, [repo.lock_id(domain.name, "src", system, source_id)])
    rows = await held_sql.held_rows(session, domain, [(system, source_id)])
    if not rows:
        raise NotFound(f"no held {domain.name} source record {system}/{source_id}")
    item.payload = dict(rows[0].payload)
    ws.held[(domain.name, system, source_id)] = rows[0]
    await repo.advisory_locks(session, _key_lock_ids(domain, item))
    await ws.load_crosswalks(domain, [(system, source_id)])
    await ws.preload_keys(domain, [item.payload])
    await ws.preload_identifiers(domain, [item.payload])
    await ws.preload_refs(_ref_ids(domain, [item]))
    return item


async def link_held(
    session: AsyncSession, domain: Domain, system: str, source_id: str, golden_id: str, actor: Actor
) -> dict[str, Any]:
    """A steward joins a held record to a golden record: it links as if it had matched."""
    if not actor.policy.allows(actor.subjects, domain.name, "*", "merge"):
        raise Forbidden(f"{actor.principal} may not decide {domain.name} matches", [("body", "needs the merge right")])
    ws = Workspace(session, actor, utcnow())
    item = await _held_item(session, ws, domain, system, source_id)
    row, _ = await follow_merges(session, domain, golden_id)
    match = {"rule": "steward", "id": row.id, "by": actor.principal, "score": 1.0}
    result = await _apply(ws, domain, item, found=Found(row.id, match))
    ws.unheld.add((domain.name, system, source_id))
    await ws.flush()
    return result


async def create_from_held(
    session: AsyncSession, domain: Domain, system: str, source_id: str, actor: Actor
) -> dict[str, Any]:
    """A steward makes a golden record of a held one (the steward's create right decides)."""
    check_rights(actor.policy, actor.subjects, domain, [], create=True)
    ws = Workspace(session, actor, utcnow())
    ws.steward_creates = True
    item = await _held_item(session, ws, domain, system, source_id)
    result = await _apply(ws, domain, item, found=Found())
    ws.unheld.add((domain.name, system, source_id))
    await ws.flush()
    return result


async def held_problem(session: AsyncSession, domain: Domain, system: str, source_id: str) -> MdmError | None:
    """What resolve answers for a held source key: that it is held, and why."""
    rows = await held_sql.held_rows(session, domain, [(system, source_id)])
    if not rows:
        return None
    row = rows[0]
    return Held(f"{domain.name} source record {system}/{source_id} is held: {row.detail}; a steward links it "
                "or makes a record of it, or a later write that makes it match links it",
                [("source_id", f"held ({row.reason})")])  # fmt: skip


async def create(session: AsyncSession, domain: Domain, payload: Record, actor: Actor) -> Record:
    """A golden record authored in the hub: the hub is its first source."""
    ws = Workspace(session, actor, utcnow())
    check_rights(actor.policy, actor.subjects, domain, written(domain, payload), create=True)
    payload, problems = normalized(domain, payload)
    if problems:
        raise Invalid(f"{domain.name} is not valid", problems)
    golden_id = domain.new_id()
    item = SourceItem(HUB_SYSTEM, golden_id, payload)
    await repo.advisory_locks(session, _key_lock_ids(domain, item))
    await ws.preload_keys(domain, [payload])
    await ws.preload_identifiers(domain, [payload])
    result = await _apply(ws, domain, item, force_new=True)
    g = ws.goldens[result["id"]]
    await ws.flush()
    return g.read_view()


# ---- steward edits and detach ---------------------------------------------------------


async def _load_one(ws: Workspace, domain: Domain, golden_id: str) -> GoldenState:
    await ws.load(domain, {golden_id})
    g = ws.goldens.get(golden_id)
    if g is None or g.domain is not domain:
        raise NotFound(f"no {domain.name} with id {golden_id}")
    if g.merged_into:
        raise Conflict(f"{domain.name} {golden_id} was merged into {g.merged_into}; write to the survivor")
    return g


async def patch(
    session: AsyncSession,
    domain: Domain,
    golden_id: str,
    changes: Record,
    cleared: list[str],
    expected_version: int | None,
    actor: Actor,
    convert: Callable[[Record, list[str], Record], tuple[Record, list[str]]] | None = None,
) -> Record:
    """A steward edit: each set field becomes an override (of a list field, each slot it
    changes); `cleared` overrides are dropped (a list field's name drops its slots').

    `expected_version` is the version the steward edited; None takes any. `convert` makes
    an older contract's changes and cleared names canonical against the record's values."""
    ws = Workspace(session, actor, utcnow())
    g = await _load_one(ws, domain, golden_id)
    if convert is not None:
        changes, cleared = convert(changes, cleared, g.values)
    check_rights(actor.policy, actor.subjects, domain, sorted(set(written(domain, changes)) | set(cleared)))
    set_values, problems = normalized(domain, {k: v for k, v in changes.items() if v is not None})
    changes = {**changes, **set_values}
    problems += [
        ("overrides_cleared", f"'{n}' is not a field of {domain.name}")
        for n in cleared
        if not domain.has_field(n.split(".")[0])
        or ("." in n and domain.field(n.split(".")[0]) not in domain.list_fields)
    ]
    problems += [
        (n, "is required and cannot be set to null")
        for n, v in changes.items()
        if v is None and domain.has_field(n) and domain.field(n).required
    ]
    if problems:
        raise Invalid(f"{domain.name} edit is not valid", problems)
    # the precondition after the request's own checks (RFC 9110 13.2.1): an edit that could
    # never apply is a 422 whatever version it names
    if expected_version is not None and g.version != expected_version:
        detail = f"{domain.name} {golden_id} is at version {g.version}, not {expected_version}"
        raise PreconditionFailed(detail, current_version=g.version)
    if problems := await ws.merged_refs(domain, changes):
        raise Invalid(f"{domain.name} edit names a merged-away record", problems)
    before = dict(g.overrides)
    for name, value in _overrides_of(domain, g.values, changes).items():
        if name not in g.overrides or g.overrides[name]["value"] != value:  # re-sending a value changes nothing
            g.overrides[name] = {"value": value, "by": actor.principal, "at": ws.now.isoformat()}
    for name in cleared:  # a list field's name clears its slots too
        for key in [k for k in g.overrides if k == name or k.startswith(f"{name}.")]:
            g.overrides.pop(key)
    changed = ws.recompute(g)
    outcome = "unchanged"
    if changed or before != g.overrides:
        await validate(ws, g, changed)
        ws.commit_version(g, "patch")
        outcome = "updated"
    ws.record_audit("patch", domain, g.id, sorted(set(changes) | set(cleared)), outcome)
    await ws.flush()
    return g.read_view()


def _overrides_of(domain: Domain, current: Record, changes: Record) -> Record:
    """The overrides an edit sets: a field's value, or a list field's changed slots (the
    slots it leaves alone go on following their sources)."""
    out: Record = {}
    for name, value in changes.items():
        f = domain.field(name) if domain.has_field(name) else None
        if f is not None and f in domain.list_fields:
            out |= changed_slots(name, f.kind, current.get(name), value)
        else:
            out[name] = value
    return out


async def detach(session: AsyncSession, domain: Domain, system: str, source_id: str, actor: Actor) -> Record:
    """The source dropped its record: its crosswalk ends, the golden record stays and is recomputed."""
    ws = Workspace(session, actor, utcnow())
    await repo.advisory_locks(session, [repo.lock_id(domain.name, "src", system, source_id)])
    key = (domain.name, system, source_id)
    await ws.load_crosswalks(domain, [(system, source_id)])
    x = ws.crosswalks.get(key)
    if x is None or x.ended_at is not None:
        raise NotFound(f"no active {domain.name} source record {system}/{source_id}")
    await _load_following_merges(ws, domain, {x.golden_id})
    g = _live(ws, x.golden_id)
    x.ended_at, x.dirty = ws.now, True
    src = ws.sources[key]
    src.ended_at, src.dirty = ws.now, True
    g.source_keys.discard((system, source_id))
    if g.source_keys or g.overrides:
        if ws.recompute(g):
            ws.commit_version(g, "detach")
    else:  # the last source left: the record keeps its values, and lineage says they are retained
        for entry in g.lineage.values():
            if (entry.get("system"), entry.get("source_id")) == (system, source_id):
                entry["rule"] = "retained"
        g.dirty = True
    ws.record_audit("detach", domain, g.id, [], "detached")
    await ws.flush()
    return {"id": g.id, "system": system, "source_id": source_id, "ended_at": ws.now, "version": g.version}


# ---- reads ----------------------------------------------------------------------------


def view_of_row(domain: Domain, row: Any) -> Record:
    """A stored golden row as the API shows it: GoldenState.read_view's answer, made
    without the lineage (a read of many records need not select nor decode it)."""
    return view_of(domain, row._mapping)


def view_of(domain: Domain, m: Mapping[str, Any]) -> Record:
    """`view_of_row` of a row's columns by name (a SQLAlchemy row's mapping, a raw driver's record)."""
    view: Record = {"id": m["id"], "version": m["version"], "created_at": m["created_at"].isoformat(),
                    "updated_at": m["updated_at"].isoformat()}  # fmt: skip
    view.update(values_of(domain, m))
    view["overrides"] = sorted(m["overrides"] or {})
    return view


async def follow_merges(session: AsyncSession, domain: Domain, golden_id: str) -> tuple[Any, list[str]]:
    """The live row an id ends at, and the merged-away ids passed on the way."""
    row = await repo.golden_row(session, domain, golden_id)
    if row is None:
        raise NotFound(f"no {domain.name} with id {golden_id}")

    async def survivor(survivor_id: str) -> Any:
        found = await repo.golden_row(session, domain, survivor_id)
        if found is None:
            raise NotFound(f"survivor of {golden_id} is missing")
        return found

    end = await follow_rows(row, survivor, merged_into=lambda r: r.merged_into, id_of=lambda r: r.id)
    if end is None:
        raise Conflict(f"merge chain of {golden_id} does not end")
    return end


def as_utc(value: datetime | None, field: str) -> datetime | None:
    """Query instants in UTC; one without an offset is taken as UTC."""
    if value is None:
        return None
    try:
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError as exc:
        raise Invalid(f"{field} is out of range", [(field, "is not a representable instant")]) from exc


async def get(session: AsyncSession, domain: Domain, golden_id: str, as_of: datetime | None = None) -> Record:
    row, passed = await follow_merges(session, domain, golden_id)
    if passed:
        raise Moved(row.id, passed)
    as_of = as_utc(as_of, "as_of")
    if as_of is None:
        return view_of_row(domain, row)
    past = await repo.version_as_of(session, domain, golden_id, as_of)
    if past is None:
        raise NotFound(f"{domain.name} {golden_id} did not exist at {as_of.isoformat()}")
    return dict(past.data)


async def list_page(
    session: AsyncSession,
    domain: Domain,
    *,
    limit: int,
    after_id: str | None,
    q: str | None,
    status: str | None,
    updated_since: datetime | None,
    readable: frozenset[str],
    equals: dict[str, Any] | None = None,
    identifier: Record | None = None,
) -> tuple[list[Record], bool]:
    """One page of up to `limit` records after `after_id`, and whether more follow;
    `q` searches only the searchable fields the caller may read; `equals` and `identifier`
    (see `list_filters`) narrow it further."""
    updated_since = as_utc(updated_since, "updated_since")
    link = list_filters(domain, status, equals, identifier, readable)
    rows = await repo.list_goldens(
        session,
        domain,
        limit=limit + 1,
        after_id=after_id,
        q=q,
        status=status,
        updated_since=updated_since,
        readable=readable,
        equals=equals,
        identifier=link,
    )
    return [view_of_row(domain, r) for r in rows[:limit]], len(rows) > limit


def list_filters(
    domain: Domain, status: str | None, equals: Record | None, identifier: Record | None, readable: frozenset[str]
) -> tuple[str, str, str] | None:
    """Checks a list's filters: each names a field the caller may read (filtering on another
    would reveal it), and an identifier is one the hub indexes. Answers the identifier's
    (scheme, country, value) as stored."""
    named = [*(["status"] if status else []), *(equals or {}), *(["identifiers"] if identifier else [])]
    hidden = [n for n in named if n not in readable]
    if hidden:
        raise Forbidden(f"{', '.join(hidden)} of {domain.name} is not readable by this caller",
                        [(n, "not readable") for n in hidden])  # fmt: skip
    if identifier is None:
        return None
    try:
        element = normalize_identifier(identifier, identifier.get("country"))
    except BadIdentifier as exc:
        raise Invalid("the identifier filter is not valid", [(f"identifier.{exc.part}", str(exc))]) from None
    link = link_keys(element)
    if link is None:
        raise Invalid("the identifier filter is not valid",
                      [("identifier.scheme", f"{identifier.get('scheme')} identifiers are not indexed; filter on "
                        "vat, ein, duns, lei, abn, gst, registration")])  # fmt: skip
    return link


async def history(session: AsyncSession, domain: Domain, golden_id: str) -> list[Record]:
    await _existing(session, domain, golden_id)
    return [
        {
            "version": r.version,
            "changed_at": r.changed_at,
            "action": r.action,
            "principal": r.principal,
            "correlation_id": r.correlation_id,
            "data": r.data,
        }
        for r in await repo.history(session, domain, golden_id)
    ]


async def _existing(session: AsyncSession, domain: Domain, golden_id: str) -> Any:
    row = await repo.golden_row(session, domain, golden_id)
    if row is None:
        raise NotFound(f"no {domain.name} with id {golden_id}")
    return row


async def lineage(session: AsyncSession, domain: Domain, golden_id: str, policy: Policy) -> list[Record]:
    """Per field (per slot of a list field): the value, the source and rule that chose it,
    and what other sources contributed without owning the field (not authoritative)."""
    row, passed = await follow_merges(session, domain, golden_id)
    if passed:
        raise Moved(row.id, passed)
    return lineage_of(domain, row, await repo.sources_of(session, domain, [row.id]), policy)


def lineage_of(domain: Domain, row: Any, sources: list[Any], policy: Policy) -> list[Record]:
    """`lineage` of a golden row, given its source records (ended ones are left out)."""
    view = view_of_row(domain, row)
    stored = row.lineage or {}
    live = [r for r in sources if r.ended_at is None]
    offered = _contributions(domain, live, policy.owners_of(domain.name))
    out = []
    for f in domain.fields:
        if f in domain.list_fields:  # per slot (`identifiers.vat.DE`), or the whole list's override
            for element in view.get(f.name) or ():
                name = f"{f.name}.{slot(f.kind, element)}"
                entry = stored.get(f.name) or stored.get(name) or {"rule": "none"}
                out.append(_lineage_entry(name, element, entry, offered.get(name, [])))
            continue
        entry = stored.get(f.name) or {"rule": "none"}
        out.append(_lineage_entry(f.name, view.get(f.name), entry, offered.get(f.name, [])))
    return out


def _contributions(domain: Domain, sources: list[Any], owners: dict[str, tuple[str, ...]]) -> dict[str, list[Record]]:
    """Per field (per slot): the values live sources sent without owning them, newest first."""
    out: dict[str, list[Record]] = {}
    for r in sorted(sources, key=lambda r: r.received_at, reverse=True):
        for f in domain.fields:
            value = r.payload.get(f.name)
            if value is None:
                continue
            offers = [(f"{f.name}.{slot(f.kind, e)}", slot_policy_field(f.name, f.kind, e), e) for e in value] \
                if f in domain.list_fields else [(f.name, f.name, value)]  # fmt: skip
            for name, policy_field, offered in offers:
                if contributes(r.system, policy_field, owners):
                    out.setdefault(name, []).append(
                        {"system": r.system, "source_id": r.source_id, "value": offered, "at": r.received_at}
                    )
    return out


def _lineage_entry(name: str, value: Any, entry: dict[str, Any], offered: list[Record]) -> Record:
    chosen = (entry.get("system"), entry.get("source_id"))
    return {
        "field": name,
        "value": value,
        "rule": entry.get("rule", "none"),
        "system": entry.get("system"),
        "source_id": entry.get("source_id"),
        "by": entry.get("by"),
        "at": entry.get("at"),
        "merged_from": entry.get("merged_from"),
        "contributed": [c for c in offered if (c["system"], c["source_id"]) != chosen],
    }


async def crosswalks(session: AsyncSession, domain: Domain, golden_id: str) -> list[Record]:
    await _existing(session, domain, golden_id)
    return [
        {
            "system": r.system,
            "source_id": r.source_id,
            "id": r.golden_id,
            "created_at": r.created_at,
            "ended_at": r.ended_at,
        }
        for r in await repo.crosswalks_of(session, domain, golden_id)
    ]


async def translate(session: AsyncSession, domain: Domain, golden_id: str, system: str) -> Record:
    row, _ = await follow_merges(session, domain, golden_id)
    ids = [
        r.source_id for r in await repo.crosswalks_of(session, domain, row.id) if r.system == system and not r.ended_at
    ]
    if not ids:
        raise NotFound(f"{domain.name} {row.id} has no active source record in {system}")
    return {"id": row.id, "system": system, "source_ids": ids}


def decode_payload(domain: Domain, raw: Any, version: str | None = None) -> Record:
    """A raw dict (a file's row, demo data) as the domain's source contract (the canonical
    model's unless a version is named): validated, then builtins with nulls dropped.
    Request bodies arrive validated; the API drops their nulls itself."""
    contract = domain.source if version is None else domain.contract(version).source
    try:
        struct: msgspec.Struct = msgspec.convert(raw, contract, strict=False)
    except msgspec.ValidationError as exc:
        raise Invalid.from_validation(f"{domain.name} record is not valid", exc) from exc
    return drop_nulls(msgspec.to_builtins(struct))
