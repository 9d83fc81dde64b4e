"""How the workbench writes things for a person: a field's value (identifiers, phones,
addresses and names in a line each, not as the JSON they are kept in), a field's name, an
instant, how long something has waited, a record's name, and which fields tell two queued
records apart at a glance.

What names a record and which fields the queue shows are declared per domain here, as
data; a domain not listed (a firm's own, registered through MDM_DOMAIN_MODULES) is named by
its `name` or `code` field and shown with the fields its blocking reads."""

from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from mdm.domains import Domain

ADDRESS_ORDER = ("line1", "line2", "postal_code", "city", "region", "country")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# the fields whose values, joined, are a record's name (a person's name reads "Given Family")
NAMED_BY: dict[str, tuple[str, ...]] = {
    "project": ("code", "name"),
    "cost_center": ("code", "name"),
}
# the few fields beside its name that tell a steward which real thing a record is: what
# matching reads to pair records, and the keys people quote
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "customer": ("identifiers", "country", "website"),
    "legal_entity": ("identifiers", "country"),
    "project": ("customer_id", "start_date", "billing_model"),
    "employee": ("employee_number", "email", "country"),
    "cost_center": ("legal_entity_id", "owner_id", "valid_from"),
    "rate_card": ("currency", "customer_id", "effective_from"),
}
FALLBACK_NAMES = ("name", "code")
MAX_KEY_FIELDS = 3


def _element(value: dict[str, Any]) -> str:
    if "scheme" in value:  # an identifier: "vat DE811907980 (DE)"
        country = f" ({value['country']})" if value.get("country") else ""
        return f"{value['scheme']} {value.get('value', '')}{country}"
    if "number" in value:  # a phone: "mobile +447911123456"
        return f"{value.get('kind', '')} {value['number']}".strip()
    if "given" in value or "family" in value:  # a person's name: "Margaret Hamilton (Maggie)"
        name = " ".join(str(value[p]) for p in ("given", "family") if value.get(p))
        return f"{name} ({value['preferred']})" if value.get("preferred") else name
    if "role" in value:  # a rate line: "Consultant 150.00/hour"
        return f"{value['role']} {value.get('rate')}/{value.get('unit')}"
    parts = ", ".join(str(value[p]) for p in ADDRESS_ORDER if value.get(p))  # an address, of a kind or not
    return f"{value['kind']}: {parts}" if value.get("kind") else parts


def display(value: Any) -> str:
    """One field's value as text; "—" for none."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, list):
        return "; ".join(_element(v) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, dict):
        return _element(value)
    return str(value)


def label(field: str) -> str:
    """A field's name for a person: `legal_name` "Legal name", `customer_id` "Customer", a
    list field's slot `identifiers.vat.DE` "Identifiers vat DE"."""
    head, _, slot = field.partition(".")
    words = head.removesuffix("_id").replace("_", " ")
    return " ".join(filter(None, (words[:1].upper() + words[1:], slot.replace(".", " "))))


def _instant(value: datetime | str) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)


def readable_time(value: datetime | str) -> str:
    """An instant as a person reads it: "5 Dec 2026, 14:17 UTC" (a naive one is taken as UTC)."""
    at = _instant(value)
    return f"{at.day} {MONTHS[at.month - 1]} {at.year}, {at:%H:%M} UTC"


def when(value: datetime | str | None, text: str | None = None) -> Markup:
    """An instant in a <time> element, its exact ISO instant in `datetime` for a screen
    reader's or a script's use: as readable text (the ISO instant on pointing at it), or as
    `text` ("5 h", say; the readable instant on pointing at it); "—" for none."""
    if value is None or value == "":
        return Markup("—")
    iso = _instant(value).isoformat().replace("+00:00", "Z")
    readable = readable_time(value)
    return Markup('<time datetime="{0}" title="{1}">{2}</time>').format(iso, iso if text is None else readable,
                                                                        readable if text is None else text)  # fmt: skip


def waited(since: datetime | str | None, now: datetime | None = None) -> str:
    """How long since an instant, roughly: "40 min", "5 h", "3 d"; "—" for none."""
    if since is None:
        return "—"
    minutes = ((now or datetime.now(UTC)) - _instant(since)).total_seconds() / 60
    if minutes < 60:
        return f"{max(minutes, 0):.0f} min"
    hours = minutes / 60
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"


def record_name(domain: Domain, view: dict[str, Any] | None) -> str:
    """What a person calls a record: a customer's name, an employee's "Given Family", a
    project's "code name"; its id when none of those can be read."""
    if not view:
        return ""
    parts = []
    for name in _named_by(domain):
        value = view.get(name)
        if isinstance(value, dict):  # a person: "Given Family", the preferred name aside
            value = " ".join(str(value[p]) for p in ("given", "family") if value.get(p))
        if value:
            parts.append(str(value))
    return " ".join(parts) or str(view.get("id", ""))


def _named_by(domain: Domain) -> tuple[str, ...]:
    return NAMED_BY.get(domain.name) or next(((n,) for n in FALLBACK_NAMES if domain.has_field(n)), ())


def key_fields(domain: Domain) -> tuple[str, ...]:
    """The fields the queue shows beside each record's name."""
    declared = KEY_FIELDS.get(domain.name)
    if declared is not None:
        return tuple(n for n in declared if domain.has_field(n))
    named = _named_by(domain)
    return tuple(n for n in domain.blocking.reads if n not in named and domain.has_field(n))[:MAX_KEY_FIELDS]


FILTERS = {"shown": display, "when": when, "waited": waited, "label": label}
