"""The rate that applies to a role on a project on a date.

A project names one rate card; a firm issues a card again for each period under the same
scope (name, customer, legal entity, currency: the rate card domain's exclusive range), so
the card that applies on a date is the one of the project's card's scope whose effective
range holds it, which is the project's own card or its predecessor or successor. When none
applies the answer says why: the project has no card, no card of its scope is effective
then, or the effective card has no line for the role."""

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db import graph as sql
from mdm.domains import BY_NAME
from mdm.records.service import get, view_of_row

Record = dict[str, Any]
PROJECT, RATE_CARD = BY_NAME["project"], BY_NAME["rate_card"]
SCOPE = ("name", "customer_id", "legal_entity_id", "currency")


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _effective(card: Record, on: date) -> bool:
    start, end = _day(card.get("effective_from")), _day(card.get("effective_to"))
    return start is not None and start <= on and (end is None or on <= end)


def _window(card: Record) -> str:
    return f"{card['id']} ({card.get('effective_from')} to {card.get('effective_to') or 'open'})"


async def rate_for(session: AsyncSession, project_id: str, role: str, on: date) -> Record:
    """{"rate": line, "card": card view, "project": project view} when a rate applies, else
    {"reason": "no_card" | "card_not_effective" | "role_missing", "detail": why, ...}."""
    project = await get(session, PROJECT, project_id)
    card_id = project.get("rate_card_id")
    if card_id is None:
        return {"reason": "no_card", "detail": f"project {project['id']} names no rate card", "project": project}
    named = await sql.goldens_by_id(session, RATE_CARD, [card_id])
    if not named or named[0].merged_into:
        detail = f"project {project['id']} names rate card {card_id}, which does not exist (or was merged away)"
        return {"reason": "no_card", "detail": detail, "project": project}
    card = view_of_row(RATE_CARD, named[0])
    scope = {name: card.get(name) for name in SCOPE}
    cards = [view_of_row(RATE_CARD, r) for r in await sql.in_scope(session, RATE_CARD, scope)]
    effective = [c for c in cards if _effective(c, on)]
    if not effective:
        windows = ", ".join(_window(c) for c in sorted(cards, key=lambda c: _day(c.get("effective_from")) or date.min))
        detail = f"no rate card of {card.get('name')!r} ({card.get('currency')}) is effective on {on}: {windows}"
        return {"reason": "card_not_effective", "detail": detail, "project": project, "card": card}
    applied = max(
        effective, key=lambda c: _day(c["effective_from"]) or date.min
    )  # ranges do not overlap; the latest start if they did
    line = next((line for line in applied.get("lines") or () if line.get("role") == role), None)
    if line is None:
        roles = ", ".join(sorted({line.get("role", "") for line in applied.get("lines") or ()})) or "none"
        detail = f"rate card {applied['id']} has no line for role {role!r} (its roles: {roles})"
        return {"reason": "role_missing", "detail": detail, "project": project, "card": applied}
    return {"rate": line, "card": applied, "project": project}
