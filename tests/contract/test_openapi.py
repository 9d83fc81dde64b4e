"""The OpenAPI document per contract version and the JSON Schemas per domain are generated
from the app and checked in; a change to the API that is not exported (`mdm contracts
export`) fails here. And the documents tell what the server does: every error a problem,
401 wherever a key is needed, If-Match required where its absence is a 428, unknown
fields refused, every example valid against its schema."""

import json
import re
from decimal import Decimal

import jsonschema_rs
import msgspec
import pytest

from contracts.v1.common import MONEY_PATTERN
from mdm.api.openapi import METHODS, is_open
from mdm.contracts_export import KINDS, files, render, stale
from mdm.domains import BY_NAME, DOMAINS
from mdm.records.validation import _check_money

DOCUMENTS = {
    path.stem: content for path, content in files().items() if path.parent.name == "openapi" and path.suffix == ".json"
}
VERSIONS = sorted(DOCUMENTS)


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def _resolve(doc, value):
    while "$ref" in value:
        kind, name = value["$ref"].split("/")[-2:]
        value = doc["components"][kind][name]
    return value


def _validator(doc, schema):
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    }
    return jsonschema_rs.validator_for(root, validate_formats=True)


def test_checked_in_files_match_the_app():
    made = files()
    for path, content in made.items():
        assert path.exists(), f"run `mdm contracts export` to write {path}"
        assert path.read_text(encoding="utf-8") == render(content), f"{path} is stale: run `mdm contracts export`"
    assert stale(set(made)) == [], "files the export no longer writes: run `mdm contracts export`"


def test_a_document_per_version_with_its_own_paths():
    assert "v1" in VERSIONS
    for version, doc in DOCUMENTS.items():
        for path in doc["paths"]:
            assert path.startswith(f"/{version}/") or not re.match(r"^/v[0-9]+/", path), path
        assert "/health/ready" in doc["paths"]  # unversioned paths are in every version's document


def test_v1_document_names_every_domain_operation():
    doc = DOCUMENTS["v1"]
    operation_ids = {op["operationId"] for _, _, op in _operations(doc)}
    for label in ("Customer", "LegalEntity", "Project", "Employee", "CostCenter", "RateCard"):
        assert {f"create{label}", f"get{label}", f"patch{label}", f"upsert{label}Source", f"resolve{label}",
                f"translate{label}", f"get{label}Lineage"} <= operation_ids  # fmt: skip
    assert "bulkResolve" in operation_ids
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])


