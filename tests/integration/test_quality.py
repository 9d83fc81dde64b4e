"""The data-quality report on a planted estate: each planted fault moves its figure by exactly
what was planted (the report is estate-wide, so a test compares before and after), and the
records behind the figure are the planted ones."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import update

from mdm.db.engine import Database
from mdm.db.tables import source_record
from tests.auth import bearer
from tests.factory import unique
from tests.integration.test_graphql import data, gql


def report(client, domain: str) -> dict[str, Any]:
    r = client.get("/v2/quality", params={"domain": domain})
    assert r.status_code == 200, r.text
    (found,) = r.json()["domains"]
    assert found["domain"] == domain
    return dict(found)


def behind(client, domain: str, figure: str) -> list[dict[str, Any]]:
    """Every record behind a figure, page by page (two at a time: the cursor is exercised)."""
    items, after = [], None
    while True:
        params = {"figure": figure, "limit": 2, **({"after": after} if after else {})}
        r = client.get(f"/v2/quality/{domain}/records", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        after = page["next"]
        if after is None:
            return items


def ref(found: dict[str, Any], field: str) -> dict[str, Any]:
    return next(r for r in found["references"] if r["field"] == field)


def source(found: dict[str, Any], system: str) -> dict[str, Any]:
    return next((s for s in found["sources"] if s["system"] == system), {"records": 0, "stale": 0, "rejected": 0})


def test_reference_faults_are_counted_and_page_to_the_planted_projects(client, factory_v2):
    before = report(client, "project")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    old_center = factory_v2.create("cost_center", valid_from="2020-01-01", valid_to=yesterday)
    old_card = factory_v2.create("rate_card", effective_from="2020-01-01", effective_to=yesterday)
    tag = unique("qp")
    made = []
    for i, extra in enumerate([{}, {}, {"rate_card_id": old_card}, {"cost_center_id": old_center}]):
        made.append(factory_v2.create("project", code=f"{tag}-{i}", status="active", **extra))
    after = report(client, "project")
    assert after["records"] - before["records"] == 4
    assert ref(after, "rate_card_id")["missing"] - ref(before, "rate_card_id")["missing"] == 3
    assert ref(after, "rate_card_id")["out_of_date"] - ref(before, "rate_card_id")["out_of_date"] == 1
    assert ref(after, "cost_center_id")["out_of_date"] - ref(before, "cost_center_id")["out_of_date"] == 1
    assert ref(after, "customer_id")["broken"] == 0  # references are checked on write
    missing = {r["id"] for r in behind(client, "project", ref(after, "rate_card_id")["missing_figure"])}
    assert set(made[:2]) | {made[3]} <= missing
    assert made[2] not in missing
    assert made[2] in {r["id"] for r in behind(client, "project", "out_of_date:rate_card_id")}
    assert made[3] in {r["id"] for r in behind(client, "project", "out_of_date:cost_center_id")}
    assert 0 < after["score"] <= 1


def test_completeness_consistency_validity_and_backlogs_follow_what_sources_send(client, factory_v2):
    tag = unique("qc")
    before = report(client, "customer")
    sent = client.put(f"/v2/customers/sources/salesforce/{tag}-1", json={"name": f"{tag} Alpha GmbH"})
    assert sent.status_code == 200, sent.text
    gid = sent.json()["id"]
    # a steward's override: the golden name is no longer what salesforce sends
    patched = client.patch(f"/v2/customers/{gid}", json={"name": f"{tag} Alpha Group GmbH"},
                           headers={**bearer("user:steward"), "If-Match": f'"{sent.json()["version"]}"'})  # fmt: skip
    assert patched.status_code == 200, patched.text
    refused = client.put(f"/v2/customers/sources/salesforce/{tag}-2", json={"name": "x", "country": "ZZ"})
    assert refused.status_code == 422
    held = client.put(f"/v2/customers/sources/netsuite/{tag}-H", json={"legal_name": f"{tag} Nowhere Holdings"})
    assert held.status_code == 202, held.text
    after = report(client, "customer")

    assert after["records"] - before["records"] == 1
    website = lambda found: next(f for f in found["fields"] if f["field"] == "website")  # noqa: E731
    assert website(after)["filled"] == website(before)["filled"]  # the new record has none
    assert gid in {r["id"] for r in behind(client, "customer", "missing:website")}
    sf_before, sf_after = source(before, "salesforce"), source(after, "salesforce")
    assert sf_after["records"] - sf_before["records"] == 1
    assert sf_after["rejected"] - sf_before["rejected"] == 1
    assert sf_after["validity"] < 1
    name = next(f for f in sf_after["fields"] if f["field"] == "name")
    assert name["consistency"] < 1
    disagreeing = behind(client, "customer", name["disagree_figure"])
    assert {"id": gid, "system": "salesforce", "source_id": f"{tag}-1"} in disagreeing
    assert after["held"]["total"] - before["held"]["total"] == 1
    assert after["held"]["by_age"]["1d"] - before["held"]["by_age"]["1d"] == 1


def test_source_records_not_refreshed_are_stale(client, database_url):
    tag = unique("qs")
    for i in range(2):
        r = client.put(f"/v2/customers/sources/salesforce/{tag}-{i}", json={"name": f"{tag} Stale {i} Ltd"})
        assert r.status_code == 200, r.text
    before = source(report(client, "customer"), "salesforce")["stale"]

    async def age() -> None:  # as if salesforce had not sent them for 100 days
        async with Database.opened(database_url) as db, db.transaction() as session:
            s = source_record.c
            await session.execute(update(source_record).where(s.source_id.startswith(tag))
                                  .values(received_at=datetime.now(UTC) - timedelta(days=100)))  # fmt: skip

    asyncio.run(age())
    assert source(report(client, "customer"), "salesforce")["stale"] - before == 2
    stale = behind(client, "customer", "stale:salesforce")
    assert {f"{tag}-0", f"{tag}-1"} <= {r["source_id"] for r in stale}
    fresh = client.get("/v2/quality", params={"domain": "customer", "stale_days": 365}).json()["domains"][0]
    assert source(fresh, "salesforce")["stale"] < before + 2


def test_the_report_refuses_what_it_cannot_answer(client):
    assert client.get("/v2/quality", headers=bearer("user:operator")).status_code == 403
    assert client.get("/v2/quality", params={"domain": "nope"}).status_code == 422
    r = client.get("/v2/quality/customer/records", params={"figure": "missing:no_such_field"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "figure"
    r = client.get("/v2/quality/customer/records", params={"figure": "missing:website", "after": "bm90LWEtY3Vyc29y"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "after"
    r = client.get("/v2/quality/nope/records", params={"figure": "missing:x"})
    assert r.status_code in (400, 422)
    assert r.json()["errors"][0]["field"] == "domain"


def test_graphql_answers_the_same_report(client):
    query = """query($d: DomainName) { quality(domain: $d, staleDays: 30) { staleDays domains { domain records
        merged byStatus score fields { field filled completeness missingFigure }
        sources { system records stale rejected validity fields { field sent disagree consistency } }
        references { field target missing broken outOfDate outOfDateFigure }
        uniqueness { scheme sharedValues } openCandidates { total byAge } held { total byAge } } } }"""
    graph = data(client, query, d="PROJECT")["quality"]
    rest = client.get("/v2/quality", params={"domain": "project", "stale_days": 30}).json()
    assert graph["staleDays"] == rest["stale_days"] == 30
    (g,), (r,) = graph["domains"], rest["domains"]
    assert (g["domain"], g["records"], g["merged"], g["byStatus"]) == (r["domain"], r["records"], r["merged"],
                                                                       r["by_status"])  # fmt: skip
    assert [(x["field"], x["missing"], x["outOfDate"]) for x in g["references"]] == [
        (x["field"], x["missing"], x["out_of_date"]) for x in r["references"]]  # fmt: skip
    assert [f["field"] for f in g["fields"]] == [f["field"] for f in r["fields"]]
    refused = gql(client, "{ quality { staleDays } }", "user:operator")["errors"][0]
    assert refused["extensions"]["status"] == 403
