"""REST v1: list, create, get (as_of), PATCH with ETags, history, crosswalks, lineage,
resolve, translate, bulk resolve, and merged-away ids."""

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from mdm.db.tables import GOLDEN
from tests.factory import unique
from tests.sql import execute


def test_create_answers_201_with_location_and_etag(client, factory):
    r = client.post("/v1/customers", json=factory.payload("customer", website="acme.example"))
    assert r.status_code == 201
    body = r.json()
    assert body["id"].startswith("cus_")
    assert body["version"] == 1
    assert body["status"] == "active"
    assert r.headers["location"] == f"/v1/customers/{body['id']}"
    assert r.headers["etag"] == '"1"'
    got = client.get(r.headers["location"])
    assert got.json() == body


def test_list_pages_with_a_cursor_and_filters(client, factory):
    tag = unique("Zeta ")
    ids = [factory.create("customer", name=f"{tag} {i}", status="prospect" if i % 2 else "active") for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"q": tag.lower(), "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/customers", params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(ids)
    prospects = client.get("/v1/customers", params={"q": tag, "status": "prospect"}).json()["items"]
    assert {c["id"] for c in prospects} == {ids[1], ids[3]}
    assert client.get("/v1/customers", params={"status": "gone"}).status_code == 422
    assert client.get("/v1/customers", params={"cursor": "!!"}).status_code == 422


def test_list_filters_updated_since(client, factory):
    before = datetime.now(UTC)
    time.sleep(0.01)
    gid = factory.create("legal_entity")
    items = client.get("/v1/legal-entities", params={"updated_since": before.isoformat(), "limit": 500}).json()["items"]
    assert gid in {i["id"] for i in items}
    later = datetime.now(UTC).isoformat()
    items = client.get("/v1/legal-entities", params={"updated_since": later}).json()["items"]
    assert gid not in {i["id"] for i in items}


def test_get_unknown_is_404_problem(client):
    r = client.get("/v1/customers/cus_01JD3Z6V9QK8Y2W5X7M4N0P1RS")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_patch_needs_if_match_and_rejects_stale_etags(client, factory):
    gid = factory.create("customer")
    r = client.patch(f"/v1/customers/{gid}", json={"industry": "Legal"})
    assert r.status_code == 428
    r = client.patch(f"/v1/customers/{gid}", json={"industry": "Legal"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200
    assert r.json()["version"] == 2
    assert r.headers["etag"] == '"2"'
    r = client.patch(f"/v1/customers/{gid}", json={"industry": "Retail"}, headers={"If-Match": '"1"'})
    assert r.status_code == 412
    assert r.headers["etag"] == '"2"'
    assert client.get(f"/v1/customers/{gid}").json()["industry"] == "Legal"


def test_an_edit_that_could_never_apply_is_a_422_whatever_version_it_names(client, factory):
    """The request's own checks come before its precondition (RFC 9110 13.2.1): a stale
    If-Match on an invalid edit is told what is wrong with the edit, not to fetch again."""
    gid = factory.create("customer")
    r = client.patch(f"/v1/customers/{gid}", json={"overrides_cleared": ["no_such_field"]}, headers={"If-Match": '"7"'})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "overrides_cleared"
    r = client.patch(f"/v1/customers/{gid}", json={"industry": "Legal"}, headers={"If-Match": '"7"'})
    assert r.status_code == 412, r.text


def test_get_as_of_and_history(client, factory):
    gid = factory.create("customer", industry="Energy")
    t1 = datetime.now(UTC)
    time.sleep(0.01)
    client.patch(f"/v1/customers/{gid}", json={"industry": "Utilities"}, headers={"If-Match": '"1"'})
    assert client.get(f"/v1/customers/{gid}", params={"as_of": t1.isoformat()}).json()["industry"] == "Energy"
    assert client.get(f"/v1/customers/{gid}").json()["industry"] == "Utilities"
    r = client.get(f"/v1/customers/{gid}", params={"as_of": "2000-01-01T00:00:00Z"})
    assert r.status_code == 404
    history = client.get(f"/v1/customers/{gid}/history").json()
    assert [(h["version"], h["action"]) for h in history] == [(2, "patch"), (1, "create")]
    assert history[0]["data"]["industry"] == "Utilities"
    assert history[1]["data"]["industry"] == "Energy"


def test_upsert_crosswalks_translate_and_resolve(client, factory):
    tax = unique("GB")
    a = factory.upsert("customer", "salesforce", sf := unique("001"), tax_id=tax, country="GB")
    b = factory.upsert("customer", "netsuite", ns := unique("C-"), tax_id=tax, country="GB")
    assert a["outcome"] == "created"
    assert b["outcome"] == "linked"
    assert a["id"] == b["id"]
    gid = a["id"]
    xws = client.get(f"/v1/customers/{gid}/crosswalks").json()
    assert {(x["system"], x["source_id"]) for x in xws} == {("salesforce", sf), ("netsuite", ns)}
    r = client.get(f"/v1/customers/{gid}/translate", params={"to": "netsuite"})
    assert r.json() == {"id": gid, "system": "netsuite", "source_ids": [ns]}
    assert client.get(f"/v1/customers/{gid}/translate", params={"to": "workday"}).status_code == 404
    r = client.get("/v1/customers/resolve", params={"system": "salesforce", "source_id": sf})
    body = r.json()
    assert body["id"] == gid
    assert body["record"]["tax_id"] == tax
    assert body["merged_path"] == []
    assert body["record"] == client.get(f"/v1/customers/{gid}").json()
    assert client.get("/v1/customers/resolve", params={"system": "salesforce", "source_id": "nope"}).status_code == 404


def test_detach_ends_the_crosswalk_and_keeps_the_golden_record(client, factory):
    tax = unique("DE")
    a = factory.upsert("customer", "salesforce", sf := unique("001"), tax_id=tax, name="Acme CRM")
    factory.upsert("customer", "netsuite", ns := unique("C-"), tax_id=tax, legal_name="Acme ERP", currency="CHF")
    r = client.delete(f"/v1/customers/sources/netsuite/{ns}")
    assert r.status_code == 200
    assert r.json()["id"] == a["id"]
    assert r.json()["ended_at"]
    record = client.get(f"/v1/customers/{a['id']}").json()
    assert record["currency"] is None
    assert record["name"] == "Acme CRM"
    assert client.get("/v1/customers/resolve", params={"system": "netsuite", "source_id": ns}).status_code == 404
    xw = {x["source_id"]: x for x in client.get(f"/v1/customers/{a['id']}/crosswalks").json()}
    assert xw[ns]["ended_at"]
    assert xw[sf]["ended_at"] is None
    assert client.delete(f"/v1/customers/sources/netsuite/{ns}").status_code == 404
    again = factory.upsert("customer", "netsuite", ns, tax_id=tax, legal_name="Acme ERP")
    assert again["id"] == a["id"]
    assert again["outcome"] == "linked"


def test_bulk_resolve_answers_in_order_with_not_found(client, factory):
    made = [factory.upsert("employee", "workday", sid := unique("W"), employee_number=unique("E")) | {"sid": sid}
            for _ in range(3)]  # fmt: skip
    keys = [{"domain": "employee", "system": "workday", "source_id": m["sid"]} for m in made]
    keys.insert(1, {"domain": "employee", "system": "workday", "source_id": "missing"})
    keys.append({"domain": "customer", "system": "workday", "source_id": made[0]["sid"]})
    items = client.post("/v1/resolve", json={"keys": keys}).json()["items"]
    assert [i["status"] for i in items] == ["found", "not_found", "found", "found", "not_found"]
    assert [i.get("id") for i in items] == [made[0]["id"], None, made[1]["id"], made[2]["id"], None]
    assert [i["source_id"] for i in items] == [k["source_id"] for k in keys]


def test_bulk_resolve_limits(client):
    key = {"domain": "customer", "system": "salesforce", "source_id": "x"}
    r = client.post("/v1/resolve", json={"keys": [key] * 1000})
    assert r.status_code == 200
    assert len(r.json()["items"]) == 1000
    r = client.post("/v1/resolve", json={"keys": [key] * 1001})
    assert r.status_code == 413
    assert r.json()["errors"][0]["field"] == "keys"
    r = client.post("/v1/resolve", json={"keys": [{**key, "domain": "planet"}]})
    assert r.status_code == 422


def test_merged_ids_answer_301_and_resolve_follows_chains(client, factory, database_url):
    """Merge arrives with stewardship; the data model already carries merged_into."""
    a = factory.upsert("customer", "salesforce", sa := unique("001"))["id"]
    b, c = factory.create("customer"), factory.create("customer")
    t = GOLDEN["customer"]
    # A folded into B, B folded into C; A's crosswalk still names A (the chain must be followed)
    execute(database_url, update(t).where(t.c.id == a).values(merged_into=b),
         update(t).where(t.c.id == b).values(merged_into=c))  # fmt: skip
    r = client.get(f"/v1/customers/{a}", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == f"/v1/customers/{c}"
    assert r.json()["merged_path"] == [a, b]
    assert client.get(f"/v1/customers/{a}").json()["id"] == c  # clients that follow redirects land on C
    r = client.get("/v1/customers/resolve", params={"system": "salesforce", "source_id": sa})
    assert r.json()["id"] == c
    assert r.json()["merged_path"] == [a, b]
    items = client.post("/v1/resolve", json={"keys": [{"domain": "customer", "system": "salesforce",
                                                       "source_id": sa}]}).json()["items"]  # fmt: skip
    assert items[0]["id"] == c
    assert items[0]["merged_path"] == [a, b]
    r = client.patch(f"/v1/customers/{a}", json={"industry": "x"}, headers={"If-Match": '"1"'})
    assert r.status_code == 409


def test_golden_ids_are_never_reused(client, factory):
    ids = {factory.create("cost_center") for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
def test_health(client, path):
    assert client.get(path).json() == {"status": "ok"}


def test_detaching_the_last_source_keeps_the_record_and_says_so(client, factory):
    sid = unique("d")
    gid = factory.upsert("customer", "salesforce", sid, name="Keep me")["id"]
    assert client.delete(f"/v1/customers/sources/salesforce/{sid}").status_code == 200
    record = client.get(f"/v1/customers/{gid}").json()
    assert record["name"] == "Keep me"
    lineage = {e["field"]: e for e in client.get(f"/v1/customers/{gid}/lineage").json()}
    assert lineage["name"]["rule"] == "retained"


@pytest.mark.parametrize("value", ["2025-01-01T00:00:00", "2025-01-01T00:00:00Z", "2025-01-01T02:00:00+02:00"])
def test_instants_without_an_offset_are_utc(client, factory, value):
    gid = factory.create("customer")
    assert client.get(f"/v1/customers/{gid}", params={"as_of": value}).status_code == 404  # before it existed
    assert client.get("/v1/customers", params={"updated_since": value, "limit": 1}).status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
def test_unrepresentable_instants_are_422(client, factory, value):
    gid = factory.create("customer")
    r = client.get(f"/v1/customers/{gid}", params={"as_of": value})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "as_of"
    r = client.get("/v1/customers", params={"updated_since": value})
    assert r.status_code == 422


def test_search_folds_unicode_case_and_treats_wildcards_literally(client, factory):
    tag = unique()
    umlaut = factory.create("customer", name=f"ÄRZTE Partner {tag}")
    percent = factory.create("customer", name=f"100% Consulting {tag}")
    factory.create("customer", name=f"1000x Consulting {tag}")
    assert [c["id"] for c in client.get("/v1/customers", params={"q": f"ärzte partner {tag}"}).json()["items"]] == [
        umlaut
    ]
    assert [c["id"] for c in client.get("/v1/customers", params={"q": f"100% consulting {tag}"}).json()["items"]] == [
        percent
    ]


def test_if_match_star_and_resending_a_value(client, factory):
    gid = factory.create("customer")
    r = client.patch(f"/v1/customers/{gid}", json={"industry": "Law"}, headers={"If-Match": "*"})
    assert r.status_code == 200
    assert r.json()["version"] == 2
    r = client.patch(f"/v1/customers/{gid}", json={"industry": "Law"}, headers={"If-Match": '"2"'})
    assert r.json()["version"] == 2  # the same override again changes nothing
    assert len(client.get(f"/v1/customers/{gid}/history").json()) == 2


def test_upsert_answers_an_etag(client, factory):
    r = client.put(f"/v1/customers/sources/salesforce/{unique('e')}", json=factory.payload("customer", "salesforce"))
    assert r.headers["etag"] == '"1"'
