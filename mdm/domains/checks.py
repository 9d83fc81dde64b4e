"""What the registry checks of every descriptor when it loads, so a domain missing what
matching, policy or routes need fails at import, naming the domain and the missing part,
never with a 500 at request time. The v1 contract Structs are hand-written (contracts/
imports nothing from mdm); here they are held against the descriptor field by field,
type and optionality included."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from msgspec import NODEFAULT
from msgspec import inspect as mi

from contracts.v1.common import MONEY_PATTERN
from mdm.domains.descriptor import UNDECLARED, Domain, Field
from mdm.matching.rules import RuleError, build, table
from mdm.policy.vocabulary import word_problems

# fields every record has besides the descriptor's: (read, patch) contract extras
READ_EXTRAS = frozenset({"id", "version", "created_at", "updated_at", "overrides"})
PATCH_EXTRAS = frozenset({"overrides_cleared"})
NAME = re.compile(r"^[a-z][a-z_]{1,30}$")
PREFIX = re.compile(r"^[a-z]{2,3}$")  # contracts' Id pattern: a canonical id is prefix + "_" + ULID
PATH = re.compile(r"^[a-z][a-z-]*[a-z]$")
LABEL = re.compile(r"^[A-Z][A-Za-z]+$")


class DescriptorError(ValueError):
    """A descriptor the machinery cannot serve; the message names the domain and each missing part."""


def check(domains: Iterable[Domain]) -> None:
    """Every descriptor's own parts, then what they say of each other."""
    domains = tuple(domains)
    problems = [f"domain '{d.name}': {p}" for d in domains for p in problems_of(d)]
    for attribute in ("name", "prefix", "path", "label"):
        seen: dict[str, str] = {}
        for d in domains:
            value = getattr(d, attribute)
            if value in seen:
                problems.append(f"domain '{d.name}': {attribute} '{value}' is also that of domain '{seen[value]}'")
            seen[value] = d.name
    names = {d.name for d in domains}
    for d in domains:
        problems += [
            f"domain '{d.name}': field {f.name} refers to unknown domain '{f.ref}'"
            for f in d.references
            if f.ref not in names
        ]
    if problems:
        raise DescriptorError("; ".join(problems))


def problems_of(d: Domain) -> list[str]:
    problems = []
    if not NAME.match(d.name):
        problems.append("name must be lower_snake_case (it names tables and policy lines)")
    for attribute, pattern, what in (("prefix", PREFIX, "two or three lower-case letters (ids are prefix_ULID)"),
                                     ("path", PATH, "lower-case words joined by '-'"),
                                     ("label", LABEL, "CamelCase"), ("plural_label", LABEL, "CamelCase")):  # fmt: skip
        if not pattern.match(getattr(d, attribute)):
            problems.append(f"{attribute} '{getattr(d, attribute)}' must be {what}")
    if not d.fields:
        problems.append("declares no fields")
    if d.blocking is UNDECLARED:
        problems.append("declares no blocking keys (blocking=Blocking(reads=..., make=...)): matching needs them")
    else:
        problems += [f"blocking reads '{n}', which is not a field" for n in d.blocking.reads if not d.has_field(n)]
    if not d.match.strip():
        problems.append("declares no match rules (match='...' rules table): matching needs them")
    else:
        try:
            build(d, table(d.name, d.match))
        except RuleError as exc:
            problems.append(f"match rules: {exc}")
    problems += _policy_problems(d)
    for key in d.keys:
        problems += [f"key field '{n}' is not a field" for n in key.fields if not d.has_field(n)]
    for start, end in d.date_ranges:
        problems += [f"date range field '{n}' is not a date field" for n in (start, end) if not _is(d, n, "date")]
    for rule in d.exclusive_ranges:
        problems += [f"exclusive range scope '{n}' is not a field" for n in rule.scope if not d.has_field(n)]
        problems += [f"exclusive range field '{n}' is not a date field" for n in (rule.start, rule.end)
                     if not _is(d, n, "date")]  # fmt: skip
    if not d.has_field("status") or d.field("status").choices != d.statuses or d.status_default not in d.statuses:
        problems.append("needs an enum field 'status' whose choices are `statuses`, with `status_default` among them")
    if not set(d.retired_statuses) <= set(d.statuses):
        problems.append("`retired_statuses` must be among `statuses`")
    problems += _contract_problems(d)
    return problems


def _is(d: Domain, name: str, kind: str) -> bool:
    return d.has_field(name) and d.field(name).kind == kind


