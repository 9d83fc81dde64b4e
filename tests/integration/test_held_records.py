"""Held source records: what a source sends that can neither join nor become a golden
record is kept whole (202 `held`), said so by resolve, shown to stewards, and joined later:
by a steward, or by itself when a later write makes it match. Nothing a source sends is lost."""

import random

from tests.auth import bearer
from tests.factory import duns, unique
from tests.integration.test_events import events_after, head


def _put(client, system, source_id, body, version="v2"):
    return client.put(f"/{version}/customers/sources/{system}/{source_id}", json=body)


def _resolve(client, system, source_id):
    return client.get("/v2/customers/resolve", params={"system": system, "source_id": source_id})


def _held(client, system, source_id):
    found, cursor = [], None
    while True:
        page = client.get("/v2/customers/held", params={"limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        found += [h for h in page["items"] if (h["system"], h["source_id"]) == (system, source_id)]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def test_an_erp_customer_that_links_to_nothing_is_held_and_a_steward_links_it(client):
    """The issue's case: netsuite may not create customers; its record of a client it does
    not share an identifier with is kept, not refused, and a steward joins it."""
    name = unique("Brightwater Consulting ")
    sf = _put(client, "salesforce", unique("sf"), {"name": name, "legal_name": f"{name} GmbH", "country": "DE"})
    assert sf.status_code == 200, sf.text
    ns_id, record = unique("CUST-"), {"legal_name": f"{name} GmbH", "country": "DE", "currency": "EUR"}
    scored = client.post("/v2/customers/match", json=record).json()  # what the hub's rules say of it
    best = next((c for c in scored["items"] if c["id"] == sf.json()["id"]), None)
    assert best is None or best["score"] < scored["auto_link"], "it would link: not the case this test is about"
    r = _put(client, "netsuite", ns_id, record)
    assert r.status_code == 202, r.text
    held = r.json()
    assert (held["outcome"], held["system"], held["source_id"]) == ("held", "netsuite", ns_id)
    if best is not None and best["score"] >= scored["review"]:  # in the review band: the candidate is named
        assert held["held"]["reason"] == "review_without_create"
        assert held["held"]["candidates"][0]["id"] == sf.json()["id"]
    else:
        assert held["held"]["reason"] == "no_create_right"
    resolved = _resolve(client, "netsuite", ns_id)
    assert resolved.status_code == 404
    assert resolved.headers["content-type"].startswith("application/problem+json")
    assert resolved.json()["title"] == "Source record held"
    assert "netsuite may not create customer records" in resolved.json()["detail"]
    [listed] = _held(client, "netsuite", ns_id)
    assert listed["record"]["currency"] == "EUR"  # kept whole
    # sending it again changes nothing and is still held
    assert (
        _put(client, "netsuite", ns_id, {"legal_name": f"{name} GmbH", "country": "DE", "currency": "EUR"}).status_code
        == 202
    )
    # a reader may not decide; a steward links it
    link = f"/v2/customers/held/netsuite/{ns_id}/link"
    assert client.post(link, json={"id": sf.json()["id"]}, headers=bearer("user:reader")).status_code == 403
    done = client.post(link, json={"id": sf.json()["id"]})
    assert done.status_code == 200, done.text
    assert (done.json()["id"], done.json()["outcome"]) == (sf.json()["id"], "linked")
    assert _resolve(client, "netsuite", ns_id).json()["id"] == sf.json()["id"]
    assert client.get(f"/v2/customers/{sf.json()['id']}").json()["currency"] == "EUR"  # netsuite owns currency
    assert _held(client, "netsuite", ns_id) == []
    assert client.post(link, json={"id": sf.json()["id"]}).status_code == 404  # no longer held


def test_a_later_write_that_makes_it_match_releases_it(client):
    """netsuite's record names a DUNS nobody has yet: held. When salesforce's record with
    that DUNS arrives, the held record joins it by itself, under netsuite's name."""
    number = [{"scheme": "duns", "value": duns()}]
    ns_id = unique("CUST-")
    r = _put(client, "netsuite", ns_id, {"legal_name": unique("Later Link AG "), "country": "CH",
                                         "identifiers": number, "currency": "CHF"})  # fmt: skip
    assert (r.status_code, r.json()["held"]["reason"]) == (202, "no_create_right")
    sf = _put(
        client, "salesforce", unique("sf"), {"name": unique("Later Link "), "country": "CH", "identifiers": number}
    )
    assert sf.status_code == 200, sf.text
    resolved = _resolve(client, "netsuite", ns_id)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["id"] == sf.json()["id"]
    assert resolved.json()["record"]["currency"] == "CHF"
    assert _held(client, "netsuite", ns_id) == []
    audit = client.get("/v1/audit", params={"record_id": sf.json()["id"]}).json()["items"]
    assert any(a["principal"] == "system:netsuite" and a["outcome"] == "linked" for a in audit), audit


def test_a_record_missing_a_required_field_is_held_until_it_is_complete(client):
    sf_id = unique("sf")
    website = f"https://{unique('sparse').lower()}.example"
    r = _put(client, "salesforce", sf_id, {"website": website, "country": "DE"})
    assert r.status_code == 202, r.text
    assert r.json()["held"]["reason"] == "incomplete"
    assert "lacks name" in r.json()["held"]["detail"]
    assert _resolve(client, "salesforce", sf_id).json()["title"] == "Source record held"
    r = _put(client, "salesforce", sf_id, {"name": unique("Sparse Then Whole "), "website": website, "country": "DE"})
    assert (r.status_code, r.json()["outcome"]) == (200, "created")
    assert _resolve(client, "salesforce", sf_id).json()["id"] == r.json()["id"]
    assert _held(client, "salesforce", sf_id) == []


def test_a_steward_makes_a_golden_record_of_a_held_one(client):
    """Its name is contributed (netsuite does not own it): with no owner's name, it fills it."""
    ns_id, name = unique("CUST-"), unique("Steward Made ")
    r = _put(client, "netsuite", ns_id, {"name": name, "legal_name": f"{name} Ltd", "country": "GB"})
    assert (r.status_code, r.json()["contributed"]) == (202, ["name"])
    assert client.post(f"/v2/customers/held/netsuite/{ns_id}/create", headers=bearer("user:reader")).status_code == 403
    made = client.post(f"/v2/customers/held/netsuite/{ns_id}/create")
    assert made.status_code == 200, made.text
    assert made.json()["outcome"] == "created"
    golden = made.json()["id"]
    assert _resolve(client, "netsuite", ns_id).json()["id"] == golden
    lineage = {e["field"]: e for e in client.get(f"/v2/customers/{golden}/lineage").json()}
    assert (lineage["name"]["value"], lineage["name"]["rule"]) == (name, "contributed")
    assert (lineage["legal_name"]["rule"], lineage["legal_name"]["system"]) == ("owner_priority", "netsuite")


def test_a_batch_answers_held_items_with_202_and_counts_them(client):
    ns_id = unique("CUST-")
    body = {"items": [{"source_id": ns_id, "record": {"legal_name": unique("Batch Held "), "country": "FR"}}]}
    r = client.post("/v2/customers/sources/netsuite/batch", json=body)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert (item["status"], item["outcome"], item["held"]["reason"]) == (202, "held", "no_create_right")
    assert r.json()["counts"] == {"held": 1}
    assert len(_held(client, "netsuite", ns_id)) == 1


def test_a_record_held_early_in_a_batch_joins_what_the_batch_makes_after_it(client):
    """A CRM export lists a nameless account before the named one it duplicates: within the
    one batch the first is held, then matched again once the second is made, and answered
    as linked; one without anything to join stays held."""
    website, phone = f"https://{unique('early').lower()}.example", f"+49 30 {random.randint(1000000, 9999999)}"
    address = {"kind": "billing", "line1": "Torstrasse 12", "postal_code": "10119", "city": "Berlin", "country": "DE"}
    sparse = {
        "website": website,
        "country": "DE",
        "phones": [{"kind": "main", "number": phone}],
        "addresses": [address],
    }
    number = [{"scheme": "duns", "value": duns()}]
    first, keyed, named, other = (unique(p) for p in ("sf-a", "sf-b", "sf-c", "sf-d"))
    items = [
        {"source_id": first, "record": sparse},  # joins by score what is made after it
        {"source_id": keyed, "record": {"country": "DE", "identifiers": number}},  # ... and by a DUNS
        {"source_id": named, "record": {"name": unique("Early Bird GmbH "), **sparse, "identifiers": number}},
        {"source_id": other, "record": {"website": f"https://{unique('alone').lower()}.example", "country": "FR"}},
    ]
    r = client.post("/v2/customers/sources/salesforce/batch", json={"items": items})
    assert r.status_code == 200, r.text
    out = r.json()["items"]
    made = out[2]["id"]
    assert (out[2]["outcome"], out[0]["outcome"], out[1]["outcome"]) == ("created", "linked", "linked"), out
    assert out[0]["id"] == out[1]["id"] == made
    assert (out[3]["status"], out[3]["outcome"]) == (202, "held")
    for sid in (first, keyed):
        assert _resolve(client, "salesforce", sid).json()["id"] == made
        assert _held(client, "salesforce", sid) == []
    assert len(_held(client, "salesforce", other)) == 1


def test_a_held_record_is_shown_with_the_candidate_a_later_write_makes(client):
    """A nameless account matches nothing when it arrives; the named one made later scores in
    the review band against it (one website, no name to compare): the held record stays held,
    now shown to stewards with that candidate, without another `held` event."""
    website, sf_id = f"https://{unique('shown').lower()}.example", unique("sf")
    r = _put(client, "salesforce", sf_id, {"website": website, "country": "DE"})
    assert (r.status_code, r.json()["held"]["candidates"]) == (202, [])
    after = head(client)
    named = _put(client, "salesforce", unique("sf"), {"name": unique("Shown Later GmbH "), "website": website,
                                                       "country": "DE"})  # fmt: skip
    assert (named.status_code, named.json()["outcome"]) == (200, "created"), named.text
    [listed] = _held(client, "salesforce", sf_id)
    assert [c["id"] for c in listed["held"]["candidates"]] == [named.json()["id"]]
    assert listed["held"]["reason"] == "incomplete"
    assert "lacks name" in listed["held"]["detail"]  # why it is held is as it was
    assert events_after(client, after, type="mdm.customer.held") == []
