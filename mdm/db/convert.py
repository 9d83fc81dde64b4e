"""The one conversion between a field's in-memory form (JSON builtins: dates and money as
strings) and what the database holds, by field kind: typed column values (SQLAlchemy) and
raw driver values (the read paths on asyncpg and sqlite3)."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec

from mdm.db.types import canonical_decimal
from mdm.domains import Domain, Field
from mdm.domains.descriptor import FieldKind


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
    """A stored golden row's field values as builtins (from_column's, field by field; the
    fields whose kind converts nothing are copied as they are: a page reads hundreds); `row`:
    a row (SQLAlchemy's or mdm.db.driver's) or its columns by name (a mapping, a raw driver's record)."""
    m = getattr(row, "_mapping", row)
    found = _KINDS.get(domain.name)
    if found is None:
        found = _KINDS[domain.name] = (
            tuple(f.name for f in domain.fields),
            tuple(f for f in domain.fields if f.kind in ("date", "money")),
        )
    names, converted = found
    values = {name: m[name] for name in names}
    for f in converted:
        if values[f.name] is not None:
            values[f.name] = from_column(f, values[f.name])
    return values


# per domain: its field names, and its fields whose column value from_column converts
_KINDS: dict[str, tuple[tuple[str, ...], tuple[Field, ...]]] = {}


JSON_KINDS = ("address", "rate_lines", "identifiers", "phones", "addresses", "person_name")  # held as JSON


def _same(value: Any) -> Any:
    return value


def json_value(value: Any) -> Any:
    """A JSON column's driver value (text on SQLite, or PostgreSQL's ::text) as builtins."""
    return msgspec.json.decode(value) if isinstance(value, str) else value


def _date(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else value.isoformat()


def _money(value: Any) -> Any:
    return None if value is None else canonical_decimal(value)


def from_driver(kind: FieldKind, *, sqlite: bool = False) -> Callable[[Any], Any]:
    """A raw driver's value of a field of this kind as its builtin form; on SQLite, which
    stores dates and money as canonical text already, the cheapest converter that is right."""
    if kind in JSON_KINDS:
        return json_value
    if kind == "date":
        return _same if sqlite else _date
    if kind == "money":
        return _same if sqlite else _money
    return _same
