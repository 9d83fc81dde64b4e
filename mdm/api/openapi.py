"""The OpenAPI documents, told as the server behaves.

Litestar generates the document from the handlers and the contracts; `truthful` then
adds what the handlers cannot say about themselves because the ASGI middlewares and the
exception handlers decide it (mdm/api/auth.py, middleware.py, problems.py):

- every error status an operation can answer, each as `application/problem+json`
  (`Problem`): 401 and 503 on every operation that needs a key, 403 on every write (a
  system writes only its own source paths), 409 and 422 on every write (Idempotency-Key
  reused or malformed; lost races), 400, 413, 415 and 422 on every body, 422 on every
  parameter, 400 on every versioned path (a path or query that does not decode as UTF-8);
  Litestar's own 400 schema (which the server never answers) is dropped;
- `If-Match` required where the handler answers 428 without it;
- the 301 of a merged-away id with its body and `Location`;
- examples for every request body and every response, derived from the schemas (the
  contract tests validate each one against its schema).

`ContractSchemaPlugin` renders msgspec Structs as Litestar does, plus
`additionalProperties: false` for `forbid_unknown_fields` Structs and each field's
`Meta(extra_json_schema=...)` (the contracts' patterns and ISO code lists).

The app's one document is split per contract version by path prefix (`/v1/`, `/v2/`, …):
a version's document holds its paths, the unversioned ones (`/health/*`, the same for
every version) and the components they reference.
"""

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.datastructures import OpenAPIContext
from litestar._openapi.path_item import create_path_item_for_route, merge_path_item_operations
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import OpenAPIType, PathItem, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.serialization import encode_json
from litestar.typing import FieldDefinition

from contracts.v1 import Problem
from mdm.api.auth import OPEN_PREFIXES, path_refusal
from mdm.api.instants import INSTANT_EXAMPLE
from mdm.api.middleware import WRITE_METHODS
from mdm.api.preconditions import ETAG_PATTERN
from mdm.api.problems import PROBLEM, problem_of
from mdm.auth.keys import Caller
from mdm.domains import DOMAINS

VERSIONED = re.compile(r"^/(v[0-9]+)/")
BULK_RESOLVE = re.compile(r"^/v[0-9]+/resolve$")
SOURCE_BATCH = re.compile(r"^/v[0-9]+/[a-z-]+/sources/\{system\}/batch$")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# why each error status happens, as the document says it
ERRORS: dict[int, str] = {
    400: "the body is not readable JSON (malformed, nested too deep, not UTF-8), or the path or query has a "
    "percent-escape that is not UTF-8",
    401: "no valid API key: send `Authorization: Bearer <key>` (missing, unknown or revoked)",
    403: "the policy does not let this caller do it, or a system writes outside its own source path",
    404: "no such record (or route)",
    409: "conflicts with an existing record or a concurrent write, or the Idempotency-Key was used for another request",
    410: "retention has pruned the events after this cursor: start again from the oldest kept",
    412: "If-Match does not name the current version (the ETag header names it)",
    413: "the body (or the number of items in it) is larger than the server takes",
    415: "the body is not `application/json`",
    422: "a parameter, header or field is not valid; `errors` names each",
    428: "If-Match is missing: send the ETag of the version you edited, or `*`",
    503: "the database does not answer; retry later",
}
_EXAMPLE_DETAIL: dict[int, tuple[str, list[tuple[str, str]] | None]] = {
    400: ("JSON is malformed: invalid character (byte 4)", None),
    401: ("send Authorization: Bearer <api key>; this key is missing, unknown or revoked", None),
    403: (
        "system:netsuite may not write name of customer; nothing was written",
        [("name", "owned by system:salesforce")],
    ),
    404: ("no customer with id cus_01M80JHKNPXXGD152RZD5KESWS", None),
    409: ("this Idempotency-Key was used with another request; use a new key", None),
    410: (
        "the feed no longer holds the events after 0000000000000000-000000000000002a: retention pruned them",
        [("after", "must be 0000000000000000-000000000000006b or later")],
    ),
    412: ("record cus_01M80JHKNPXXGD152RZD5KESWS is at version 3, not 2", None),
    413: ("1001 keys sent; at most 1000 per call", [("keys", "at most 1000 keys")]),
    415: ("send the body as application/json", None),
    422: ("Validation failed for POST /v1/customers", [("country", "'XX' is not an ISO 3166-1 alpha-2 country code")]),
    428: ("PATCH needs an If-Match header with the record's ETag", None),
    503: ("the database does not answer; retry later", None),
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "the same key and body answer the first response again (`Idempotent-Replayed: true`); "
    "the same key with another body is a 409",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}
