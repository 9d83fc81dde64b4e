"""Contract v1 and v2 served at once from the same golden records: a write in one reads back
in the other, and a v1 write never loses or changes what only v2 can see."""

import asyncio
import random

import httpx
import pytest

from mdm.domains import DOMAINS, RULES
from tests.auth import AUTH
from tests.factory import Factory, duns, unique, vat_de, word


def _get(client, version, path, golden):
    r = client.get(f"/{version}/{path}/{golden}")
    assert r.status_code == 200, r.text
    return r.json()


SAME_SHAPE = [d for d in DOMAINS if "v1" not in d.older]


@pytest.mark.parametrize("domain", SAME_SHAPE, ids=lambda d: d.name)
def test_a_domain_v2_left_alone_reads_the_same_in_both_versions(client, domain):
    made = Factory(client, "v1").create(domain.name)
    assert _get(client, "v1", domain.path, made) == _get(client, "v2", domain.path, made)
    made = Factory(client, "v2").create(domain.name)
    assert _get(client, "v1", domain.path, made) == _get(client, "v2", domain.path, made)


def test_a_v1_customer_reads_back_in_v2_and_a_v2_one_in_v1(client):
    vat = vat_de()  # identifiers link records across the whole hub: each test uses its own
    address = {"line1": "Hauptstrasse 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}
    r = client.post("/v1/customers", json={"name": word(), "country": "DE", "tax_id": vat, "billing_address": address})
    assert r.status_code == 201, r.text
    v2 = _get(client, "v2", "customers", r.json()["id"])
    assert v2["identifiers"] == [{"scheme": "vat", "value": vat, "country": "DE"}]
    assert v2["addresses"] == [{"kind": "billing", **address}]
    assert "tax_id" not in v2
    assert "billing_address" not in v2

    body = {
        "name": word(),
        "country": "US",
        "identifiers": [{"scheme": "ein", "value": "04-2103594"}],
        "addresses": [{"kind": "shipping", "city": "Boston"}, {"kind": "billing", "city": "Cambridge"}],
    }
    r = client.post("/v2/customers", json=body)
    assert r.status_code == 201, r.text
    v1 = _get(client, "v1", "customers", r.json()["id"])
    assert v1["tax_id"] == "042103594"  # the US tax number is the EIN
    assert v1["billing_address"]["city"] == "Cambridge"
    assert "identifiers" not in v1
    assert "addresses" not in v1


def test_a_v1_tax_id_that_fails_its_check_is_kept_as_written_and_still_links(client):
    """v1 took any text as a tax ID: such a value is kept (as identifier other:tax_id), not refused."""
    tax = unique("T")
    a = client.put(
        f"/v1/customers/sources/salesforce/{unique('s')}", json={"name": word(), "country": "FR", "tax_id": tax}
    )
    b = client.put(f"/v1/customers/sources/netsuite/{unique('n')}", json={"tax_id": tax, "country": "FR"})
    assert (b.json()["outcome"], b.json()["id"]) == ("linked", a.json()["id"])
    assert b.json()["match"] == {"rule": "key", "fields": ["tax_id", "country"], "id": a.json()["id"], "score": 1.0}
    assert _get(client, "v1", "customers", a.json()["id"])["tax_id"] == tax
    v2 = _get(client, "v2", "customers", a.json()["id"])
    assert v2["identifiers"] == [{"scheme": "other:tax_id", "value": tax, "country": "FR"}]


def test_a_v1_tax_id_replaces_the_one_v1_shows_and_an_unchecked_one_beside_it(client):
    """A record without a country may hold a VAT number (v2) and an unchecked tax ID (v1): a v1
    write of the tax ID replaces both, never refuses the record for holding two."""
    vat, tax = vat_de(), unique("T")
    body = {"name": word(), "identifiers": [{"scheme": "vat", "value": vat, "country": "DE"},
                                            {"scheme": "other:tax_id", "value": tax}]}  # fmt: skip
    made = client.post("/v2/customers", json=body)
    assert made.status_code == 201, made.text
    assert _get(client, "v1", "customers", made.json()["id"])["tax_id"] == vat
    new = unique("T")
    r = client.patch(f"/v1/customers/{made.json()['id']}", json={"tax_id": new}, headers={"If-Match": "*"})
    assert r.status_code == 200, r.text
    assert r.json()["tax_id"] == new
    assert _get(client, "v2", "customers", made.json()["id"])["identifiers"] == [
        {"scheme": "other:tax_id", "value": new}
    ]


def test_a_v1_tax_id_of_only_spaces_holds_no_identifier(client):
    """v1 took any text: a tax ID of blanks (a form's empty field) is accepted and keeps none."""
    number = f"HRB {random.randint(100000, 999999)}"  # not the OpenAPI example, which schemathesis sends too
    r = client.post("/v1/legal-entities", json={"name": word(), "country": "EE", "registration_number": number,
                                                "tax_id": "\f"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["tax_id"] is None
    assert r.json()["registration_number"] == number
    assert _get(client, "v2", "legal-entities", r.json()["id"])["identifiers"] == [
        {"scheme": "registration", "value": number, "country": "EE"}
    ]


def test_v2_only_values_survive_a_v1_source_upsert_and_a_v1_patch(client):
    vat, vat2 = vat_de(), vat_de()
    sf = unique("sf")
    number = duns()
    shipping = {"kind": "shipping", "line1": "Dock 4", "city": "Hamburg", "country": "DE"}
    body = {
        "name": "Brightwater Consulting",
        "country": "DE",
        "identifiers": [{"scheme": "vat", "value": vat}, {"scheme": "duns", "value": number}],
        "phones": [{"kind": "main", "number": "+49 30 1234567"}],
        "addresses": [{"kind": "billing", "line1": "Hauptstrasse 1", "city": "Berlin"}, shipping],
    }
    r = client.put(f"/v2/customers/sources/salesforce/{sf}", json=body)
    assert r.status_code == 200, r.text
    golden = r.json()["id"]
    kept = {"phones": [{"kind": "main", "number": "+49301234567"}], "duns": number, "shipping": shipping}

    def v2_only(record):
        ids = {i["scheme"]: i["value"] for i in record["identifiers"]}
        shipping_address = next(a for a in record["addresses"] if a["kind"] == "shipping")
        return {"phones": record["phones"], "duns": ids["duns"], "shipping": shipping_address}

    # the same source, through v1: its tax ID and billing address change, nothing else
    r = client.put(
        f"/v1/customers/sources/salesforce/{sf}",
        json={
            "name": "Brightwater Consulting",
            "country": "DE",
            "tax_id": f"{vat2[:5]} {vat2[5:]}",
            "billing_address": {"line1": "Neue Strasse 2", "city": "Berlin"},
        },
    )
    assert (r.status_code, r.json()["outcome"]) == (200, "updated"), r.text
    record = _get(client, "v2", "customers", golden)
    assert v2_only(record) == kept
    assert {i["scheme"]: i["value"] for i in record["identifiers"]}["vat"] == vat2
    assert next(a for a in record["addresses"] if a["kind"] == "billing")["line1"] == "Neue Strasse 2"

    # a steward's v1 PATCH overrides the tax ID alone; the DUNS goes on following its source
    version = _get(client, "v1", "customers", golden)["version"]
    r = client.patch(f"/v1/customers/{golden}", json={"tax_id": vat}, headers={"If-Match": f'"{version}"'})
    assert r.status_code == 200, r.text
    assert r.json()["tax_id"] == vat
    assert r.json()["overrides"] == ["tax_id"]
    record = _get(client, "v2", "customers", golden)
    assert v2_only(record) == kept
    assert record["overrides"] == ["identifiers.vat.DE"]
    newer = duns()
    r = client.put(
        f"/v2/customers/sources/salesforce/{sf}",
        json=body | {"identifiers": [{"scheme": "vat", "value": vat2}, {"scheme": "duns", "value": newer}]},
    )
    assert r.status_code == 200, r.text
    ids = {i["scheme"]: i["value"] for i in _get(client, "v2", "customers", golden)["identifiers"]}
    assert ids == {"vat": vat, "duns": newer}  # the override holds; the DUNS moved with its source
    lineage = {e["field"]: e for e in client.get(f"/v2/customers/{golden}/lineage").json()}
    assert lineage["identifiers.vat.DE"]["rule"] == "override"
    assert (lineage["identifiers.duns"]["rule"], lineage["identifiers.duns"]["source_id"]) == ("owner_priority", sf)
    v1_lineage = {e["field"]: e for e in client.get(f"/v1/customers/{golden}/lineage").json()}
    assert (v1_lineage["tax_id"]["rule"], v1_lineage["tax_id"]["value"]) == ("override", vat)

    # clearing the v1 field clears that slot
    version = _get(client, "v1", "customers", golden)["version"]
    r = client.patch(
        f"/v1/customers/{golden}", json={"overrides_cleared": ["tax_id"]}, headers={"If-Match": f'"{version}"'}
    )
    assert r.status_code == 200, r.text
    assert r.json()["tax_id"] == vat2
    assert r.json()["overrides"] == []


def test_an_employees_preferred_name_and_phones_survive_v1_writes(client):
    wd, number = unique("wd"), unique("E")
    body = {
        "employee_number": number,
        "name": {"given": "Margaret", "family": "Hamilton", "preferred": "Maggie"},
        "phones": [{"kind": "mobile", "number": "+44 7911 123456"}],
        "country": "GB",
    }
    r = client.put(f"/v2/employees/sources/workday/{wd}", json=body)
    assert r.status_code == 200, r.text
    golden = r.json()["id"]
    r = client.put(
        f"/v1/employees/sources/workday/{wd}",
        json={"employee_number": number, "given_name": "Margaret", "family_name": "Hamilton-Smith", "country": "GB"},
    )
    assert r.status_code == 200, r.text
    record = _get(client, "v2", "employees", golden)
    assert record["name"] == {"given": "Margaret", "family": "Hamilton-Smith", "preferred": "Maggie"}
    assert record["phones"] == [{"kind": "mobile", "number": "+447911123456"}]
    v1 = _get(client, "v1", "employees", golden)
    assert (v1["given_name"], v1["family_name"]) == ("Margaret", "Hamilton-Smith")
    version = v1["version"]
    r = client.patch(f"/v1/employees/{golden}", json={"given_name": "Meg"}, headers={"If-Match": f'"{version}"'})
    assert r.status_code == 200, r.text
    assert _get(client, "v2", "employees", golden)["name"] == {
        "given": "Meg",
        "family": "Hamilton-Smith",
        "preferred": "Maggie",
    }


def test_a_legal_entitys_v1_numbers_are_identifiers_in_v2(client):
    vat, register = vat_de(), f"HRB {unique()}"
    r = client.put(
        f"/v1/legal-entities/sources/netsuite/{unique('le')}",
        json={"name": f"{word()} GmbH", "country": "DE", "registration_number": register, "tax_id": vat},
    )
    assert r.status_code == 200, r.text
    record = _get(client, "v2", "legal-entities", r.json()["id"])
    assert sorted(record["identifiers"], key=lambda i: i["scheme"]) == [
        {"scheme": "registration", "value": register.upper(), "country": "DE"},
        {"scheme": "vat", "value": vat, "country": "DE"},
    ]
    same = client.put(
        f"/v2/legal-entities/sources/netsuite/{unique('le')}",
        json={
            "name": "Another name",
            "country": "DE",
            "identifiers": [{"scheme": "registration", "value": register.lower()}],
        },
    )
    assert (same.json()["outcome"], same.json()["id"]) == ("linked", r.json()["id"])


def test_an_error_names_the_field_of_the_callers_version(client):
    r = client.post(
        "/v2/customers",
        json={"name": word(), "country": "DE", "identifiers": [{"scheme": "vat", "value": "DE811907981"}]},
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["identifiers[0].value"]
    r = client.put(
        f"/v1/employees/sources/workday/{unique('w')}", json={"employee_number": unique("E"), "given_name": "Ada"}
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["family_name"]


def test_identifiers_link_across_systems_by_duns_and_different_vats_keep_records_apart(client):
    vat, vat2 = vat_de(), vat_de()
    number, name = duns(), f"{word()} Consulting GmbH"
    a = client.put(
        f"/v2/customers/sources/salesforce/{unique('s')}",
        json={"name": name, "country": "DE", "identifiers": [{"scheme": "duns", "value": number}]},
    )
    b = client.put(
        f"/v2/customers/sources/netsuite/{unique('n')}",
        json={"legal_name": "Someone Else Entirely", "identifiers": [{"scheme": "duns", "value": number}]},
    )
    assert (b.json()["outcome"], b.json()["id"]) == ("linked", a.json()["id"])
    assert b.json()["match"]["rule"] == "identifier"
    assert b.json()["match"]["identifier"] == {"scheme": "duns", "value": number}
    # the same name in the same country, but another vat number: another firm, not even a candidate
    c = client.put(
        f"/v2/customers/sources/salesforce/{unique('s')}",
        json={"name": name, "country": "DE", "identifiers": [{"scheme": "vat", "value": vat}]},
    )
    d = client.put(
        f"/v2/customers/sources/salesforce/{unique('s')}",
        json={"name": name, "country": "DE", "identifiers": [{"scheme": "vat", "value": vat2}]},
    )
    assert c.json()["id"] != d.json()["id"]
    # it may join or be queued beside the DUNS record (no VAT there), never beside the other VAT's
    assert (d.json()["match"] or {}).get("id") in (None, a.json()["id"])
    explained = client.post(
        "/v2/customers/match", json={"name": name, "country": "DE", "identifiers": [{"scheme": "vat", "value": vat}]}
    ).json()
    other = next(i for i in explained["items"] if i["id"] == d.json()["id"])
    tax = next(e for e in other["explanation"] if e["field"] == "tax")
    assert (tax["level"], tax["weight"] < 0) == ("else", True)  # two numbers of one scheme weigh against
    assert other["score"] < RULES["customer"].review


async def _race(base, requests):
    async with httpx.AsyncClient(base_url=base, timeout=60, auth=AUTH) as http:
        return await asyncio.gather(*(http.put(url, json=body) for url, body in requests))


def test_concurrent_upserts_sharing_an_identifier_make_one_golden_record(live_server):
    number = duns()
    requests = [
        (
            f"/v2/customers/sources/salesforce/{unique('race')}",
            {"name": f"Racer {word()}", "identifiers": [{"scheme": "duns", "value": number}]},
        )
        for _ in range(20)
    ]
    responses = asyncio.run(_race(live_server, requests))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses if r.status_code != 200]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sorted(r.json()["outcome"] for r in responses).count("created") == 1


def test_every_v1_answer_says_v1_is_deprecated_and_where_to_read_how_to_move(client):
    ok = client.get("/v1/customers", params={"limit": 1})
    refused = client.get("/v1/customers", headers={"Authorization": "Bearer nope"})
    for r in (ok, refused):
        assert r.headers["deprecation"] == "@1796601600"  # RFC 9745: 2026-12-07T00:00:00Z
        assert r.headers["sunset"] == "Fri, 31 Dec 2027 23:59:59 GMT"  # RFC 8594
        assert r.headers["link"] == '</docs/migrating-v1-to-v2.md>; rel="deprecation"; type="text/markdown"'
    current = client.get("/v2/customers", params={"limit": 1})
    assert current.status_code == 200
    assert "deprecation" not in current.headers
    assert "sunset" not in current.headers
    guide = client.get("/docs/migrating-v1-to-v2.md", headers={"Authorization": ""})
    assert guide.status_code == 200
    assert guide.headers["content-type"].startswith("text/markdown")
    for v1_field in ("tax_id", "billing_address", "registration_number", "given_name", "family_name"):
        assert f"`{v1_field}`" in guide.text


def test_the_deprecation_dates_are_settings():
    from mdm.settings import Settings

    s = Settings.from_env(v1_deprecation="2027-01-01T00:00:00Z", v1_sunset="2028-06-30T00:00:00Z")
    assert (s.v1_deprecation.year, s.v1_sunset.month) == (2027, 6)
    with pytest.raises(ValueError, match="after"):
        Settings.from_env(v1_deprecation="2027-01-01T00:00:00Z", v1_sunset="2026-01-01T00:00:00Z")


@pytest.mark.parametrize("path", ["/systems", "/policy", "/policy/versions", "/audit?limit=5",
                                  "/stewardship/candidates?limit=5", "/stewardship/quality"])  # fmt: skip
def test_the_endpoints_that_carry_no_record_answer_alike_in_both_versions(client, path):
    old, new = client.get(f"/v1{path}"), client.get(f"/v2{path}")
    assert (old.status_code, new.status_code) == (200, 200), new.text
    assert old.json() == new.json()


def test_bulk_resolve_and_merges_are_served_in_both_versions_and_answer_records_in_the_callers(client):
    def body():
        vat = [{"scheme": "vat", "value": vat_de()}]
        return {
            "name": word(),
            "country": "DE",
            "identifiers": vat,
            "phones": [{"kind": "main", "number": "030 7654321"}],
        }

    made = [client.post("/v2/customers", json=body()).json() for _ in range(2)]
    keys = [{"domain": "customer", "system": "mdm", "source_id": m["id"]} for m in made]
    for version in ("v1", "v2"):
        found = client.post(f"/{version}/resolve", json={"keys": keys})
        assert [i["id"] for i in found.json()["items"]] == [m["id"] for m in made]
    merged = client.post("/v1/customers/merge", json={"survivor_id": made[0]["id"], "merged_ids": [made[1]["id"]],
                                                      "picks": {"tax_id": made[1]["id"]}})  # fmt: skip
    assert merged.status_code == 200, merged.text
    record = merged.json()["record"]
    assert record["tax_id"] == made[1]["identifiers"][0]["value"]  # a v1 pick, answered in v1's shape
    assert "identifiers" not in record
    assert "phones" not in record
    undone = client.post(f"/v2/customers/{made[0]['id']}/unmerge", json={"merge_id": merged.json()["merge_id"]})
    assert undone.status_code == 200, undone.text
    assert undone.json()["record"]["identifiers"] == made[0]["identifiers"]
