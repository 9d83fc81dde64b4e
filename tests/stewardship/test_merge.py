"""Merge and exact unmerge over REST: crosswalks, source records and references from other
domains move and come back; bad requests and races are refused whole."""

import threading

import httpx

from tests.auth import bearer
from tests.factory import creator, unique, word

VOLATILE = ("version", "updated_at")  # every write moves these on; nothing else may differ


def _customer(factory, system=None, **fields):
    system = system or creator("customer")
    source_id = unique("m")
    body = factory.upsert("customer", system, source_id, name=f"{word()} Advisory", **fields)
    return body["id"], system, source_id


def _reads(client, ids, keys, project):
    """Everything a user could read about the records: the records, their crosswalks and
    lineage, resolve of each source key, and the project that references one of them."""
    out = {}
    for golden_id in ids:
        r = client.get(f"/v1/customers/{golden_id}", follow_redirects=False)
        out[golden_id] = (r.status_code, {k: v for k, v in r.json().items() if k not in VOLATILE})
        out[f"{golden_id}/crosswalks"] = client.get(f"/v1/customers/{golden_id}/crosswalks").json()
        out[f"{golden_id}/lineage"] = client.get(f"/v1/customers/{golden_id}/lineage").json()
    for system, source_id in keys:
        body = client.get("/v1/customers/resolve", params={"system": system, "source_id": source_id}).json()
        out[f"{system}/{source_id}"] = (body["id"], body["merged_path"])
    p = client.get(f"/v1/projects/{project}").json()
    out["project"] = {k: v for k, v in p.items() if k not in VOLATILE}
    return out


def test_merge_moves_everything_and_unmerge_restores_every_read(client, factory):
    survivor, sys_a, src_a = _customer(factory)
    folded, sys_b, src_b = _customer(factory)
    project = factory.create("project", customer_id=folded)
    before = _reads(client, [survivor, folded], [(sys_a, src_a), (sys_b, src_b)], project)
    folded_name = before[folded][1]["name"]

    r = client.post("/v1/customers/merge",
                    json={"survivor_id": survivor, "merged_ids": [folded], "picks": {"name": folded}})  # fmt: skip
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["merge_id"].startswith("mrg_")
    assert done["references_moved"] == {"project": [project]}
    assert done["record"]["name"] == folded_name  # the pick won, as an override
    assert "name" in done["record"]["overrides"]

    gone = client.get(f"/v1/customers/{folded}", follow_redirects=False)
    assert gone.status_code == 301
    assert gone.headers["location"].endswith(f"/v1/customers/{survivor}")
    resolved = client.get("/v1/customers/resolve", params={"system": sys_b, "source_id": src_b}).json()
    assert resolved["id"] == survivor
    walks = {(x["system"], x["source_id"]) for x in client.get(f"/v1/customers/{survivor}/crosswalks").json()}
    assert walks == {(sys_a, src_a), (sys_b, src_b)}
    assert client.get(f"/v1/projects/{project}").json()["customer_id"] == survivor
    lineage = {e["field"]: e for e in client.get(f"/v1/projects/{project}/lineage").json()}
    assert lineage["customer_id"]["merged_from"] == folded
    merges = client.get(f"/v1/customers/{survivor}/merges").json()
    assert [m["merge_id"] for m in merges] == [done["merge_id"]]

    r = client.post(f"/v1/customers/{survivor}/unmerge", json={"merge_id": done["merge_id"]})
    assert r.status_code == 200, r.text
    assert r.json()["restored_ids"] == [folded]
    assert _reads(client, [survivor, folded], [(sys_a, src_a), (sys_b, src_b)], project) == before
    history = client.get(f"/v1/customers/{folded}/history").json()
    assert [h["action"] for h in history[:2]] == ["unmerge", "merge"]
    assert client.get(f"/v1/customers/{survivor}/merges").json()[0]["undone_by"] == "user:steward"

    again = client.post(f"/v1/customers/{survivor}/unmerge", json={"merge_id": done["merge_id"]})
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "merge_id"


