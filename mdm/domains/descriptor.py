"""The descriptor type: a domain described once, as data, for the generic machinery.

Tables, routes, validation, ingestion keys, blocking keys, default match rules and the
seed policy's lines are all read from these frozen objects; who may write or read which
field at run time is the edit-right policy's (mdm/policy). A rule only some domains need
is declared as data (keys, date ranges, exclusive ranges), never as `if domain == ...` in
the machinery. `mdm.domains` checks every descriptor when the registry loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
from ulid import ULID

from mdm.domains.identifiers import LIST_KINDS, policy_fields, slot_owner_field
from mdm.matching.blocking import Blocking

FieldKind = Literal[
    "text", "enum", "country", "currency", "email", "date", "money", "ref", "address", "rate_lines",
    "identifiers", "phones", "addresses", "person_name",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Field:
    """One golden field: its kind decides column type and validation."""

    name: str
    kind: FieldKind = "text"
    required: bool = False
    ref: str | None = None  # referenced domain for kind == "ref"
    choices: tuple[str, ...] = ()  # for kind == "enum"
    searchable: bool = False  # matched by the list filter `q`
    # for kind == "ref": the list of referrers on the referenced domain's GraphQL type
    # (default: "children" for a reference to its own domain, else this domain's path)
    reverse: str | None = None


@dataclass(frozen=True, slots=True)
class Key:
    """A set of fields whose values identify one golden record (all must be present)."""

    fields: tuple[str, ...]
    unique: bool = False  # enforced as unique among golden records, not only used to link
    nullable: tuple[str, ...] = ()  # fields that may be empty and then match only empty

    def values(self, record: dict[str, Any]) -> tuple[Any, ...] | None:
        """The key's values in a record, or None when a required part is missing."""
        values = tuple(record.get(n) for n in self.fields)
        if any(v is None and n not in self.nullable for n, v in zip(self.fields, values, strict=True)):
            return None
        return values


@dataclass(frozen=True, slots=True)
class ExclusiveRange:
    """Records with equal `scope` values may not have overlapping [start, end] dates
    (an empty end is open-ended)."""

    scope: tuple[str, ...]
    start: str
    end: str


def _no_keys(record: dict[str, Any]) -> set[str]:
    return set()


LATEST = "v2"  # the contract of the canonical model; older versions are served through views
CONTRACT_VERSIONS = ("v1", LATEST)  # every version served, at /v1/... and /v2/...


@dataclass(frozen=True, slots=True)
class Contract:
    """A published version of a domain's contract: its shapes, and for an older version the
    view that converts them to and from the canonical model (mdm.domains.views.View; None
    for the canonical model's own version)."""

    read: type
    create: type
    source: type
    patch: type
    view: Any = None


UNDECLARED = Blocking(reads=(), make=_no_keys, version=0)  # a descriptor that declared none (refused at load)


