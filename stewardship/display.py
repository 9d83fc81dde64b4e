"""How the workbench writes a field's value for a person: identifiers, phones, addresses and
names in a line each, not as the JSON they are kept in."""

from typing import Any

ADDRESS_ORDER = ("line1", "line2", "postal_code", "city", "region", "country")


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