CORRELATION_HEADER = {
    "description": "the request's X-Correlation-ID if it was 1-100 of `A-Za-z0-9._:-`, else a new ULID",
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,100}$"},
}
MOVED = {
    "type": "object",
    "required": ["id", "merged_path", "detail"],
    "properties": {
        "id": {"type": "string", "description": "the survivor"},
        "merged_path": {"type": "array", "items": {"type": "string"}, "description": "merged-away ids on the way"},
        "detail": {"type": "string"},
    },
}


# ---- schemas of the contracts ---------------------------------------------------------

# JSON Schema keywords that constrain a value, as msgspec states them, and Litestar's names
_CONSTRAINTS = {
    "pattern": "pattern",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "multipleOf": "multiple_of",
    "minItems": "min_items",
    "maxItems": "max_items",
    "minProperties": "min_properties",
    "maxProperties": "max_properties",
    "enum": "enum",
}


def _branches(schema: Schema) -> list[Schema]:
    """The schemas a value may take: the non-null branches of `X | None`, else itself."""
    union = [b for b in (*(schema.one_of or ()), *(schema.any_of or ())) if isinstance(b, Schema)]
    return [b for b in union if b.type not in (None, "null")] or [schema]


def _constraints(source: dict[str, Any]) -> dict[str, Any]:
    return {attr: source[key] for key, attr in _CONSTRAINTS.items() if key in source}


def carry_constraints(target: Schema, source: dict[str, Any]) -> None:
    """Put msgspec's constraints of a value (`source`, the JSON Schema msgspec gives it, which
    is what msgspec enforces) on Litestar's schema of it (`target`), at every depth: array
    items, dict keys and values, the branches of a union. Litestar keeps only the outermost
    `Meta` of a field and none of `Meta(extra_json_schema=...)`, so without this the
    document would allow an empty id in a list or a dict key msgspec refuses."""
    if "$ref" in source:
        return  # a Struct of its own: its schema is carried when it is rendered
    branches = [b for b in source.get("anyOf", ()) if b.get("type") != "null"]
    if branches:
        for branch, into in zip(branches, _branches(target), strict=False):
            carry_constraints(into, branch)
        return
    into = _branches(target)[0]
    for attr, value in _constraints(source).items():
        if getattr(into, attr) is None and getattr(target, attr) is None:  # what Litestar said stays
            setattr(into, attr, value)
    if isinstance(source.get("items"), dict) and isinstance(into.items, Schema):
        carry_constraints(into.items, source["items"])
    if isinstance(source.get("additionalProperties"), dict) and isinstance(into.additional_properties, Schema):
        carry_constraints(into.additional_properties, source["additionalProperties"])
    if isinstance(source.get("propertyNames"), dict):
        into.property_names = Schema(type=OpenAPIType.STRING, **_constraints(source["propertyNames"]))


def _camel_to_snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _extra_json_schema(field_type: Any) -> dict[str, Any]:
    """A field's `Meta(extra_json_schema=...)`, looking through `X | None` (and UNSET)."""
    if isinstance(field_type, msgspec.inspect.Metadata):
        return dict(field_type.extra_json_schema or {})
    if isinstance(field_type, msgspec.inspect.UnionType):
        for member in field_type.types:
            if found := _extra_json_schema(member):
                return found
    return {}


def _msgspec_schema(struct: type) -> dict[str, Any]:
    (ref,), components = msgspec.json.schema_components([struct], ref_template="{name}")
    found: dict[str, Any] = components[ref["$ref"]]
    return found