@dataclass(frozen=True, slots=True)
class Domain:
    name: str
    prefix: str
    path: str  # plural REST path segment
    label: str  # singular CamelCase name for operation ids and GraphQL
    plural_label: str
    read: type  # the canonical model's contract (the newest version)
    create: type
    source: type  # what a source system sends: every field optional
    patch: type
    fields: tuple[Field, ...]
    keys: tuple[Key, ...] = ()  # deterministic link keys, tried in order
    date_ranges: tuple[tuple[str, str], ...] = ()  # (start, end): end >= start
    exclusive_ranges: tuple[ExclusiveRange, ...] = ()
    status_default: str = "active"
    statuses: tuple[str, ...] = ("active", "inactive")
    retired_statuses: tuple[str, ...] = ("inactive",)  # entering one is a `retired` event (mdm.events)
    blocking: Blocking = UNDECLARED  # how matching finds candidates (refused at load when undeclared)
    match: str = ""  # the default match rules: one rules table's TOML body (mdm.matching.rules)
    policy: str = ""  # the seed policy's lines for this domain (casbin CSV, mdm.policy)
    # a directory of Alembic revisions shipped with a descriptor registered from outside mdm
    # (MDM_DOMAIN_MODULES); built-in domains' revisions live in migrations/versions
    migrations: str | None = None
    older: dict[str, Contract] = field(default_factory=dict, compare=False)  # {"v1": ...}: versions still served
    _by_name: dict[str, Field] = field(default_factory=dict, init=False, compare=False, repr=False)
    _policy_names: set[str] = field(default_factory=set, init=False, compare=False, repr=False)
    _unseen: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, compare=False, repr=False)
    # fields by kind, asked for several times per record written: made once
    _of_kind: dict[str, tuple[Field, ...]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({f.name: f for f in self.fields})
        self._policy_names.update(self.policy_fields)
        self._of_kind["list"] = tuple(f for f in self.fields if f.kind in LIST_KINDS)
        self._of_kind["ref"] = tuple(f for f in self.fields if f.kind == "ref")

    def contract(self, version: str) -> Contract:
        """The contract a version serves: an older one's (with its view), else the canonical
        model's. A domain made after v1 serves its one shape under every version."""
        return self.older.get(version) or Contract(self.read, self.create, self.source, self.patch)

    def unseen_by(self, version: str) -> tuple[str, ...]:
        """Canonical fields a version can neither see nor write (customer phones in v1):
        its writes keep them as they were."""
        c = self.contract(version)
        if c.view is None:
            return ()
        seen = {f.name for f in msgspec.structs.fields(c.source)} | c.view.canonical
        return tuple(n for n in self.field_names if n not in seen)

    def shaped(self, version: str, values: dict[str, Any]) -> dict[str, Any]:
        """A canonical record (or history data) in a version's shape: an older version's
        view of it, without the canonical fields it has no place for."""
        view = self.contract(version).view
        if view is None:
            return values
        unseen = self._unseen.get(version)
        if unseen is None:
            unseen = self._unseen[version] = self.unseen_by(version)
        out = view.read(values)
        for name in unseen:
            out.pop(name, None)
        return out

    def is_policy_field(self, name: str) -> bool:
        return name in self._policy_names

    def policy_field(self, name: str) -> str:
        """The policy field that decides who may write `name`: itself, or for a list field's
        slot (`identifiers.vat.DE`, `phones.mobile`) its owner (`identifiers.vat`, `phones`)."""
        head, _, rest = name.partition(".")
        if name in self._policy_names or not rest or head not in self._by_name:
            return name
        f = self._by_name[head]
        return slot_owner_field(head, f.kind, rest) if f.kind in LIST_KINDS else name

    def field(self, name: str) -> Field:
        return self._by_name[name]

    def has_field(self, name: str) -> bool:
        return name in self._by_name

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def policy_fields(self) -> tuple[str, ...]:
        """What the policy may name: each field, and a list field's parts (`identifiers.vat`)."""
        return tuple(n for f in self.fields for n in (f.name, *policy_fields(f.name, f.kind)))

    @property
    def list_fields(self) -> tuple[Field, ...]:
        """Fields survived per slot (mdm.domains.identifiers)."""
        return self._of_kind["list"]

    @property
    def references(self) -> tuple[Field, ...]:
        return self._of_kind["ref"]

    @property
    def hierarchy_fields(self) -> tuple[Field, ...]:
        """References to the same domain: these must never form a cycle."""
        return tuple(f for f in self.fields if f.kind == "ref" and f.ref == self.name)

    @property
    def unique_keys(self) -> tuple[Key, ...]:
        return tuple(k for k in self.keys if k.unique)

    def new_id(self) -> str:
        return f"{self.prefix}_{ULID()}"


def text(name: str, **kw: Any) -> Field:
    return Field(name, "text", **kw)


def ref(name: str, domain: str, **kw: Any) -> Field:
    return Field(name, "ref", ref=domain, **kw)


def enum(name: str, choices: tuple[str, ...], **kw: Any) -> Field:
    return Field(name, "enum", choices=choices, **kw)
