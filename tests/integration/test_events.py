"""Change events (issue 17): the outbox written in each change's transaction, and the pull
feed over it, on the test database (SQLite or PostgreSQL). The feed holds every test's
events: each test reads from the feed's head as it found it, about the records it made."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from mdm.db import events as events_sql
from mdm.db.engine import Database
from tests.auth import bearer
from tests.factory import unique


def head(client) -> str | None:
    r = client.get("/v2/events/head")
    assert r.status_code == 200, r.text
    return r.json()["sequence"]


def events_after(client, after: str | None, version: str = "v2", principal: str = "user:steward",
                 **filters: str) -> list[dict[str, Any]]:  # fmt: skip
    """Every event after a cursor, paging by `next` as a consumer does."""
    found: list[dict[str, Any]] = []
    while True:
        params = {"limit": "200", **filters, **({"after": after} if after else {})}
        r = client.get(f"/{version}/events", params=params, headers=bearer(principal))
        assert r.status_code == 200, r.text
        page = r.json()
        found += page["items"]
        if not page["items"] or page["next"] == after:
            return found
        after = page["next"]


def about(events: list[dict[str, Any]], *ids: str) -> list[tuple[str, str | None]]:
    """(type, subject) of the events whose subject or data names one of these ids."""
    return [(e["type"], e["subject"]) for e in events
            if e["subject"] in ids or any(e["data"].get(k) in ids for k in ("survivor_id", "golden_id"))]  # fmt: skip


def test_a_source_record_emits_created_and_linked_then_updated_with_its_changed_fields(client, factory_v2):
    start = head(client)
    tag = unique("ev")
    made = client.put(f"/v2/customers/sources/salesforce/{tag}", json={"name": f"{tag} Ltd", "country": "DE"})
    assert made.status_code == 200, made.text
    cid = made.json()["id"]
    r = client.put(f"/v2/customers/sources/salesforce/{tag}", json={"name": f"{tag} GmbH", "country": "DE"})
    assert r.status_code == 200, r.text
    same = client.put(f"/v2/customers/sources/salesforce/{tag}", json={"name": f"{tag} GmbH", "country": "DE"})
    assert same.json()["outcome"] == "unchanged"
    found = events_after(client, start)
    assert about(found, cid) == [
        ("mdm.customer.created", cid),
        ("mdm.customer.linked", cid),
        ("mdm.customer.updated", cid),
    ]  # fmt: skip  (unchanged: no event)
    created, linked, updated = [e for e in found if e["subject"] == cid]
    assert created["specversion"] == "1.0"
    assert created["source"] == "/mdm"
    assert created["datacontenttype"] == "application/json"
    assert created["principal"] == "system:salesforce"
    assert created["correlationid"] == made.headers["x-correlation-id"]
    assert created["data"]["version"] == 1
    assert created["data"]["record"]["name"] == f"{tag} Ltd"
    assert linked["data"] == {"system": "salesforce", "source_id": tag, "golden_id": cid}
    assert updated["data"]["version"] == 2
    assert updated["data"]["changed"] == ["name"]
    assert updated["data"]["record"]["name"] == f"{tag} GmbH"
    assert updated["correlationid"] == r.headers["x-correlation-id"]
    assert created["sequence"] < linked["sequence"] < updated["sequence"]  # cursors compare as text


def test_a_write_that_fails_emits_nothing(client, factory_v2):
    start = head(client)
    cid = factory_v2.create("customer", name=unique("ev fail"))
    first = events_after(client, start)
    assert about(first, cid)[0] == ("mdm.customer.created", cid)
    cursor = first[-1]["sequence"]
    stale = client.patch(f"/v2/customers/{cid}", json={"name": "Stale"}, headers={"If-Match": '"99"'})
    assert stale.status_code == 412
    refused = client.patch(f"/v2/customers/{cid}", json={"country": "XX"}, headers={"If-Match": '"1"'})
    assert refused.status_code == 422
    batch = client.post("/v2/customers/sources/salesforce/batch", json={"items": [
        {"source_id": unique("ok"), "record": {"name": unique("ev batch ok")}},
        {"source_id": unique("bad"), "record": {"name": "x", "country": "XX"}},
    ]})  # fmt: skip
    assert batch.status_code == 200, batch.text
    ok, bad = batch.json()["items"]
    assert bad["status"] == 422
    after = events_after(client, cursor)
    assert about(after, cid) == []
    assert [e["type"] for e in after if e["subject"] == ok["id"]] == ["mdm.customer.created", "mdm.customer.linked"]
    assert not [e for e in after if e["data"].get("source_id") == bad["source_id"]]  # the rejected item: nothing


def test_merge_unmerge_and_retire_name_both_records(client, factory_v2):
    start = head(client)
    survivor = factory_v2.create("customer", name=unique("ev keep"))
    folded = factory_v2.create("customer", name=unique("ev fold"))
    r = client.post("/v2/customers/merge", json={"survivor_id": survivor, "merged_ids": [folded]})
    assert r.status_code == 200, r.text
    merge_id = r.json()["merge_id"]
    r = client.post(f"/v2/customers/{survivor}/unmerge", json={"merge_id": merge_id})
    assert r.status_code == 200, r.text
    version = client.get(f"/v2/customers/{survivor}").headers["etag"]
    r = client.patch(f"/v2/customers/{survivor}", json={"status": "inactive"}, headers={"If-Match": version})
    assert r.status_code == 200, r.text
    kinds = about(events_after(client, start), survivor, folded)
    merged = ("mdm.customer.merged", folded)
    unmerged = ("mdm.customer.unmerged", folded)
    retired = ("mdm.customer.retired", survivor)
    assert {merged, unmerged, retired} <= set(kinds), kinds
    assert kinds.index(merged) < kinds.index(unmerged) < kinds.index(retired)
    found = {(e["type"], e["subject"]): e for e in events_after(client, start)}
    assert found[merged]["data"]["survivor_id"] == survivor
    assert found[unmerged]["data"]["survivor_id"] == survivor
    assert found[retired]["data"]["changed"] == ["status"]


def test_the_feed_filters_replays_and_speaks_each_contract_version(client, factory_v2):
    start = head(client)
    tag = unique("ev")
    body = {"name": f"{tag} Ltd", "billing_address": {"line1": "1 Main St", "city": "Berlin", "country": "DE"}}
    r = client.put(f"/v1/customers/sources/salesforce/{tag}", json=body)
    assert r.status_code == 200, r.text
    cid = r.json()["id"]
    factory_v2.create("legal_entity")
    only = events_after(client, start, domain="customer", type="mdm.customer.created")
    assert {e["type"] for e in only} == {"mdm.customer.created"}
    assert cid in {e["subject"] for e in only}
    v2 = next(e for e in only if e["subject"] == cid)["data"]["record"]
    v1 = next(e for e in events_after(client, start, "v1", domain="customer") if e["subject"] == cid)["data"]["record"]
    assert v1["billing_address"]["city"] == "Berlin"
    assert "addresses" not in v1
    assert v2["addresses"][0]["city"] == "Berlin"
    assert "billing_address" not in v2
    everything = events_after(client, start)
    middle = everything[len(everything) // 2]["sequence"]
    assert events_after(client, middle) == [e for e in everything if e["sequence"] > middle]  # replay from any point
    for cursor in ("yesterday", "8000000000000000-0000000000000001"):  # a word; past a bigint
        bad = client.get("/v2/events", params={"after": cursor})
        assert bad.status_code == 422, bad.text
        assert bad.json()["errors"][0]["field"] == "after"
    unknown = client.get("/v2/events", params={"domain": "invoice"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "domain"


def test_cost_rate_stays_with_those_who_may_read_it(client, factory_v2):
    start = head(client)
    tag = unique("ev")
    r = client.put(f"/v2/employees/sources/netsuite/{tag}", json={"employee_number": tag, "cost_rate": "95"})
    assert r.status_code in (200, 202), r.text
    r = client.put(f"/v2/employees/sources/workday/{tag}",
                   json={"employee_number": tag, "name": {"given": "Ada", "family": "Rate"}})  # fmt: skip
    assert r.status_code == 200, r.text
    eid = r.json()["id"]
    r = client.put(f"/v2/employees/sources/netsuite/{tag}", json={"employee_number": tag, "cost_rate": "99"})
    assert r.status_code == 200, r.text
    for principal, sees in (("user:reader", False), ("system:salesforce", False), ("user:steward", True)):
        mine = [e for e in events_after(client, start, principal=principal) if e["subject"] == eid]
        assert mine, principal
        updates = [e for e in mine if e["type"] == "mdm.employee.updated"]
        assert any("cost_rate" in e["data"]["changed"] for e in updates) is sees, (principal, updates)
        assert any("cost_rate" in e["data"]["record"] for e in mine if "record" in e["data"]) is sees, principal


def test_a_cursor_older_than_retention_is_gone(client, factory_v2, database_url):
    factory_v2.create("customer", name=unique("ev old"))
    first = client.get("/v2/events", params={"limit": "1"}).json()["items"][0]["sequence"]
    cid = factory_v2.create("customer", name=unique("ev kept"))

    async def prune() -> int:
        async with Database.opened(database_url) as db, db.transaction() as session:
            created = (await session.execute(events_sql.outbox_event.select().where(
                events_sql.outbox_event.c.subject == cid))).first()  # fmt: skip
            return await events_sql.prune(session, created.time - timedelta(microseconds=1), datetime.now(UTC))

    assert asyncio.run(prune()) >= 1
    gone = client.get("/v2/events", params={"after": first})
    assert gone.status_code == 410, gone.text
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.json()["errors"][0]["field"] == "after"
    oldest = client.get("/v2/events", params={"limit": "1"}).json()["items"]
    assert oldest
    assert oldest[0]["sequence"] > first
