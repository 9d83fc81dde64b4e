"""The GraphQL read layer at /graphql, on the test database (SQLite or PostgreSQL): types made
from the descriptors, relationships both ways, look-ups, lists, the policy on every path,
the limits, and SQL that does not grow with the page."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from mdm.db import graph as graph_sql
from tests.auth import bearer
from tests.factory import unique


def gql(client, query: str, principal: str = "user:steward", **variables: Any) -> dict[str, Any]:
    r = client.post("/graphql", json={"query": query, "variables": variables}, headers=bearer(principal))
    assert r.status_code == 200, r.text
    return dict(r.json())


def data(client, query: str, principal: str = "user:steward", **variables: Any) -> dict[str, Any]:
    answer = gql(client, query, principal, **variables)
    assert not answer.get("errors"), answer
    return dict(answer["data"])


def _estate(client, factory_v2, tag: str, n: int) -> dict[str, Any]:
    """n projects (certinia) under two customers, with a legal entity, cost center and
    manager each from a small pool (netsuite and workday own those)."""
    customers = [factory_v2.create("customer", name=f"{tag} client {i}") for i in range(2)]
    entities = [factory_v2.create("legal_entity") for _ in range(2)]
    centers = [factory_v2.create("cost_center", legal_entity_id=entities[0]) for _ in range(2)]
    managers = [factory_v2.create("employee") for _ in range(2)]
    projects = []
    for i in range(n):
        body = {"code": f"{tag}-{i:03d}", "name": f"{tag} project {i}", "customer_id": customers[i % 2],
                "manager_id": managers[i % 2], "status": "active"}  # fmt: skip
        r = client.put(f"/v2/projects/sources/certinia/{tag}-P{i}", json=body)
        assert r.status_code == 200, r.text
        pid = r.json()["id"]
        finance = {"legal_entity_id": entities[i % 2], "cost_center_id": centers[i % 2], "code": f"{tag}-{i:03d}"}
        r = client.put(f"/v2/projects/sources/netsuite/{tag}-N{i}", json=finance)
        assert r.status_code == 200, r.text
        assert r.json()["id"] == pid
        projects.append(pid)
    return {"customers": customers, "entities": entities, "centers": centers, "managers": managers,
            "projects": projects}  # fmt: skip


def test_a_project_with_its_references_crosswalks_and_referrers(client, factory_v2):
    tag = unique("gq")
    made = _estate(client, factory_v2, tag, 3)
    query = """query($id: ID!) { project(id: $id) {
        id code name status customerId
        customer { id name projects { code } }
        legalEntity { id } costCenter { id legalEntity { id } } manager { id }
        crosswalks { system sourceId } } }"""
    project = data(client, query, id=made["projects"][0])["project"]
    assert project["code"] == f"{tag}-000"
    assert project["status"] == "active"
    assert project["customer"]["id"] == project["customerId"] == made["customers"][0]
    assert project["customer"]["name"] == f"{tag} client 0"
    assert [p["code"] for p in project["customer"]["projects"]] == [f"{tag}-000", f"{tag}-002"]  # both of its projects
    assert project["legalEntity"]["id"] == made["entities"][0]
    assert project["costCenter"] == {"id": made["centers"][0], "legalEntity": {"id": made["entities"][0]}}
    assert project["manager"]["id"] == made["managers"][0]
    assert {(x["system"], x["sourceId"]) for x in project["crosswalks"]} == {
        ("certinia", f"{tag}-P0"), ("netsuite", f"{tag}-N0")}  # fmt: skip
    reports = data(client, "query($id: ID!) { employee(id: $id) { managedProjects { code } } }",
                   id=made["managers"][1])["employee"]["managedProjects"]  # fmt: skip
    assert [p["code"] for p in reports] == [f"{tag}-001"]


def test_lists_page_with_cursors_and_count_every_page(client, factory_v2):
    tag = unique("gl")
    ids = sorted(factory_v2.create("customer", name=f"{tag} firm {i}") for i in range(5))
    query = """query($q: String, $after: String) { customers(q: $q, first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } nodes { name } } }"""
    seen, after = [], None
    for _ in range(3):
        page = data(client, query, q=tag, after=after)["customers"]
        assert page["totalCount"] == 5
        seen += [e["node"]["id"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    assert seen == ids
    none = data(client, 'query { customers(q: "no such firm anywhere zq") { totalCount nodes { id } } }')
    assert none["customers"] == {"totalCount": 0, "nodes": []}
    forged = gql(client, 'query { customers(after: "bm90IG91cnM") { nodes { id } } }')["errors"][0]
    assert forged["extensions"]["status"] == 422
    assert forged["extensions"]["errors"][0]["field"] == "cursor"
    bad = gql(client, "query { customers(first: 101) { nodes { id } } }")
    assert bad["data"] is None
    assert "first must be between 1 and 100" in bad["errors"][0]["message"]


def test_lists_filter_by_country_currency_references_parent_and_identifier(client, factory_v2):
    tag = unique("gf")
    parent = factory_v2.create("customer", name=f"{tag} Holding", country="DE", currency="EUR")
    child = factory_v2.create("customer", name=f"{tag} Child", country="FR", currency="EUR", parent_id=parent,
                              identifiers=[{"scheme": "duns", "value": "15-048-3782"}])  # fmt: skip
    other = factory_v2.create("customer", name=f"{tag} Other", country="FR", currency="USD")
    query = """query($q: String, $where: CustomerWhere) { customers(q: $q, first: 100, where: $where) {
        totalCount nodes { id } } }"""

    def ids(**where: Any) -> tuple[int, list[str]]:
        found = data(client, query, q=tag, where=where)["customers"]
        return found["totalCount"], [n["id"] for n in found["nodes"]]

    assert ids(country="FR") == (2, sorted([child, other]))
    assert ids(country="FR", currency="EUR") == (1, [child])
    assert ids(parentId=parent) == (1, [child])
    assert ids(identifier={"scheme": "duns", "value": "150483782"}) == (1, [child])
    assert ids(identifier={"scheme": "duns", "value": "15 048 3782"}) == (1, [child])  # normalized as stored
    projects = data(client, "query($c: ID) { projects(where: {customerId: $c}) { totalCount } }", c=parent)
    assert projects == {"projects": {"totalCount": 0}}
    bad = gql(client, query, q=tag, where={"identifier": {"scheme": "nope", "value": "1"}})["errors"][0]
    assert bad["extensions"]["status"] == 422
    assert bad["extensions"]["errors"][0]["field"] == "identifier.scheme"


def test_hierarchies_walk_up_and_down_to_a_bounded_depth(client, factory_v2):
    tag = unique("gy")
    top = factory_v2.create("customer", name=f"{tag} top")
    chain = [top]
    for level in range(3):
        chain.append(factory_v2.create("customer", name=f"{tag} level {level + 1}", parent_id=chain[-1]))
    query = """query($id: ID!, $up: Int!, $down: Int!) { customer(id: $id) {
        ancestors(maxDepth: $up) { id } descendants(maxDepth: $down) { id } } }"""
    bottom = data(client, query, id=chain[3], up=10, down=3)["customer"]
    assert [c["id"] for c in bottom["ancestors"]] == [chain[2], chain[1], chain[0]]
    assert bottom["descendants"] == []
    assert [c["id"] for c in data(client, query, id=chain[3], up=2, down=1)["customer"]["ancestors"]] == chain[2:0:-1]
    assert [c["id"] for c in data(client, query, id=top, up=1, down=2)["customer"]["descendants"]] == chain[1:3]
    assert [c["id"] for c in data(client, query, id=top, up=1, down=3)["customer"]["descendants"]] == chain[1:]
    deep = gql(client, query, id=top, up=11, down=1)["errors"][0]
    assert "maxDepth must be between 1 and 10" in deep["message"]


def test_as_of_on_lists_reads_the_estate_and_its_references_as_they_were(client, factory_v2):
    tag = unique("ga")
    old = factory_v2.create("customer", name=f"{tag} Old Name", country="DE")
    project = factory_v2.create("project", name=f"{tag} project", customer_id=old)
    time.sleep(0.01)
    then = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    etag = client.get(f"/v2/customers/{old}").headers["etag"]
    r = client.patch(
        f"/v2/customers/{old}", json={"name": f"{tag} New Name", "country": "FR"}, headers={"If-Match": etag}
    )
    assert r.status_code == 200, r.text
    later = factory_v2.create("customer", name=f"{tag} Later Ltd")
    query = """query($q: String, $at: DateTime, $where: CustomerWhere) {
        customers(q: $q, asOf: $at, where: $where, first: 10) { totalCount nodes { id name country } } }"""
    assert data(client, query, q=tag, at=then)["customers"] == {
        "totalCount": 1, "nodes": [{"id": old, "name": f"{tag} Old Name", "country": "DE"}]}  # fmt: skip
    now = data(client, query, q=tag)["customers"]
    assert sorted((n["id"], n["name"]) for n in now["nodes"]) == sorted(
        [(old, f"{tag} New Name"), (later, f"{tag} Later Ltd")]
    )
    assert data(client, query, q=tag, at=then, where={"country": "FR"})["customers"]["totalCount"] == 0
    assert data(client, query, q=tag, where={"country": "FR"})["customers"]["totalCount"] == 1
    projects = """query($q: String, $at: DateTime) { projects(q: $q, asOf: $at) { nodes { id customer { name } } } }"""
    assert data(client, projects, q=tag, at=then)["projects"]["nodes"] == [
        {"id": project, "customer": {"name": f"{tag} Old Name"}}]  # fmt: skip
    one = "query($id: ID!, $at: DateTime) { project(id: $id, asOf: $at) { customer { name } } }"
    assert data(client, one, id=project, at=then)["project"]["customer"]["name"] == f"{tag} Old Name"
    assert data(client, one, id=project)["project"]["customer"]["name"] == f"{tag} New Name"
    refused = gql(client, query, q=tag, at=then, where={"identifier": {"scheme": "duns", "value": "150483782"}})
    assert refused["errors"][0]["extensions"]["errors"][0]["field"] == "identifier"


def test_as_of_reads_a_record_as_it_was(client, factory_v2):
    cid = factory_v2.create("customer", name="Before Ltd")
    time.sleep(0.01)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    r = client.patch(f"/v2/customers/{cid}", json={"name": "After Ltd"},
                     headers={"If-Match": client.get(f"/v2/customers/{cid}").headers["etag"]})  # fmt: skip
    assert r.status_code == 200, r.text
    query = "query($id: ID!, $at: DateTime) { customer(id: $id, asOf: $at) { name version } }"
    assert data(client, query, id=cid)["customer"] == {"name": "After Ltd", "version": 2}
    assert data(client, query, id=cid, at=between)["customer"] == {"name": "Before Ltd", "version": 1}


def test_resolve_follows_a_merge_says_which_ids_it_passed_and_names_held_records(client, factory_v2):
    tag = unique("gr")
    a = client.put(f"/v2/customers/sources/salesforce/{tag}-A", json={"name": f"{tag} Alpha GmbH"}).json()["id"]
    b = client.put(f"/v2/customers/sources/salesforce/{tag}-B", json={"name": f"{tag} Beta GmbH"}).json()["id"]
    query = """query($s: String!) { resolve(domain: CUSTOMER, system: "salesforce", sourceId: $s) {
        id passed record { id ... on Customer { name } } } }"""
    instants = """query($s: String!) { resolve(domain: CUSTOMER, system: "salesforce", sourceId: $s) {
        record { ... on Customer { createdAt updatedAt } } } }"""
    record = data(client, instants, s=f"{tag}-A")["resolve"]["record"]
    rest = client.get(f"/v2/customers/{a}").json()
    assert [datetime.fromisoformat(record[k].replace("Z", "+00:00")) for k in ("createdAt", "updatedAt")] == [
        datetime.fromisoformat(rest[k].replace("Z", "+00:00")) for k in ("created_at", "updated_at")]  # fmt: skip
    assert data(client, query, s=f"{tag}-B")["resolve"] == {
        "id": b,
        "passed": [],
        "record": {"id": b, "name": f"{tag} Beta GmbH"},
    }
    merged = client.post("/v1/customers/merge", json={"survivor_id": a, "merged_ids": [b]})
    assert merged.status_code == 200, merged.text
    after = data(client, query, s=f"{tag}-B")["resolve"]  # the merge moved B's key to the survivor
    assert after["id"] == after["record"]["id"] == a
    node = data(client, "query($id: ID!) { node(id: $id) { id } }", id=b)
    assert node["node"] == {"id": a}  # a merged-away id answers its survivor
    moved = gql(client, "query($id: ID!) { customer(id: $id) { id } }", id=b)["errors"][0]
    assert moved["extensions"]["status"] == 301
    assert moved["extensions"]["survivorId"] == a
    undone = client.post(f"/v1/customers/{a}/unmerge", json={"merge_id": merged.json()["merge_id"]})
    assert undone.status_code == 200, undone.text
    assert data(client, query, s=f"{tag}-B")["resolve"]["id"] == b
    held = client.put(f"/v2/customers/sources/netsuite/{tag}-H", json={"legal_name": f"{tag} Nowhere Holdings"})
    assert held.status_code == 202, held.text
    answer = gql(client, query.replace('"salesforce"', '"netsuite"'), s=f"{tag}-H")
    assert answer["data"] is None
    error = answer["errors"][0]
    assert "is held" in error["message"]
    assert error["extensions"]["status"] == 404
    assert error["extensions"]["title"] == "Source record held"
    unknown = gql(client, query, s=f"{tag}-nobody")["errors"][0]
    assert unknown["extensions"]["status"] == 404
    assert f"{tag}-nobody" in unknown["message"]
    # every argument a variable, the domain too (an integration's one query text for every domain)
    general = """query($d: DomainName!, $sys: String!, $s: String!) {
        resolve(domain: $d, system: $sys, sourceId: $s) { id record { __typename } } }"""
    assert data(client, general, d="CUSTOMER", sys="salesforce", s=f"{tag}-B")["resolve"] == {
        "id": b,
        "record": {"__typename": "Customer"},
    }
    wrong = gql(client, general, d="PROJECT", sys="salesforce", s=f"{tag}-B")["errors"][0]
    assert wrong["extensions"]["status"] == 404  # a customer's key is no project's


def test_lineage_and_history_of_many_records_in_a_few_statements(client, factory_v2):
    tag = unique("gh")
    made = _estate(client, factory_v2, tag, 4)
    r = client.put(f"/v2/projects/sources/certinia/{tag}-P0", json={"code": f"{tag}-000", "name": f"{tag} renamed"})
    assert r.status_code == 200, r.text
    query = """query($q: String) { projects(q: $q, first: 10) { nodes { id
        lineage { field value rule system sourceId } history { version action principal data } } } }"""
    with statements(client) as seen:
        nodes = data(client, query, q=tag)["projects"]["nodes"]
    assert (
        len([q for q in seen if q.strip() != "BEGIN" and "policy_version" not in q]) <= 4
    )  # page, rows, sources, history
    first = next(n for n in nodes if n["id"] == made["projects"][0])
    by_field = {e["field"]: e for e in first["lineage"]}
    assert by_field["name"] == {"field": "name", "value": f"{tag} renamed", "rule": "owner_priority",
                                "system": "certinia", "sourceId": f"{tag}-P0"}  # fmt: skip
    assert by_field["cost_center_id"]["system"] == "netsuite"
    versions = [h["version"] for h in first["history"]]
    assert versions == sorted(versions, reverse=True)
    assert versions[0] == 3  # created, netsuite's fields, renamed
    assert first["history"][0]["data"]["name"] == f"{tag} renamed"
    assert first["history"][-1]["data"]["name"] == f"{tag} project 0"


RATE_FOR = """query($p: ID!, $role: String!, $on: Date!) { rateFor(projectId: $p, role: $role, on: $on) {
    __typename ... on AppliedRate { role unit rate currency rateCard { id } }
    ... on NoRate { reason detail rateCard { id } } } }"""


def test_rate_for_follows_the_cards_of_a_scope_across_their_boundaries(client, factory_v2):
    tag = unique("rc")
    customer = factory_v2.create("customer", name=f"{tag} Rated GmbH")

    def card(start: str, end: str | None, rate: str) -> str:
        lines = [
            {"role": "Senior Consultant", "unit": "day", "rate": rate},
            {"role": "Analyst", "unit": "day", "rate": "600"},
        ]
        return factory_v2.create("rate_card", name=f"{tag} card", currency="EUR", customer_id=customer,
                                 effective_from=start, effective_to=end, lines=lines)  # fmt: skip

    h1, h2 = card("2026-01-01", "2026-06-30", "1200"), card("2026-07-01", None, "1300")
    dates = data(client, "query($id: ID!) { rateCard(id: $id) { effectiveFrom effectiveTo } }", id=h1)
    assert dates == {"rateCard": {"effectiveFrom": "2026-01-01", "effectiveTo": "2026-06-30"}}
    project = factory_v2.create("project", rate_card_id=h2, customer_id=customer)
    bare = factory_v2.create("project")

    def rate(on: str, role: str = "Senior Consultant", pid: str = project) -> dict[str, Any]:
        return data(client, RATE_FOR, p=pid, role=role, on=on)["rateFor"]

    assert rate("2026-07-01") == {"__typename": "AppliedRate", "role": "Senior Consultant", "unit": "day",
                                  "rate": "1300", "currency": "EUR", "rateCard": {"id": h2}}  # fmt: skip
    assert rate("2026-06-30")["rateCard"] == {"id": h1}  # the day before: the scope's earlier card
    assert rate("2026-06-30")["rate"] == "1200"
    before = rate("2025-12-31")
    assert before["__typename"] == "NoRate"
    assert before["reason"] == "CARD_NOT_EFFECTIVE"
    assert h1 in before["detail"]
    assert h2 in before["detail"]
    missing = rate("2026-08-01", role="Partner")
    assert missing["reason"] == "ROLE_MISSING"
    assert "Analyst" in missing["detail"]
    assert missing["rateCard"] == {"id": h2}
    no_card = {"__typename": "NoRate", "reason": "NO_CARD", "detail": f"project {bare} names no rate card",
               "rateCard": None}  # fmt: skip
    assert rate("2026-08-01", pid=bare) == no_card
    unknown = gql(client, RATE_FOR, p="prj_01M94K0AF89ZQ59R3TY18DTFC1", role="x", on="2026-01-01")["errors"][0]
    assert unknown["extensions"]["status"] == 404


def test_resolve_many_answers_each_key_in_order(client, factory_v2):
    tag = unique("rm")
    known = client.put(f"/v2/customers/sources/salesforce/{tag}-A", json={"name": f"{tag} Many AB"}).json()["id"]
    held = client.put(f"/v2/customers/sources/netsuite/{tag}-H", json={"legal_name": f"{tag} Unmatched Oy"})
    assert held.status_code == 202, held.text
    made = _estate(client, factory_v2, tag, 1)
    query = """query($keys: [SourceKeyInput!]!) { resolveMany(keys: $keys) {
        domain system sourceId id passed held record { id } } }"""
    keys = [
        {"domain": "CUSTOMER", "system": "netsuite", "sourceId": f"{tag}-H"},
        {"domain": "PROJECT", "system": "netsuite", "sourceId": f"{tag}-N0"},
        {"domain": "CUSTOMER", "system": "salesforce", "sourceId": f"{tag}-A"},
        {"domain": "CUSTOMER", "system": "salesforce", "sourceId": f"{tag}-nobody"},
    ]
    answer = data(client, query, keys=keys)["resolveMany"]
    assert [(a["sourceId"], a["id"], a["held"]) for a in answer] == [
        (f"{tag}-H", None, "no_create_right"), (f"{tag}-N0", made["projects"][0], None), (f"{tag}-A", known, None),
        (f"{tag}-nobody", None, None)]  # fmt: skip
    assert [a["record"] and a["record"]["id"] for a in answer] == [None, made["projects"][0], known, None]
    many = gql(client, query, keys=[keys[2]] * 1001)["errors"][0]
    assert many["message"] == "keys must hold at most 1000 keys a call (1001 asked)"
    assert many["extensions"] == {"status": 400, "errors": [{"field": "keys", "reason": many["message"][5:]}]}


def test_translate_answers_a_records_ids_in_another_system(client, factory_v2):
    tag = unique("gt")
    made = _estate(client, factory_v2, tag, 1)
    query = """query($id: ID!) { translate(domain: PROJECT, id: $id, to: "netsuite") { id system sourceIds } }"""
    assert data(client, query, id=made["projects"][0])["translate"] == {
        "id": made["projects"][0], "system": "netsuite", "sourceIds": [f"{tag}-N0"]}  # fmt: skip


def test_cost_rate_is_null_with_an_error_for_readers_on_every_path(client, factory_v2):
    tag = unique("gc")
    boss = {"employee_number": f"{tag}-M", "name": {"given": "Maria", "family": "Manager"}}
    manager = client.put(f"/v2/employees/sources/workday/{tag}-M", json=boss).json()["id"]
    report = {"employee_number": f"{tag}-W", "name": {"given": "Will", "family": "Worker"}, "manager_id": manager}
    worker = client.put(f"/v2/employees/sources/workday/{tag}-W", json=report).json()["id"]
    r = client.put(f"/v2/employees/sources/netsuite/{tag}-W", json={"employee_number": f"{tag}-W", "cost_rate": "95"})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == worker
    paths = {
        "direct": ("query($id: ID!) { employee(id: $id) { id costRate } }", ["employee", "costRate"]),
        "reports": (
            "query($id: ID!) { employee(id: $id) { reports { costRate } } }",
            ["employee", "reports", 0, "costRate"],
        ),
        "node": ("query($id: ID!) { node(id: $id) { ... on Employee { costRate } } }", ["node", "costRate"]),
        "list": ('query { employees(q: "Will", first: 100) { nodes { id costRate } } }', None),
    }
    lineage = """query($id: ID!) { employee(id: $id) {
        lineage { field value system contributed { value } } history { data } } }"""
    for principal, sees in (("user:reader", False), ("system:salesforce", False), ("user:steward", True),
                            ("user:admin", True)):  # fmt: skip
        found = data(client, lineage, principal, id=worker)["employee"]
        rates = [e for e in found["lineage"] if e["field"] == "cost_rate"]
        assert rates == (
            [{"field": "cost_rate", "value": "95", "system": "netsuite", "contributed": []}] if sees else []
        )
        assert any("cost_rate" in h["data"] for h in found["history"]) is sees, (principal, found["history"])
    for principal, sees in (("user:reader", False), ("system:salesforce", False), ("user:steward", True),
                            ("user:admin", True)):  # fmt: skip
        for name, (query, path) in paths.items():
            ident = manager if name == "reports" else worker
            answer = gql(client, query, principal, id=ident) if "$id" in query else gql(client, query, principal)
            if name == "list":
                rows = (
                    [n for n in answer["data"]["employees"]["nodes"] if n and n["id"] == worker]
                    if answer["data"]
                    else []
                )
                values = [n["costRate"] for n in rows]
                assert values == (["95"] if sees else [None]), (principal, answer)
                continue
            value: Any = answer["data"]
            for step in path:
                value = value[step] if value is not None else None
            if sees:
                assert value == "95", (principal, name, answer)
                assert not answer.get("errors"), (principal, name, answer)
            else:
                assert value is None, (principal, name, answer)
                assert any(e["path"][-1] == "costRate" and "not readable" in e["message"] for e in answer["errors"])


def test_a_system_key_may_query_and_no_key_may_not(client, factory_v2):
    cid = factory_v2.create("customer", name="Keyed Query Ltd")
    assert data(client, "query($id: ID!) { customer(id: $id) { name } }", "system:netsuite", id=cid) == {
        "customer": {"name": "Keyed Query Ltd"}}  # fmt: skip
    r = client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    page = client.get("/graphql", headers={"Accept": "text/html", "Authorization": ""})  # a browser, no key
    assert page.status_code == 200
    assert "/graphql/assets/graphiql.min.js" in page.text
    assert (
        client.get("/graphql?query={__typename}", headers={"Accept": "text/html", "Authorization": ""}).status_code
        == 401
    )
    assert client.get("/graphql/assets/graphiql.min.css", headers={"Authorization": ""}).status_code == 200
    assert client.get("/graphql/assets/secrets.txt").status_code == 404
    r = client.post("/graphql", json={"query": "mutation { x }"}, headers=bearer("user:steward"))
    assert r.status_code in (200, 400)
    assert r.json()["errors"]


def test_the_route_speaks_graphql_over_http_and_refuses_what_is_not(client):
    steward = bearer("user:steward")
    got = client.get("/graphql", params={"query": "query($n: Int!) { customers(first: $n) { totalCount } }",
                                         "variables": '{"n": 1}'}, headers=steward)  # fmt: skip
    assert got.status_code == 200
    assert isinstance(got.json()["data"]["customers"]["totalCount"], int)
    form = client.post("/graphql", content="query={__typename}", headers={**steward, "Content-Type": "text/plain"})
    assert form.status_code == 415
    assert form.headers["content-type"] == "application/problem+json"
    assert form.json()["errors"][0]["field"] == "Content-Type"
    for body, field in (({"variables": {}}, "query"), ({"query": "{ __typename }", "extra": 1}, "extra")):
        r = client.post("/graphql", json=body, headers=steward)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == field
    bad = client.get("/graphql", params={"query": "{ __typename }", "variables": "[1"}, headers=steward)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "variables"
    # what PostgreSQL cannot store is refused before it is asked: NUL in a literal or a variable,
    # a lone surrogate in a variable (GraphQL's parser already refuses one in a literal)
    literal = gql(client, '{ resolve(domain: CUSTOMER, system: "sf", sourceId: "a\\u0000b") { id } }')
    assert literal["errors"][0]["extensions"]["status"] == 400, literal
    assert "NUL" in literal["errors"][0]["message"]
    query = 'query($s: String!) { resolve(domain: CUSTOMER, system: "sf", sourceId: $s) { id } }'
    variable = gql(client, query, s="a\u0000b")
    assert variable["errors"][0]["extensions"]["errors"][0]["field"] == "$s", variable
    body = '{"query": "' + query.replace('"', '\\"') + '", "variables": {"s": "\\ud800"}}'  # JSON's escape
    r = client.post("/graphql", content=body, headers={**steward, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text  # msgspec reads a lone surrogate's escape as malformed JSON
    assert r.json()["errors"][0]["field"] == "body"
    malformed = client.post("/graphql", content=b'{"query": ', headers={**steward, "Content-Type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.json()["detail"] == "the body is not readable JSON"
    unparsable = gql(client, "{ customers(")
    assert unparsable["data"] is None
    assert "Syntax Error" in unparsable["errors"][0]["message"]


def test_limits_refuse_deep_wide_and_costly_queries_before_they_run(client):
    deep = "query { customers { nodes { " + "parent { " * 12 + "id" + " }" * 12 + " } } }"
    assert "exceeds maximum operation depth" in gql(client, deep)["errors"][0]["message"]
    tokens = "query { " + "__typename " * 5001 + "}"
    for _ in range(2):  # the second time from the parse cache: the limit still holds
        assert "more than 5000 tokens" in gql(client, tokens)["errors"][0]["message"]
    assert "Cannot query field 'nosuch'" in gql(client, "{ nosuch }")["errors"][0]["message"]  # the standard rules
    aliases = "query { " + " ".join(f"a{i}: customers(first: 1) {{ totalCount }}" for i in range(40)) + " }"
    assert "aliases" in gql(client, aliases)["errors"][0]["message"]
    costly = """query { customers(first: 100) { nodes { projects(first: 100) {
        crosswalks { system } customer { projects(first: 100) { id } } } } } }"""
    answer = gql(client, costly)
    assert answer["data"] is None
    assert "query cost" in answer["errors"][0]["message"]
    assert answer["errors"][0]["extensions"]["limit"] == 20_000


@contextmanager
def statements(client) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs (both engines, and what the
    GraphQL layer reads as the driver's own SQL on PostgreSQL)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    async def driver_fetch(session: Any, sql: str, *args: Any) -> list[Any]:
        seen.append(sql)
        return await fetch(session, sql, *args)

    db = client.app.state.db
    engines = {id(e): e for e in (db.write, db.read)}.values()
    for engine in engines:
        event.listen(engine.sync_engine, "before_cursor_execute", record)
    fetch, graph_sql.driver_fetch = graph_sql.driver_fetch, driver_fetch
    try:
        yield seen
    finally:
        graph_sql.driver_fetch = fetch
        for engine in engines:
            event.remove(engine.sync_engine, "before_cursor_execute", record)


def query_statements(seen: list[str]) -> list[str]:
    """What a query read: not the transaction's BEGIN (SQLite's, made explicit), nor what the
    caches look up now and then, in either run (the policy's version, once a second; the API
    key, when its cache entry expires)."""
    return [q for q in seen if q.strip() != "BEGIN" and "policy_version" not in q and "FROM api_key" not in q]


def test_statement_count_follows_the_query_not_its_page_size(client, factory_v2):
    tag = unique("gs")
    _estate(client, factory_v2, tag, 100)
    query = """query($q: String, $n: Int!) { projects(q: $q, first: $n) { totalCount nodes {
        id code customer { name } legalEntity { name } costCenter { code } manager { name { family } }
        crosswalks { system sourceId } } } }"""
    counts = {}
    for n in (10, 100):
        with statements(client) as seen:
            found = data(client, query, q=tag, n=n)["projects"]
        assert found["totalCount"] == 100
        assert len(found["nodes"]) == n
        assert all(p["customer"] and p["legalEntity"] and p["costCenter"] and p["manager"] for p in found["nodes"])
        counts[n] = query_statements(seen)
    assert len(counts[10]) == len(counts[100]), counts
    assert len(counts[100]) <= 7, counts  # the page, its count, four references, the crosswalks


def test_the_fast_loop_answers_exactly_what_graphql_cores_own_execution_does(client, factory_v2, monkeypatch):
    """Objects whose fields are plain reads complete in mdm's fast loop (execution.py); the
    same queries with it switched off (graphql-core's path for every field) answer the same,
    errors and their paths included: a reader who may not read costRate, a null reference,
    aliases, a fragment, __typename, an interface and a union."""
    from mdm.api.graphql import execution

    tag = unique("gf")
    made = _estate(client, factory_v2, tag, 4)
    queries = [
        (
            f'{{ projects(q: "{tag}", first: 10) {{ nodes {{ __typename id code status c: customer {{ id name }} '
            "legalEntity { id name } costCenter { ...cc } manager { id name { given family } costRate } "
            "crosswalks { system sourceId } } } } fragment cc on CostCenter { id code name }",
            (),
        ),
        ("{ employees(first: 5) { nodes { id costRate manager { id } } } }", ()),
        (
            "query($id: ID!) { node(id: $id) { __typename id ... on Project { code customer { name } } } }",
            (("id", made["projects"][1]),),
        ),
        (
            'query($p: ID!) { rateFor(projectId: $p, role: "Senior", on: "2026-01-05") { __typename '
            "... on NoRate { reason detail } ... on AppliedRate { rate } } }",
            (("p", made["projects"][0]),),
        ),
    ]
    # resolve: an operation of one root field runs without an executor once planned (Direct)
    factory_v2.upsert("customer", "salesforce", f"{tag}-C")
    employee = factory_v2.upsert("employee", "workday", f"{tag}-E")
    resolve = ("query($d: DomainName!, $sys: String!, $s: String!) { resolve(domain: $d, system: $sys, "
               "sourceId: $s) { id passed record { __typename id ... on Customer { name } "
               "... on Employee { costRate } } } }")  # fmt: skip
    queries += [
        (resolve, (("d", "CUSTOMER"), ("sys", "salesforce"), ("s", f"{tag}-C"))),
        (resolve, (("d", "EMPLOYEE"), ("sys", "workday"), ("s", f"{tag}-E"))),  # costRate: the reader's error
        (resolve, (("d", "CUSTOMER"), ("sys", "salesforce"), ("s", f"{tag}-nobody"))),  # the resolver's error
        (resolve, (("d", "NOPE"), ("sys", "salesforce"), ("s", f"{tag}-X"))),  # a variable refused
    ]
    import mdm.api.graphql as route

    executed: list[str] = []
    real = route._execute

    async def counted(schema, ready, asked, context):
        executed.append(asked.variables.get("s", "") if asked.variables else "")
        return await real(schema, ready, asked, context)

    for principal in ("user:reader", "user:steward"):
        for q, v in queries:  # the first request of each plans it
            gql(client, q, principal, **dict(v))
        executed.clear()
        with monkeypatch.context() as m:
            m.setattr(route, "_execute", counted)
            fast = [gql(client, q, principal, **dict(v)) for q, v in queries]
        direct = {s for _q, v in queries if (s := dict(v).get("s")) and s not in executed}
        # an executor ran only where the answer needs the standard path: the reader's refused costRate, the bad domain
        assert direct == {f"{tag}-nobody"} | ({f"{tag}-C"} if principal == "user:reader" else {f"{tag}-C", f"{tag}-E"})
        with monkeypatch.context() as m:
            m.setattr(execution.Executor, "_plan", lambda *_args: None)
            standard = [gql(client, q, principal, **dict(v)) for q, v in queries]
        assert json.dumps(fast) == json.dumps(standard)  # the fields' order too
        assert len(fast[0]["data"]["projects"]["nodes"]) == 4, fast[0]
        assert any(e["path"][-1] == "costRate" for e in fast[1].get("errors", ())) is (principal == "user:reader")
        assert fast[4]["data"]["resolve"]["record"]["name"]
        assert fast[5]["data"]["resolve"]["id"] == employee["id"]
        assert fast[6]["data"] is None
        assert fast[6]["errors"][0]["extensions"]["status"] == 404
        assert fast[7]["data"] is None
        assert "NOPE" in fast[7]["errors"][0]["message"]


def test_a_directive_decides_fields_by_each_requests_variables(client, factory_v2):
    cid = factory_v2.create("customer", name="Directive Ltd")
    query = "query($id: ID!, $more: Boolean!) { customer(id: $id) { id name @include(if: $more) } }"
    assert data(client, query, id=cid, more=True)["customer"] == {"id": cid, "name": "Directive Ltd"}
    assert data(client, query, id=cid, more=False)["customer"] == {"id": cid}
    assert data(client, query, id=cid, more=True)["customer"] == {"id": cid, "name": "Directive Ltd"}
