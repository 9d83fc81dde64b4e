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
from tests.factory import near_addresses, unique


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
    here, near = near_addresses()  # postcodes a digit apart
    _, first = _put(client, {"name": f"{brand} Consulting GmbH", "country": "DE", "billing_address": here})
    _, second = _put(client, {"name": f"{brand} Consulting Partners", "country": "DE", "billing_address": near})
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


def _blocked(database_url, keys):
    async def run():
        async with Database.opened(database_url) as db, db.sessionmaker(write=False)() as session:
            return await repo.blocks_of(session, BY_NAME["customer"], sorted(keys), 50)

    return asyncio.run(run())


def test_a_golden_record_stays_in_the_blocks_of_every_value_its_sources_sent(client, database_url):
    """The survivor takes the CRM's names (it owns them first); the ERP's legal name, which never
    becomes the golden value, still finds the record, and follows the ERP's renames."""
    from mdm.matching.blocking import blocking_keys

    first, renamed, number = _brand(), _brand(), f"{random.randint(0, 999_999_999):09d}"
    sf, erp = unique("sf"), unique("ns")
    ids = [{"scheme": "duns", "value": number}]
    made = client.put(f"/v2/customers/sources/salesforce/{sf}",
                      json={"name": f"{first} Advisory", "legal_name": f"{first} Advisory GmbH", "country": "DE",
                            "identifiers": ids}).json()  # fmt: skip
    client.put(f"/v2/customers/sources/netsuite/{erp}",
               json={"legal_name": f"{renamed} Holding GmbH", "identifiers": ids, "country": "DE"})  # fmt: skip
    erp_keys = blocking_keys(BY_NAME["customer"].blocking, {"legal_name": f"{renamed} Holding GmbH", "country": "DE"})
    assert all(made["id"] in _blocked(database_url, [k])[k] for k in erp_keys)
    assert client.get(f"/v2/customers/{made['id']}").json()["legal_name"] == f"{first} Advisory GmbH"
    # the ERP renames its record (the golden record does not change): the new name's blocks hold it
    version = client.get(f"/v2/customers/{made['id']}").json()["version"]
    newer = _brand()
    client.put(f"/v2/customers/sources/netsuite/{erp}",
               json={"legal_name": f"{newer} Holding GmbH", "identifiers": ids, "country": "DE"})  # fmt: skip
    old_only = erp_keys - blocking_keys(BY_NAME["customer"].blocking, {"name": f"{first} Advisory", "country": "DE"})
    assert all(made["id"] not in _blocked(database_url, [k]).get(k, []) for k in old_only if k.startswith("ph:"))
    new_keys = blocking_keys(BY_NAME["customer"].blocking, {"legal_name": f"{newer} Holding GmbH", "country": "DE"})
    assert all(made["id"] in _blocked(database_url, [k])[k] for k in new_keys)
    assert client.get(f"/v2/customers/{made['id']}").json()["version"] == version


def test_a_record_without_the_fields_creation_needs_is_accepted_when_it_links(client):
    """A nameless account (10% of some CRM exports) joins the firm its DUNS names; the golden
    record keeps its name. Unlinked, it cannot become a record of its own: it is held."""
    number, name = f"{random.randint(0, 999_999_999):09d}", f"{_brand()} Consulting"
    made = client.put(f"/v2/customers/sources/salesforce/{unique('sf')}", json={
        "name": name, "country": "DE", "identifiers": [{"scheme": "duns", "value": number}]})  # fmt: skip
    nameless = client.put(f"/v2/customers/sources/salesforce/{unique('sf')}", json={
        "website": "https://example.test", "identifiers": [{"scheme": "duns", "value": number}]})  # fmt: skip
    assert (nameless.status_code, nameless.json()["outcome"]) == (200, "linked"), nameless.text
    assert nameless.json()["id"] == made.json()["id"]
    assert client.get(f"/v2/customers/{made.json()['id']}").json()["name"] == name
    alone = client.put(f"/v2/customers/sources/salesforce/{unique('sf')}", json={"website": f"https://{_brand()}.test"})
    assert (alone.status_code, alone.json()["held"]["reason"]) == (202, "incomplete")
    assert "lacks name" in alone.json()["held"]["detail"]


def test_a_duplicate_is_compared_with_every_name_the_sources_sent_not_only_the_survivor(client):
    """A corrupted second account of the CRM became the newest source: the golden name
    drifted. A new spelling of the real name still meets the record: its sources keep it."""
    brand, number = _brand(), f"{random.randint(0, 999_999_999):09d}"
    ids = [{"scheme": "duns", "value": number}]
    site = f"https://{brand.lower()}.de"
    first = client.put(f"/v2/customers/sources/salesforce/{unique('sf')}", json={
        "name": f"{brand} Consulting", "country": "DE", "website": site, "identifiers": ids})  # fmt: skip
    drifted = f"{brand[1:]}x Conulxing"
    second = client.put(f"/v2/customers/sources/salesforce/{unique('sf')}", json={
        "name": drifted, "country": "DE", "identifiers": ids})  # fmt: skip
    golden = first.json()["id"]
    assert second.json()["id"] == golden
    assert client.get(f"/v2/customers/{golden}").json()["name"] == drifted
    found = client.post("/v2/customers/match", json={"name": f"{brand.upper()} CONSULTING", "country": "DE"}).json()
    best = found["items"][0]
    assert best["id"] == golden
    name = next(e for e in best["explanation"] if e["field"] == "name")
    assert name["level"] == "exact"


def test_candidates_read_in_one_statement_are_the_rows_payloads_and_pairs_read_apart(client, database_url):
    """What scoring reads of candidates (repo.candidate_rows, one statement on PostgreSQL)
    is what golden_rows, live_payloads and not_a_match answer: every live source's payload,
    in order, and the pairs among them a steward set apart."""
    brand = _brand()
    _, first = _put(client, {"name": f"{brand} Consulting GmbH", "country": "DE", "website": f"https://{brand}.de"})
    _, second = _put(client, {"name": f"{brand.upper()} CONSULTING", "country": "DE",
                              "website": f"http://www.{brand}.de/"})  # fmt: skip
    _, alone = _put(client, {"name": f"{_brand()} Advisory", "country": "FR"})
    _, other = _put(client, {"name": f"{_brand()} Partners", "country": "FR"})
    assert second["id"] == first["id"]
    _reject(database_url, first["id"], alone["id"])
    _reject(database_url, alone["id"], other["id"])  # `other` is not asked for: not answered
    ids = [first["id"], alone["id"], "cus_00000000000000000000000000"]
    domain, names = BY_NAME["customer"], RULES["customer"].fields

    async def read() -> tuple[object, object, object, object]:
        async with Database.opened(database_url) as db, db.transaction() as session:
            together = await repo.candidate_rows(session, domain, ids, names)
            rows = await repo.golden_rows(session, domain, ids, names)
            payloads = await repo.live_payloads(session, domain, ids)
            return together, rows, payloads, await repo.not_a_match(session, domain, ids)

    (found, apart), rows, payloads, pairs = asyncio.run(read())  # type: ignore[misc]
    assert found == {i: (row, payloads.get(i, ())) for i, row in rows.items()}  # type: ignore[union-attr]
    assert sorted(found) == sorted(ids[:2])
    assert len(found[first["id"]][1]) == 2
    assert apart == pairs == {tuple(sorted((first["id"], alone["id"])))}
