"""What changed between two OpenAPI documents, and which changes break a client that
worked with the old one (`mdm contracts diff`, and the gate in tests/contract).

One rule decides every schema change: a request must still be accepted, so in a request
(parameters, bodies) whatever *narrows* what the server accepts breaks; an answer must
still be understood, so in a response whatever *widens* what the server may send breaks
(a new enum value, a looser bound, a field that turns nullable or optional, a removed
field). Type and format changes break both ways unless they only widen a request or only
narrow a response. Kind ids follow oasdiff's check ids (github.com/oasdiff/oasdiff); the
few it has no id for are named the same way and listed in the README.

The GraphQL schema (openapi/schema.graphql) is judged by graphql-core's own comparison
(`find_breaking_changes`; its dangerous changes are listed as non-breaking), its kinds
prefixed `graphql-`.

The comparison is pure (two documents in, a list of `Change` out); reading files and git
revisions is kept to the end of this module.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graphql import (
    BreakingChangeType,
    DangerousChangeType,
    GraphQLError,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# --- kinds -------------------------------------------------------------------------------

# A change to a schema, as (narrows what it allows, widens it). Its kind is the event
# behind one of the prefixes below; `breaking` follows from the direction.
_SCHEMA_EVENTS: dict[str, tuple[bool, bool]] = {
    "type-changed": (True, True),
    "type-generalized": (False, True),
    "type-specialized": (True, False),
    "became-nullable": (False, True),
    "became-not-nullable": (True, False),
    "enum-value-removed": (True, False),
    "enum-value-added": (False, True),
    "became-enum": (True, False),
    "became-not-enum": (False, True),
    "pattern-added": (True, False),
    "pattern-removed": (False, True),
    "pattern-changed": (True, True),  # whether one regex accepts more than another is not decidable here
    "one-of-removed": (True, False),
    "one-of-added": (False, True),
}
# upper bounds narrow when they decrease or appear; lower bounds when they increase or appear
_UPPER = {"maxLength": "max-length", "maximum": "max", "exclusiveMaximum": "exclusive-max", "maxItems": "max-items"}
_LOWER = {"minLength": "min-length", "minimum": "min", "exclusiveMinimum": "exclusive-min", "minItems": "min-items"}
for _bound in _UPPER.values():
    _SCHEMA_EVENTS |= {
        f"{_bound}-decreased": (True, False),
        f"{_bound}-set": (True, False),
        f"{_bound}-increased": (False, True),
        f"{_bound}-unset": (False, True),
    }
for _bound in _LOWER.values():
    _SCHEMA_EVENTS |= {
        f"{_bound}-increased": (True, False),
        f"{_bound}-set": (True, False),
        f"{_bound}-decreased": (False, True),
        f"{_bound}-unset": (False, True),
    }
# only requests care whether unknown fields are refused: clients ignore fields they do not know
_REQUEST_ONLY_EVENTS = {
    "additional-properties-forbidden": (True, False),
    "additional-properties-allowed": (False, True),
}

REQUEST_PREFIXES = ("request-parameter", "request-body", "request-property")
RESPONSE_PREFIXES = ("response-body", "response-property")

# kinds that are not one schema event behind a prefix: {kind: breaking}
_FIXED: dict[str, bool] = {
    # paths and operations
    "api-path-removed-without-deprecation": True,
    "api-path-removed-with-deprecation": True,  # deprecated or not, a client may still call it
    "api-removed-without-deprecation": True,
    "api-removed-with-deprecation": True,
    "endpoint-added": False,
    "api-operation-id-removed": False,  # also "changed": generated clients rename a method, calls still work
    "api-operation-id-added": False,
    # parameters
    "request-parameter-removed": True,
    "new-required-request-parameter": True,
    "new-optional-request-parameter": False,
    "request-parameter-became-required": True,
    "request-parameter-became-optional": False,
    # request bodies
    "request-body-added-required": True,
    "request-body-added-optional": False,
    "request-body-removed": False,
    "request-body-became-required": True,
    "request-body-became-optional": False,
    "request-body-media-type-removed": True,
    "request-body-media-type-added": False,
    # request properties
    "new-required-request-property": True,
    "new-optional-request-property": False,
    "request-property-became-required": True,
    "request-property-became-optional": False,
    "request-property-removed": True,  # the new schema refuses unknown fields: clients still sending it fail
    "request-property-unlisted": False,  # removed, but unknown fields are still accepted
    # response properties: msgspec answers every field of a Struct, null when empty, so an
    # "optional" field is one clients have always seen; removing it breaks them as well
    "response-required-property-removed": True,
    "response-optional-property-removed": True,
    "response-required-property-added": False,
    "response-optional-property-added": False,
    "response-property-became-optional": True,
    "response-property-became-required": False,
    # statuses, media types, headers
    "response-success-status-removed": True,
    "response-success-status-added": False,
    "response-non-success-status-removed": False,
    "response-non-success-status-added": False,
    "response-media-type-removed": True,
    "response-media-type-added": False,
    "required-response-header-removed": True,
    "optional-response-header-removed": False,
    "response-header-became-optional": True,
    "response-header-added": False,
    # security (the operation's own, or the document's when it has none)
    "api-security-added": True,  # an open operation now needs credentials
    "api-security-removed": False,  # a secured operation is now open
    "api-security-alternative-removed": True,  # a way to authenticate clients may use is gone
    "api-security-alternative-added": False,
    "api-security-scope-added": True,
    "api-security-scope-removed": False,
}


def _schema_kinds() -> dict[str, bool]:
    kinds = {}
    for prefix in REQUEST_PREFIXES:
        for event, (narrows, _) in (_SCHEMA_EVENTS | _REQUEST_ONLY_EVENTS).items():
            kinds[f"{prefix}-{event}"] = narrows
    for prefix in RESPONSE_PREFIXES:
        for event, (_, widens) in _SCHEMA_EVENTS.items():
            kinds[f"{prefix}-{event}"] = widens
    return kinds


def _graphql_kinds() -> dict[str, bool]:
    """graphql-core's change types (`FIELD_REMOVED` -> graphql-field-removed): its breaking
    ones break, its dangerous ones are listed as non-breaking."""
    kinds = {_graphql_kind(t): True for t in BreakingChangeType}
    kinds.update({_graphql_kind(t): False for t in DangerousChangeType})
    return kinds


def _graphql_kind(change_type: Any) -> str:
    return "graphql-" + change_type.name.lower().replace("_", "-")


KINDS: dict[str, bool] = _FIXED | _schema_kinds() | _graphql_kinds()  # {kind: breaking}
Document = dict[str, Any] | str  # an OpenAPI document, or a GraphQL schema's SDL


@dataclass(frozen=True)
class Change:
    """One difference; `kind` is a stable id, `breaking` follows from it."""

    kind: str
    method: str  # "GET", or "" when a whole path went
    path: str
    location: str  # "query limit", "request application/json items[].name", "response 200", "security"...
    message: str

    @property
    def breaking(self) -> bool:
        return KINDS[self.kind]

    @property
    def where(self) -> str:
        return " ".join(part for part in (self.method, self.path, self.location) if part)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "breaking": self.breaking,
            "method": self.method,
            "path": self.path,
            "location": self.location,
            "where": self.where,
            "message": self.message,
        }


# --- schemas, flattened ------------------------------------------------------------------


@dataclass
class _Flat:
    """A schema as the comparison sees it: refs resolved, allOf merged, a union with null
    turned into `nullable` (msgspec and Litestar write `oneOf: [{type: T}, {type: null}]`
    with the constraints beside the `oneOf`), properties and items left raw until visited."""

    ref: str | None = None
    title: str | None = None
    types: frozenset[str] | None = None  # None: any type
    format: str | None = None
    nullable: bool = False
    enum: tuple[str, ...] | None = None  # each value as canonical JSON
    bounds: dict[str, Any] = field(default_factory=dict)
    pattern: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    additional: Any = None  # None: not said; True, False, or a schema
    items: Any = None  # None: not said
    variants: list[_Flat] | None = None  # a union of two or more non-null branches


_MAX_DEPTH = 64  # $ref and allOf chains deeper than this are taken as "any" (a loop)


def _resolve(document: dict[str, Any], ref: str) -> dict[str, Any]:
    """A local `#/...` pointer's target; {} (any schema) for what cannot be followed."""
    if not ref.startswith("#/"):
        return {}
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return {}
        node = node[part]
    return node if isinstance(node, dict) else {}


