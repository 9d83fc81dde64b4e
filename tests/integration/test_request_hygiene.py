"""Requests the API cannot read are refused with a problem naming the field, before anything
is buffered or written: bodies over the limit (413, with or without an Idempotency-Key,
declared or streamed), bodies that are not JSON or not declared as JSON (415), JSON nested
too deep or not UTF-8 (400, not a 500 with a traceback), and paths whose percent-escapes are
not UTF-8 (400: `%FF%FEabc` and `%FE%FFabc` must not name one record)."""

import asyncio
import logging
from types import SimpleNamespace

import pytest

from mdm.api.middleware import idempotency_middleware
from tests.factory import unique

JSON = {"content-type": "application/json"}


def _problem(r, status, field):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]], r.json()
    return r.json()


def test_a_body_without_a_content_type_is_a_415_and_writes_nothing(client):
    sid = unique("sf")
    r = client.put(f"/v2/customers/sources/salesforce/{sid}", content=b'{"name": "Untyped Ltd"}')
    assert _problem(r, 415, "Content-Type")["errors"][0]["message"] == "is missing"
    assert client.get(f"/v2/customers/resolve/salesforce/{sid}").status_code == 404


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "big-declared"}])
def test_a_declared_length_over_the_limit_is_a_413_before_the_body_is_read(client, headers):
    limit = client.app.request_max_body_size
    body = b'{"name": "' + b"x" * limit + b'"}'
    r = client.put(f"/v2/customers/sources/salesforce/{unique('sf')}", content=body, headers={**JSON, **headers})
    _problem(r, 413, "Content-Length")


def test_a_streamed_body_with_an_idempotency_key_is_read_no_further_than_the_limit():
    """Chunked, no Content-Length: the idempotency layer stops reading at the limit and
    answers 413; the route never runs. (ASGI driven directly, to count what was read.)"""
    limit, chunk, read, sent, ran = 64_000, b"x" * 16_000, [], [], []

    async def receive():
        if sum(read) > 10 * limit:
            raise AssertionError("the body was read far past the limit")
        read.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": True}  # never ends: a 1 GiB body, say

    async def send(message):
        sent.append(message)

    async def route(scope, receive, send):
        ran.append(True)

    app = SimpleNamespace(request_max_body_size=limit)
    scope = {"type": "http", "method": "PUT", "path": "/v2/customers/sources/salesforce/x", "query_string": b"",
             "headers": [(b"idempotency-key", b"k-1")], "app": app}  # fmt: skip
    asyncio.run(idempotency_middleware(route)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert sum(read) <= limit + len(chunk)
    assert not ran


def test_json_nested_too_deep_is_a_400_naming_the_body_with_one_log_line(client, caplog):
    deep = b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    with caplog.at_level(logging.INFO, logger="mdm"):
        r = client.put(f"/v2/customers/sources/salesforce/{unique('sf')}", content=deep, headers=JSON)
    assert _problem(r, 400, "body")["errors"][0]["message"] == "nested too deep"
    assert not [rec for rec in caplog.records if rec.exc_info]  # no traceback logged


def test_a_body_that_is_not_utf8_is_a_400(client):
    r = client.put(f"/v2/customers/sources/salesforce/{unique('sf')}", content=b'{"name": "\xff\xfeabc"}',
                   headers=JSON)  # fmt: skip
    assert "not UTF-8" in _problem(r, 400, "body")["errors"][0]["message"]


@pytest.mark.parametrize("escaped", ["%FF%FEabc", "%FE%FFabc", "%EF%BF%BD%EF%BF%BDabc", "ok%C3"])
def test_a_path_that_does_not_decode_to_one_name_is_a_400_and_writes_nothing(client, escaped):
    r = client.put(f"/v2/customers/sources/salesforce/{escaped}", json={"name": "Escaped Ltd"})
    _problem(r, 400, "path")
    _problem(client.get(f"/v2/customers/resolve?system=salesforce&source_id={escaped}"), 400, "query")


def test_a_valid_escape_still_names_its_record(client):
    sid = unique("M%C3%BCller-")
    r = client.put(f"/v2/customers/sources/salesforce/{sid}", json={"name": "Müller Ltd"})
    assert r.status_code == 200, r.text
    found = client.get(f"/v2/customers/resolve?system=salesforce&source_id={sid}")
    assert found.status_code == 200, found.text
    assert found.json()["id"] == r.json()["id"]
