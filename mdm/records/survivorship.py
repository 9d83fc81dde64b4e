"""Survivorship: which source's value each golden field takes, and why. Pure functions.

Order: a steward override wins until cleared; then the field's owners in priority
order (most recent within one owner); then the most recent source that has a value;
else the domain default for `status`, else nothing. The owners come from the edit-right
policy (`Policy.owners_of`): the systems allowed to write a field, in the policy's order.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mdm.domains import Domain


@dataclass(slots=True)
class SourceView:
    system: str
    source_id: str
    received_at: datetime
    payload: dict[str, Any]


def survive(
    domain: Domain,
    sources: list[SourceView],
    overrides: dict[str, dict[str, Any]],
    owners: dict[str, tuple[str, ...]],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Golden values and per-field lineage from the live sources and overrides."""
    newest_first = sorted(sources, key=lambda s: (s.received_at, s.system, s.source_id), reverse=True)
    values: dict[str, Any] = {}
    lineage: dict[str, dict[str, Any]] = {}
    for f in domain.fields:
        if f.name in overrides:
            o = overrides[f.name]
            values[f.name] = o["value"]
            lineage[f.name] = {
                "rule": "override",
                "system": None,
                "source_id": None,
                "by": o.get("by"),
                "at": o.get("at"),
            }
            continue
        having = [s for s in newest_first if f.name in s.payload]
        chosen, rule = None, "none"
        ranked = owners.get(f.name, ())
        owned = [s for s in having if s.system in ranked]
        if owned:
            chosen, rule = min(owned, key=lambda s: ranked.index(s.system)), "owner_priority"
        elif having:
            chosen, rule = having[0], "most_recent"
        if chosen is not None:
            values[f.name] = chosen.payload[f.name]
            lineage[f.name] = {
                "rule": rule,
                "system": chosen.system,
                "source_id": chosen.source_id,
                "at": chosen.received_at.isoformat(),
            }
        elif f.name == "status":
            values[f.name] = domain.status_default
            lineage[f.name] = {"rule": "default", "system": None, "source_id": None, "at": None}
        else:
            values[f.name] = None
    return values, lineage