def test_an_edit_after_the_merge_to_another_record_survives_the_unmerge(client, factory):
    survivor, *_ = _customer(factory)
    folded, *_ = _customer(factory)
    bystander, *_ = _customer(factory)
    done = client.post("/v1/customers/merge", json={"survivor_id": survivor, "merged_ids": [folded]}).json()
    etag = client.get(f"/v1/customers/{bystander}").headers["etag"]
    r = client.patch(f"/v1/customers/{bystander}", json={"industry": "Retail"}, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert client.post(f"/v1/customers/{survivor}/unmerge", json={"merge_id": done["merge_id"]}).status_code == 200
    assert client.get(f"/v1/customers/{bystander}").json()["industry"] == "Retail"
    assert client.get(f"/v1/customers/{folded}", follow_redirects=False).status_code == 200


def test_bad_merges_are_refused_whole_naming_the_field(client, factory):
    a, *_ = _customer(factory)
    b, *_ = _customer(factory)
    cases = [
        ({"survivor_id": a, "merged_ids": [a]}, 422, "merged_ids"),
        ({"survivor_id": a, "merged_ids": ["cus_01JD3Z6V9QK8Y2W5X7M4N0P1RS"]}, 422, "merged_ids[0]"),
        ({"survivor_id": a, "merged_ids": [b], "picks": {"colour": b}}, 422, "picks.colour"),
        ({"survivor_id": a, "merged_ids": [b], "picks": {"name": "cus_x"}}, 422, "picks.name"),
        ({"survivor_id": a, "merged_ids": []}, 422, "merged_ids"),
    ]
    for body, status, field in cases:
        r = client.post("/v1/customers/merge", json=body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in r.json()["errors"]], r.text
    assert client.get(f"/v1/customers/{b}", follow_redirects=False).status_code == 200  # nothing happened
    reader = client.post("/v1/customers/merge", json={"survivor_id": a, "merged_ids": [b]},
                         headers=bearer("user:reader"))  # fmt: skip
    assert reader.status_code == 403
    assert client.get(f"/v1/customers/{b}", follow_redirects=False).status_code == 200


def test_a_folded_record_cannot_be_merged_again(client, factory):
    a, *_ = _customer(factory)
    b, *_ = _customer(factory)
    c, *_ = _customer(factory)
    assert client.post("/v1/customers/merge", json={"survivor_id": a, "merged_ids": [b]}).status_code == 200
    r = client.post("/v1/customers/merge", json={"survivor_id": c, "merged_ids": [b]})
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "merged_ids[0]"


def test_two_stewards_merging_overlapping_sets_at_once(client, factory, live_server):
    """Both fold B: one wins, the other gets a clear 409, and B's source follows the winner."""
    a, *_ = _customer(factory)
    b, sys_b, src_b = _customer(factory)
    c, *_ = _customer(factory)
    results: dict[str, httpx.Response] = {}
    start = threading.Barrier(2)

    def merge(survivor: str) -> None:
        start.wait()
        results[survivor] = httpx.post(f"{live_server}/v1/customers/merge", timeout=30,
                                       json={"survivor_id": survivor, "merged_ids": [b]},
                                       headers=bearer("user:steward"))  # fmt: skip

    threads = [threading.Thread(target=merge, args=(s,)) for s in (a, c)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 409], {k: v.text for k, v in results.items()}
    winner = next(s for s, r in results.items() if r.status_code == 200)
    loser = next(s for s, r in results.items() if r.status_code == 409)
    assert results[loser].headers["content-type"].startswith("application/problem+json")
    resolved = client.get("/v1/customers/resolve", params={"system": sys_b, "source_id": src_b}).json()
    assert resolved["id"] == winner
    assert client.get(f"/v1/customers/{loser}/crosswalks").json()[0]["id"] == loser


def test_employees_follow_a_merged_cost_center_and_come_back(client, factory):
    """References of another domain, and of the same domain (a cost center's parent), move
    with the merge and return with the unmerge."""
    survivor = factory.create("cost_center")
    folded = factory.create("cost_center")
    child = factory.create("cost_center", parent_id=folded)
    people = [factory.create("employee", cost_center_id=folded) for _ in range(2)]
    done = client.post("/v1/cost-centers/merge", json={"survivor_id": survivor, "merged_ids": [folded]})
    assert done.status_code == 200, done.text
    assert done.json()["references_moved"] == {"employee": sorted(people), "cost_center": [child]}
    assert {client.get(f"/v1/employees/{p}").json()["cost_center_id"] for p in people} == {survivor}
    assert client.get(f"/v1/cost-centers/{child}").json()["parent_id"] == survivor
    r = client.post(f"/v1/cost-centers/{survivor}/unmerge", json={"merge_id": done.json()["merge_id"]})
    assert r.status_code == 200, r.text
    assert {client.get(f"/v1/employees/{p}").json()["cost_center_id"] for p in people} == {folded}
    assert client.get(f"/v1/cost-centers/{child}").json()["parent_id"] == folded


def test_a_new_write_naming_a_merged_away_record_is_refused(client, factory):
    survivor, *_ = _customer(factory)
    folded, *_ = _customer(factory)
    assert client.post("/v1/customers/merge", json={"survivor_id": survivor, "merged_ids": [folded]}).status_code == 200
    r = client.post("/v1/projects", json=factory.payload("project", customer_id=folded))
    assert r.status_code == 422, r.text
    message = f"customer '{folded}' was merged into {survivor}; use the survivor"
    assert r.json()["errors"] == [{"field": "customer_id", "message": message}]
    assert client.post("/v1/projects", json=factory.payload("project", customer_id=survivor)).status_code == 201
    # a merged-away record of another domain is first of all not a record of the field's domain
    r = client.post("/v1/projects", json=factory.payload("project", cost_center_id=folded))
    assert r.status_code == 422, r.text
    assert [e["message"].endswith("is not a cost_center id") for e in r.json()["errors"]] == [True], r.text


def test_merging_a_parent_and_its_child_drops_the_link_and_unmerge_brings_it_back(client, factory):
    """A parent merged into its child (or the other way round) would leave the survivor its
    own parent: the merge drops that link as an override, and the unmerge takes it back."""
    for parent_survives in (False, True):
        parent, *_ = _customer(factory)
        child, *_ = _customer(factory, parent_id=parent)
        survivor, folded = (parent, child) if parent_survives else (child, parent)
        r = client.post("/v1/customers/merge", json={"survivor_id": survivor, "merged_ids": [folded]})
        assert r.status_code == 200, r.text
        record = client.get(f"/v1/customers/{survivor}").json()
        assert record["parent_id"] is None
        assert "parent_id" in record["overrides"]
        lineage = client.get(f"/v1/customers/{survivor}/lineage").json()
        assert {"field": "parent_id", "rule": "override"}.items() <= next(
            x for x in lineage if x["field"] == "parent_id"
        ).items()
        undone = client.post(f"/v1/customers/{survivor}/unmerge", json={"merge_id": r.json()["merge_id"]})
        assert undone.status_code == 200, undone.text
        assert client.get(f"/v1/customers/{child}").json()["parent_id"] == parent
        assert client.get(f"/v1/customers/{parent}").json()["parent_id"] is None
        assert "parent_id" not in client.get(f"/v1/customers/{survivor}").json()["overrides"]


def test_the_survivors_status_changes_only_by_a_pick(client, factory):
    """Survivorship over the folded record's newer source would give the survivor its status:
    without a pick the survivor keeps its own (an override the unmerge takes back), with one
    it takes the picked record's."""
    for pick in (False, True):
        survivor, *_ = _customer(factory, system="salesforce", status="active")
        folded, *_ = _customer(factory, system="salesforce", status="prospect")  # newer, the same owner
        body = {"survivor_id": survivor, "merged_ids": [folded], "picks": {"status": folded} if pick else {}}
        r = client.post("/v1/customers/merge", json=body)
        assert r.status_code == 200, r.text
        record = r.json()["record"]
        assert record["status"] == ("prospect" if pick else "active")
        assert "status" in record["overrides"]
        entry = client.get(f"/v1/customers/{survivor}/merges").json()[0]
        assert entry["picks"] == {"status": folded if pick else survivor}
        undone = client.post(f"/v1/customers/{survivor}/unmerge", json={"merge_id": r.json()["merge_id"]})
        assert undone.status_code == 200, undone.text
        assert (undone.json()["record"]["status"], undone.json()["record"]["overrides"]) == ("active", [])
        assert client.get(f"/v1/customers/{folded}").json()["status"] == "prospect"


def test_a_merge_that_leaves_the_status_alone_pins_nothing(client, factory):
    survivor, *_ = _customer(factory, system="salesforce", status="active")
    folded, *_ = _customer(factory, system="salesforce", status="active")
    r = client.post("/v1/customers/merge", json={"survivor_id": survivor, "merged_ids": [folded]})
    assert r.status_code == 200, r.text
    assert (r.json()["record"]["status"], r.json()["record"]["overrides"]) == ("active", [])
    assert client.get(f"/v1/customers/{survivor}/merges").json()[0]["picks"] == {}