class ContractSchemaPlugin(OpenAPISchemaPlugin):
    """A msgspec Struct as the next plugin (Litestar's own) renders it, with what msgspec
    enforces and that one leaves out: `additionalProperties: false` when unknown fields are
    refused, every field's constraints at every depth (`carry_constraints`), the fields'
    `extra_json_schema` (ISO code lists, money's and an e-mail's document patterns), and for a patch's
    `overrides_cleared` the names it may hold (the patch's other fields: the service refuses
    any other name)."""

    _CARRIED = frozenset({"title", "description", "examples"})  # Litestar carries these itself

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return not field_definition.is_union and field_definition.is_subclass_of(msgspec.Struct)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        plugins = list(schema_creator.plugins)
        rest = plugins[plugins.index(self) + 1 :]
        litestar = next(p for p in rest if schema_creator.plugin_supports_field(p, field_definition))
        schema: Schema = litestar.to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        if struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        properties = schema.properties or {}
        for name, source in _msgspec_schema(struct).get("properties", {}).items():
            if isinstance(properties.get(name), Schema):
                carry_constraints(properties[name], source)  # type: ignore[arg-type]
        info = msgspec.inspect.type_info(struct)
        assert isinstance(info, msgspec.inspect.StructType)
        for field in info.fields:  # a field's extra_json_schema has the last word in the document
            extra = {k: v for k, v in _extra_json_schema(field.type).items() if k not in self._CARRIED}
            prop = properties.get(field.encode_name)
            if extra and isinstance(prop, Schema):
                for key, value in extra.items():
                    setattr(_branches(prop)[0], _camel_to_snake(key), value)
        cleared = properties.get("overrides_cleared")
        if isinstance(cleared, Schema):
            names = sorted(n for n in properties if n != "overrides_cleared")
            for branch in _branches(cleared):
                if isinstance(branch.items, Schema):
                    branch.items.enum = names
        return schema


# ---- the truthful document ------------------------------------------------------------


def is_open(path: str) -> bool:
    """Paths the auth middleware lets through without a key."""
    return path.startswith(OPEN_PREFIXES)


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method.upper(), op


# a person and a system whose name is no path's: whom auth.path_refusal may refuse a write
_ANY_CALLER = (Caller("user:anyone", frozenset(), ""), Caller("system:anyone", frozenset(), ""))


def error_statuses(path: str, method: str, op: dict[str, Any]) -> set[int]:
    """Every error status the server can answer for this operation."""
    declared = {int(s) for s in op["responses"] if s[0] in "45" and s != "400"}  # Litestar's 400: see below
    if is_open(path):
        return declared
    found = declared | {401, 503}
    if VERSIONED.match(path):
        found.add(400)  # a path or query whose escapes are not UTF-8 (mdm.api.middleware.unreadable)
    if "{" in path:
        found.add(404)  # a path parameter holding "/" (or %2F) names no route
    if method in WRITE_METHODS:
        found |= {409, 422}  # Idempotency-Key reused or malformed; a write that lost a race
    if any(path_refusal(caller, method, path) for caller in _ANY_CALLER):
        found.add(403)  # a system writes only its own source records, a person none
    if "requestBody" in op:
        found |= {400, 413, 415, 422}  # not JSON; too large; not application/json; not the contract
    if op.get("parameters"):
        found.add(422)
    return found


RESPONSE_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Gone",
    412: "PreconditionFailed",
    413: "ContentTooLarge",
    415: "UnsupportedMediaType",
    422: "ValidationFailed",
    428: "PreconditionRequired",
    503: "ServiceUnavailable",
}


def _problem_response(status: int) -> dict[str, Any]:
    detail, errors = _EXAMPLE_DETAIL[status]
    example = msgspec.to_builtins(problem_of(status, detail, errors))
    response: dict[str, Any] = {
        "description": ERRORS[status],
        "content": {PROBLEM: {"schema": PROBLEM_REF, "examples": {"problem": {"value": example}}}},
    }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}}
    if status == 412:
        response["headers"] = {"ETag": {"description": "the current version", "schema": {"type": "string"}}}
    return response


