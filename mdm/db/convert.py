"""The one conversion between a field's in-memory form (JSON builtins: dates and money as
strings) and its typed column value, by field kind."""

from datetime import date
from decimal import Decimal
from typing import Any

from mdm.db.types import canonical_decimal
from mdm.domains import Domain, Field


def to_column(f: Field, value: Any) -> Any:
    """A builtin value as its typed column value."""
    if value is None:
        return None
    if f.kind == "date":
        return date.fromisoformat(value) if isinstance(value, str) else value
    if f.kind == "money":
        return Decimal(str(value))
    return value


def from_column(f: Field, value: Any) -> Any:
    """A typed column value as its builtin form."""
    if value is None:
        return None
    if f.kind == "date":
        return value.isoformat()
    if f.kind == "money":
        return canonical_decimal(value)
    return value


def values_of(domain: Domain, row: Any) -> dict[str, Any]:
    """A stored golden row's field values as builtins."""
    m = row._mapping
    return {f.name: from_column(f, m[f.name]) for f in domain.fields}
