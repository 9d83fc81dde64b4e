"""Bulk upsert over HTTP: `POST /v{n}/{domain}/sources/{system}/batch`. Each item is decided
on its own, in order, with the same policy, audit, keys and matching as a single upsert;
items of one batch match each other; a bad item is its own problem and leaves nothing."""

import asyncio
import os
import random
import signal
import string

import httpx
from sqlalchemy import select

from mdm.api.batch import CHUNK
from mdm.db.tables import audit_log
from tests.auth import AUTH, bearer
from tests.conftest import serving
from tests.factory import duns, unique
from tests.sql import fetch_all


def _batch(client, system, items, version="v2", domain="customers", **kwargs):
    body = {"items": [{"source_id": sid, "record": record} for sid, record in items]}
    return client.post(f"/{version}/{domain}/sources/{system}/batch", json=body, **kwargs)


def test_items_are_decided_in_order_and_match_each_other(client):
    number = [{"scheme": "duns", "value": duns()}]
    first, bad, second, again = unique("sf"), unique("sf"), unique("sf"), None
    r = _batch(client, "salesforce", [
        (first, {"name": "Batchline Logistics GmbH", "country": "DE", "identifiers": number}),
        (bad, {"name": "Broken Ltd", "country": "XX"}),
        (second, {"name": "BATCHLINE LOGISTICS", "country": "DE", "identifiers": number}),
        (first, {"name": "Batchline Logistics GmbH", "country": "DE", "identifiers": number}),
    ])  # fmt: skip
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["source_id"] for i in items] == [first, bad, second, first]
    assert [i["status"] for i in items] == [200, 422, 200, 200]
    assert [i.get("outcome") for i in items] == ["created", None, "linked", "unchanged"]
    assert items[0]["id"] == items[2]["id"] == items[3]["id"]  # the second item found the first by its DUNS
    assert items[1]["problem"]["errors"][0]["field"] == "country"
    assert r.json()["counts"] == {"created": 1, "422": 1, "linked": 1, "unchanged": 1}
    assert client.get("/v2/customers/resolve", params={"system": "salesforce", "source_id": bad}).status_code == 404
    again = client.get("/v2/customers/resolve", params={"system": "salesforce", "source_id": second}).json()
    assert again["id"] == items[0]["id"]


def test_an_item_that_fails_the_contract_is_its_own_422_naming_the_field(client):
    r = _batch(client, "salesforce", [(unique("sf"), {"name": 5}), (unique("sf"), {"name": "Fine Ltd", "colour": 1})])
    assert r.status_code == 200, r.text
    problems = [i["problem"] for i in r.json()["items"]]
    assert [p["status"] for p in problems] == [422, 422]
    assert [p["errors"][0]["field"] for p in problems] == ["name", "colour"]


def test_the_policy_holds_per_item_and_refusals_are_audited(client, factory, database_url):
    """netsuite links its customer, contributing a name it does not own; workday may never
    send a cost rate: that item alone is a 403 (audited), the other applies; writing under
    another system's path refuses the whole call."""
    tax = [{"scheme": "duns", "value": duns()}]
    record = {"name": "Policy Batch AG", "country": "CH", "identifiers": tax}
    made = _batch(client, "salesforce", [(unique("sf"), record)])
    assert made.json()["items"][0]["outcome"] == "created"
    record = {"name": "Policy Batch", "legal_name": "Policy Batch AG", "country": "CH", "identifiers": tax,
              "currency": "CHF"}  # fmt: skip
    r = _batch(client, "netsuite", [(unique("ns"), record)])
    assert r.status_code == 200, r.text
    linked = r.json()["items"][0]
    assert (linked["status"], linked["outcome"], linked["contributed"]) == (200, "linked", ["name"])
    assert client.get(f"/v2/customers/{linked['id']}").json()["name"] == "Policy Batch AG"  # the owner's name stands
    before = _denied(database_url, "workday")
    fine, refused = factory.payload("employee", "workday"), factory.payload("employee", "workday")
    r = _batch(client, "workday", [(unique("wd"), fine), (unique("wd"), refused | {"cost_rate": "95.00"})],
               version="v1", domain="employees")  # fmt: skip
    assert r.status_code == 200, r.text
    made, denied = r.json()["items"]
    assert (made["status"], made["outcome"]) == (200, "created")
    assert denied["status"] == 403
    assert denied["problem"]["errors"][0]["field"] == "cost_rate"
    assert _denied(database_url, "workday") == before + 1  # the refusal is audited
    other = _batch(client, "salesforce", [(unique("x"), {"name": "Sneaky"})], headers=bearer("system:netsuite"))
    assert other.status_code == 403


def _denied(url, system):
    return len(fetch_all(url, select(audit_log.c.id).where(audit_log.c.principal == f"system:{system}",
                                                           audit_log.c.outcome == "denied")))  # fmt: skip