def _tell(path: str, method: str, op: dict[str, Any]) -> None:
    responses = op["responses"]
    statuses = error_statuses(path, method, op)
    responses.pop("400", None)  # Litestar's own, with its schema; the server's 400 is a problem
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/{RESPONSE_NAMES[status]}"}
    if "301" in responses:
        responses["301"] = {
            "description": "merged away: Location names the same route for the survivor",
            "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
            "content": {"application/json": {"schema": MOVED}},
        }
    for status, response in responses.items():
        for header in response.get("headers", {}).values():
            header.setdefault("schema", {"type": "string"})  # Litestar's documentation-only headers have none
        if status[0] in "23":
            response.setdefault("headers", {})["X-Correlation-ID"] = CORRELATION_HEADER
    if is_open(path):
        op["security"] = []  # no key needed
    params = op.setdefault("parameters", [])
    for param in params:
        if param["in"] == "header" and param["name"].lower() == "if-match":
            # the handler answers 428 without it (a problem, not Litestar's 400): so the
            # parameter is optional to Litestar and required in the document
            param["required"] = True
            param["schema"] = {"type": "string", "pattern": ETAG_PATTERN, "examples": ['"3"', "*"]}
    if method in WRITE_METHODS and not any(p["name"] == "Idempotency-Key" for p in params):
        params.append(IDEMPOTENCY_KEY)
    if not params:
        del op["parameters"]


_BOUNDS = (("ge", "minimum"), ("gt", "exclusiveMinimum"), ("le", "maximum"), ("lt", "exclusiveMaximum"))


def zero_bounds(app: Litestar) -> dict[tuple[str, str, str], dict[str, float]]:
    """(path, method, parameter) -> its bounds that are 0, which Litestar leaves out of the
    document (it skips falsy constraints: `ge=0.0` is lost, `ge=1` kept)."""
    found: dict[tuple[str, str, str], dict[str, float]] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            for name, field in handler.parsed_fn_signature.parameters.items():
                kwarg = field.kwarg_definition
                bounds = {key: 0.0 for attr, key in _BOUNDS if getattr(kwarg, attr, None) == 0}
                if bounds:
                    alias = getattr(kwarg, "query", None) or getattr(kwarg, "header", None) or name
                    for method in handler.http_methods:
                        found[(route.path_format, method.upper(), alias)] = bounds
    return found


def _name_the_domains(doc: dict[str, Any], op: dict[str, Any]) -> None:
    """Bulk resolve's keys name a domain of this hub (mdm.api.resolve refuses any other with
    a 422): the contract says a string, the document the names (built-in domains and those
    MDM_DOMAIN_MODULES adds, as this app has them)."""
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    keys = _resolve(doc, body).get("properties", {}).get("keys", {})
    key = _resolve(doc, keys.get("items", {}))
    if "domain" in key.get("properties", {}):
        key["properties"]["domain"]["enum"] = [d.name for d in DOMAINS]


def _name_the_batch_records(doc: dict[str, Any], path: str, op: dict[str, Any]) -> None:
    """A batch item's `record` is what the PUT of one source record takes, but checked item
    by item: a record that does not fit is that item's 422 in a 200 answer, so the body's
    schema may only say "an object" (else a request with one bad item would be documented
    as refused whole). Its description names the record's schema, inline per operation
    (one SourceBatch serves every domain)."""
    put_path = path.removesuffix("/batch") + "/{source_id}"
    put = doc["paths"].get(put_path, {}).get("put", {})
    record = put.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "$ref" not in record or "schema" not in content:
        return
    name = record["$ref"].rsplit("/", 1)[-1]
    batch = copy.deepcopy(_resolve(doc, content["schema"]))
    item = copy.deepcopy(_resolve(doc, batch["properties"]["items"]["items"]))
    item["properties"]["record"] = {
        "type": "object",
        "description": f"a `{name}`, as `PUT {put_path}` takes it; checked on its own: one that does not "
        "fit is that item's 422 problem, the other items still apply",
    }
    batch["properties"]["items"]["items"] = item
    content["schema"] = batch


def truthful(doc: dict[str, Any], bounds: dict[tuple[str, str, str], dict[str, float]] | None = None) -> dict[str, Any]:
    """Litestar's document (as JSON builtins) with what the server really answers."""
    doc = copy.deepcopy(doc)
    for path, method, op in operations(doc):
        for param in op.get("parameters", []):
            param["schema"].update((bounds or {}).get((path, method, param["name"]), {}))
        _tell(path, method, op)
        if BULK_RESOLVE.match(path) and method == "POST":
            _name_the_domains(doc, op)
        if SOURCE_BATCH.match(path) and method == "POST":
            _name_the_batch_records(doc, path, op)
    doc["components"]["responses"] = {name: _problem_response(s) for s, name in RESPONSE_NAMES.items()}
    schemas = doc["components"].setdefault("schemas", {})
    if "Problem" not in schemas:  # no handler of these routes declares one, but every error is one
        _, found = msgspec.json.schema_components([Problem], ref_template="#/components/schemas/{name}")
        schemas.update(found)
    add_examples(doc)
    return doc


