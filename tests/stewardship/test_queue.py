"""The review queue over REST: filters and pages, a pair side by side, "not a match" for
good, bulk decisions each on their own, and quality from steward decisions."""

import random
import string

from mdm.domains import RULES
from tests.auth import bearer
from tests.factory import near_addresses, unique


def _brand() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()


def _put(client, body, system="salesforce"):
    source_id = unique("q")
    r = client.put(f"/v1/customers/sources/{system}/{source_id}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _queued_pair(client):
    """Two customers alike enough to queue, not to link: (first id, second id)."""
    brand = _brand()
    here, near = near_addresses()  # postcodes a digit apart
    first = _put(client, {"name": f"{brand} Consulting GmbH", "country": "DE", "billing_address": here})
    second = _put(client, {"name": f"{brand} Consulting Partners", "country": "DE", "billing_address": near})
    assert second["outcome"] == "pending_review", second
    return first["id"], second["id"]


def _entry(client, left, right):
    items = client.get("/v1/stewardship/candidates", params={"domain": "customer", "limit": 500}).json()["items"]
    return next(i for i in items if {i["left_id"], i["right_id"]} == {left, right})


def test_the_queue_filters_pages_and_shows_a_pair_side_by_side(client):
    a, b = _queued_pair(client)
    entry = _entry(client, a, b)
    assert (entry["status"], entry["source"], entry["domain"]) == ("open", "ingest", "customer")
    assert RULES["customer"].review <= entry["score"] < RULES["customer"].auto_link
    # narrowed to the pair's record too: earlier tests may leave a page's worth of pairs at this score
    around = {"min_score": entry["score"], "max_score": entry["score"], "status": "open", "record": a}
    ranged = client.get("/v1/stewardship/candidates", params=around).json()
    assert entry["id"] in [i["id"] for i in ranged["items"]]
    assert all(i["score"] == entry["score"] for i in ranged["items"])
    by_system = client.get("/v1/stewardship/candidates", params={"system": "salesforce", "record": a}).json()
    assert entry["id"] in [i["id"] for i in by_system["items"]]
    nobody = client.get("/v1/stewardship/candidates", params={"system": "workday", "domain": "customer"}).json()
    assert entry["id"] not in [i["id"] for i in nobody["items"]]

    page = client.get("/v1/stewardship/candidates", params={"limit": 1}).json()
    seen, cursor = [page["items"][0]], page["next_cursor"]
    for _ in range(3):
        if not cursor:
            break
        page = client.get("/v1/stewardship/candidates", params={"limit": 1, "cursor": cursor}).json()
        seen += page["items"]
        cursor = page["next_cursor"]
    assert [s["score"] for s in seen] == sorted((s["score"] for s in seen), reverse=True)
    assert len({s["id"] for s in seen}) == len(seen)

    detail = client.get(f"/v1/stewardship/candidates/{entry['id']}").json()
    assert {detail["left"]["id"], detail["right"]["id"]} == {a, b}
    fields = {f["field"]: f for f in detail["fields"]}
    assert fields["country"]["same"] is True
    assert fields["name"]["same"] is False
    assert fields["name"]["level"] == "token_set>=0.90"  # one name's words inside the other's
    assert fields["name"]["weight"] > 0
    assert fields["country"]["level"] == "exact"  # the country comparison's, not the tax number's (which reads it)
    assert any(e["field"] == "name" for e in detail["explanation"])

    bad = client.get("/v1/stewardship/candidates", params={"cursor": "nonsense"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"
    assert client.get("/v1/stewardship/candidates/999999999").status_code == 404


def test_not_a_match_is_for_good(client):
    a, b = _queued_pair(client)
    entry = _entry(client, a, b)
    assert client.post(f"/v1/stewardship/candidates/{entry['id']}/reject",
                       headers=bearer("user:reader")).status_code == 403  # fmt: skip
    r = client.post(f"/v1/stewardship/candidates/{entry['id']}/reject")
    assert r.status_code == 200, r.text
    assert (r.json()["candidate"]["status"], r.json()["candidate"]["decided_by"]) == ("rejected", "user:steward")
    again = client.post(f"/v1/stewardship/candidates/{entry['id']}/reject")
    assert again.status_code == 409
    rejected = client.get("/v1/stewardship/candidates", params={"status": "rejected", "limit": 500}).json()
    assert entry["id"] in [i["id"] for i in rejected["items"]]
    # the same source sends the record again: the pair is not queued a second time, nor linked
    decision = client.get(f"/v1/customers/{b}/match-decisions").json()[0]
    body = client.get(f"/v1/customers/{b}").json()
    r = client.put(f"/v1/customers/sources/salesforce/{decision['source_id']}",
                   json={"name": body["name"], "country": "DE", "industry": "Retail"})  # fmt: skip
    assert r.status_code == 200
    assert r.json()["id"] == b
    assert _entry(client, a, b)["status"] == "rejected"


def _candidate_events(client, after: str | None, candidate_id: int) -> list[tuple[str, str | None]]:
    """(type, decision) of the feed's events about one candidate after a cursor."""
    kinds = "mdm.customer.candidate_queued,mdm.customer.candidate_decided"
    params = {"limit": "1000", "type": kinds, **({"after": after} if after else {})}
    r = client.get("/v2/events", params=params)
    assert r.status_code == 200, r.text
    return [(e["type"], e["data"].get("decision")) for e in r.json()["items"]
            if e["data"]["candidate_id"] == candidate_id]  # fmt: skip


def test_a_merge_closes_the_folded_records_pairs_and_an_unmerge_reopens_them(client):
    start = client.get("/v2/events/head").json()["sequence"]
    a, b = _queued_pair(client)
    entry = _entry(client, a, b)
    done = client.post("/v1/customers/merge", json={"survivor_id": a, "merged_ids": [b]}).json()
    assert done["candidates_closed"] == 1
    merged = _entry(client, a, b)
    assert (merged["status"], merged["decided_by"]) == ("merged", "user:steward")
    assert client.post(f"/v1/stewardship/candidates/{entry['id']}/reject").status_code == 409
    assert client.post(f"/v1/customers/{a}/unmerge", json={"merge_id": done["merge_id"]}).status_code == 200
    assert _entry(client, a, b)["status"] == "open"
    assert _candidate_events(client, start, entry["id"]) == [  # the feed says each turn of the pair
        ("mdm.customer.candidate_queued", None),
        ("mdm.customer.candidate_decided", "merged"),
        ("mdm.customer.candidate_queued", None),  # the unmerge queued it again
    ]


def test_bulk_decisions_each_stand_on_their_own(client):
    a, b = _queued_pair(client)
    c, d = _queued_pair(client)
    first, second = _entry(client, a, b), _entry(client, c, d)
    r = client.post("/v1/stewardship/candidates/bulk", json={"items": [
        {"candidate_id": first["id"], "action": "merge", "survivor": "right"},
        {"candidate_id": 999999999, "action": "reject"},
        {"candidate_id": second["id"], "action": "reject"},
        {"candidate_id": first["id"], "action": "reject"},
    ]})  # fmt: skip
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["status"] for i in items] == [200, 404, 200, 409]
    assert items[0]["merge_id"].startswith("mrg_")
    assert items[1]["problem"]["status"] == 404
    survivor = first["right_id"]
    folded = first["left_id"]
    assert client.get(f"/v1/customers/{folded}", follow_redirects=False).headers["location"].endswith(survivor)
    assert _entry(client, c, d)["status"] == "rejected"


def test_quality_counts_steward_decisions_per_band(client):
    before = {d["domain"]: d for d in client.get("/v1/stewardship/quality").json()["domains"]}["customer"]
    a, b = _queued_pair(client)
    c, d = _queued_pair(client)
    first, second = _entry(client, a, b), _entry(client, c, d)
    client.post("/v1/customers/merge", json={"survivor_id": a, "merged_ids": [b]})
    client.post(f"/v1/stewardship/candidates/{second['id']}/reject")
    after = {d["domain"]: d for d in client.get("/v1/stewardship/quality").json()["domains"]}["customer"]

    def band(report, score):
        return next(x for x in report["bands"] if x["low"] <= score < x["high"] or (score == 1.0 == x["high"]))

    assert band(after, first["score"])["merged"] == band(before, first["score"])["merged"] + 1
    assert band(after, second["score"])["rejected"] == band(before, second["score"])["rejected"] + 1
    assert after["queued"] >= before["queued"] + 2
    assert after["auto_link_rate"] is None or 0 <= after["auto_link_rate"] <= 1
    for x in after["bands"]:
        decided = x["merged"] + x["rejected"]
        assert x["precision"] == (round(x["merged"] / decided, 4) if decided else None)
