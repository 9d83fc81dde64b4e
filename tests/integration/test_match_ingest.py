"""Match-before-create in ingestion: the three outcomes, the decisions kept, batches."""

import asyncio
import random
import string

import pytest

from mdm.auth.actor import Actor
from mdm.db import repository as repo
from mdm.db.engine import Database
from mdm.domains import BY_NAME, RULES
from mdm.errors import Invalid, NotFound
from mdm.matching import service as matching
from mdm.policy.store import load as load_policy
from mdm.records.service import SourceItem, ingest
from tests.factory import unique


def _brand() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()


def _put(client, body, system="salesforce"):
    source_id = unique("s")
    r = client.put(f"/v1/customers/sources/{system}/{source_id}", json=body)
    assert r.status_code == 200, r.text
    return source_id, r.json()


def test_a_close_variant_links_and_the_decision_is_kept(client):
    brand = _brand()
    _, first = _put(client, {"name": f"{brand} Consulting GmbH", "country": "DE", "website": f"https://{brand}.de"})
    source_id, second = _put(client, {"name": f"{brand.upper()} CONSULTING", "country": "DE",
                                      "website": f"http://www.{brand}.de/"})  # fmt: skip
    assert (second["outcome"], second["id"]) == ("linked", first["id"])
    assert second["match"]["rule"] == "fuzzy"
    assert second["match"]["score"] >= RULES["customer"].auto_link
    assert {e["field"] for e in second["match"]["explanation"]} >= {"name", "website", "country"}
    decisions = client.get(f"/v1/customers/{first['id']}/match-decisions").json()
    assert len(decisions) == 1
    d = decisions[0]
    assert (d["outcome"], d["golden_id"], d["candidate_id"]) == ("linked", first["id"], first["id"])
    assert (d["system"], d["source_id"], d["threshold"], d["rules_version"]) == (
        "salesforce", source_id, RULES["customer"].auto_link, RULES["customer"].version)  # fmt: skip
    assert d["score"] == second["match"]["score"]


def test_a_possible_duplicate_makes_a_new_record_and_queues_the_pair(client, database_url):
    brand = _brand()
    _, first = _put(client, {"name": f"{brand} Consulting GmbH", "country": "DE"})
    _, second = _put(client, {"name": f"{brand} Consulting Partners", "country": "DE"})
    assert second["outcome"] == "pending_review"
    assert second["id"] != first["id"]
    assert RULES["customer"].review <= second["match"]["score"] < RULES["customer"].auto_link
    decision = client.get(f"/v1/customers/{second['id']}/match-decisions").json()[0]
    assert (decision["outcome"], decision["candidate_id"], decision["threshold"]) == (
        "pending_review", first["id"], RULES["customer"].review)  # fmt: skip
    assert client.get(f"/v1/customers/{first['id']}/match-decisions").json() == [decision]  # it names the other

    async def pairs():
        async with Database.opened(database_url) as db, db.sessionmaker(write=False)() as session:
            return await repo.candidate_pairs(session, BY_NAME["customer"], "pending")

    queued = [p for p in asyncio.run(pairs()) if {p.left_id, p.right_id} == {first["id"], second["id"]}]
    assert len(queued) == 1
    assert queued[0].source == "ingest"


def test_unrelated_records_and_different_tax_ids_are_created_without_decisions(client):
    brand = _brand()
    body = {"name": f"{brand} Consulting GmbH", "country": "DE"}
    _, first = _put(client, body | {"tax_id": f"DE{random.randrange(10**9)}"})
    _, other = _put(client, body | {"tax_id": f"DE{random.randrange(10**9)}"})
    assert other["outcome"] == "created"
    assert other["id"] != first["id"]
    _, unrelated = _put(client, {"name": f"{_brand()} Logistics", "country": "FR"})
    assert unrelated["outcome"] == "created"
    assert client.get(f"/v1/customers/{other['id']}/match-decisions").json() == []
    assert client.get("/v1/customers/cus_01JD3Z6V9QK8Y2W5X7M4N0P1RS/match-decisions").status_code == 404


def test_two_spellings_in_one_batch_find_each_other(database_url):
    brand = _brand()
    site = f"https://{brand.lower()}.ch"
    items = [
        SourceItem("salesforce", unique("b"), {"name": name, "country": "CH", "website": site})
        for name in (f"{brand} Advisory AG", f"{brand} Advisory")
    ]

    async def run():
        async with Database.opened(database_url) as db, db.transaction() as session:
            actor = Actor("system:salesforce", "batch", await load_policy(session))
            return await ingest(session, BY_NAME["customer"], items, actor)

    first, second = asyncio.run(run())
    assert first["outcome"] == "created"
    assert (second["outcome"], second["id"]) == ("linked", first["id"])


def _reject(database_url, first, second):
    async def run():
        async with Database.opened(database_url) as db, db.transaction() as session:
            return await matching.reject(session, BY_NAME["customer"], first, second)

    return asyncio.run(run())


def test_a_record_alike_to_two_records_set_apart_goes_to_review(client, database_url):
    """Not a match holds transitively: linking C to A or to B would say A and B are one."""
    brand = _brand()
    site = f"https://{brand.lower()}.de"
    body = {"name": f"{brand} Consulting GmbH", "country": "DE", "website": site}
    _, a = _put(client, body | {"tax_id": f"DE{random.randrange(10**9)}"})
    _, b = _put(client, body | {"tax_id": f"DE{random.randrange(10**9)}"})
    assert b["outcome"] in ("created", "pending_review")  # two tax IDs: two companies, never linked
    assert b["id"] != a["id"]
    _, before = _put(client, {"name": f"{brand.upper()} CONSULTING", "country": "DE", "website": site})
    assert before["outcome"] == "linked"  # while nobody has said they differ, a spelling links
    assert before["id"] in {a["id"], b["id"]}
    _reject(database_url, a["id"], b["id"])
    _, after = _put(client, {"name": f"{brand} Consulting", "country": "DE", "website": site})
    assert after["outcome"] == "pending_review"
    assert after["id"] not in {a["id"], b["id"]}
    assert after["match"]["id"] in {a["id"], b["id"]}
    (decision,) = client.get(f"/v1/customers/{after['id']}/match-decisions").json()
    assert decision["score"] < RULES["customer"].auto_link
    assert any("not a match" in e.get("note", "") for e in decision["explanation"])


def test_rejecting_needs_two_existing_records(client, database_url):
    _, a = _put(client, {"name": f"{_brand()} Labs", "country": "FR"})
    with pytest.raises(Invalid):
        _reject(database_url, a["id"], a["id"])
    with pytest.raises(NotFound):
        _reject(database_url, a["id"], "cus_01JD3Z6V9QK8Y2W5X7M4N0P1RS")
