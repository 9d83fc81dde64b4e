"""The policy as data: read it, change it (admins only, with If-Match), its history and
audit, explain, dry-run, survivorship following it, and a change reaching every worker."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from mdm.policy.rules import DEFAULT_TEXT
from tests.auth import AUTH, bearer
from tests.conftest import serving
from tests.factory import unique

ADMIN = bearer


def _current(client) -> tuple[str, str]:
    r = client.get("/v1/policy")
    assert r.status_code == 200
    return r.json()["text"], r.headers["etag"]


def _put(client, text: str, etag: str = "*", principal: str = "user:admin", comment: str | None = None):
    body = {"text": text} | ({"comment": comment} if comment else {})
    return client.put("/v1/policy", json=body, headers=bearer(principal) | {"If-Match": etag})


@contextmanager
def adopted(client, text: str) -> Iterator[dict]:
    """Adopt `text` for the block, then put the default back (other tests expect it)."""
    r = _put(client, text)
    assert r.status_code == 200, r.text
    try:
        yield r.json()
    finally:
        assert _put(client, DEFAULT_TEXT, comment="restore the default").status_code == 200


def _swap(text: str, first: str, second: str) -> str:
    """The text with two whole lines swapped (owner priority is line order)."""
    lines = text.splitlines()
    i, j = lines.index(first), lines.index(second)
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines) + "\n"


NS_COUNTRY = "p, system:netsuite, customer, country, write, allow"
SF_COUNTRY = "p, system:salesforce, customer, country, write, allow"


def _customer_from_both(client, sf_country: str, ns_country: str) -> tuple[str, str, str]:
    tax, sf, ns = unique("T"), unique("sf"), unique("ns")
    r = client.put(
        f"/v1/customers/sources/salesforce/{sf}", json={"name": "Acme", "tax_id": tax, "country": sf_country}
    )
    assert r.status_code == 200, r.text
    golden = r.json()["id"]
    # the ERP links by tax id and country: its country must match for the key, then differs later
    r = client.put(f"/v1/customers/sources/netsuite/{ns}", json={"tax_id": tax, "country": sf_country})
    assert r.json()["id"] == golden, r.text
    r = client.put(f"/v1/customers/sources/netsuite/{ns}", json={"tax_id": tax, "country": ns_country})
    assert r.status_code == 200, r.text
    return golden, sf, ns


def test_get_policy_shows_rules_owners_and_an_etag(client):
    r = client.get("/v1/policy", headers=bearer("user:reader"))
    assert r.status_code == 200
    body = r.json()
    assert r.headers["etag"] == f'"{body["version"]}"'
    assert body["owners"]["customer"]["country"] == ["netsuite", "salesforce"]
    assert body["owners"]["customer"]["name"] == ["salesforce"]
    assert body["owners"]["employee"]["cost_rate"] == ["netsuite"]
    assert body["owners"]["employee"]["name"] == ["workday"]
    # the policy names the canonical model's fields; an identifier scheme has owners of its own
    assert body["owners"]["customer"]["identifiers.vat"] == ["netsuite", "salesforce"]
    assert body["owners"]["customer"]["identifiers.duns"] == ["salesforce", "netsuite"]
    line = next(rule for rule in body["rules"] if rule["subject"] == "role:reader" and rule["effect"] == "deny")
    assert (line["domain"], line["field"], line["action"]) == ("employee", "cost_rate", "read")


def test_only_admins_change_the_policy_and_only_with_a_current_etag(client):
    text, etag = _current(client)
    assert _put(client, text, etag, principal="user:steward").status_code == 403
    no_etag = client.put("/v1/policy", json={"text": text}, headers=bearer("user:admin"))
    assert no_etag.status_code == 428
    stale = _put(client, text, '"1"' if etag != '"1"' else '"999"')
    assert stale.status_code == 412
    assert _current(client)[1] == etag  # nothing adopted


def test_a_bad_policy_is_422_naming_each_line_and_nothing_changes(client):
    text, etag = _current(client)
    bad = text + "p, system:salesforce, customer, shoe_size, write, allow\np, role:reader, invoice, *, read, allow\n"
    r = _put(client, bad, etag)
    assert r.status_code == 422
    n = len(text.splitlines())
    assert {(e["field"], e["message"]) for e in r.json()["errors"]} == {
        (f"line {n + 1}", "'shoe_size' is not a field of customer"),
        (f"line {n + 2}", "unknown domain 'invoice' (one of customer, legal_entity, project, employee, "
                          "cost_center, rate_card, or *)"),
    }  # fmt: skip
    assert _current(client) == (text, etag)


def test_survivorship_follows_the_policy_and_a_change_recomputes_records(client):
    golden, _, _ = _customer_from_both(client, sf_country="FR", ns_country="DE")
    record = client.get(f"/v1/customers/{golden}").json()
    assert record["country"] == "DE"  # netsuite is listed first for country
    version_before = record["version"]
    with adopted(client, _swap(DEFAULT_TEXT, NS_COUNTRY, SF_COUNTRY)) as policy:
        assert policy["owners"]["customer"]["country"] == ["salesforce", "netsuite"]
        record = client.get(f"/v1/customers/{golden}").json()
        assert record["country"] == "FR"
        assert record["version"] == version_before + 1
        lineage = {e["field"]: e for e in client.get(f"/v1/customers/{golden}/lineage").json()}
        assert (lineage["country"]["system"], lineage["country"]["rule"]) == ("salesforce", "owner_priority")
        history = client.get(f"/v1/customers/{golden}/history").json()
        assert history[0]["action"] == "policy"
        assert history[0]["principal"] == "user:admin"
    assert client.get(f"/v1/customers/{golden}").json()["country"] == "DE"  # the default is back


def test_a_policy_change_grants_and_revokes_write_rights(client):
    sf = unique("sf")
    assert client.put(f"/v1/customers/sources/salesforce/{sf}", json={"name": "Old Name"}).status_code == 200
    no_owner = DEFAULT_TEXT.replace("p, system:salesforce, customer, website, write, allow\n", "")
    with adopted(client, no_owner):  # no line: the website is contributed
        r = client.put(f"/v1/customers/sources/salesforce/{sf}", json={"name": "New Name", "website": "https://x.io"})
        assert (r.status_code, r.json()["contributed"]) == (200, ["website"])
    refused = no_owner + "p, system:salesforce, customer, website, write, deny\n"
    with adopted(client, refused):  # a deny: the whole write is refused
        r = client.put(f"/v1/customers/sources/salesforce/{sf}", json={"name": "Newer", "website": "https://y.io"})
        assert r.status_code == 403
        assert r.json()["errors"] == [
            {"field": "website", "message": "refused for system:salesforce; owned by no system", "owners": []}
        ]
    r = client.put(f"/v1/customers/sources/salesforce/{sf}", json={"name": "Newer", "website": "https://y.io"})
    assert (r.status_code, r.json()["contributed"]) == (200, [])


def test_the_adopting_worker_reads_under_the_new_policy_at_once(client):
    """The change is read into this worker's cache after it commits, before the answer."""
    sf = unique("sf")
    golden = client.put(f"/v1/customers/sources/salesforce/{sf}", json={"name": "At Once"}).json()["id"]
    text = DEFAULT_TEXT.replace("p, role:reader, *, *, read, allow\n", "p, role:reader, customer, name, read, allow\n")
    with adopted(client, text):
        record = client.get(f"/v1/customers/{golden}", headers=bearer("user:reader")).json()
        assert set(record) == {"id", "version", "created_at", "updated_at", "name", "overrides"}
    assert "status" in client.get(f"/v1/customers/{golden}", headers=bearer("user:reader")).json()


