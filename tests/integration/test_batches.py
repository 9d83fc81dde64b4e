"""Batches through the ingestion service (the import and demo path): items are decided
in order, a rejected item leaves nothing, and what one item releases the next may take."""

import asyncio

from mdm.auth.actor import Actor
from mdm.db.engine import Database
from mdm.domains import BY_NAME
from mdm.errors import MdmError
from mdm.policy.store import load as load_policy
from mdm.records.service import SourceItem, ingest
from tests.factory import duns, unique

MISSING = "cus_01JD3Z6V9QK8Y2W5X7M4N0P1RS"


def _ingest(url, domain, items):
    """One system's batch under that system's principal, as `mdm import` and the demo load do
    (the audit rows then name the system whose rights were checked)."""
    (system,) = {it.system for it in items}

    async def run():
        async with Database.opened(url) as db:
            async with db.transaction() as session:
                actor = Actor(f"system:{system}", "batch-test", await load_policy(session))
                return await ingest(session, BY_NAME[domain], items, actor)

    return asyncio.run(run())


def _card(name, start, end=None):
    card = {"name": name, "currency": "EUR", "effective_from": start,
            "lines": [{"role": "Consultant", "unit": "day", "rate": "1000"}]}  # fmt: skip
    return card | ({"effective_to": end} if end else {})


def test_a_batch_sees_its_own_earlier_items(database_url, client):
    number = [{"scheme": "duns", "value": duns()}]  # the service takes the canonical model (contract v2)
    results = _ingest(database_url, "customer", [
        SourceItem("salesforce", unique("s"), {"name": "Volvo Cars", "identifiers": number, "country": "SE"}),
        SourceItem("salesforce", unique("s"), {"name": "Volvo Cars Sverige", "legal_name": "VOLVO CARS AB",
                                               "identifiers": number, "country": "SE"}),
    ])  # fmt: skip
    assert [r["outcome"] for r in results] == ["created", "linked"]
    assert results[0]["id"] == results[1]["id"]
    history = client.get(f"/v1/customers/{results[0]['id']}/history").json()
    assert [h["action"] for h in history] == ["ingest", "create"]


def test_a_rejected_item_leaves_nothing_and_the_rest_apply(database_url, client):
    good, bad = unique("g"), unique("b")
    results = _ingest(database_url, "project", [
        SourceItem("certinia", good, {"code": unique("P"), "name": "Good"}),
        SourceItem("certinia", bad, {"code": unique("P"), "name": "Bad", "customer_id": MISSING}),
    ])  # fmt: skip
    assert results[0]["outcome"] == "created"
    assert isinstance(results[1], MdmError)
    assert results[1].errors[0][0] == "customer_id"
    found = client.post("/v1/resolve", json={"keys": [{"domain": "project", "system": "certinia", "source_id": s}
                                                      for s in (good, bad)]}).json()["items"]  # fmt: skip
    assert [i["status"] for i in found] == ["found", "not_found"]


def test_overlap_is_checked_against_the_batch_and_the_database(database_url):
    name = unique("Card ")
    a, b = unique("a"), unique("b")
    first = _ingest(database_url, "rate_card", [
        SourceItem("netsuite", a, _card(name, "2025-01-01", "2025-03-31")),
        SourceItem("netsuite", b, _card(name, "2025-04-01", "2025-12-31")),
    ])  # fmt: skip
    assert [r["outcome"] for r in first] == ["created", "created"]
    # A moves into 2024 within the batch; C still overlaps B, which only the database holds
    second = _ingest(database_url, "rate_card", [
        SourceItem("netsuite", a, _card(name, "2024-01-01", "2024-03-31")),
        SourceItem("netsuite", unique("c"), _card(name, "2025-03-01", "2025-05-01")),
    ])  # fmt: skip
    assert second[0]["outcome"] == "updated"
    assert isinstance(second[1], MdmError)
    assert "overlaps" in second[1].errors[0][1]


def test_a_unique_value_released_in_a_batch_can_be_taken_in_the_same_batch(database_url, client):
    old, new = unique("E"), unique("E")
    w1 = unique("w")
    (first,) = _ingest(database_url, "employee", [
        SourceItem("workday", w1, {"employee_number": old, "name": {"given": "Ada", "family": "King"}})])  # fmt: skip
    results = _ingest(database_url, "employee", [
        SourceItem("workday", w1, {"employee_number": new, "name": {"given": "Ada", "family": "King"}}),
        SourceItem("workday", unique("w"), {"employee_number": old, "name": {"given": "Alan", "family": "Turing"}}),
    ])  # fmt: skip
    assert [r["outcome"] for r in results] == ["updated", "created"]
    assert client.get(f"/v1/employees/{first['id']}").json()["employee_number"] == new
