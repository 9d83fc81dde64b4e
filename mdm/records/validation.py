"""Validation, apart from the unit of work that writes: a value against its field's kind
(codes, e-mails, money, dates), a record's fields against its descriptor, and a golden
record as a whole (required fields, references, unique keys, hierarchy cycles, exclusive
date ranges) against what the workspace holds and the database says."""

from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import pycountry
from email_validator import EmailNotValidError, validate_email

from mdm.db import repository as repo
from mdm.db.convert import to_column
from mdm.domains import Domain, Field, domain_of_id
from mdm.domains.identifiers import BadIdentifier, identifier, phone, slot
from mdm.errors import Invalid
from mdm.records.values import Record
from mdm.records.workspace import GoldenState, Workspace

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


def _elements(f: Field, value: list[Any], country: str | None) -> tuple[list[Any], list[tuple[str, str]]]:
    """A list field's elements normalized (identifiers per scheme, phones to E.164), and the
    problems naming `field[i].part`; one element per slot."""
    out: list[Any] = []
    problems: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for i, element in enumerate(value):
        try:
            if f.kind == "identifiers":
                element = identifier(element, country)
            elif f.kind == "phones":
                element = phone(element, country)
            elif (code := element.get("country")) is not None and code not in _countries():
                raise BadIdentifier("country", f"'{code}' is not an ISO 3166-1 alpha-2 country code")
        except BadIdentifier as exc:
            problems.append((f"{f.name}[{i}].{exc.part}", str(exc)))
            continue
        name = slot(f.kind, element)
        if name in seen:
            problems.append((f"{f.name}[{i}]", f"a second {name} (the first is {f.name}[{seen[name]}]); one per slot"))
        seen[name] = i
        out.append(element)
    return out, problems


def normalized(domain: Domain, record: Record) -> tuple[Record, list[tuple[str, str]]]:
    """A (partial) record as the hub keeps it, and every field-level problem, each naming
    its field: identifiers compact and checked per scheme, phones in E.164."""
    out = dict(record)
    problems = []
    addresses = record.get("addresses")
    # a phone is read in the record's country, else its first address's
    countries = [a["country"] for a in addresses or () if isinstance(a, dict) and isinstance(a.get("country"), str)]
    located = record.get("country") or next(iter(countries), None)
    for f in domain.list_fields:
        if isinstance(value := record.get(f.name), list):
            out[f.name], found = _elements(f, value, located if f.kind == "phones" else record.get("country"))
            problems += found
    return out, problems + check_fields(domain, record)


def check_fields(domain: Domain, record: Record, *, field_prefix: str = "") -> list[tuple[str, str]]:
    """Every field-level problem of a (partial) record, each naming its field (list fields'
    elements are `normalized`'s)."""
    problems = []
    for name, value in record.items():
        if not domain.has_field(name):
            continue
        problem = check_value(domain.field(name), value)
        if problem:
            problems.append((field_prefix + name, problem))
    for f in domain.fields:
        if f.kind == "person_name" and isinstance(value := record.get(f.name), dict):
            problems += [(f"{field_prefix}{f.name}.{part}", "is required") for part in ("given", "family")
                         if not value.get(part)]  # fmt: skip
    for start, end in domain.date_ranges:
        a, b = record.get(start), record.get(end)
        if a is not None and b is not None and str(b) < str(a):
            problems.append((field_prefix + end, f"must not be before {start} ({a})"))
    return problems


def check_complete(domain: Domain, record: Record) -> list[tuple[str, str]]:
    """Required fields of a golden record, after survivorship."""
    return [(f.name, "is required") for f in domain.fields if f.required and record.get(f.name) is None]


# ---- a golden record as a whole -------------------------------------------------------