def test_each_change_is_versioned_and_audited(client):
    before_text, etag = _current(client)
    before = int(etag.strip('"'))
    text = before_text.replace(SF_COUNTRY + "\n", "")
    with adopted(client, text) as policy:
        assert policy["version"] == before + 1
    versions = client.get("/v1/policy/versions").json()
    assert [v["version"] for v in versions[:2]] == [before + 2, before + 1]
    assert versions[1]["created_by"] == "user:admin"
    old = client.get(f"/v1/policy/versions/{before + 1}").json()
    assert SF_COUNTRY not in old["text"]
    assert old["owners"]["customer"]["country"] == ["netsuite"]
    rows = client.get("/v1/audit", params={"action": "policy_change", "limit": 2}).json()["items"]
    change = next(r for r in rows if r["record_id"] == f"policy/{before + 1}")
    assert change["principal"] == "user:admin"
    assert change["outcome"] == "adopted"
    detail = json.loads(change["detail"])
    assert (detail["before_version"], detail["after_version"]) == (before, before + 1)
    assert detail["removed"] == [SF_COUNTRY]
    assert detail["added"] == []
    assert client.get("/v1/policy/versions/999999").status_code == 404


@pytest.mark.parametrize(
    ("query", "allowed", "line_text", "owners"),
    [
        ({"principal": "system:salesforce", "domain": "customer", "field": "identifiers.vat", "action": "write"},
         True, "p, system:salesforce, customer, identifiers, write, allow", ["system:netsuite", "system:salesforce"]),
        ({"principal": "system:salesforce", "domain": "customer", "field": "currency", "action": "write"},
         False, None, ["system:netsuite"]),
        ({"principal": "system:workday", "domain": "employee", "field": "cost_rate", "action": "write"},
         False, "p, system:workday, employee, cost_rate, write, deny", ["system:netsuite"]),
        ({"principal": "user:ann", "roles": "reader", "domain": "employee", "field": "cost_rate", "action": "read"},
         False, "p, role:reader, employee, cost_rate, read, deny", ["system:netsuite"]),
        ({"principal": "user:ann", "roles": "reader,finance", "domain": "employee", "field": "cost_rate",
          "action": "read"}, True, "p, role:finance, *, *, read, allow", ["system:netsuite"]),
        ({"principal": "user:steward", "domain": "customer", "action": "merge"},
         True, "p, role:steward, *, *, merge, allow", []),
        ({"principal": "system:salesforce", "domain": "customer", "action": "merge"}, False, None, []),
    ],
)  # fmt: skip
def test_explain_names_the_deciding_rule(client, query, allowed, line_text, owners):
    r = client.get("/v1/policy/explain", params=query)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["allowed"] is allowed
    assert body["owners"] == owners
    if query.get("action") == "write" and not allowed:  # what a source record that sends it meets
        assert ("contributed" if line_text is None else "refused whole") in body["reason"]
    if line_text is None:
        assert body["decided_by"] is None
        assert "deny by default" in body["reason"]
    else:
        assert body["decided_by"]["rule"] == line_text
        in_force, _ = _current(client)  # the line number is one of the policy in force
        assert in_force.splitlines()[body["decided_by"]["line"] - 1] == line_text


