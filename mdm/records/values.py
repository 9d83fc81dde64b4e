"""Field values in their one in-memory form (JSON builtins) and the checks on them.

Payloads, overrides, history and survivorship all work on builtins (dates and money as
strings); conversion to typed columns happens only at the table boundary.
"""

from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import msgspec
import pycountry
from email_validator import EmailNotValidError, validate_email

from mdm.domains import Domain, Field

Record = dict[str, Any]


def drop_nulls(value: Any) -> Any:
    """Builtins without null fields at any depth: a null carries no value from a source."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def payload_hash(payload: Record) -> str:
    import hashlib

    return hashlib.sha256(msgspec.json.encode(payload, order="sorted")).hexdigest()


MONEY_SCALE = 4  # NUMERIC(20, 4): what every database stores exactly
MONEY_LIMIT = 10**16


@cache
def _countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def _currencies() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _check_money(value: Any) -> str | None:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return "must be a decimal number"
    if not amount.is_finite():
        return "must be a finite decimal number"
    if amount < 0:
        return "must not be negative"
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY_SCALE:
        return f"must have at most {MONEY_SCALE} decimal places"
    if amount >= MONEY_LIMIT:
        return f"must be less than {MONEY_LIMIT:,}"
    return None


def check_value(f: Field, value: Any) -> str | None:
    """Why a single field value is unacceptable, or None."""
    if value is None:
        return None
    match f.kind:
        case "country":
            return None if value in _countries() else f"'{value}' is not an ISO 3166-1 alpha-2 country code"
        case "currency":
            return None if value in _currencies() else f"'{value}' is not an ISO 4217 currency code"
        case "email":
            try:
                validate_email(value, check_deliverability=False)
            except EmailNotValidError as exc:
                return f"not a valid e-mail address: {exc}"
            return None
        case "money":
            return _check_money(value)
        case "enum":
            return None if value in f.choices else f"must be one of {', '.join(f.choices)}"
        case "address":
            country = value.get("country")
            if country is not None and country not in _countries():
                return f"country '{country}' is not an ISO 3166-1 alpha-2 country code"
            return None
        case "rate_lines":
            for i, line in enumerate(value):
                problem = _check_money(line.get("rate"))
                if problem:
                    return f"line {i}: rate {problem}"
            return None
        case _:
            return None


def check_fields(domain: Domain, record: Record, *, field_prefix: str = "") -> list[tuple[str, str]]:
    """Every field-level problem of a (partial) record, each naming its field."""
    problems = []
    for name, value in record.items():
        if not domain.has_field(name):
            continue
        problem = check_value(domain.field(name), value)
        if problem:
            problems.append((field_prefix + name, problem))
    for start, end in domain.date_ranges:
        a, b = record.get(start), record.get(end)
        if a is not None and b is not None and str(b) < str(a):
            problems.append((field_prefix + end, f"must not be before {start} ({a})"))
    return problems


def check_complete(domain: Domain, record: Record) -> list[tuple[str, str]]:
    """Required fields of a golden record, after survivorship."""
    return [(f.name, "is required") for f in domain.fields if f.required and record.get(f.name) is None]