def document(app: Litestar) -> dict[str, Any]:
    """The app's whole document, truthful; made once per app."""
    found: dict[str, Any] | None = app.state.get("mdm_openapi")
    if found is None:
        found = truthful(json.loads(encode_json(app.openapi_schema.to_schema())), zero_bounds(app))
        app.state["mdm_openapi"] = found
    return found


# ---- per version ----------------------------------------------------------------------


def versions(doc: dict[str, Any]) -> list[str]:
    """The contract versions the document has paths for, in order: ["v1", "v2", …]."""
    found = {m.group(1) for path in doc["paths"] if (m := VERSIONED.match(path))}
    return sorted(found, key=lambda v: int(v[1:]))


def litestar_document(app: Litestar, version: str) -> dict[str, Any]:
    """Litestar's document of one version's routes (its /vN/ paths and the unversioned
    ones), built the way Litestar builds the app's (OpenAPIPlugin._build_openapi; litestar
    is pinned to a minor version). Built from the app's routes together, a v1 and a v2
    Struct of one name would both be renamed (`v1_customer_Customer`), and v1's component
    names would change the day v2 lands; built per version, each keeps its own names."""
    plugin = app.plugins.get(OpenAPIPlugin)
    config = plugin.openapi_config
    openapi = config.to_openapi_schema()  # a copy of the config's components
    context = OpenAPIContext(openapi_config=config, plugins=app.plugins.openapi)
    paths: dict[str, PathItem] = {}
    for route in plugin.included_routes.values():
        path = route.path_format or "/"
        if (m := VERSIONED.match(path)) is not None and m.group(1) != version:
            continue
        item = create_path_item_for_route(context, route)
        paths[path] = merge_path_item_operations(paths[path], item, for_path=path) if path in paths else item
    openapi.paths = paths
    assert openapi.components is not None
    openapi.components.schemas = context.schema_registry.generate_components_schemas()
    found: dict[str, Any] = json.loads(encode_json(openapi.to_schema()))
    return found


def version_documents(app: Litestar) -> dict[str, dict[str, Any]]:
    """{version: its truthful document}, one per contract version the app has routes for;
    made once per app."""
    found: dict[str, dict[str, Any]] | None = app.state.get("mdm_version_documents")
    if found is None:
        bounds = zero_bounds(app)
        found = {v: version_document(truthful(litestar_document(app, v), bounds), v) for v in versions(document(app))}
        app.state["mdm_version_documents"] = found
    return found


def _refs(value: Any, kind: str = "schemas") -> Iterator[str]:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(f"#/components/{kind}/"):
            yield ref.rsplit("/", 1)[1]
        for item in value.values():
            yield from _refs(item, kind)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item, kind)


def referenced(schemas: dict[str, Any], roots: Any) -> set[str]:
    """Names of the component schemas `roots` reference, transitively."""
    seen: set[str] = set()
    todo = list(_refs(roots))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_refs(schemas[name]))
    return seen


def version_document(doc: dict[str, Any], version: str) -> dict[str, Any]:
    """One contract version's document: its paths, the unversioned ones, their components."""
    paths = {p: item for p, item in doc["paths"].items() if (m := VERSIONED.match(p)) is None or m.group(1) == version}
    components = doc.get("components", {})
    responses = {n: components["responses"][n] for n in sorted(set(_refs(paths, "responses")))}
    schemas = components.get("schemas", {})
    names = referenced(schemas, [paths, responses])
    out = copy.deepcopy({k: v for k, v in doc.items() if k not in ("paths", "components")})
    out["info"]["title"] = f"{doc['info']['title']} {version}"
    out["info"]["version"] = f"{version[1:]}.0.0"
    out["paths"] = copy.deepcopy(paths)
    out["components"] = copy.deepcopy({k: v for k, v in components.items() if k not in ("schemas", "responses")})
    out["components"]["responses"] = copy.deepcopy(responses)
    out["components"]["schemas"] = {n: copy.deepcopy(schemas[n]) for n in sorted(names)}
    if "tags" in out:
        used = {
            t for item in paths.values() for op in item.values() if isinstance(op, dict) for t in op.get("tags", [])
        }
        out["tags"] = [t for t in out["tags"] if t["name"] in used]
    return out


