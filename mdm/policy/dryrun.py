"""A proposed policy's blast radius, before anyone adopts it.

Two questions, answered from what the hub already keeps:
- which writes of the last N days (the audit log, with each caller's roles) the proposed
  policy would have denied;
- which golden field values survivorship would change, because a field's owner priority
  differs: every live record of an affected domain is recomputed from its stored source
  records and overrides, with the proposed owners, and compared with what it holds.
Nothing is written.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mdm.auth.actor import Actor
from mdm.db import repository as repo
from mdm.domains import BY_NAME, DOMAINS, Domain
from mdm.policy.rules import Policy, subjects_of
from mdm.records.survivorship import survive
from mdm.records.workspace import Workspace

PAGE = 500


def denied_writes(rows: list[Any], proposed: Policy) -> list[dict[str, Any]]:
    """The audited writes the proposed policy would refuse, newest first."""
    denied = []
    for row in rows:
        domain = BY_NAME.get(row.domain or "")
        if domain is None:
            continue
        subjects = subjects_of(row.principal, tuple(row.roles or ()))
        fields = [n for n in row.fields or () if domain.has_field(n)]
        if row.principal.startswith("system:"):  # a source's record: only a deny refuses, the rest contributes
            system = row.principal.removeprefix("system:")
            refused = [n for n in fields if proposed.source_right(system, domain.name, n) == "refuse"]
        else:
            refused = [n for n in fields if not proposed.allows(subjects, domain.name, n, "write")]
        makes_record = row.action == "create" or row.outcome == "created"
        create = makes_record and not proposed.allows(subjects, domain.name, "*", "create")
        if refused or create:
            denied.append(
                {
                    "audit_id": row.id,
                    "at": row.at,
                    "principal": row.principal,
                    "action": row.action,
                    "domain": row.domain,
                    "record_id": row.record_id,
                    "fields": refused,
                    "create": create,
                }
            )
    return denied


def owner_changes(current: Policy, proposed: Policy) -> list[dict[str, Any]]:
    return [
        {"domain": d.name, "field": f.name, "current": list(old), "proposed": list(new)}
        for d in DOMAINS
        for f in d.fields
        if (old := current.owners(d.name, f.name)) != (new := proposed.owners(d.name, f.name))
    ]


async def pages(
    session: AsyncSession, domain: Domain, actor: Actor, *, lock: bool
) -> AsyncIterator[tuple[Workspace, list[str]]]:
    """Every live golden record of a domain with its sources, PAGE records at a time."""
    after: str | None = None
    while ids := await repo.live_ids_page(session, domain, after, PAGE):
        after = ids[-1]
        ws = Workspace(session, actor, datetime.now(UTC))
        await ws.load(domain, set(ids), lock=lock)
        yield ws, ids


async def value_changes(
    session: AsyncSession, current: Policy, proposed: Policy, changes: list[dict[str, Any]], readable: Any
) -> tuple[int, list[dict[str, Any]]]:
    """(records examined, each golden field value the proposed owners would change)."""
    examined, found = 0, []
    actor = Actor("system:mdm-dry-run", None, current)
    for domain in DOMAINS:
        fields = [c["field"] for c in changes if c["domain"] == domain.name]
        if not fields:
            continue
        owners, fills = proposed.owners_of(domain.name), proposed.fills_of(domain.name)
        visible = readable(domain.name)
        async for ws, ids in pages(session, domain, actor, lock=False):
            for golden_id in ids:
                g = ws.goldens[golden_id]
                examined += 1
                if not g.source_keys:  # retained values: no owner to change them
                    continue
                values, lineage = survive(domain, ws.source_views(g), g.overrides, owners, fills)
                for name in fields:
                    if values.get(name) == g.values.get(name):
                        continue
                    change: dict[str, Any] = {
                        "domain": domain.name,
                        "id": golden_id,
                        "field": name,
                        "current_system": (g.lineage.get(name) or {}).get("system"),
                        "proposed_system": (lineage.get(name) or {}).get("system"),
                    }
                    if name in visible:
                        change["current_value"], change["proposed_value"] = g.values.get(name), values.get(name)
                    else:
                        change["hidden"] = True
                    found.append(change)
    return examined, found


async def dry_run(
    session: AsyncSession,
    current: Policy,
    proposed: Policy,
    *,
    days: int,
    limit: int,
    viewer: tuple[str, ...],
) -> dict[str, Any]:
    rows = await repo.accepted_writes(session, datetime.now(UTC) - timedelta(days=days))
    denied = denied_writes(rows, proposed)
    changes = owner_changes(current, proposed)
    examined, values = await value_changes(session, current, proposed, changes, lambda d: current.readable(viewer, d))
    counts: dict[tuple[str, str], int] = {}
    for v in values:
        counts[(v["domain"], v["field"])] = counts.get((v["domain"], v["field"]), 0) + 1
    return {
        "current_version": current.version,
        "days": days,
        "writes_examined": len(rows),
        "denied_total": len(denied),
        "denied": denied[:limit],
        "owner_changes": changes,
        "records_examined": examined,
        "value_changes_total": len(values),
        "value_changes_by_field": [{"domain": d, "field": f, "records": n} for (d, f), n in sorted(counts.items())],
        "value_changes": values[:limit],
        "outcome": "has_effect" if denied or values else "no_effect",
    }