def _deref(document: dict[str, Any], node: Any) -> dict[str, Any]:
    """Follow `$ref`s (keeping keywords written beside one) until a plain object."""
    if not isinstance(node, dict):
        return {}
    for _ in range(_MAX_DEPTH):
        if "$ref" not in node:
            return node
        rest = {k: v for k, v in node.items() if k != "$ref"}
        node = {**_resolve(document, str(node["$ref"])), **rest}
    return {}


def _merge(base: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    merged = {**part, **base}
    merged["properties"] = {**part.get("properties", {}), **base.get("properties", {})}
    merged["required"] = sorted({*part.get("required", []), *base.get("required", [])})
    if not merged["properties"]:
        del merged["properties"]
    if not merged["required"]:
        del merged["required"]
    if "allOf" in part and "allOf" not in base:
        merged["allOf"] = part["allOf"]
    return merged


def _is_null(document: dict[str, Any], node: Any) -> bool:
    node = _deref(document, node)
    if node.get("type") in ("null", ["null"]) or node.get("enum") == [None]:
        return True
    return "const" in node and node["const"] is None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _flatten(
    document: dict[str, Any], node: Any, ref: str | None = None, nullable: bool = False, depth: int = 0
) -> _Flat:
    if depth > _MAX_DEPTH or not isinstance(node, dict):
        return _Flat(ref=ref, nullable=nullable)
    if "$ref" in node:
        rest = {k: v for k, v in node.items() if k != "$ref"}
        target = _resolve(document, str(node["$ref"]))
        return _flatten(document, {**target, **rest}, ref or str(node["$ref"]), nullable, depth + 1)
    if "allOf" in node:
        merged = {k: v for k, v in node.items() if k != "allOf"}
        for part in node["allOf"]:
            merged = _merge(merged, _deref(document, part))
        return _flatten(document, merged, ref, nullable, depth + 1)
    for keyword in ("oneOf", "anyOf"):
        if isinstance(node.get(keyword), list):
            rest = {k: v for k, v in node.items() if k != keyword}
            branches = node[keyword]
            real = [branch for branch in branches if not _is_null(document, branch)]
            nullable = nullable or len(real) < len(branches)
            if len(real) == 1 and isinstance(real[0], dict):
                return _flatten(document, {**real[0], **rest}, ref, nullable, depth + 1)
            if not real:
                return _flatten(document, {**rest, "type": "null"}, ref, nullable, depth + 1)
            flat = _flatten(document, rest, ref, nullable, depth + 1)
            flat.variants = [_flatten(document, branch, None, False, depth + 1) for branch in real]
            for variant in flat.variants:
                flat.nullable = flat.nullable or variant.nullable
                variant.nullable = False
            return flat

    flat = _Flat(ref=ref, title=node.get("title"), nullable=nullable or node.get("nullable") is True)
    kind = node.get("type")
    if kind is not None:
        types = {kind} if isinstance(kind, str) else set(kind)
        if "null" in types:
            flat.nullable = True
            types.discard("null")
        flat.types = frozenset(types)
    elif "properties" in node:
        flat.types = frozenset({"object"})
    elif "items" in node:
        flat.types = frozenset({"array"})
    flat.format = node.get("format")
    values = node.get("enum", [node["const"]] if "const" in node else None)
    if isinstance(values, list):
        if None in values:
            flat.nullable = True
        flat.enum = tuple(sorted(_canonical(v) for v in values if v is not None))
    for keyword in (*_UPPER, *_LOWER):
        value = node.get(keyword)
        if isinstance(value, int | float) and not isinstance(value, bool):
            flat.bounds[keyword] = value
        elif value is True and keyword in ("exclusiveMaximum", "exclusiveMinimum"):  # OpenAPI 3.0's flag
            inclusive = "maximum" if keyword == "exclusiveMaximum" else "minimum"
            if inclusive in node:
                flat.bounds[keyword] = node[inclusive]
    for keyword in ("exclusiveMaximum", "exclusiveMinimum"):
        if node.get(keyword) is True:
            flat.bounds.pop("maximum" if keyword == "exclusiveMaximum" else "minimum", None)
    flat.pattern = node.get("pattern")
    flat.properties = dict(node.get("properties") or {})
    flat.required = frozenset(node.get("required") or ())
    flat.additional = node.get("additionalProperties")
    flat.items = node.get("items")
    return flat


def _listing(values: list[str], most: int = 5) -> str:
    """Values for a one-line message: a country list of 249 codes is cut short."""
    shown = ", ".join(values[:most])
    return shown if len(values) <= most else f"{shown}, ... ({len(values)} in all)"


def _describe(flat: _Flat) -> str:
    text = "any" if flat.types is None else "/".join(sorted(flat.types)) or "null"
    return f"{text} ({flat.format})" if flat.format else text


def _covers(wide: _Flat, narrow: _Flat) -> bool:
    """Does `wide` accept every value `narrow` does, as far as type and format tell?"""
    if wide.types is not None:
        if narrow.types is None:
            return False
        for kind in narrow.types:
            if kind not in wide.types and not (kind == "integer" and "number" in wide.types):
                return False
    return wide.format is None or wide.format == narrow.format


def _overlap(a: _Flat, b: _Flat) -> bool:
    if a.types is None or b.types is None or a.types & b.types:
        return True
    return ("integer" in a.types and "number" in b.types) or ("number" in a.types and "integer" in b.types)


def _join(path: str, name: str) -> str:
    if name == "[]":
        return path + "[]"
    return f"{path}.{name}" if path else name


def _variant_key(flat: _Flat, index: int) -> str:
    if flat.ref:
        return flat.ref.rsplit("/", 1)[-1]
    if flat.title:
        return flat.title
    if flat.types is not None:
        return _describe(flat)
    return f"branch {index}"


@dataclass(frozen=True)
class _Site:
    """Where a schema sits: one parameter, or one media type of a request or a response."""

    method: str
    path: str
    base: str  # "query limit", "request application/json", "response 200 application/json"
    request: bool
    root: str  # kind prefix for the schema itself: request-parameter, request-body, response-body
    parameter: bool = False

    @property
    def nested(self) -> str:
        """Kind prefix for what lies inside it (a parameter's items are still the parameter's)."""
        if self.parameter:
            return self.root
        return "request-property" if self.request else "response-property"

    def thing(self, sub: str) -> str:
        """What a message names: "query parameter limit", "request body", "response property a.b"."""
        if self.parameter:
            place, _, name = self.location(sub).partition(" ")
            return f"{place} parameter {name}"
        side = "request" if self.request else "response"
        return f"{side} property {sub}" if sub else f"{side} body"

    def location(self, sub: str) -> str:
        if not sub:
            return self.base
        if self.parameter:
            return self.base + (sub if sub.startswith("[") else "." + sub)
        return f"{self.base} {sub}"


# --- the comparison ------------------------------------------------------------------------


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []

    def add(self, kind: str, method: str, path: str, location: str, message: str) -> None:
        assert kind in KINDS, kind
        self.changes.append(Change(kind, method.upper(), path, location, message))

    # schemas

    def found(self, site: _Site, sub: str, kind: str, message: str) -> None:
        self.add(kind, site.method, site.path, site.location(sub), message)

    def event(self, site: _Site, sub: str, event: str, message: str) -> None:
        """A change to the schema at `sub` (a property path; "" for the site's own schema)."""
        prefix = site.nested if sub else site.root
        self.found(site, sub, f"{prefix}-{event}", f"{site.thing(sub)}: {message}")

    def schemas(self, site: _Site, sub: str, old: Any, new: Any, seen: frozenset[tuple[Any, Any]]) -> None:
        self.flats(site, sub, _flatten(self.old, old), _flatten(self.new, new), seen)

    def flats(self, site: _Site, sub: str, o: _Flat, n: _Flat, seen: frozenset[tuple[Any, Any]]) -> None:
        if o.ref or n.ref:  # a recursive schema is compared once per path through it
            if (o.ref, n.ref) in seen:
                return
            seen = seen | {(o.ref, n.ref)}
        if o.nullable != n.nullable:
            self.event(
                site,
                sub,
                "became-nullable" if n.nullable else "became-not-nullable",
                "may now be null" if n.nullable else "may no longer be null",
            )
        if o.variants or n.variants:
            self.unions(site, sub, o, n, seen)
            if not (o.variants and n.variants):
                return
        elif not self.types(site, sub, o, n):
            return
        self.enums(site, sub, o, n)
        self.bounds(site, sub, o, n)
        self.patterns(site, sub, o, n)
        self.objects(site, sub, o, n, seen)
        if o.items is not None or n.items is not None:
            self.schemas(site, _join(sub, "[]"), o.items or {}, n.items or {}, seen)

    def types(self, site: _Site, sub: str, o: _Flat, n: _Flat) -> bool:
        """Report a type or format change; False when nothing beneath is worth comparing."""
        if o.types == n.types and o.format == n.format:
            return True
        wider, narrower = _covers(n, o), _covers(o, n)
        event = "type-generalized" if wider else "type-specialized" if narrower else "type-changed"
        self.event(site, sub, event, f"type changed from {_describe(o)} to {_describe(n)}")
        return _overlap(o, n)

    def unions(self, site: _Site, sub: str, o: _Flat, n: _Flat, seen: frozenset[tuple[Any, Any]]) -> None:
        olds = o.variants or [replace(o, nullable=False)]
        news = n.variants or [replace(n, nullable=False)]
        old_keys = {_variant_key(v, i): v for i, v in enumerate(olds)}
        new_keys = {_variant_key(v, i): v for i, v in enumerate(news)}
        if gone := [k for k in old_keys if k not in new_keys]:
            self.event(site, sub, "one-of-removed", f"no longer one of {', '.join(gone)}")
        if came := [k for k in new_keys if k not in old_keys]:
            self.event(site, sub, "one-of-added", f"may now also be {', '.join(came)}")
        for key in old_keys.keys() & new_keys.keys():
            self.flats(site, sub, old_keys[key], new_keys[key], seen)

    def enums(self, site: _Site, sub: str, o: _Flat, n: _Flat) -> None:
        if o.enum == n.enum:
            return
        if o.enum is None:
            self.event(site, sub, "became-enum", f"restricted to {_listing(list(n.enum or ()))}")
        elif n.enum is None:
            self.event(site, sub, "became-not-enum", "no longer restricted to a list of values")
        else:
            if gone := [v for v in o.enum if v not in n.enum]:
                self.event(site, sub, "enum-value-removed", f"enum values removed: {_listing(gone)}")
            if came := [v for v in n.enum if v not in o.enum]:
                self.event(site, sub, "enum-value-added", f"enum values added: {_listing(came)}")

    def bounds(self, site: _Site, sub: str, o: _Flat, n: _Flat) -> None:
        for keyword, name in (_UPPER | _LOWER).items():
            before, after = o.bounds.get(keyword), n.bounds.get(keyword)
            if before == after:
                continue
            if before is None:
                event, text = "set", f"{keyword} set to {after}"
            elif after is None:
                event, text = "unset", f"{keyword} {before} removed"
            else:
                event = "increased" if after > before else "decreased"
                text = f"{keyword} {event} from {before} to {after}"
            self.event(site, sub, f"{name}-{event}", text)

    def patterns(self, site: _Site, sub: str, o: _Flat, n: _Flat) -> None:
        if o.pattern == n.pattern:
            return
        if o.pattern is None:
            self.event(site, sub, "pattern-added", f"pattern {n.pattern} added")
        elif n.pattern is None:
            self.event(site, sub, "pattern-removed", f"pattern {o.pattern} removed")
        else:
            self.event(site, sub, "pattern-changed", f"pattern changed from {o.pattern} to {n.pattern}")

    def objects(self, site: _Site, sub: str, o: _Flat, n: _Flat, seen: frozenset[tuple[Any, Any]]) -> None:
        side = "request" if site.request else "response"
        for name in sorted(o.properties.keys() | n.properties.keys()):
            at = _join(sub, name)
            was, now = ("required" if name in flat.required else "optional" for flat in (o, n))
            if name not in n.properties:
                if not site.request:
                    kind, note = f"response-{was}-property-removed", ""
                elif n.additional is False:
                    kind, note = "request-property-removed", ""
                else:
                    kind, note = "request-property-unlisted", " (unknown fields are still accepted)"
                self.found(site, at, kind, f"{side} property {at} removed{note}")
            elif name not in o.properties:
                kind = f"new-{now}-request-property" if site.request else f"response-{now}-property-added"
                self.found(site, at, kind, f"new {now} {side} property {at}")
            else:
                if was != now:
                    self.found(site, at, f"{side}-property-became-{now}", f"{side} property {at} became {now}")
                self.schemas(site, at, o.properties[name], n.properties[name], seen)
        if site.request and (o.additional is False) != (n.additional is False):
            closed = n.additional is False
            self.event(
                site,
                sub,
                f"additional-properties-{'forbidden' if closed else 'allowed'}",
                "unknown fields are now refused" if closed else "unknown fields are now accepted",
            )
        if isinstance(o.additional, dict) or isinstance(n.additional, dict):
            before = o.additional if isinstance(o.additional, dict) else {}
            after = n.additional if isinstance(n.additional, dict) else {}
            if o.additional is not False and n.additional is not False:
                self.schemas(site, _join(sub, "*"), before, after, seen)

    # operations

    def run(self) -> list[Change]:
        old_paths = {_template(p): p for p in self.old.get("paths") or {}}
        new_paths = {_template(p): p for p in self.new.get("paths") or {}}
        for key in sorted(old_paths.keys() | new_paths.keys(), key=lambda k: new_paths.get(k) or old_paths[k]):
            if key not in new_paths:
                self.path_removed(old_paths[key])
            elif key not in old_paths:
                for method in _methods(_deref(self.new, self.new["paths"][new_paths[key]])):
                    self.add("endpoint-added", method, new_paths[key], "", "new operation")
            else:
                self.path(old_paths[key], new_paths[key])
        return self.changes

    def path_removed(self, path: str) -> None:
        item = _deref(self.old, self.old["paths"][path])
        methods = _methods(item)
        deprecated = bool(methods) and all(item[m].get("deprecated") is True for m in methods)
        kind = f"api-path-removed-{'with' if deprecated else 'without'}-deprecation"
        self.add(kind, "", path, "", f"path removed with its operations ({', '.join(methods).upper()})")

    def path(self, old_path: str, new_path: str) -> None:
        old_item = _deref(self.old, self.old["paths"][old_path])
        new_item = _deref(self.new, self.new["paths"][new_path])
        for method in METHODS:
            if method in old_item and method not in new_item:
                deprecated = "with" if old_item[method].get("deprecated") is True else "without"
                self.add(f"api-removed-{deprecated}-deprecation", method, new_path, "", "operation removed")
            elif method in new_item and method not in old_item:
                self.add("endpoint-added", method, new_path, "", "new operation")
            elif method in old_item:
                o, n = old_item[method], new_item[method]
                note = _Note(self, method.upper(), new_path)
                self.operation_id(note, o.get("operationId"), n.get("operationId"))
                old_parameters = _parameters(self.old, old_path, old_item, o)
                self.parameters(note, old_parameters, _parameters(self.new, new_path, new_item, n))
                self.request_body(note, o.get("requestBody"), n.get("requestBody"))
                self.responses(note, o.get("responses") or {}, n.get("responses") or {})
                self.security(note, o, n)

    def operation_id(self, note: _Note, before: Any, after: Any) -> None:
        if before == after:
            return
        if before:
            note(
                "api-operation-id-removed",
                "operationId",
                f"operationId {before} " + (f"changed to {after}" if after else "removed"),
            )
        else:
            note("api-operation-id-added", "operationId", f"operationId {after} added")

    def parameters(self, note: _Note, old: dict[tuple[str, Any], Any], new: dict[tuple[str, Any], Any]) -> None:
        for key in sorted(old.keys() | new.keys(), key=str):
            p = new.get(key) or old[key]
            where, label = f"{p.get('in')} {p.get('name')}", f"{p.get('in')} parameter {p.get('name')}"
            if key not in new:
                note("request-parameter-removed", where, f"{label} removed")
            elif key not in old:
                now = _required(p)
                note(f"new-{now}-request-parameter", where, f"new {now} {label}")
            else:
                if (now := _required(p)) != _required(old[key]):
                    note(f"request-parameter-became-{now}", where, f"{label} became {now}")
                site = _Site(note.method, note.path, where, request=True, root="request-parameter", parameter=True)
                self.schemas(site, "", _parameter_schema(old[key]), _parameter_schema(p), frozenset())

    def request_body(self, note: _Note, old: Any, new: Any) -> None:
        if old is None and new is None:
            return
        o, n = _deref(self.old, old), _deref(self.new, new)
        if old is None:
            note(f"request-body-added-{_required(n)}", "request", f"new {_required(n)} request body")
            return
        if new is None:
            note("request-body-removed", "request", "request body removed")
            return
        if (now := _required(n)) != _required(o):
            note(f"request-body-became-{now}", "request", f"request body became {now}")
        self.media(note, "request", _media(o), _media(n))

    def media(self, note: _Note, base: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        """The media types of a request body or of one response, and each one's schema."""
        request = base == "request"
        side = "request-body" if request else "response"
        for media in sorted(old.keys() | new.keys()):
            where = f"{base} {media}"
            if media not in new:
                note(f"{side}-media-type-removed", where, f"{base}: media type {media} removed")
            elif media not in old:
                note(f"{side}-media-type-added", where, f"{base}: media type {media} added")
            else:
                site = _Site(note.method, note.path, where, request, "request-body" if request else "response-body")
                self.schemas(site, "", old[media].get("schema", {}), new[media].get("schema", {}), frozenset())

    def responses(self, note: _Note, old: dict[str, Any], new: dict[str, Any]) -> None:
        answers = sorted(str(s) for s in new if str(s).startswith("2"))
        for status in sorted(old.keys() | new.keys(), key=str):
            sort = "success" if str(status).startswith("2") else "non-success"
            where = f"response {status}"
            if status not in new:
                instead = f" (it now answers {', '.join(answers)})" if sort == "success" and answers else ""
                note(f"response-{sort}-status-removed", where, f"response {status} removed{instead}")
            elif status not in old:
                note(f"response-{sort}-status-added", where, f"new response {status}")
            else:
                o, n = _deref(self.old, old[status]), _deref(self.new, new[status])
                self.media(note, where, _media(o), _media(n))
                self.headers(note, where, o.get("headers") or {}, n.get("headers") or {})

    def headers(self, note: _Note, base: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        before = {k.lower(): (k, _deref(self.old, v)) for k, v in old.items()}
        after = {k.lower(): (k, _deref(self.new, v)) for k, v in new.items()}
        for key in sorted(before.keys() | after.keys()):
            name, header = after.get(key) or before[key]
            where = f"{base} header {name}"
            if key not in after:
                note(f"{_required(header)}-response-header-removed", where, f"{base}: header {name} removed")
            elif key not in before:
                note("response-header-added", where, f"{base}: new header {name}")
            elif _required(before[key][1]) == "required" and _required(header) == "optional":
                note("response-header-became-optional", where, f"{base}: header {name} may now be missing")

    def security(self, note: _Note, o: dict[str, Any], n: dict[str, Any]) -> None:
        """The operation's security, or the document's when it names none."""
        before = o["security"] if "security" in o else self.old.get("security") or []
        after = n["security"] if "security" in n else self.new.get("security") or []
        if _open(before) and not _open(after):
            note("api-security-added", "security", f"now needs {_alternatives(after)}; it was open")
        elif _open(after) and not _open(before):
            note("api-security-removed", "security", f"no longer needs {_alternatives(before)}")
        elif not _open(before):
            olds, news = _by_schemes(before), _by_schemes(after)
            for schemes in sorted(olds.keys() - news.keys(), key=sorted):
                note(
                    "api-security-alternative-removed", "security", f"{' + '.join(sorted(schemes))} no longer accepted"
                )
            for schemes in sorted(news.keys() - olds.keys(), key=sorted):
                note("api-security-alternative-added", "security", f"{' + '.join(sorted(schemes))} now accepted too")
            for schemes in sorted(olds.keys() & news.keys(), key=sorted):
                for scheme in sorted(schemes):
                    if came := sorted(set(news[schemes][scheme]) - set(olds[schemes][scheme])):
                        note("api-security-scope-added", "security", f"{scheme} now needs scopes {', '.join(came)}")
                    if gone := sorted(set(olds[schemes][scheme]) - set(news[schemes][scheme])):
                        note(
                            "api-security-scope-removed",
                            "security",
                            f"{scheme} no longer needs scopes {', '.join(gone)}",
                        )


@dataclass(frozen=True)
class _Note:
    """Records changes of one operation: `note(kind, location, message)`."""

    differ: _Differ
    method: str
    path: str

    def __call__(self, kind: str, location: str, message: str) -> None:
        self.differ.add(kind, self.method, self.path, location, message)


def _required(node: dict[str, Any]) -> str:
    return "required" if node.get("required") is True else "optional"


def _template(path: str) -> str:
    """A path with its parameters' names left out: renaming `{id}` changes no URL."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _methods(item: dict[str, Any]) -> list[str]:
    return [m for m in METHODS if isinstance(item.get(m), dict)]


def _parameters(
    document: dict[str, Any], path: str, item: dict[str, Any], operation: dict[str, Any]
) -> dict[tuple[str, Any], dict[str, Any]]:
    """{key: parameter}: the path item's, overridden by the operation's. Path parameters are
    keyed by position (a rename is no change to a client); headers by their lowercased name."""
    names = re.findall(r"\{([^}]*)\}", path)
    found: dict[tuple[str, Any], dict[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        p = _deref(document, raw)
        place, name = str(p.get("in")), str(p.get("name"))
        if place == "path" and name in names:
            found[(place, names.index(name))] = p
        else:
            found[(place, name.lower() if place == "header" else name)] = p
    return found


def _parameter_schema(parameter: dict[str, Any]) -> Any:
    if "schema" in parameter:
        return parameter["schema"]
    for media in (parameter.get("content") or {}).values():
        return media.get("schema", {})
    return {}


def _media(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(k).lower(): v if isinstance(v, dict) else {} for k, v in (node.get("content") or {}).items()}


def _open(requirements: list[Any]) -> bool:
    """No requirement, or an empty one among the alternatives: callable without credentials."""
    return not requirements or any(not alternative for alternative in requirements)


def _by_schemes(requirements: list[Any]) -> dict[frozenset[str], dict[str, list[str]]]:
    return {frozenset(alternative): alternative for alternative in requirements if alternative}


def _alternatives(requirements: list[Any]) -> str:
    return " or ".join(" + ".join(sorted(alternative)) for alternative in requirements if alternative)


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from `old` to `new`, each with its kind and whether it breaks clients."""
    return _Differ(old, new).run()


# --- accepting a breaking change, and the verdict ---------------------------------------


@dataclass(frozen=True)
class Accepted:
    """One line of the accepted-breaking list: `kind where`, `*` matching any run of text."""

    kind: str
    where: str
    reason: str
    line: int

    def matches(self, change: Change) -> bool:
        return (
            _glob(self.kind).fullmatch(change.kind) is not None
            and _glob(self.where).fullmatch(change.where) is not None
        )

    def __str__(self) -> str:
        return f"{self.kind}\t{self.where}"


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def parse_accepted(text: str) -> list[Accepted]:
    """The entries of an accepted-breaking list; ValueError naming the line of a bad one."""
    entries, reason = [], ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            reason = ""
        elif line.startswith("#"):
            reason = f"{reason} {line.lstrip('#').strip()}".strip()
        else:
            kind, _, where = line.replace("\t", " ").partition(" ")
            where = " ".join(where.split())
            if not where:
                raise ValueError(f"line {number}: write the kind, then the `where` of the change")
            if "*" not in kind and kind not in KINDS:
                raise ValueError(f"line {number}: unknown kind {kind!r}")
            if not reason:
                raise ValueError(f"line {number}: say why in a `# reason` comment above the entry")
            entries.append(Accepted(kind, where, reason, number))
    return entries


def major(version: Any) -> int | None:
    """The major of an `info.version` such as "1.0.0" or "v2"; None when it has none."""
    found = re.match(r"\s*v?(\d+)", str(version)) if version is not None else None
    return int(found.group(1)) if found else None


@dataclass
class Report:
    """The changes between two documents and the verdict on them."""

    changes: list[Change]
    accepted: list[Change]  # breaking, and on the accepted list
    refused: list[Change]  # breaking, not accepted
    unused: list[Accepted]  # entries that matched no change (harmless: they were for an earlier commit)
    old_version: str | None
    new_version: str | None

    @property
    def major_changed(self) -> bool:
        before, after = major(self.old_version), major(self.new_version)
        return before is not None and after is not None and before != after

    @property
    def failed(self) -> bool:
        """A new major version may break; otherwise every breaking change must be accepted."""
        return bool(self.refused) and not self.major_changed


def judge(old: Document, new: Document, accepted: Iterable[Accepted] = ()) -> Report:
    """Compare, then sort the breaking changes into accepted and refused."""
    entries = list(accepted)
    if isinstance(old, str) or isinstance(new, str):
        if not (isinstance(old, str) and isinstance(new, str)):
            raise DocumentError("compare a GraphQL schema with a GraphQL schema, an OpenAPI document with another")
        changes = compare_graphql(old, new)
    else:
        changes = compare(old, new)
    used: set[int] = set()
    taken: list[Change] = []
    refused: list[Change] = []
    for change in changes:
        if not change.breaking:
            continue
        matching = [i for i, entry in enumerate(entries) if entry.matches(change)]
        used.update(matching)
        (taken if matching else refused).append(change)
    unused = [entry for i, entry in enumerate(entries) if i not in used]
    return Report(changes, taken, refused, unused, _version(old), _version(new))


def compare_graphql(old: str, new: str) -> list[Change]:
    """What changed between two GraphQL schemas (SDL), as graphql-core finds it."""
    before, after = build_schema(old), build_schema(new)
    found: list[Any] = [*find_breaking_changes(before, after), *find_dangerous_changes(before, after)]
    return [Change(_graphql_kind(c.type), "", "GraphQL", c.description.rstrip("."), c.description) for c in found]


def _version(document: Document) -> str | None:
    if isinstance(document, str):
        return None
    version = (document.get("info") or {}).get("version")
    return None if version is None else str(version)


def render_text(report: Report) -> str:
    """One block per change: its mark, `kind<TAB>where` (an accepted-list line as it is), and
    the message; then the counts and the verdict."""
    lines = []
    accepted = set(report.accepted)
    for change in report.changes:
        mark = "non-breaking"
        if change.breaking:
            mark = "BREAKING (accepted)" if change in accepted else "BREAKING"
        lines += [f"{mark:<21}{change.kind}\t{change.where}", f"{'':<21}{change.message}"]
    breaking = len(report.accepted) + len(report.refused)
    lines.append(
        f"{_count(len(report.changes), 'change')}: {breaking} breaking ({len(report.accepted)} accepted), "
        f"{len(report.changes) - breaking} non-breaking"
    )
    for entry in report.unused:
        lines.append(f"accepted entry on line {entry.line} matched nothing: {entry}")
    if report.refused and report.major_changed:
        versions = f"{report.old_version} -> {report.new_version}"
        lines.append(f"info.version {versions}: a new major version may break clients")
    elif report.refused:
        lines.append(
            f"{_count(len(report.refused), 'breaking change')} not accepted: change the major version, "
            "or list them with a reason in the accepted file"
        )
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def render_json(report: Report) -> dict[str, Any]:
    accepted = set(report.accepted)
    return {
        "old_version": report.old_version,
        "new_version": report.new_version,
        "major_changed": report.major_changed,
        "failed": report.failed,
        "changes": [change.as_dict() | {"accepted": change in accepted} for change in report.changes],
        "counts": {
            "changes": len(report.changes),
            "breaking": len(report.accepted) + len(report.refused),
            "accepted": len(report.accepted),
            "refused": len(report.refused),
        },
        "unused_accepted": [str(entry) for entry in report.unused],
    }


# --- reading documents (the only I/O here) ----------------------------------------------


class DocumentError(Exception):
    """A document that cannot be read: the message says why, for the command line."""


def _git(args: list[str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as missing:
        raise DocumentError("git is not installed") from missing


def git_show(revision: str, path: str, cwd: Path | None = None) -> str | None:
    """The text of `path` at `revision` (as `git show REV:PATH` reads it: from the repository
    root, or from `cwd` when it starts with ./); None when that commit has no such file."""
    if _git(["rev-parse", "--git-dir"], cwd).returncode != 0:
        raise DocumentError(f"{cwd or Path.cwd()} is not in a git checkout")
    if _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], cwd).returncode != 0:
        shallow = _git(["rev-parse", "--is-shallow-repository"], cwd).stdout.strip() == "true"
        hint = " (this clone is shallow: fetch more history)" if shallow else ""
        raise DocumentError(f"no commit {revision!r} in this checkout{hint}")
    if _git(["cat-file", "-e", f"{revision}:{path}"], cwd).returncode != 0:
        return None
    shown = _git(["show", f"{revision}:{path}"], cwd)
    if shown.returncode != 0:
        raise DocumentError(f"git show {revision}:{path}: {shown.stderr.strip()}")
    return shown.stdout


def read_document(source: str, cwd: Path | None = None) -> Document:
    """An OpenAPI document (JSON) or, for a `.graphql` file, a GraphQL schema (SDL), from a
    file or from `git:REV:PATH`."""
    if source.startswith("git:"):
        revision, colon, path = source[4:].partition(":")
        if not (revision and colon and path):
            raise DocumentError(f"{source!r}: write git:REV:PATH, e.g. git:HEAD~1:openapi/v1.json")
        text = git_show(revision, path, cwd)
        if text is None:
            raise DocumentError(f"{path} does not exist at {revision}")
    else:
        try:
            text = ((cwd or Path()) / source).read_text(encoding="utf-8")
        except OSError as error:
            raise DocumentError(f"cannot read {source}: {error.strerror}") from error
    if source.endswith(".graphql"):
        try:
            build_schema(text)
        except GraphQLError as error:
            raise DocumentError(f"{source} is not a GraphQL schema: {error.message}") from error
        return text
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentError(f"{source} is not JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("paths", {}), dict):
        raise DocumentError(f"{source} is not an OpenAPI document")
    return document
