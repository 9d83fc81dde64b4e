"""POST /v1/{d}/match: candidates from the blocking index, scored and explained; nothing written."""

import random
import string

from mdm.domains import RULES
from tests.auth import bearer
from tests.factory import unique


def _word() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()


def test_a_legal_form_variant_finds_the_customer_and_explains_why(client):
    brand = _word()
    sf = unique("sf")
    address = {"line1": "Hauptstraße 5", "city": "Berlin", "postal_code": "10115", "country": "DE"}
    r = client.put(f"/v1/customers/sources/salesforce/{sf}", json={
        "name": f"{brand} Consulting GmbH", "country": "DE", "website": f"https://www.{brand.lower()}.de",
        "billing_address": address})  # fmt: skip
    golden = r.json()["id"]
    count_before = len(client.get("/v1/customers", params={"q": brand, "limit": 500}).json()["items"])
    r = client.post("/v1/customers/match", json={"name": f"{brand.upper()} CONSULTING", "country": "DE",
                                                 "website": f"http://{brand.lower()}.de/contact"})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    best = body["items"][0]
    assert best["id"] == golden
    assert best["score"] >= body["auto_link"]
    by_field = {e["field"]: e for e in best["explanation"]}
    assert by_field["name"]["left"] == by_field["name"]["right"] == f"{brand.lower()} consulting"
    assert (by_field["website"]["level"], by_field["name"]["level"]) == ("exact", "exact")
    assert by_field["website"]["weight"] > 0
    assert (by_field["street"]["level"], by_field["street"]["weight"]) == ("missing", 0.0)  # the probe has none
    assert by_field["*"]["probability"] == best["score"]
    assert body["rules_version"] == RULES["customer"].version
    # nothing was written
    assert len(client.get("/v1/customers", params={"q": brand, "limit": 500}).json()["items"]) == count_before
    assert client.get(f"/v1/customers/{golden}").json()["version"] == 1


def test_the_blocking_index_follows_every_write(client):
    brand, other = _word(), _word()
    sf = unique("sf")
    golden = client.put(f"/v1/customers/sources/salesforce/{sf}", json={"name": f"{brand} Advisory"}).json()["id"]
    found = client.post("/v1/customers/match", json={"name": f"{brand} Advisory Ltd"}).json()["items"]
    assert golden in [c["id"] for c in found]
    assert client.put(f"/v1/customers/sources/salesforce/{sf}", json={"name": f"{other} Partners"}).status_code == 200
    found = client.post("/v1/customers/match", json={"name": f"{brand} Advisory Ltd"}).json()["items"]
    assert golden not in [c["id"] for c in found]
    found = client.post("/v1/customers/match", json={"name": f"{other} Partners"}).json()["items"]
    assert found[0]["id"] == golden


def test_a_nickname_and_a_typo_find_the_employee(client, factory):
    family = _word()
    wd = unique("wd")
    body = factory.payload("employee", "workday", given_name="Jonathan", family_name=f"{family}son")
    golden = client.put(f"/v1/employees/sources/workday/{wd}", json=body).json()["id"]
    probe = {"given_name": "Jon", "family_name": f"{family}sen"}
    r = client.post("/v1/employees/match", json=probe, headers=bearer("user:reader"))
    assert r.status_code == 200, r.text
    names_only = next(i for i in r.json()["items"] if i["id"] == golden)
    assert names_only["score"] < r.json()["review"]  # two names alone: many people share a family name
    started = probe | {"start_date": body["start_date"], "country": body["country"]}
    r = client.post("/v1/employees/match", json=started, headers=bearer("user:reader"))
    best = r.json()["items"][0]
    assert best["id"] == golden
    assert best["score"] >= r.json()["review"]
    levels = {e["field"]: e.get("level") for e in best["explanation"]}
    assert (levels["given_name"], levels["family_name"], levels["start_date"]) == (
        "nickname",
        "jaro_winkler>=0.92",
        "exact",
    )


def test_a_bad_candidate_is_a_422_naming_the_field(client):
    r = client.post("/v1/customers/match", json={"name": "Acme", "country": "Germany"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "country"
    assert client.post("/v1/customers/match", json={"name": "Acme"}, params={"limit": 0}).status_code == 422
    # a code the document's list does not hold, though it has the code's shape: as a write would answer
    for path, body, field in (("/v2/projects/match", {"code": "P-1", "currency": "DEN"}, "currency"),
                              ("/v2/customers/match", {"name": "Acme", "country": "XX"}, "country")):  # fmt: skip
        r = client.post(path, json=body)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field


def test_match_is_a_read_a_system_key_with_the_reader_role_may_call(client):
    """POST /v1/customers/match writes nothing: an integration's key (reader role) asks it
    before it posts, as the README shows."""
    from tests.auth import bearer

    for principal in ("system:netsuite", "user:reader"):
        r = client.post(
            "/v1/customers/match", json={"name": "Anything Ltd", "country": "DE"}, headers=bearer(principal)
        )
        assert r.status_code == 200, (principal, r.text)
        assert "items" in r.json()
