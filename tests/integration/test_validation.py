"""Validation a finance team trusts: every violation is a 422 problem naming the field,
and a rejected write leaves nothing behind."""

import pytest
from sqlalchemy import update

from mdm.db.tables import GOLDEN
from tests.factory import creator, unique, writes
from tests.sql import execute, fetch_all


def assert_problem(r, status, field):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert field in [e["field"] for e in body.get("errors", [])], body


@pytest.mark.parametrize(
    ("domain", "fields", "field"),
    [
        ("customer", {"country": "XX"}, "country"),
        ("customer", {"currency": "ABC"}, "currency"),
        ("customer", {"country": "de"}, "country"),
        ("employee", {"email": "no-at-sign"}, "email"),
        ("employee", {"cost_rate": "-10"}, "cost_rate"),
        ("project", {"contract_value": "-0.01"}, "contract_value"),
        ("project", {"billing_model": "free"}, "billing_model"),
        ("project", {"status": "paused"}, "status"),
        ("project", {"start_date": "2025-03-01", "end_date": "2025-02-28"}, "end_date"),
        ("cost_center", {"valid_from": "2025-03-01", "valid_to": "2024-01-01"}, "valid_to"),
        ("rate_card", {"effective_from": "2025-03-01", "effective_to": "2025-01-01"}, "effective_to"),
        ("project", {"start_date": "not-a-date"}, "start_date"),
        ("customer", {"name": ""}, "name"),
        ("project", {"contract_value": "0.00001"}, "contract_value"),
        ("project", {"contract_value": "1e30"}, "contract_value"),
        ("rate_card", {"lines": [{"role": "A", "unit": "day", "rate": "0.123456"}]}, "lines[0].rate"),
        # money is the documented decimal string of ASCII digits, nothing that merely parses
        ("rate_card", {"lines": [{"role": "A", "unit": "day", "rate": "1_000"}]}, "lines[0].rate"),
        ("rate_card", {"lines": [{"role": "A", "unit": "day", "rate": "\u0661\u0662"}]}, "lines[0].rate"),
        ("rate_card", {"lines": [{"role": "A", "unit": "day", "rate": " 12 "}]}, "lines[0].rate"),
        ("rate_card", {"lines": [{"role": "A", "unit": "day", "rate": 12}]}, "lines[0].rate"),
        ("employee", {"cost_rate": "-0"}, "cost_rate"),
        ("project", {"contract_value": 1000}, "contract_value"),
        ("project", {"customer_id": "not-an-id"}, "customer_id"),
    ],
)
def test_field_rules(client, factory, domain, fields, field):
    from mdm.domains import BY_NAME

    d = BY_NAME[domain]
    r = client.post(f"/v1/{d.path}", json=factory.payload(domain, **fields))
    assert_problem(r, 422, field)
    # a system that may write these fields: the domain's creator if it can, else their owner
    system = next(s for s in (creator(domain), "salesforce", "certinia", "netsuite", "workday")
                  if all(writes(s, domain, f) for f in fields))  # fmt: skip
    source_id = unique("S")
    r = client.put(f"/v1/{d.path}/sources/{system}/{source_id}", json=factory.payload(domain, system, **fields))
    assert_problem(r, 422, field)
    assert client.get(f"/v1/{d.path}/resolve", params={"system": system, "source_id": source_id}).status_code == 404


def test_missing_required_field_and_unknown_field(client, factory):
    payload = factory.payload("project")
    del payload["code"]
    assert_problem(client.post("/v1/projects", json=payload), 422, "code")
    assert_problem(client.post("/v1/projects", json={**factory.payload("project"), "colour": "red"}), 422, "colour")


def test_unique_project_code_and_employee_number(client, factory):
    code = unique("P")
    factory.create("project", code=code)
    assert_problem(client.post("/v1/projects", json=factory.payload("project", code=code)), 409, "code")
    # a second source record with another code may not take it over either
    other = factory.upsert("project", "certinia", unique("c"), code=unique("P"))
    payload = factory.payload("project", "certinia", code=code)
    r = client.put(f"/v1/projects/sources/certinia/{unique('c')}", json=payload)
    assert r.status_code == 200
    assert r.json()["outcome"] == "linked"
    r = client.patch(f"/v1/projects/{other['id']}", json={"code": code}, headers={"If-Match": '"1"'})
    assert_problem(r, 422, "code")


def test_cost_center_code_is_unique_within_its_legal_entity(client, factory):
    le1, le2 = factory.create("legal_entity"), factory.create("legal_entity")
    code = unique("CC")
    factory.create("cost_center", code=code, legal_entity_id=le1)
    assert factory.create("cost_center", code=code, legal_entity_id=le2)  # same code, other entity: fine
    r = client.post("/v1/cost-centers", json=factory.payload("cost_center", code=code, legal_entity_id=le1))
    assert_problem(r, 409, "code")


