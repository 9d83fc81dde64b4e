"""Survivorship and lineage through the API: owners, recency, overrides and clearing them."""

from tests.factory import unique


def _lineage(client, gid):
    return {e["field"]: e for e in client.get(f"/v1/customers/{gid}/lineage").json()}


def test_each_field_comes_from_its_owner_and_lineage_says_so(client, factory):
    tax = unique("IT")
    sf, ns = unique("001"), unique("C")
    a = factory.upsert("customer", "salesforce", sf, tax_id=tax, country="IT", name="Acme Italia", currency="USD",
                       website="acme.it", industry=None)  # fmt: skip
    factory.upsert("customer", "netsuite", ns, tax_id=tax, country="IT", name="ACME ITALIA SRL", currency="EUR",
                   industry=None)  # fmt: skip
    record = client.get(f"/v1/customers/{a['id']}").json()
    assert record["name"] == "Acme Italia"
    assert record["currency"] == "EUR"
    lineage = _lineage(client, a["id"])
    assert lineage["name"]["system"] == "salesforce"
    assert lineage["name"]["source_id"] == sf
    assert lineage["name"]["rule"] == "owner_priority"
    assert lineage["name"]["at"]
    assert lineage["currency"]["system"] == "netsuite"
    assert lineage["currency"]["source_id"] == ns
    assert lineage["website"]["value"] == "acme.it"
    assert lineage["industry"]["rule"] == "none"
    assert lineage["industry"]["value"] is None


def test_recency_decides_among_non_owners(client, factory):
    gid = factory.upsert("customer", "certinia", sid := unique("c"), industry="Banking", tax_id=unique("x"))["id"]
    factory.upsert("customer", "workday", unique("w"), industry="Insurance", tax_id=client.get(
        f"/v1/customers/{gid}").json()["tax_id"], country="DE")  # fmt: skip
    lineage = _lineage(client, gid)
    assert lineage["industry"]["value"] == "Insurance"
    assert lineage["industry"]["rule"] == "most_recent"
    assert sid


def test_steward_override_wins_until_cleared(client, factory):
    sid = unique("001")
    gid = factory.upsert("customer", "salesforce", sid, name="Umbrella")["id"]
    r = client.patch(f"/v1/customers/{gid}", json={"name": "Umbrella Corporation"}, headers={"If-Match": '"1"'})
    assert r.json()["name"] == "Umbrella Corporation"
    assert r.json()["overrides"] == ["name"]
    factory.upsert("customer", "salesforce", sid, name="Umbrella Inc")  # the owner sends a new value
    record = client.get(f"/v1/customers/{gid}").json()
    assert record["name"] == "Umbrella Corporation"
    assert _lineage(client, gid)["name"]["rule"] == "override"
    assert _lineage(client, gid)["name"]["by"] == "user:steward"  # who set it
    etag = client.get(f"/v1/customers/{gid}").headers["etag"]
    r = client.patch(f"/v1/customers/{gid}", json={"overrides_cleared": ["name"]}, headers={"If-Match": etag})
    assert r.json()["name"] == "Umbrella Inc"
    assert r.json()["overrides"] == []
    assert _lineage(client, gid)["name"]["rule"] == "owner_priority"


def test_override_to_null_and_invalid_clear(client, factory):
    gid = factory.create("customer", website="old.example")
    r = client.patch(f"/v1/customers/{gid}", json={"website": None}, headers={"If-Match": '"1"'})
    assert r.status_code == 200
    assert r.json()["website"] is None
    assert r.json()["overrides"] == ["website"]
    r = client.patch(f"/v1/customers/{gid}", json={"overrides_cleared": ["colour"]}, headers={"If-Match": '"2"'})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "overrides_cleared"
    r = client.patch(f"/v1/customers/{gid}", json={"name": None}, headers={"If-Match": '"2"'})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "name"