def test_a_batch_over_1000_items_is_a_422_and_writes_nothing(client):
    name = unique("Overflow ")
    r = _batch(client, "salesforce", [(unique("sf"), {"name": name}) for _ in range(1001)])
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "items"
    assert client.get("/v2/customers", params={"q": name}).json()["items"] == []


def test_an_idempotency_key_replays_the_batch_answer(client):
    items = [(unique("sf"), {"name": unique("Replay Batch "), "country": "FR"})]
    key = {"Idempotency-Key": unique("batch-")}
    first = _batch(client, "salesforce", items, headers=key)
    second = _batch(client, "salesforce", items, headers=key)
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert first.json()["items"][0]["outcome"] == "created"


def test_v1_batches_take_v1_records(client):
    tax = unique("DE")
    r = _batch(client, "salesforce", [(unique("sf"), {"name": "Version One GmbH", "country": "DE", "tax_id": tax})],
               version="v1")  # fmt: skip
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    record = client.get(f"/v1/customers/{item['id']}").json()
    assert record["tax_id"] == tax


def test_fifty_concurrent_batches_overlapping_in_source_ids_make_one_golden_record_each(live_server):
    """Fifty calls of ten items each, every call holding the same ten source IDs in its own
    order: ten golden records, each made once; every other answer unchanged."""
    ids = [unique("sfb") for _ in range(10)]
    names = {sid: "".join(random.choices(string.ascii_lowercase, k=12)).title() for sid in ids}  # strangers

    async def run():
        limits = httpx.Limits(max_connections=60)
        async with httpx.AsyncClient(base_url=live_server, timeout=120, limits=limits, auth=AUTH) as client:
            calls = []
            for n in range(50):
                order = ids[n % 10 :] + ids[: n % 10]
                body = {"items": [{"source_id": sid, "record": {"name": names[sid], "country": "NL"}} for sid in order]}
                calls.append(client.post("/v2/customers/sources/salesforce/batch", json=body))
            return await asyncio.gather(*calls)

    responses = asyncio.run(run())
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses if r.status_code != 200]
    answers = [item for r in responses for item in r.json()["items"]]
    assert all(a["status"] == 200 for a in answers), [a for a in answers if a["status"] != 200][:3]
    by_source = {}
    for a in answers:
        by_source.setdefault(a["source_id"], set()).add(a["id"])
    assert all(len(found) == 1 for found in by_source.values())
    assert len({i for found in by_source.values() for i in found}) == 10
    outcomes = [a["outcome"] for a in answers]
    assert outcomes.count("created") == 10
    assert outcomes.count("unchanged") == 490


def test_a_server_killed_mid_batch_loses_nothing_and_the_retry_finishes_it(database_url, api_keys):
    """SIGKILL to the whole server (granian and its worker) once the batch's first chunk has
    committed; a new server; the same call with the same Idempotency-Key: the killed worker's
    claim is taken over at once, committed items answer `unchanged`, the rest are applied,
    and every source ID has one golden record."""
    ids = [unique("kill") for _ in range(2 * CHUNK)]
    body = {"items": [{"source_id": sid, "record": {"name": "".join(random.choices(string.ascii_lowercase, k=14)),
                                                    "country": "BE"}} for sid in ids]}  # fmt: skip
    key = {"Idempotency-Key": unique("kill-")}
    procs = []
    with serving(database_url, started=procs) as base:

        async def send_then_kill():
            async with httpx.AsyncClient(base_url=base, timeout=60, auth=AUTH) as client:
                call = asyncio.create_task(
                    client.post("/v2/customers/sources/salesforce/batch", json=body, headers=key)
                )
                while not call.done():
                    found = await client.get(
                        "/v2/customers/resolve", params={"system": "salesforce", "source_id": ids[0]}
                    )
                    if found.status_code == 200:
                        os.killpg(procs[0].pid, signal.SIGKILL)
                        break
                    await asyncio.sleep(0.01)
                try:
                    return await call
                except httpx.HTTPError:
                    return None  # killed before it answered: nothing was acknowledged

        first = asyncio.run(send_then_kill())
        procs[0].wait(timeout=15)
    with serving(database_url) as base:
        retry = httpx.post(
            f"{base}/v2/customers/sources/salesforce/batch", json=body, headers=key, auth=AUTH, timeout=120
        )
        assert retry.status_code == 200, retry.text
        items = retry.json()["items"]
        assert all(i["status"] == 200 for i in items), [i for i in items if i["status"] != 200][:3]
        assert len({i["id"] for i in items}) == len(ids)
        outcomes = {o: sum(1 for i in items if i["outcome"] == o) for o in ("created", "unchanged")}
        assert outcomes["created"] + outcomes["unchanged"] == len(ids)
        if first is None:  # killed mid-call: what the first chunk(s) committed is there, not made twice
            assert outcomes["unchanged"] >= CHUNK
        for sid in (ids[0], ids[-1]):
            found = httpx.get(
                f"{base}/v2/customers/resolve", params={"system": "salesforce", "source_id": sid}, auth=AUTH
            )
            assert found.json()["id"] == next(i["id"] for i in items if i["source_id"] == sid)