def test_explain_takes_a_principals_roles_from_its_keys_and_checks_its_question(client):
    r = client.get("/v1/policy/explain", params={"principal": "user:steward", "domain": "employee",
                                                  "field": "cost_rate", "action": "read"})  # fmt: skip
    assert r.json()["allowed"] is True
    assert "role:steward" in r.json()["subjects"]
    bad = client.get("/v1/policy/explain", params={"principal": "nobody", "domain": "invoice", "field": "x",
                                                    "action": "delete"})  # fmt: skip
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"principal", "domain", "action"}


def test_dry_run_shows_denied_writes_and_value_changes_and_writes_nothing(client):
    golden, _, _ = _customer_from_both(client, sf_country="IT", ns_country="ES")
    sf = unique("sf")
    assert client.put(f"/v1/customers/sources/salesforce/{sf}",
                      json={"name": "Web Co", "website": "https://web.example"}).status_code == 200  # fmt: skip
    proposed = _swap(DEFAULT_TEXT, NS_COUNTRY, SF_COUNTRY).replace(
        "p, system:salesforce, customer, website, write, allow\n",
        "p, system:salesforce, customer, website, write, deny\n",
    )
    text, etag = _current(client)
    r = client.post("/v1/policy/dry-run", json={"text": proposed, "days": 1, "limit": 5000},
                    headers=bearer("user:admin"))  # fmt: skip
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["outcome"] == "has_effect"
    denied = [d for d in report["denied"] if d["record_id"] and d["principal"] == "system:salesforce"]
    website_writes = [d for d in denied if d["fields"] == ["website"]]
    assert website_writes, "the salesforce upsert with a website would have been denied"
    assert {"domain": "customer", "field": "country", "current": ["netsuite", "salesforce"],
            "proposed": ["salesforce", "netsuite"]} in report["owner_changes"]  # fmt: skip
    change = next(c for c in report["value_changes"] if c["id"] == golden)
    assert (change["field"], change["current_value"], change["proposed_value"]) == ("country", "ES", "IT")
    assert (change["current_system"], change["proposed_system"]) == ("netsuite", "salesforce")
    # nothing was adopted or recomputed
    assert _current(client) == (text, etag)
    assert client.get(f"/v1/customers/{golden}").json()["country"] == "ES"
    assert client.post("/v1/policy/dry-run", json={"text": proposed}, headers=bearer("user:steward")).status_code == 403


def test_dry_run_of_the_policy_in_force_has_no_effect(client):
    text, _ = _current(client)
    report = client.post("/v1/policy/dry-run", json={"text": text}, headers=bearer("user:admin")).json()
    assert report["outcome"] == "no_effect"
    assert report["denied_total"] == 0
    assert report["value_changes_total"] == 0
    assert report["owner_changes"] == []


def test_a_change_reaches_every_worker_without_a_restart(database_url, api_keys, client):
    """Two worker processes: writes see a change at once, reads within about a second."""
    sf = unique("sf")
    assert client.put(f"/v1/customers/sources/salesforce/{sf}", json={"name": "Spread"}).status_code == 200
    text = DEFAULT_TEXT.replace("p, system:salesforce, customer, industry, write, allow\n",
                                "p, system:salesforce, customer, industry, write, deny\n")  # fmt: skip
    text = text.replace("p, role:reader, *, *, read, allow\n", "p, role:reader, customer, name, read, allow\n")
    with serving(database_url, "--workers", "2") as base, httpx.Client(base_url=base, auth=AUTH) as http:
        golden = http.get("/v1/customers/resolve", params={"system": "salesforce", "source_id": sf}).json()["id"]
        # warm both workers' caches under the default policy
        for _ in range(20):
            assert "status" in http.get(f"/v1/customers/{golden}", headers=bearer("user:reader")).json()
        with adopted(client, text):
            writes = [
                http.put(f"/v1/customers/sources/salesforce/{sf}", json={"name": "Spread", "industry": "Retail"})
                for _ in range(20)
            ]
            assert {w.status_code for w in writes} == {403}
            time.sleep(1.2)  # a read now starts each worker's background check ...
            for _ in range(10):
                http.get(f"/v1/customers/{golden}", headers=bearer("user:reader"))
            time.sleep(0.5)  # ... which has finished by now
            reads = [http.get(f"/v1/customers/{golden}", headers=bearer("user:reader")).json() for _ in range(20)]
            assert all(set(r) == {"id", "version", "created_at", "updated_at", "name", "overrides"} for r in reads)
