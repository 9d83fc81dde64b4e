"""`mdm contracts diff`: one hand-made pair of documents per kind of change, each asserting the
kind found and whether it breaks clients; then the spellings that must compare equal, the
accepted list, the major-version rule and the command line."""

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mdm.cli import app
from mdm.contracts_diff import KINDS, Change, compare, judge, parse_accepted, render_text

V1 = Path(__file__).resolve().parents[2] / "openapi" / "v1.json"
S = {"type": "string"}
OBJ = {"type": "object", "properties": {"a": S}}


def document(paths: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1.0.0"}, "paths": paths or {}, **top}


def one(method: str = "get", path: str = "/things", **operation: Any) -> dict[str, Any]:
    """A document with one operation, answering 200 with no body unless told otherwise."""
    return document({path: {method: {"responses": {"200": {"description": "ok"}}, **operation}}})


def param(name: str = "q", place: str = "query", required: bool = False, schema: Any = S) -> dict[str, Any]:
    return {"name": name, "in": place, "required": required, "schema": schema}


def body(schema: Any = OBJ, *media: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {m: {"schema": schema} for m in media or ["application/json"]}}


def answer(schema: Any = OBJ, *media: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    found = {"description": "ok", "content": {m: {"schema": schema} for m in media or ["application/json"]}}
    return found | ({"headers": headers} if headers else {})


def req(properties: dict[str, Any], required: tuple[str, ...] = (), closed: bool = False) -> dict[str, Any]:
    """A POST whose JSON body is an object of these properties."""
    schema = {"type": "object", "properties": properties, "required": list(required)}
    return one("post", requestBody=body(schema | ({"additionalProperties": False} if closed else {})))


def res(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A GET answering 200 with a JSON object of these properties."""
    return one(responses={"200": answer({"type": "object", "properties": properties, "required": list(required)})})


def secured(*alternatives: dict[str, list[str]]) -> dict[str, Any]:
    return document(one()["paths"], security=list(alternatives))


def two(*methods: str, deprecated: str = "") -> dict[str, Any]:
    ops = {m: {"responses": {"200": {"description": "ok"}}, "deprecated": m == deprecated} for m in methods}
    return document({"/things": ops})


# (old, new, kind, breaking): everything above the schema itself
OPERATIONS = [
    pytest.param(one(), document(), "api-path-removed-without-deprecation", True),
    pytest.param(one(deprecated=True), document(), "api-path-removed-with-deprecation", True),
    pytest.param(two("get", "post"), two("get"), "api-removed-without-deprecation", True),
    pytest.param(two("get", "post", deprecated="post"), two("get"), "api-removed-with-deprecation", True),
    pytest.param(document(), one(), "endpoint-added", False),
    pytest.param(one(operationId="listThings"), one(operationId="getThings"), "api-operation-id-removed", False),
    pytest.param(one(), one(operationId="listThings"), "api-operation-id-added", False),
    pytest.param(one(parameters=[param()]), one(), "request-parameter-removed", True),
    pytest.param(one(), one(parameters=[param(required=True)]), "new-required-request-parameter", True),
    pytest.param(one(), one(parameters=[param()]), "new-optional-request-parameter", False),
    pytest.param(
        one(parameters=[param()]), one(parameters=[param(required=True)]), "request-parameter-became-required", True
    ),
    pytest.param(
        one(parameters=[param(required=True)]), one(parameters=[param()]), "request-parameter-became-optional", False
    ),
    pytest.param(one("post"), one("post", requestBody=body()), "request-body-added-required", True),
    pytest.param(one("post"), one("post", requestBody=body(required=False)), "request-body-added-optional", False),
    pytest.param(one("post", requestBody=body()), one("post"), "request-body-removed", False),
    pytest.param(
        one("post", requestBody=body(required=False)),
        one("post", requestBody=body()),
        "request-body-became-required",
        True,
    ),
    pytest.param(
        one("post", requestBody=body()),
        one("post", requestBody=body(required=False)),
        "request-body-became-optional",
        False,
    ),
    pytest.param(
        one("post", requestBody=body(OBJ, "application/json", "text/csv")),
        one("post", requestBody=body()),
        "request-body-media-type-removed",
        True,
    ),
    pytest.param(
        one("post", requestBody=body()),
        one("post", requestBody=body(OBJ, "application/json", "text/csv")),
        "request-body-media-type-added",
        False,
    ),
    pytest.param(req({"a": S}), req({"a": S, "b": S}, ("b",)), "new-required-request-property", True),
    pytest.param(req({"a": S}), req({"a": S, "b": S}), "new-optional-request-property", False),
    pytest.param(req({"a": S}), req({"a": S}, ("a",)), "request-property-became-required", True),
    pytest.param(req({"a": S}, ("a",)), req({"a": S}), "request-property-became-optional", False),
    pytest.param(req({"a": S, "b": S}, closed=True), req({"a": S}, closed=True), "request-property-removed", True),
    pytest.param(req({"a": S, "b": S}), req({"a": S}), "request-property-unlisted", False),
    pytest.param(res({"a": S, "b": S}, ("b",)), res({"a": S}), "response-required-property-removed", True),
    pytest.param(res({"a": S, "b": S}), res({"a": S}), "response-optional-property-removed", True),
    pytest.param(res({"a": S}), res({"a": S, "b": S}, ("b",)), "response-required-property-added", False),
    pytest.param(res({"a": S}), res({"a": S, "b": S}), "response-optional-property-added", False),
    pytest.param(res({"a": S}, ("a",)), res({"a": S}), "response-property-became-optional", True),
    pytest.param(res({"a": S}), res({"a": S}, ("a",)), "response-property-became-required", False),
    pytest.param(
        one(responses={"200": {"description": "ok"}, "202": {"description": "later"}}),
        one(),
        "response-success-status-removed",
        True,
    ),
    pytest.param(
        one(),
        one(responses={"200": {"description": "ok"}, "202": {"description": "later"}}),
        "response-success-status-added",
        False,
    ),
    pytest.param(
        one(responses={"200": {"description": "ok"}, "404": {"description": "no"}}),
        one(),
        "response-non-success-status-removed",
        False,
    ),
    pytest.param(
        one(),
        one(responses={"200": {"description": "ok"}, "404": {"description": "no"}}),
        "response-non-success-status-added",
        False,
    ),
    pytest.param(
        one(responses={"200": answer(OBJ, "application/json", "text/csv")}),
        one(responses={"200": answer(OBJ)}),
        "response-media-type-removed",
        True,
    ),
    pytest.param(
        one(responses={"200": answer(OBJ)}),
        one(responses={"200": answer(OBJ, "application/json", "text/csv")}),
        "response-media-type-added",
        False,
    ),
    pytest.param(
        one(responses={"200": answer(headers={"ETag": {"required": True, "schema": S}})}),
        one(responses={"200": answer()}),
        "required-response-header-removed",
        True,
    ),
    pytest.param(
        one(responses={"200": answer(headers={"ETag": {"schema": S}})}),
        one(responses={"200": answer()}),
        "optional-response-header-removed",
        False,
    ),
    pytest.param(
        one(responses={"200": answer(headers={"ETag": {"required": True, "schema": S}})}),
        one(responses={"200": answer(headers={"etag": {"schema": S}})}),
        "response-header-became-optional",
        True,
    ),
    pytest.param(
        one(responses={"200": answer()}),
        one(responses={"200": answer(headers={"ETag": {"schema": S}})}),
        "response-header-added",
        False,
    ),
    pytest.param(one(), secured({"BearerToken": []}), "api-security-added", True),
    pytest.param(
        secured({"BearerToken": []}),
        document(
            secured({"BearerToken": []})["paths"]
            | {"/things": {"get": {"security": [], "responses": {"200": {"description": "ok"}}}}}
        ),
        "api-security-removed",
        False,
    ),
    pytest.param(secured({"key": []}, {"oauth": []}), secured({"key": []}), "api-security-alternative-removed", True),
    pytest.param(secured({"key": []}), secured({"key": []}, {"oauth": []}), "api-security-alternative-added", False),
    pytest.param(secured({"oauth": ["read"]}), secured({"oauth": ["read", "write"]}), "api-security-scope-added", True),
    pytest.param(
        secured({"oauth": ["read", "write"]}), secured({"oauth": ["read"]}), "api-security-scope-removed", False
    ),
]


@pytest.mark.parametrize(("old", "new", "kind", "breaking"), OPERATIONS, ids=[p.values[2] for p in OPERATIONS])
def test_each_kind_of_operation_change(old, new, kind, breaking):
    changes = compare(old, new)
    assert [c.kind for c in changes] == [kind], [c.as_dict() for c in changes]
    assert changes[0].breaking is breaking


# A schema change (old, new) and whether it breaks in a request and in a response (None: the
# event is not reported in responses). Each runs in a parameter, a request body, a request
# body's property, a response body and a response body's property.
ARRAY = {"type": "array", "items": S}
SCHEMA_EVENTS: list[tuple[str, Any, Any, bool, bool | None]] = [
    ("type-changed", S, {"type": "integer"}, True, True),
    ("type-changed", S | {"format": "date"}, S | {"format": "date-time"}, True, True),
    ("type-generalized", {"type": "integer"}, {"type": "number"}, False, True),
    ("type-generalized", S | {"format": "date-time"}, S, False, True),
    ("type-specialized", {"type": "number"}, {"type": "integer"}, True, False),
    ("became-nullable", S, {"oneOf": [S, {"type": "null"}]}, False, True),
    ("became-not-nullable", {"type": ["string", "null"]}, S, True, False),
    ("enum-value-removed", S | {"enum": ["a", "b"]}, S | {"enum": ["a"]}, True, False),
    ("enum-value-added", S | {"enum": ["a"]}, S | {"enum": ["a", "b"]}, False, True),
    ("became-enum", S, S | {"enum": ["a"]}, True, False),
    ("became-not-enum", S | {"enum": ["a"]}, S, False, True),
    ("pattern-added", S, S | {"pattern": "^[A-Z]{2}$"}, True, False),
    ("pattern-removed", S | {"pattern": "^[A-Z]{2}$"}, S, False, True),
    ("pattern-changed", S | {"pattern": "^[A-Z]{2}$"}, S | {"pattern": "^[A-Z]{3}$"}, True, True),
    (
        "one-of-removed",
        {"oneOf": [S, {"type": "integer"}, {"type": "boolean"}]},
        {"oneOf": [S, {"type": "integer"}]},
        True,
        False,
    ),
    (
        "one-of-added",
        {"oneOf": [S, {"type": "integer"}]},
        {"oneOf": [S, {"type": "integer"}, {"type": "boolean"}]},
        False,
        True,
    ),
    ("additional-properties-forbidden", OBJ, OBJ | {"additionalProperties": False}, True, None),
    ("additional-properties-allowed", OBJ | {"additionalProperties": False}, OBJ, False, None),
]
# bounds: an upper bound narrows when it decreases or is set, a lower one when it increases or is set
BOUNDS = [
    ("maxLength", "max-length", S, +1),
    ("maximum", "max", {"type": "number"}, +1),
    ("exclusiveMaximum", "exclusive-max", {"type": "number"}, +1),
    ("maxItems", "max-items", ARRAY, +1),
    ("minLength", "min-length", S, -1),
    ("minimum", "min", {"type": "number"}, -1),
    ("exclusiveMinimum", "exclusive-min", {"type": "number"}, -1),
    ("minItems", "min-items", ARRAY, -1),
]
for keyword, name, base, upper in BOUNDS:
    SCHEMA_EVENTS += [
        (f"{name}-decreased", base | {keyword: 10}, base | {keyword: 5}, upper > 0, upper < 0),
        (f"{name}-increased", base | {keyword: 5}, base | {keyword: 10}, upper < 0, upper > 0),
        (f"{name}-set", base, base | {keyword: 5}, True, False),
        (f"{name}-unset", base | {keyword: 5}, base, False, True),
    ]


def placed(context: str, schema: Any) -> dict[str, Any]:
    if context == "request-parameter":
        return one(parameters=[param(schema=schema)])
    if context == "request-body":
        return one("post", requestBody=body(schema))
    if context == "request-property":
        return one("post", requestBody=body({"type": "object", "properties": {"x": schema}}))
    if context == "response-body":
        return one(responses={"200": answer(schema)})
    return one(responses={"200": answer({"type": "object", "properties": {"x": schema}})})


SCHEMA_CASES = [
    pytest.param(context, old, new, f"{context}-{event}", breaks, id=f"{context}-{event}")
    for event, old, new, in_request, in_response in SCHEMA_EVENTS
    for context, breaks in [
        ("request-parameter", in_request),
        ("request-body", in_request),
        ("request-property", in_request),
        ("response-body", in_response),
        ("response-property", in_response),
    ]
    if breaks is not None
]


@pytest.mark.parametrize(("context", "old", "new", "kind", "breaking"), SCHEMA_CASES)
def test_each_kind_of_schema_change(context, old, new, kind, breaking):
    changes = compare(placed(context, old), placed(context, new))
    assert [c.kind for c in changes] == [kind], [c.as_dict() for c in changes]
    assert changes[0].breaking is breaking


def test_the_tables_cover_every_kind():
    covered = {p.values[2] for p in OPERATIONS} | {p.values[3] for p in SCHEMA_CASES}
    assert covered == {k for k in KINDS if not k.startswith("graphql-")}  # graphql-core's own, below


SDL = """type Query { customer(id: ID!): Customer }
type Customer { id: ID! name: String country: String }"""


@pytest.mark.parametrize(
    ("new", "kind", "breaking"),
    [
        (SDL.replace(" country: String", ""), "graphql-field-removed", True),
        (SDL.replace("name: String", "name: Int"), "graphql-field-changed-kind", True),
        (SDL.replace("customer(id: ID!)", "customer(id: ID!, asOf: String!)"), "graphql-required-arg-added", True),
        (SDL.replace("customer(id: ID!)", "customer(id: ID!, asOf: String)"), "graphql-optional-arg-added", False),
    ],
)
def test_graphql_schema_changes_are_judged_by_graphql_core(new, kind, breaking):
    report = judge(SDL, new)
    assert [(c.kind, c.breaking) for c in report.changes] == [(kind, breaking)]
    assert report.failed is breaking
    assert judge(SDL, SDL.replace("country: String", "country: String website: String")).changes == []


# where a change is, through $refs, arrays and nullable unions

ADDRESS = {"type": "object", "properties": {"city": {"oneOf": [S, {"type": "null"}], "maxLength": 100}}}
ITEM = {
    "type": "object",
    "properties": {"billing_address": {"oneOf": [{"$ref": "#/components/schemas/Address"}, {"type": "null"}]}},
}
PAGE = {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}


def estate(city_max: int) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Page"}
    address = copy.deepcopy(ADDRESS)
    address["properties"]["city"]["maxLength"] = city_max
    paths = {
        "/things": {
            "get": {"responses": {"200": answer(ref)}},
            "post": {"requestBody": body(ref), "responses": {"201": answer(ref)}},
        }
    }
    return document(paths, components={"schemas": {"Address": address, "Item": ITEM, "Page": PAGE}})


def test_a_change_is_named_by_its_property_path_through_refs_and_arrays():
    changes = compare(estate(100), estate(50))
    assert [(c.kind, c.breaking, c.where) for c in changes] == [
        (
            "response-property-max-length-decreased",
            False,
            "GET /things response 200 application/json items[].billing_address.city",
        ),
        (
            "request-property-max-length-decreased",
            True,
            "POST /things request application/json items[].billing_address.city",
        ),
        (
            "response-property-max-length-decreased",
            False,
            "POST /things response 201 application/json items[].billing_address.city",
        ),
    ]
    assert changes[1].message == "request property items[].billing_address.city: maxLength decreased from 100 to 50"


def test_a_parameter_change_is_named_by_place_and_name():
    old, new = (
        one(parameters=[param("limit", schema={"type": "integer", "maximum": 1000})]),
        one(parameters=[param("limit", schema={"type": "integer", "maximum": 100})]),
    )
    (change,) = compare(old, new)
    assert (change.kind, change.where) == ("request-parameter-max-decreased", "GET /things query limit")
    assert change.message == "query parameter limit: maximum decreased from 1000 to 100"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(
            {"oneOf": [S, {"type": "null"}], "maxLength": 5},
            {"type": ["string", "null"], "maxLength": 5},
            id="oneOf-null-vs-type-list",
        ),
        pytest.param({"anyOf": [{"type": "null"}, S]}, S | {"nullable": True}, id="anyOf-null-vs-openapi-3.0-nullable"),
        pytest.param(
            S | {"enum": ["a", "b", None]},
            {"oneOf": [S | {"enum": ["b", "a"]}, {"type": "null"}]},
            id="enum-with-null-vs-union",
        ),
        pytest.param({"allOf": [OBJ, {"required": ["a"]}]}, OBJ | {"required": ["a"]}, id="allOf-merged"),
        pytest.param({"oneOf": [S]}, S, id="one-branch-union"),
    ],
)
def test_spellings_of_the_same_schema_compare_equal(old, new):
    for context in ("request-body", "response-body"):
        assert compare(placed(context, old), placed(context, new)) == []


def test_a_renamed_component_or_path_parameter_is_no_change():
    old = document(
        {
            "/things/{id}": {
                "get": {
                    "parameters": [param("id", "path", True)],
                    "responses": {"200": answer({"$ref": "#/components/schemas/A"})},
                }
            }
        },
        components={"schemas": {"A": OBJ}},
    )
    new = document(
        {
            "/things/{thing_id}": {
                "get": {
                    "parameters": [param("thing_id", "path", True)],
                    "responses": {"200": answer({"$ref": "#/components/schemas/B"})},
                }
            }
        },
        components={"schemas": {"B": OBJ}},
    )
    assert compare(old, new) == []


def test_header_names_compare_without_case():
    assert compare(one(parameters=[param("If-Match", "header")]), one(parameters=[param("if-match", "header")])) == []


def test_recursive_schemas_end():
    def tree(name_max: int) -> dict[str, Any]:
        node = {
            "type": "object",
            "properties": {
                "name": S | {"maxLength": name_max},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            },
        }
        return document(
            one(responses={"200": answer({"$ref": "#/components/schemas/Node"})})["paths"],
            components={"schemas": {"Node": node}},
        )

    assert [c.location for c in compare(tree(10), tree(20))] == ["response 200 application/json name"]
    assert compare(tree(10), tree(10)) == []


def test_a_changed_success_status_is_a_removed_one_and_says_what_replaced_it():
    created = one(responses={"201": {"description": "created"}})
    changes = compare(one(), created)
    assert [(c.kind, c.breaking) for c in changes] == [
        ("response-success-status-removed", True),
        ("response-success-status-added", False),
    ]
    assert changes[0].message == "response 200 removed (it now answers 201)"


def test_the_published_v1_document_has_no_changes_against_itself():
    published = json.loads(V1.read_text(encoding="utf-8"))
    assert compare(published, copy.deepcopy(published)) == []


# the verdict: accepted changes and major versions

BREAKING_PAIR = (one(parameters=[param("If-Match", "header")]), one(parameters=[param("If-Match", "header", True)]))
ACCEPTED = """\
# PATCH has answered 428 without If-Match all along; the document now says so
request-parameter-became-required\tGET /things header If-Match

# an old entry, for a change one commit back
api-removed-*  DELETE /things
"""


def test_an_accepted_breaking_change_does_not_fail_and_unused_entries_are_listed():
    report = judge(*BREAKING_PAIR, parse_accepted(ACCEPTED))
    assert not report.failed
    assert [c.kind for c in report.accepted] == ["request-parameter-became-required"]
    assert [str(e) for e in report.unused] == ["api-removed-*\tDELETE /things"]
    text = render_text(report)
    assert "BREAKING (accepted)  request-parameter-became-required\tGET /things header If-Match" in text
    assert "accepted entry on line 5 matched nothing" in text


def test_globs_accept_a_family_of_changes():
    entries = parse_accepted("# why\nrequest-parameter-*\t* /things header *\n")
    assert not judge(*BREAKING_PAIR, entries).failed
    entries = parse_accepted("# why\nrequest-parameter-*\t* /other header *\n")
    assert judge(*BREAKING_PAIR, entries).failed


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("request-parameter-became-required GET /things header If-Match\n", "line 1: say why"),
        ("# why\nrequest-parameter-became-required\n", "line 2: write the kind, then the `where`"),
        ("# why\nparameter-vanished GET /things\n", "line 2: unknown kind 'parameter-vanished'"),
        ("# why\n\nrequest-parameter-became-required GET /things\n", "line 3: say why"),
    ],
)
def test_a_bad_accepted_list_names_its_line(text, error):
    with pytest.raises(ValueError, match=error.replace("(", r"\(")):
        parse_accepted(text)


def test_a_new_major_version_may_break():
    old, new = copy.deepcopy(BREAKING_PAIR)
    new["info"]["version"] = "2.0.0"
    report = judge(old, new)
    assert [c.kind for c in report.refused] == ["request-parameter-became-required"]
    assert report.major_changed
    assert not report.failed
    assert "info.version 1.0.0 -> 2.0.0: a new major version may break clients" in render_text(report)
    new["info"]["version"] = "1.9.0"
    assert judge(old, new).failed


def test_additive_changes_pass():
    report = judge(one(), one(parameters=[param()]))
    assert report.changes == [
        Change("new-optional-request-parameter", "GET", "/things", "query q", "new optional query parameter q")
    ]
    assert not report.failed


# the command line

runner = CliRunner()


def diff(*args: str) -> Any:
    return runner.invoke(app, ["contracts", "diff", *args])


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str]:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(BREAKING_PAIR[0]))
    new.write_text(json.dumps(BREAKING_PAIR[1]))
    return str(old), str(new)


def test_cli_exits_1_on_a_breaking_change_and_0_without(pair):
    done = diff(*pair)
    assert done.exit_code == 1, done.output
    assert done.stdout.startswith(
        "BREAKING             request-parameter-became-required\tGET /things header If-Match\n"
    )
    assert "1 breaking change not accepted" in done.stdout
    assert diff(pair[0], pair[0]).exit_code == 0
    assert diff(pair[1], pair[0]).exit_code == 0  # the parameter became optional: additive


def test_cli_accepted_list(pair, tmp_path):
    accepted = tmp_path / "accepted.txt"
    accepted.write_text(ACCEPTED)
    done = diff(*pair, "--accepted", str(accepted))
    assert done.exit_code == 0, done.output
    assert "BREAKING (accepted)" in done.stdout
    accepted.write_text("request-parameter-became-required GET /things header If-Match\n")
    done = diff(*pair, "--accepted", str(accepted))
    assert done.exit_code == 2
    assert "line 1: say why" in done.stderr


def test_cli_json(pair):
    done = diff(*pair, "--format", "json")
    assert done.exit_code == 1
    found = json.loads(done.stdout)
    assert found["failed"] is True
    assert found["counts"] == {"changes": 1, "breaking": 1, "accepted": 0, "refused": 1}
    assert found["changes"][0] | {"message": ""} == {
        "kind": "request-parameter-became-required",
        "breaking": True,
        "accepted": False,
        "method": "GET",
        "path": "/things",
        "location": "header If-Match",
        "where": "GET /things header If-Match",
        "message": "",
    }


def test_cli_major_bump_passes(pair):
    new = json.loads(Path(pair[1]).read_text())
    new["info"]["version"] = "2.0.0"
    Path(pair[1]).write_text(json.dumps(new))
    done = diff(*pair)
    assert done.exit_code == 0, done.output
    assert "BREAKING" in done.stdout


def test_cli_reads_git_revisions(tmp_path, monkeypatch):
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    (tmp_path / "openapi").mkdir()
    published = tmp_path / "openapi" / "v1.json"
    published.write_text(json.dumps(BREAKING_PAIR[0]))
    git("add", ".")
    git("commit", "-q", "-m", "v1")
    published.write_text(json.dumps(BREAKING_PAIR[1]))
    git("commit", "-q", "-am", "If-Match required")
    monkeypatch.chdir(tmp_path)
    assert diff("git:HEAD~1:openapi/v1.json", "git:HEAD:openapi/v1.json").exit_code == 1
    assert diff("git:HEAD~1:openapi/v1.json", "openapi/v1.json").exit_code == 1
    assert diff("git:HEAD:openapi/v1.json", "openapi/v1.json").exit_code == 0
    missing = diff("git:HEAD~1:openapi/v2.json", "openapi/v1.json")
    assert missing.exit_code == 2
    assert "openapi/v2.json does not exist at HEAD~1" in missing.stderr
    unknown = diff("git:HEAD~5:openapi/v1.json", "openapi/v1.json")
    assert unknown.exit_code == 2
    assert "no commit 'HEAD~5'" in unknown.stderr