def test_references_must_exist_be_of_the_right_domain_and_not_merged(client, factory, database_url):
    missing = "cus_01JD3Z6V9QK8Y2W5X7M4N0P1RS"
    assert_problem(
        client.post("/v1/projects", json=factory.payload("project", customer_id=missing)), 422, "customer_id"
    )
    employee = factory.create("employee")
    wrong = factory.payload("project", customer_id=employee)
    assert_problem(client.post("/v1/projects", json=wrong), 422, "customer_id")
    survivor, folded = factory.create("customer"), factory.create("customer")
    _mark_merged(database_url, "customer", folded, survivor)  # merge itself arrives with stewardship
    r = client.post("/v1/projects", json=factory.payload("project", customer_id=folded))
    assert_problem(r, 422, "customer_id")
    assert survivor in r.json()["errors"][0]["message"]


def _mark_merged(url: str, domain: str, folded: str, survivor: str) -> None:
    table = GOLDEN[domain]
    execute(url, update(table).where(table.c.id == folded).values(merged_into=survivor))


def test_no_cycles_in_hierarchies(client, factory):
    a = factory.create("customer")
    b = factory.create("customer", parent_id=a)
    c = factory.create("customer", parent_id=b)
    r = client.patch(f"/v1/customers/{a}", json={"parent_id": c}, headers={"If-Match": '"1"'})
    assert_problem(r, 422, "parent_id")
    r = client.patch(f"/v1/customers/{a}", json={"parent_id": a}, headers={"If-Match": '"1"'})
    assert_problem(r, 422, "parent_id")
    boss = factory.create("employee")
    report = factory.create("employee", manager_id=boss)
    r = client.patch(f"/v1/employees/{boss}", json={"manager_id": report}, headers={"If-Match": '"1"'})
    assert_problem(r, 422, "manager_id")
    assert client.get(f"/v1/employees/{boss}").json()["manager_id"] is None


def test_rate_cards_of_one_scope_never_overlap(client, factory):
    customer = factory.create("customer")
    name = unique("Std ")
    scope = {"name": name, "customer_id": customer, "currency": "EUR"}
    factory.create("rate_card", effective_from="2025-01-01", effective_to="2025-06-30", **scope)
    r = client.post("/v1/rate-cards", json=factory.payload("rate_card", effective_from="2025-06-30", **scope))
    assert_problem(r, 422, "effective_from")
    # adjacent, other currency, or other customer: all fine
    factory.create("rate_card", effective_from="2025-07-01", **scope)
    factory.create("rate_card", effective_from="2025-03-01", **{**scope, "currency": "USD"})
    factory.create("rate_card", effective_from="2025-03-01", **{**scope, "customer_id": factory.create("customer")})
    # an open-ended card blocks every later start
    r = client.post("/v1/rate-cards", json=factory.payload("rate_card", effective_from="2030-01-01", **scope))
    assert_problem(r, 422, "effective_from")


def test_a_rejected_write_leaves_no_partial_state(client, factory):
    source_id = unique("SF")
    payload = factory.payload("project", "certinia", customer_id="cus_01JD3Z6V9QK8Y2W5X7M4N0P1RS")
    r = client.put(f"/v1/projects/sources/certinia/{source_id}", json=payload)
    assert r.status_code == 422
    assert client.get("/v1/projects/resolve", params={"system": "certinia", "source_id": source_id}).status_code == 404
    r = client.post("/v1/resolve", json={"keys": [{"domain": "project", "system": "certinia", "source_id": source_id}]})
    assert r.json()["items"][0]["status"] == "not_found"


def test_an_empty_or_non_object_body_names_the_body(client):
    r = client.put(
        f"/v1/customers/sources/salesforce/{unique('e')}", content=b"", headers={"content-type": "application/json"}
    )
    assert_problem(r, 422, "body")
    r = client.post("/v1/customers", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")


def test_rejected_writes_are_audited_although_nothing_else_is_kept(client, factory, database_url):
    from sqlalchemy import select

    from mdm.db.tables import audit_log

    sid, cid = unique("r"), unique("corr-")
    payload = factory.payload("customer", "salesforce", country="XX")
    r = client.put(f"/v1/customers/sources/salesforce/{sid}", json=payload, headers={"X-Correlation-ID": cid})
    assert r.status_code == 422

    (row,) = fetch_all(database_url, select(audit_log).where(audit_log.c.correlation_id == cid))
    assert (row.action, row.domain, row.record_id, row.outcome) == (
        "upsert",
        "customer",
        f"salesforce/{sid}",
        "rejected",
    )
    assert row.fields == ["country"]
