"""Idempotency-Key replays; X-Correlation-ID on responses, history and audit rows; Server-Timing."""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mdm.db.tables import audit_log
from tests.factory import unique
from tests.sql import execute, fetch_all


def test_same_key_and_body_replays_the_first_response(client, factory):
    key = unique("idem-")
    payload = factory.payload("customer")
    first = client.post("/v1/customers", json=payload, headers={"Idempotency-Key": key})
    second = client.post("/v1/customers", json=payload, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers.get("idempotent-replayed") == "true"
    found = client.get("/v1/customers", params={"q": payload["name"]}).json()["items"]
    assert len(found) == 1  # created once


def test_same_key_with_another_body_is_409(client, factory):
    key = unique("idem-")
    assert (
        client.post("/v1/customers", json=factory.payload("customer"), headers={"Idempotency-Key": key}).status_code
        == 201
    )
    r = client.post("/v1/customers", json=factory.payload("customer"), headers={"Idempotency-Key": key})
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")


def test_failed_validation_is_replayed_too_but_a_new_key_can_retry(client, factory):
    key = unique("idem-")
    bad = factory.payload("customer", country="XX")
    assert client.post("/v1/customers", json=bad, headers={"Idempotency-Key": key}).status_code == 422
    assert client.post("/v1/customers", json=bad, headers={"Idempotency-Key": key}).status_code == 422
    good = client.post("/v1/customers", json=factory.payload("customer"), headers={"Idempotency-Key": unique("k")})
    assert good.status_code == 201


def test_upsert_with_idempotency_key(client, factory):
    sid, key = unique("s"), unique("k")
    payload = factory.payload("customer", "salesforce")
    a = client.put(f"/v1/customers/sources/salesforce/{sid}", json=payload, headers={"Idempotency-Key": key})
    b = client.put(f"/v1/customers/sources/salesforce/{sid}", json=payload, headers={"Idempotency-Key": key})
    assert a.json() == b.json()
    assert a.json()["outcome"] == "created"


def test_correlation_id_is_echoed_or_made(client, factory):
    r = client.get("/health/live")
    assert len(r.headers["x-correlation-id"]) == 26
    r = client.get("/health/live", headers={"X-Correlation-ID": "job-42.step-7"})
    assert r.headers["x-correlation-id"] == "job-42.step-7"
    r = client.get("/health/live", headers={"X-Correlation-ID": "bad id with spaces"})
    assert r.headers["x-correlation-id"] != "bad id with spaces"
    r = client.get("/v1/customers/cus_01JD3Z6V9QK8Y2W5X7M4N0P1RS", headers={"X-Correlation-ID": "err-1"})
    assert r.status_code == 404
    assert r.headers["x-correlation-id"] == "err-1"


def test_every_answer_says_how_long_the_server_took(client, factory):
    """`Server-Timing: app;dur=<ms>` on answers, refusals and problems alike, no longer than
    the caller waited."""
    statuses = []
    for method, path, body in [("POST", "/v1/customers", factory.payload("customer")),
                               ("GET", "/v1/customers/cus_01JD3Z6V9QK8Y2W5X7M4N0P1RS", None),
                               ("POST", "/v1/customers", {"name": ""})]:  # fmt: skip
        t0 = time.perf_counter()
        r = client.request(method, path, json=body)
        waited = (time.perf_counter() - t0) * 1000
        name, _, took = r.headers["server-timing"].partition(";dur=")
        assert name == "app", r.headers["server-timing"]
        assert 0 <= float(took) <= waited, (r.status_code, took, waited)
        statuses.append(r.status_code)
    assert statuses == [201, 404, 422]


def test_correlation_id_is_stored_on_history_and_audit(client, factory, database_url):
    cid = unique("corr-")
    r = client.post("/v1/customers", json=factory.payload("customer"), headers={"X-Correlation-ID": cid})
    gid = r.json()["id"]
    assert client.get(f"/v1/customers/{gid}/history").json()[0]["correlation_id"] == cid

    rows = fetch_all(database_url, select(audit_log).where(audit_log.c.record_id == gid))
    assert [(r.correlation_id, r.action, r.outcome) for r in rows] == [(cid, "create", "created")]


def test_a_long_query_string_with_a_key_is_fine(client, factory):
    sid, payload = unique("q"), factory.payload("customer", "salesforce")
    r = client.put(f"/v1/customers/sources/salesforce/{sid}", params={"note": "a" * 600},
                   json=payload, headers={"Idempotency-Key": unique("k")})  # fmt: skip
    assert r.status_code == 200


def test_a_bad_idempotency_key_names_the_header(client, factory):
    r = client.post("/v1/customers", json=factory.payload("customer"), headers={"Idempotency-Key": "k" * 201})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"


def _in_flight(database_url, key, owner, age=timedelta(0), status=0):
    """A claim as a worker leaves it: in flight (status 0) under `owner`, or answered."""
    from sqlalchemy import insert

    from mdm.db.tables import idempotency_key

    row = {"principal": "user:steward", "key": key, "method": "POST", "path": "/v1/customers", "body_hash": "x" * 64,
           "status_code": status, "response_body": b"{}", "response_headers": [], "owner": owner,
           "created_at": datetime.now(UTC) - age}  # fmt: skip
    execute(database_url, insert(idempotency_key).values(**row))


def _dead_pid():
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def test_a_key_a_killed_worker_left_in_flight_is_taken_over_at_once(client, factory, database_url):
    """The worker that claimed the key is gone (this host's process no longer runs): the
    retry runs now instead of a 409 for minutes. A live worker's claim still holds."""
    from mdm.db.idempotency import HOST

    dead, alive = unique("idem-dead-"), unique("idem-live-")
    _in_flight(database_url, dead, f"{HOST}:{_dead_pid()}")
    _in_flight(database_url, alive, f"{HOST}:{os.getpid()}")
    payload = factory.payload("customer")
    retried = client.post("/v1/customers", json=payload, headers={"Idempotency-Key": dead})
    assert retried.status_code == 201, retried.text
    again = client.post("/v1/customers", json=payload, headers={"Idempotency-Key": dead})
    assert again.headers.get("idempotent-replayed") == "true"
    other = factory.payload("customer")
    running = client.post("/v1/customers", json=other, headers={"Idempotency-Key": alive})
    assert running.status_code == 409  # the key is a live worker's: nothing runs under it
    assert client.get("/v1/customers", params={"q": other["name"]}).json()["items"] == []


def test_a_key_is_forgotten_after_its_retention(client, factory, database_url):
    old = unique("idem-old-")
    _in_flight(database_url, old, None, age=timedelta(hours=25), status=201)  # answered a day ago
    r = client.post("/v1/customers", json=factory.payload("customer"), headers={"Idempotency-Key": old})
    assert r.status_code == 201  # a new request, not a 409 for another body
    assert r.headers.get("idempotent-replayed") is None


def test_the_fingerprint_includes_if_match(client, factory):
    gid = factory.create("customer")
    key = unique("idem-")
    first = client.patch(f"/v1/customers/{gid}", json={"industry": "Media"},
                         headers={"Idempotency-Key": key, "If-Match": '"1"'})  # fmt: skip
    assert first.status_code == 200, first.text
    other = client.patch(f"/v1/customers/{gid}", json={"industry": "Media"},
                         headers={"Idempotency-Key": key, "If-Match": '"2"'})  # fmt: skip
    assert other.status_code == 409  # another request under the same key, not a replay of the first
    assert "another request" in other.json()["detail"]
