"""Survivorship and lineage through the API: owners, recency, overrides and clearing them."""

from tests.factory import unique


def _lineage(client, gid):
    return {e["field"]: e for e in client.get(f"/v1/customers/{gid}/lineage").json()}


def test_each_field_comes_from_its_owner_and_lineage_says_so(client, factory):
    tax = unique("IT")
    sf, ns = unique("001"), unique("C")
    a = factory.upsert("customer", "salesforce", sf, tax_id=tax, country="IT", name="Acme Italia",
                       legal_name="Acme Italia S.r.l.", website="acme.it", industry=None)  # fmt: skip
    # netsuite comes later; legal_name is salesforce's first, netsuite's second
    factory.upsert("customer", "netsuite", ns, tax_id=tax, country="IT", legal_name="ACME ITALIA SRL", currency="EUR")
    record = client.get(f"/v1/customers/{a['id']}").json()
    assert record["name"] == "Acme Italia"
    assert record["legal_name"] == "Acme Italia S.r.l."
    assert record["currency"] == "EUR"
    lineage = _lineage(client, a["id"])
    assert (lineage["legal_name"]["system"], lineage["legal_name"]["rule"]) == ("salesforce", "owner_priority")
    assert lineage["name"]["system"] == "salesforce"
    assert lineage["name"]["source_id"] == sf
    assert lineage["name"]["rule"] == "owner_priority"
    assert lineage["name"]["at"]
    assert lineage["currency"]["system"] == "netsuite"
    assert lineage["currency"]["source_id"] == ns
    assert lineage["website"]["value"] == "acme.it"
    assert lineage["industry"]["rule"] == "none"
    assert lineage["industry"]["value"] is None


def test_recency_decides_when_no_owner_has_a_value_and_within_one_owner(client, factory):
    """The hub's own value (`mdm`, a steward's POST) stands by recency while no owner has
    one; a non-owner's value is contributed and does not displace it. Between two source
    records of one owner, the more recent wins."""
    tax = unique("x")
    gid = factory.create("customer", tax_id=tax, country="DE", industry="Banking")
    sf1 = factory.upsert("customer", "salesforce", s1 := unique("s"), tax_id=tax, country="DE", industry=None)
    assert (sf1["id"], sf1["outcome"]) == (gid, "linked")
    lineage = _lineage(client, gid)
    assert (lineage["industry"]["value"], lineage["industry"]["rule"]) == ("Banking", "most_recent")
    assert (lineage["industry"]["system"], lineage["industry"]["source_id"]) == ("mdm", gid)
    n1 = unique("n")
    r = client.put(f"/v1/customers/sources/netsuite/{n1}", json={"tax_id": tax, "country": "DE",
                   "industry": "Insurance"})  # fmt: skip
    assert (r.status_code, r.json()["contributed"]) == (200, ["industry"])  # netsuite does not own industry
    lineage = _lineage(client, gid)
    assert (lineage["industry"]["value"], lineage["industry"]["rule"]) == ("Banking", "most_recent")
    assert [(c["system"], c["source_id"], c["value"]) for c in lineage["industry"]["contributed"]] == [
        ("netsuite", n1, "Insurance")
    ]
    factory.upsert("customer", "salesforce", s1, tax_id=tax, country="DE", industry="Insurance")
    factory.upsert("customer", "salesforce", s2 := unique("s"), tax_id=tax, country="DE", industry="Retail")
    lineage = _lineage(client, gid)
    assert (lineage["industry"]["value"], lineage["industry"]["rule"]) == ("Retail", "owner_priority")
    assert lineage["industry"]["source_id"] == s2
    factory.upsert("customer", "salesforce", s1, tax_id=tax, country="DE", industry="Energy")
    lineage = _lineage(client, gid)
    assert (lineage["industry"]["value"], lineage["industry"]["source_id"]) == ("Energy", s1)


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