# ---- examples -------------------------------------------------------------------------

# strings by property name, for examples a reader recognizes; each must fit its schema
NAMED: dict[str, Any] = {
    "name": "Acme Consulting",
    "domains": "customer",
    "types": "mdm.customer.updated",
    "legal_name": "ACME Consulting GmbH",
    "website": "https://acme.example",
    "tax_id": "DE811907980",
    "industry": "Professional Services",
    "registration_number": "HRB 123456",
    "code": "PRJ-1001",
    "employee_number": "E-1001",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "job_title": "Consultant",
    "role": "Senior Consultant",
    "line1": "Friedrichstrasse 1",
    "city": "Berlin",
    "region": "Berlin",
    "postal_code": "10117",
    "system": "salesforce",
    "source_id": "0015g00000ACME1",
    "domain": "customer",
    "principal": "user:steward",
    "field": "name",
    "text": "p, role:steward, *, *, read, allow",
    "comment": "stewards may read every field",
    "detail": "a sentence for a person",
    "message": "is required",
    "correlation_id": "01M80JHKNPXXGD152RZD5KESWS",
    "merge_id": "mrg_01M9A0B1C2D3E4F5G6H7J8K9MN",
    "line2": "Building 4",
}
_DATES = {"date-time": INSTANT_EXAMPLE, "date": "2026-11-22"}
_FALLBACK_STRINGS = ("text", "salesforce", "a", "1", "")


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _fits_string(value: str, schema: dict[str, Any]) -> bool:
    if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10**9):
        return False
    return "pattern" not in schema or re.search(schema["pattern"], value) is not None


def example_of(doc: dict[str, Any], schema: dict[str, Any], name: str = "", *, request: bool = False) -> Any:
    """A value that validates against `schema` (the test holds every example to it).
    A request's object has its required properties and the optional ones that name no
    other record (an example must not refer to a record that is not there)."""
    schema = _resolve(doc, schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if name in NAMED and not isinstance(NAMED[name], str):
        return NAMED[name]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            branches = [b for b in schema[key] if _resolve(doc, b).get("type") != "null"]
            merged = {**{k: v for k, v in schema.items() if k != key}, **_resolve(doc, branches[0])}
            return example_of(doc, merged, name, request=request)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        out = {}
        required = set(schema.get("required", []))
        for prop, sub in (schema.get("properties") or {}).items():
            if request and prop not in required and _names_a_record(doc, sub):
                continue
            out[prop] = example_of(doc, sub, prop, request=request)
        return out
    if kind == "array":
        item = example_of(doc, schema.get("items", {}), name, request=request)
        return [item] * max(1, schema.get("minItems", 1)) if schema.get("maxItems", 1) else []
    if kind == "string":
        if schema.get("format") in _DATES:
            return _DATES[schema["format"]]
        for candidate in (NAMED.get(name), *_FALLBACK_STRINGS):
            if isinstance(candidate, str) and _fits_string(candidate, schema):
                return candidate
        raise ValueError(f"no example for the string {name or '?'} {schema}: add one to the contract (Meta examples)")
    if kind == "integer":
        return max(schema.get("minimum", 1), min(1, schema.get("maximum", 1)))
    if kind == "number":
        return max(schema.get("minimum", 0.5), min(0.5, schema.get("maximum", 0.5)))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return {}  # any value


_ID_PATTERN = re.compile(r"_\[0-9A-HJKMNP-TV-Z\]\{26\}")


def _names_a_record(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether this property holds a canonical id (or ids) of another record."""
    text = json.dumps(_resolve(doc, schema))
    return bool(_ID_PATTERN.search(text))


def add_examples(doc: dict[str, Any]) -> None:
    """An example for every request body and every response body without one."""
    for _, _, op in operations(doc):
        for media in op.get("requestBody", {}).get("content", {}).values():
            if "schema" in media and "examples" not in media:
                media["examples"] = {"request": {"value": example_of(doc, media["schema"], request=True)}}
        for status, response in op["responses"].items():
            for media in response.get("content", {}).values():
                if "schema" in media and "examples" not in media:
                    media["examples"] = {f"status {status}": {"value": example_of(doc, media["schema"])}}
