"""Survivorship: which source's value each golden field takes, and why. Pure functions.

Order: a steward override wins until cleared; then the field's owners in priority
order (most recent within one owner); then the hub's own source (a record authored in the
hub); then the most recent contributed value (a system that sent a field it does not own)
that the policy lets fill the gap (`Policy.fills`); else the domain default for `status`,
else nothing. The owners come from the edit-right policy (`Policy.owners_of`): the systems
allowed to write a field, in the policy's order.

A list field (identifiers, phones, addresses) survives per slot: each (scheme, country) or
kind is chosen so, from its own owners (`identifiers.vat` may be the ERP's, `identifiers.duns`
the CRM's); its lineage is kept per slot (`identifiers.vat.DE`). A steward overrides a slot
(`identifiers.vat.DE`: an element, or None to leave the slot empty) or, from older data, the
whole list (`identifiers`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mdm.domains import Domain, Field
from mdm.domains.identifiers import slot, slot_order, slot_policy_field

HUB_SYSTEM = "mdm"  # records authored in the hub are the hub's own source records

Fills = Callable[[str, str], bool]  # (system, policy field): may its contributed value fill a gap?


def _always(system: str, field: str) -> bool:
    return True


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
    fills: Fills = _always,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Golden values and per-field lineage from the live sources and overrides."""
    newest_first = sorted(sources, key=lambda s: (s.received_at, s.system, s.source_id), reverse=True)
    values: dict[str, Any] = {}
    lineage: dict[str, dict[str, Any]] = {}
    for f in domain.fields:
        if f.name in overrides:
            values[f.name] = overrides[f.name]["value"]
            lineage[f.name] = _overridden(overrides[f.name])
            continue
        if f.kind in ("identifiers", "phones", "addresses"):
            values[f.name] = _slots(f, newest_first, owners, fills, lineage, overrides)
            continue
        having = [s for s in newest_first if f.name in s.payload]
        chosen, rule = _choose(having, f.name, owners, fills)
        if chosen is not None:
            values[f.name] = chosen.payload[f.name]
            lineage[f.name] = _entry(chosen, rule)
        elif f.name == "status":
            values[f.name] = domain.status_default
            lineage[f.name] = {"rule": "default", "system": None, "source_id": None, "at": None}
        else:
            values[f.name] = None
    return values, lineage


def _choose(
    having: list[SourceView], field: str, owners: dict[str, tuple[str, ...]], fills: Fills
) -> tuple[SourceView | None, str]:
    """The source whose value a (policy) field takes (`having` newest first), and the rule."""
    ranked = owners.get(field, ())
    owned = [s for s in having if s.system in ranked]
    if owned:
        return min(owned, key=lambda s: ranked.index(s.system)), "owner_priority"
    hub = next((s for s in having if s.system == HUB_SYSTEM), None)
    if hub is not None:
        return hub, "most_recent"
    contributed = next((s for s in having if fills(s.system, field)), None)
    if contributed is not None:
        return contributed, "contributed"
    return None, "none"


def contributes(system: str, field: str, owners: dict[str, tuple[str, ...]]) -> bool:
    """Is a system's value of a (policy) field contributed, not authoritative?"""
    return system != HUB_SYSTEM and system not in owners.get(field, ())


def _overridden(o: dict[str, Any]) -> dict[str, Any]:
    return {"rule": "override", "system": None, "source_id": None, "by": o.get("by"), "at": o.get("at")}


def _entry(chosen: SourceView, rule: str) -> dict[str, Any]:
    return {"rule": rule, "system": chosen.system, "source_id": chosen.source_id, "at": chosen.received_at.isoformat()}


def _slots(
    f: Field,
    newest_first: list[SourceView],
    owners: dict[str, tuple[str, ...]],
    fills: Fills,
    lineage: dict[str, dict[str, Any]],
    overrides: dict[str, dict[str, Any]],
) -> list[dict[str, Any]] | None:
    """A list field, each slot overridden or from its own owners; lineage per slot (`identifiers.vat.DE`)."""
    offers: dict[str, list[tuple[SourceView, dict[str, Any]]]] = {}
    for s in newest_first:
        for element in s.payload.get(f.name) or ():
            offers.setdefault(slot(f.kind, element), []).append((s, element))
    prefix = f"{f.name}."
    overridden = {k.removeprefix(prefix): o for k, o in overrides.items() if k.startswith(prefix)}
    chosen = []
    for name in sorted(offers.keys() | overridden.keys(), key=slot_order(f.kind)):
        if name in overridden:
            if overridden[name]["value"] is not None:
                chosen.append(overridden[name]["value"])
                lineage[f"{f.name}.{name}"] = _overridden(overridden[name])
            continue
        by_source = {id(s): e for s, e in offers[name]}
        owner = slot_policy_field(f.name, f.kind, offers[name][0][1])
        source, rule = _choose([s for s, _ in offers[name]], owner, owners, fills)
        if source is None:  # only contributions the policy keeps from filling
            continue
        chosen.append(by_source[id(source)])
        lineage[f"{f.name}.{name}"] = _entry(source, rule)
    return chosen or None
