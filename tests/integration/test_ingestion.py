"""Ingestion: crosswalk first, then each domain's deterministic keys, else create;
resending the same payload is `unchanged` and makes no new version."""

from tests.factory import unique


def _history_len(client, path, gid):
    return len(client.get(f"/v1/{path}/{gid}/history").json())


def test_same_payload_again_is_unchanged_without_a_new_version(client, factory):
    sid = unique("001")
    payload = factory.payload("customer", "salesforce", name="Globex")
    first = client.put(f"/v1/customers/sources/salesforce/{sid}", json=payload).json()
    again = client.put(f"/v1/customers/sources/salesforce/{sid}", json=payload).json()
    assert first["outcome"] == "created"
    assert again["outcome"] == "unchanged"
    assert again["version"] == first["version"] == 1
    assert _history_len(client, "customers", first["id"]) == 1
    changed = client.put(f"/v1/customers/sources/salesforce/{sid}", json={**payload, "industry": "Media"}).json()
    assert changed["outcome"] == "updated"
    assert changed["version"] == 2


def test_customer_links_by_tax_id_and_country_only(client, factory):
    tax = unique("FR")
    a = factory.upsert("customer", "salesforce", unique("s"), tax_id=tax, country="FR")
    b = factory.upsert("customer", "netsuite", unique("n"), tax_id=tax, country="FR")
    c = factory.upsert("customer", "salesforce", unique("s"), tax_id=tax, country="BE")  # netsuite may not create
    assert b["id"] == a["id"]
    assert b["outcome"] == "linked"
    assert b["match"] == {"rule": "key", "fields": ["tax_id", "country"], "id": a["id"], "score": 1.0}
    assert c["id"] != a["id"]
    assert c["outcome"] == "created"


def test_legal_entity_links_by_registration_number_and_country(client, factory):
    reg = unique("HRB")
    a = factory.upsert("legal_entity", "netsuite", unique("le"), registration_number=reg, country="DE")
    b = factory.upsert("legal_entity", "netsuite", unique("le"), registration_number=reg, country="DE")
    assert b["id"] == a["id"]
    assert b["outcome"] == "linked"


def test_project_links_by_code(client, factory):
    code = unique("PRJ-")
    a = factory.upsert("project", "certinia", unique("a"), code=code, name="Delivery name")
    b = factory.upsert("project", "netsuite", unique("b"), code=code, contract_value="50000")
    assert b["id"] == a["id"]
    assert b["outcome"] == "linked"
    record = client.get(f"/v1/projects/{a['id']}").json()
    assert record["name"] == "Delivery name"  # certinia owns delivery fields
    assert record["contract_value"] == "50000"  # netsuite owns the financials


def test_employee_links_by_number_then_by_email(client, factory):
    number, email = unique("E"), f"{unique('j').lower()}@firm.example"
    a = factory.upsert("employee", "workday", unique("w"), employee_number=number, email=email)
    by_number = factory.upsert("employee", "netsuite", unique("n"), employee_number=number)  # netsuite sends no email
    by_email = factory.upsert("employee", "workday", unique("w"), employee_number=unique("X"), email=email)
    assert by_number["id"] == a["id"] == by_email["id"]
    assert by_number["match"]["fields"] == ["employee_number"]
    assert by_email["match"]["fields"] == ["email"]


def test_cost_center_links_by_code_within_legal_entity(client, factory):
    le = factory.create("legal_entity")
    code = unique("CC")
    a = factory.upsert("cost_center", "netsuite", unique("a"), code=code, legal_entity_id=le)
    b = factory.upsert("cost_center", "netsuite", unique("b"), code=code, legal_entity_id=le)
    other_le = factory.create("legal_entity")
    c = factory.upsert("cost_center", "netsuite", unique("c"), code=code, legal_entity_id=other_le)
    assert b["id"] == a["id"]
    assert c["id"] != a["id"]


def test_rate_card_links_by_scope_and_effective_from(client, factory):
    name = unique("Std ")
    a = factory.upsert("rate_card", "netsuite", unique("a"), name=name, effective_from="2026-01-01")
    b = factory.upsert("rate_card", "netsuite", unique("b"), name=name, effective_from="2026-01-01")
    assert b["id"] == a["id"]
    assert b["outcome"] == "linked"


def test_unknown_system_is_rejected(client, factory, database_url):
    import asyncio

    from mdm.auth.keys import create_key
    from mdm.db.engine import Database

    async def hubspot_key():
        async with Database.opened(database_url) as db:
            return (await create_key(db, "system:hubspot", []))[1]

    key = asyncio.run(hubspot_key())
    r = client.put(f"/v1/customers/sources/hubspot/{unique('h')}", json=factory.payload("customer"),
                   headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "system"


def test_an_update_that_changes_nothing_golden_is_unchanged(client, factory):
    """A lower-priority owner's differing value loses to the first owner: the golden record
    does not move (legal_name: salesforce first, then netsuite)."""
    tax = unique("NL")
    a = factory.upsert("customer", "salesforce", unique("s"), tax_id=tax, country="NL", legal_name="Initech")
    sid = unique("n")
    factory.upsert("customer", "netsuite", sid, tax_id=tax, country="NL", legal_name="INITECH B.V.")
    version = client.get(f"/v1/customers/{a['id']}").json()["version"]
    r = factory.upsert("customer", "netsuite", sid, tax_id=tax, country="NL", legal_name="Initech BV")
    assert r["outcome"] == "unchanged"
    assert r["version"] == version


def test_a_source_may_send_only_the_fields_it_holds(client, factory):
    tax = unique("AT")
    crm = factory.upsert("customer", "salesforce", unique("s"), tax_id=tax, country="AT")  # sends no currency
    r = client.put(f"/v1/customers/sources/netsuite/{unique('n')}", json={"tax_id": tax, "country": "AT",
                                                                           "currency": "EUR"})  # fmt: skip
    assert r.status_code == 200
    assert r.json()["outcome"] == "linked"
    assert r.json()["id"] == crm["id"]
    record = client.get(f"/v1/customers/{crm['id']}").json()
    assert record["currency"] == "EUR"
    assert record["name"] == factory_name(client, crm["id"])


def factory_name(client, gid):
    lineage = {e["field"]: e for e in client.get(f"/v1/customers/{gid}/lineage").json()}
    assert lineage["name"]["system"] == "salesforce"
    return lineage["name"]["value"]


def test_a_partial_record_cannot_make_an_incomplete_golden_record(client):
    sid = unique("s")  # salesforce may create customers (and write name, but sends none): held, not a record
    r = client.put(f"/v1/customers/sources/salesforce/{sid}", json={"tax_id": unique("CH"), "country": "CH"})
    assert (r.status_code, r.json()["held"]["reason"]) == (202, "incomplete")
    resolved = client.get("/v1/customers/resolve", params={"system": "salesforce", "source_id": sid})
    assert (resolved.status_code, resolved.json()["title"]) == (404, "Source record held")