@pytest.mark.parametrize("version", VERSIONS)
def test_every_error_is_a_problem_and_every_keyed_operation_says_401(version):
    doc = DOCUMENTS[version]
    for path, method, op in _operations(doc):
        responses = {status: _resolve(doc, r) for status, r in op["responses"].items()}
        if not is_open(path):
            assert {"401", "503"} <= set(responses), f"{method} {path}"
        if method in ("post", "put", "patch", "delete"):
            assert {"409", "422"} <= set(responses), f"{method} {path}"
        if "requestBody" in op:
            assert {"400", "413", "415", "422"} <= set(responses), f"{method} {path}"
        for status, response in responses.items():
            if status[0] in "45":
                assert list(response["content"]) == ["application/problem+json"], f"{method} {path} {status}"
                assert response["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }


@pytest.mark.parametrize("version", VERSIONS)
def test_if_match_is_required_where_its_absence_is_a_428(version):
    doc = DOCUMENTS[version]
    for path, method, op in _operations(doc):
        if "428" in op["responses"]:
            (if_match,) = [p for p in op["parameters"] if p["name"] == "If-Match"]
            assert if_match["required"] is True, f"{method} {path}"


@pytest.mark.parametrize("version", VERSIONS)
def test_request_bodies_refuse_unknown_fields(version):
    doc = DOCUMENTS[version]
    for path, method, op in _operations(doc):
        if "requestBody" in op:
            schema = _resolve(doc, op["requestBody"]["content"]["application/json"]["schema"])
            assert schema.get("additionalProperties") is False, f"{method} {path}"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_example_validates_against_its_schema(version):
    doc = DOCUMENTS[version]
    seen = 0
    for path, method, op in _operations(doc):
        bodies = [("request", op["requestBody"])] if "requestBody" in op else []
        bodies += [(status, _resolve(doc, r)) for status, r in op["responses"].items()]
        for where, part in bodies:
            for media, content in part.get("content", {}).items():
                if "schema" not in content:
                    continue
                assert content.get("examples"), f"{method} {path} {where} {media} has no example"
                validator = _validator(doc, content["schema"])
                for name, example in content["examples"].items():
                    errors = [e.message for e in validator.iter_errors(example["value"])]
                    assert not errors, f"{method} {path} {where} example {name}: {errors[:3]}"
                    seen += 1
    assert seen > 200


def test_the_domain_json_schemas_are_schemas_and_take_the_examples():
    schemas = {path: content for path, content in files().items() if path.parent.parent.name == "schemas"}
    assert len(schemas) == len(DOMAINS) * len(KINDS) * len(VERSIONS)  # each domain, kind and version
    for path, schema in schemas.items():
        jsonschema_rs.meta.validate(schema)
        version, (name, kind, _) = path.parent.name, path.name.split(".")
        tail, method, where = KINDS[kind]
        op = DOCUMENTS[version]["paths"][f"/{version}/{BY_NAME[name].path}{tail}"][method]
        part = op["requestBody"] if where == "request" else _resolve(DOCUMENTS[version], op["responses"][where])
        example = next(iter(part["content"]["application/json"]["examples"].values()))["value"]
        validator = jsonschema_rs.validator_for(schema)
        assert validator.is_valid(example), path
        if where == "request":
            assert not validator.is_valid({**example, "not_a_field": 1}), path


@pytest.mark.parametrize(
    "value",
    ["0", "0.5", "1250.00", "1250.1234", "9999999999999999.9999", "00.5", "1.12345", "-1", "1e3", "10000000000000000",
     ".5", "1.", "+1", " 1", "NaN"],
)  # fmt: skip
def test_the_money_pattern_is_what_the_server_accepts_as_a_canonical_decimal(value):
    """What the pattern allows the server's money check accepts; of what it refuses, the
    server refuses what is not money (negative, too precise, too large)."""
    if re.match(MONEY_PATTERN, value):
        assert _check_money(msgspec.json.decode(json.dumps(value), type=Decimal)) is None
    elif value in ("1.12345", "-1", "10000000000000000", "NaN"):
        assert _check_money(Decimal(value)) is not None


def test_a_later_version_leaves_the_earlier_documents_names_alone():
    """Two versions' Structs of one name: built together, Litestar names them
    `v1_thing_Thing` and `v2_thing_Thing`; each version's document keeps its own `Thing`."""
    from litestar import Litestar, get
    from litestar.openapi import OpenAPIConfig

    from mdm.api.openapi import ContractSchemaPlugin, version_documents

    one = msgspec.defstruct("Thing", [("a", int)], module="contracts.v1.thing", kw_only=True)
    two = msgspec.defstruct("Thing", [("b", str)], module="contracts.v2.thing", kw_only=True)

    @get("/v1/things", operation_id="getThing", sync_to_thread=False)
    def get_one() -> one:  # type: ignore[valid-type]
        return one(a=1)

    @get("/v2/things", operation_id="getThingV2", sync_to_thread=False)
    def get_two() -> two:  # type: ignore[valid-type]
        return two(b="b")

    app = Litestar([get_one, get_two], plugins=[ContractSchemaPlugin()], openapi_config=OpenAPIConfig("t", "1"))
    assert set(app.openapi_schema.components.schemas) == {"v1_thing_Thing", "v2_thing_Thing"}  # why
    docs = version_documents(app)
    assert list(docs) == ["v1", "v2"]
    assert set(docs["v1"]["components"]["schemas"]) == {"Problem", "FieldError", "Thing"}
    assert docs["v1"]["components"]["schemas"]["Thing"]["properties"] == {"a": {"type": "integer"}}
    assert docs["v2"]["components"]["schemas"]["Thing"]["properties"] == {"b": {"type": "string"}}
    assert list(docs["v2"]["paths"]) == ["/v2/things"]