def _policy_problems(d: Domain) -> list[str]:
    rows = csv.reader(d.policy.splitlines(), skipinitialspace=True)
    lines = [row for row in rows if row and not row[0].startswith("#")]
    if not lines:
        return ["declares no seed policy lines (policy='p, system:<code>, <domain>, *, create, allow ...'): "
                "no system could write it"]  # fmt: skip
    problems = []
    for row in lines:
        text = ", ".join(row)
        if len(row) != 6 or row[0] != "p":
            problems.append(f"policy line '{text}' is not 'p, subject, domain, field, action, effect'")
            continue
        _, subject, domain, name, action, effect = row
        problems += [f"policy line '{text}': {p}" for p in word_problems(subject, name, action, effect)]
        if domain != d.name:
            problems.append(f"policy line '{text}' is about '{domain}', not this domain")
        if name != "*" and name not in d.policy_fields:
            problems.append(f"policy line '{text}' names '{name}', which is not a field")
    if not any(len(r) == 6 and r[1].startswith("system:") and r[4] == "create" and r[5] == "allow" for r in lines):
        problems.append("seed policy lets no system create it (a 'p, system:<code>, ..., *, create, allow' line)")
    return problems


# ---- contracts --------------------------------------------------------------------------


def _parts(t: mi.Type) -> tuple[list[mi.Type], bool]:
    """A field type's members besides None, and whether it takes None (msgspec's inspection
    leaves UNSET out of unions: a field defaulting to it has no default and is not required)."""
    members = [m.type if isinstance(m, mi.Metadata) else m for m in (t.types if isinstance(t, mi.UnionType) else [t])]
    return [m for m in members if not isinstance(m, mi.NoneType)], any(isinstance(m, mi.NoneType) for m in members)


def _kind_problem(f: Field, core: list[mi.Type]) -> str | None:
    """Why a contract type does not carry a field of this kind, or None."""
    if len(core) != 1:
        return f"is {' | '.join(type(c).__name__ for c in core)}, expected one type"
    t = core[0]
    match f.kind:
        case "text" | "country" | "currency" | "email" | "ref":
            ok = isinstance(t, mi.StrType)
            expected = "str"
        case "enum":
            ok = isinstance(t, mi.LiteralType) and set(t.values) == set(f.choices)
            expected = f"Literal{list(f.choices)}"
        case "date":
            ok, expected = isinstance(t, mi.DateType), date.__name__
        case "money":  # a Decimal in answers; in writes, a string of the documented pattern (MoneyText)
            ok = isinstance(t, mi.DecimalType) or (isinstance(t, mi.StrType) and t.pattern == MONEY_PATTERN)
            expected = f"{Decimal.__name__}, or str matching MONEY_PATTERN"
        case "address" | "person_name":
            ok, expected = isinstance(t, mi.StructType), f"an {f.kind} Struct"
        case "rate_lines" | "identifiers" | "phones" | "addresses":
            ok = isinstance(t, mi.ListType) and isinstance(t.item_type, mi.StructType)
            expected = f"a list of {f.kind} Structs"
    return None if ok else f"is {type(t).__name__}, expected {expected} for a {f.kind} field"


def _contract_problems(d: Domain) -> list[str]:
    problems = []
    for role, struct in (("create", d.create), ("source", d.source), ("patch", d.patch), ("read", d.read)):
        info = mi.type_info(struct)
        if not isinstance(info, mi.StructType):
            problems.append(f"{role} contract {struct!r} is not a msgspec Struct")
            continue
        where = f"{role} contract {info.cls.__name__}"
        declared = {f.name: f for f in info.fields}
        extras = READ_EXTRAS if role == "read" else PATCH_EXTRAS if role == "patch" else frozenset()
        problems += [
            f"{where} has '{n}', which is not a field" for n in declared if not d.has_field(n) and n not in extras
        ]
        if role != "read" and not info.forbid_unknown_fields:
            problems.append(f"{where} must forbid unknown fields")
        for f in d.fields:
            c = declared.get(f.name)
            if c is None:
                problems.append(f"{where} lacks field '{f.name}'")
                continue
            core, takes_none = _parts(c.type)
            unset_default = not c.required and c.default is NODEFAULT and c.default_factory is NODEFAULT
            if (why := _kind_problem(f, core)) is not None:
                problems.append(f"{where}.{f.name} {why}")
            # a create may leave out any optional field; a patch may not empty a required one or status
            nullable = not f.required and (role == "create" or f.name != "status")
            if role == "create" and c.required != f.required:
                problems.append(f"{where}.{f.name} is {'' if c.required else 'not '}required; the descriptor says "
                                f"{'required' if f.required else 'optional'}")  # fmt: skip
            if role == "source" and c.required:
                problems.append(f"{where}.{f.name} is required; a source may send any part of its record")
            if role in ("create", "patch") and takes_none != nullable:
                problems.append(f"{where}.{f.name} {'takes' if takes_none else 'refuses'} null; the descriptor says "
                                f"it {'may' if nullable else 'may not'} be empty")  # fmt: skip
            if role in ("patch", "read") and not unset_default:
                problems.append(f"{where}.{f.name} must be optional with an UNSET default (fields left out stay)")
    return problems
