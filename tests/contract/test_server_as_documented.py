"""What the documents promise, over HTTP: the docs open without a key and load nothing
from another host; a body that is not JSON is a 415; OPTIONS names every method of its
path; instants outside the documented pattern are 422s naming the parameter; a missing
required parameter is a 422 naming it; a database that does not answer is a 503 problem;
each read of a real record answers as its version's document says."""

import re

import jsonschema_rs
import pytest

from mdm.api.openapi import example_of, operations
from mdm.auth.keys import KeyCache
from mdm.contracts_export import documents
from mdm.db.engine import Database
from mdm.domains import DOMAINS
from tests.auth import bearer
from tests.factory import creator, unique

VERSIONS = sorted(documents())


@pytest.mark.parametrize("version", VERSIONS)
def test_the_version_documents_and_pages_open_without_a_key(client, version):
    r = client.get(f"/schema/{version}/openapi.json", auth=None)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["paths"], r.text[:300]
    page = client.get(f"/schema/{version}", auth=None)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls), urls
    for url in urls:
        assert not re.match(r"^(https?:)?//", url), f"{url} is not served by mdm"
        assert client.get(url, auth=None).status_code == 200, url
    assert f"/schema/{version}/openapi.json" in page.text
    assert "validatorUrl" in page.text  # Swagger UI would fetch its badge from another host


def test_the_index_and_the_whole_document_open_without_a_key(client):
    index = client.get("/schema", auth=None)
    assert index.status_code == 200
    for version in VERSIONS:
        assert f'href="/schema/{version}"' in index.text
    whole = client.get("/schema/openapi.json", auth=None)
    assert whole.status_code == 200
    assert client.get("/schema/assets/not-an-asset.js", auth=None).status_code == 404


def test_a_body_declared_as_not_json_is_a_415(client):
    r = client.post("/v1/customers", content=b'{"name": "x"}', headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "Content-Type"
    ok = client.post("/v1/customers", content=b'{"name": "Plain JSON"}', headers={"content-type": "application/json"})
    assert ok.status_code == 201


def test_options_names_every_method_of_the_path(client, factory):
    gid = factory.create("customer")
    r = client.options(f"/v1/customers/{gid}")
    assert r.status_code == 204
    assert set(r.headers["allow"].split(", ")) == {"GET", "OPTIONS", "PATCH"}
    r = client.options("/v1/customers/sources/salesforce/x1")
    assert set(r.headers["allow"].split(", ")) == {"DELETE", "OPTIONS", "PUT"}


@pytest.mark.parametrize("value", ["-1", "1e9", "1969-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "2026-01-01"])
def test_instants_outside_the_pattern_are_422s_naming_the_parameter(client, factory, value):
    gid = factory.create("customer")
    r = client.get(f"/v1/customers/{gid}", params={"as_of": value})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "as_of"
    r = client.get("/v1/audit", params={"since": value})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "since"


def test_a_missing_required_parameter_is_a_422_naming_it(client):
    r = client.get("/v1/customers/resolve", params={"system": "salesforce"})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "source_id", "message": "is required"}]


def test_patch_without_if_match_is_still_a_428(client, factory):
    gid = factory.create("customer")
    r = client.patch(f"/v1/customers/{gid}", json={"industry": "Retail"})
    assert r.status_code == 428
    assert r.headers["content-type"] == "application/problem+json"
    r = client.patch(f"/v1/customers/{gid}", json={"industry": "Retail"}, headers={"If-Match": "1"})
    assert r.status_code == 422  # not an ETag: quoted, W/"…" or *
    assert r.json()["errors"][0]["field"] == "If-Match"


@pytest.mark.parametrize(
    "url", ["postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", "sqlite+aiosqlite:////nonexistent-dir/mdm.db"]
)
def test_a_database_that_does_not_answer_is_a_503_problem(client, url):
    state = client.app.state
    kept = state.db, state.read_db, state.api_keys
    state.db = state.read_db = Database.connect(url)
    state.api_keys = KeyCache(state.db)  # a key not cached yet: the lookup needs the database
    try:
        r = client.get("/v1/customers", headers=bearer("user:steward"))
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 503
        ready = client.get("/health/ready", auth=None)
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
    finally:
        state.db, state.read_db, state.api_keys = kept


def _validator(doc, schema):
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    }
    return jsonschema_rs.validator_for(root, validate_formats=True)


def _response(doc, op, status):
    response = op["responses"].get(str(status))
    assert response is not None, f"{status} is not documented"
    while "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response


@pytest.mark.parametrize("version", VERSIONS)
def test_a_records_reads_answer_as_documented(client, factory, version):
    """schemathesis rarely names a record that exists, so most of its reads of one are 404s:
    here each domain's list and every read of a real record, as an admin (who sees every
    field), answer a documented status with a body and headers the document describes."""
    doc = documents()[version]
    seen = 0
    for domain in DOMAINS:
        system = creator(domain.name)  # a source record, so that translate has a system to name
        gid = factory.upsert(domain.name, system, unique("src"))["id"]
        for path, method, op in operations(doc):
            if method != "GET" or not (
                path == f"/{version}/{domain.path}" or path.startswith(f"/{version}/{domain.path}/{{record_id}}")
            ):
                continue
            params = {
                p["name"]: system if p["name"] == "to" else example_of(doc, p["schema"], p["name"])
                for p in op.get("parameters", [])
                if p["in"] == "query" and p.get("required")
            }
            r = client.get(path.replace("{record_id}", gid), params=params, headers=bearer("user:admin"))
            response = _response(doc, op, r.status_code)
            assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
            (media,) = response["content"]
            assert r.headers["content-type"].split(";")[0] == media, path
            errors = [e.message for e in _validator(doc, response["content"][media]["schema"]).iter_errors(r.json())]
            assert not errors, f"{path}: {errors[:3]} in {r.text[:300]}"
            for name, header in response.get("headers", {}).items():
                assert not header.get("required") or name.lower() in r.headers, f"{path}: no {name} header"
            seen += 1
    assert seen >= 7 * len(DOMAINS)  # list, get, history, lineage, crosswalks, translate, match-decisions