async def validate(ws: Workspace, g: GoldenState, changed: list[str]) -> None:
    """Golden-level rules: completeness, ranges, references, unique keys, cycles, hooks."""
    d = g.domain
    problems = check_complete(d, g.values) + check_fields(d, g.values)
    refs = {g.values[f.name] for f in d.references if g.values.get(f.name)}
    await ws.preload_refs(refs)
    for f in d.references:
        rid = g.values.get(f.name)
        if not rid:
            continue
        target = domain_of_id(rid)
        state = ws.ref_cache.get(rid, "")
        if target is None or target.name != f.ref:
            problems.append((f.name, f"'{rid}' is not a {f.ref} id"))
        elif state == "":
            problems.append((f.name, f"{f.ref} '{rid}' does not exist"))
        elif state:
            problems.append((f.name, f"{f.ref} '{rid}' was merged into {state}; use the survivor"))
        elif rid == g.id:
            problems.append((f.name, "must not point at the record itself"))
    if not problems:
        problems += await _check_cycles(ws, g, changed)
        problems += await _check_unique(ws, g)
        problems += await _check_exclusive_ranges(ws, g)
    if problems:
        raise Invalid(f"{d.name} {g.id} is not valid", problems)


async def _check_cycles(ws: Workspace, g: GoldenState, changed: list[str]) -> list[tuple[str, str]]:
    """Walk up a changed parent chain. A new record cannot close a cycle: nothing points at it yet."""
    problems = []
    for f in g.domain.hierarchy_fields:
        if g.new or f.name not in changed:
            continue
        # one writer of a hierarchy at a time: two concurrent edits could each close half a loop
        await repo.advisory_locks(ws.session, [repo.lock_id(g.domain.name, "hierarchy", f.name)])
        seen = {g.id}
        current = g.values.get(f.name)
        while current:
            if current in seen:
                problems.append((f.name, f"would make a cycle through {current}"))
                break
            seen.add(current)
            if current in ws.goldens:
                current = ws.goldens[current].values.get(f.name)
            else:
                current = await repo.parent_of(ws.session, g.domain, f.name, current)
    return problems


async def _check_unique(ws: Workspace, g: GoldenState) -> list[tuple[str, str]]:
    problems = []
    for key in g.domain.unique_keys:
        values = key.values(g.values)
        if values is None:
            continue
        await ws.preload_keys(g.domain, [g.values], (key,))
        clash = ws.key_lookup(g.domain, key, values, exclude=g.id)
        if clash:
            problems.append((key.fields[0], f"{' and '.join(key.fields)} already used by {clash}"))
    return problems


async def _check_exclusive_ranges(ws: Workspace, g: GoldenState) -> list[tuple[str, str]]:
    """No two live records of one scope with overlapping date ranges. Writers of one
    scope are serialized first, so two concurrent writes cannot both pass."""
    problems = []
    d = g.domain
    for rule in d.exclusive_ranges:
        start, end = g.values.get(rule.start), g.values.get(rule.end)
        if start is None:
            continue
        scope = {n: g.values.get(n) for n in rule.scope}
        await repo.advisory_locks(ws.session, [repo.lock_id(d.name, "range", rule.start, sorted(scope.items()))])
        held = [o for o in ws.goldens.values() if o.domain is d and o.id != g.id]
        clash = next(
            (
                o.id
                for o in held
                if o.merged_into is None
                and {n: o.values.get(n) for n in rule.scope} == scope
                and _overlaps(start, end, o.values.get(rule.start), o.values.get(rule.end))
            ),
            None,
        )
        if clash is None:
            typed = {n: to_column(d.field(n), v) for n, v in scope.items()}
            clash = await repo.overlapping(
                ws.session, d, typed, to_column(d.field(rule.start), start), to_column(d.field(rule.end), end),
                [g.id, *(o.id for o in held)], rule.start, rule.end,
            )  # fmt: skip
        if clash:
            names = ", ".join(rule.scope)
            problems.append((rule.start, f"overlaps {d.name} {clash} of the same scope ({names})"))
    return problems


def _overlaps(start: Any, end: Any, other_start: Any, other_end: Any) -> bool:
    """Closed ranges of ISO dates; an empty end runs forever."""
    return (other_end is None or other_end >= start) and (end is None or other_start <= end)
