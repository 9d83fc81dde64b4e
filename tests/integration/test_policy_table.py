"""The default policy, cell by cell, through the HTTP API: every system x domain x field for
`write`, every system x domain for `create`, every role x domain x field for `read`.

The expected table is written out here from the issue's ownership table, not read from the
policy, so a wrong default policy (or a wrong engine) fails these tests. The policy names the
canonical model's fields, so these tests speak contract v2.
"""

from typing import Any

import pytest

from mdm.domains import BY_NAME, DOMAINS
from tests.auth import bearer
from tests.factory import _value, duns, unique, word

SYSTEMS = ("salesforce", "certinia", "netsuite", "workday")
ALL = "*"

# system -> domain -> fields it may write (ALL: every field), from the table plus the
# identifiers a second system sends to link its record (README: "Who owns what")
WRITES: dict[str, dict[str, set[str] | str]] = {
    "salesforce": {
        "customer": {
            "name",
            "legal_name",
            "website",
            "industry",
            "addresses",
            "phones",
            "parent_id",
            "identifiers",
            "country",
            "status",
        },
    },
    "netsuite": {
        "customer": {"identifiers", "currency", "legal_name", "country", "status"},
        "legal_entity": ALL,
        "cost_center": ALL,
        "rate_card": ALL,
        "project": {
            "legal_entity_id",
            "cost_center_id",
            "rate_card_id",
            "contract_value",
            "currency",
            "code",
            "customer_id",
        },
        "employee": {"cost_rate", "employee_number"},
    },
    "certinia": {
        "project": {
            "code",
            "name",
            "customer_id",
            "manager_id",
            "billing_model",
            "start_date",
            "end_date",
            "status",
        },
    },
    "workday": {"employee": {n for n in BY_NAME["employee"].field_names if n != "cost_rate"}},
}
CREATES = {("salesforce", "customer"), ("netsuite", "legal_entity"), ("netsuite", "cost_center"),
           ("netsuite", "rate_card"), ("certinia", "project"), ("workday", "employee")}  # fmt: skip
HIDDEN_FROM = {"reader": {"employee.cost_rate"}, "admin": {"employee.cost_rate"}, "finance": set(), "steward": set()}


def may_write(system: str, domain: str, field: str) -> bool:
    fields = WRITES.get(system, {}).get(domain, set())
    return fields == ALL or field in fields


def _path(domain: str, system: str, source_id: str) -> str:
    return f"/v2/{BY_NAME[domain].path}/sources/{system}/{source_id}"


class Estate:
    """Source records each system keeps linked to one golden record per domain, made once."""

    def __init__(self, client: Any, factory: Any):
        self.client, self.factory = client, factory
        self.refs: dict[str, str] = {}
        self.linked: dict[tuple[str, str], tuple[str, dict[str, Any], str]] = {}  # -> source id, base, golden

    def ref(self, domain: str) -> str:
        if domain not in self.refs:
            self.refs[domain] = self.factory.create(domain)
        return self.refs[domain]

    def value(self, domain: str, field: str) -> Any:
        f = BY_NAME[domain].field(field)
        if f.kind == "ref":
            return self.ref(f.ref or "")
        if f.kind == "enum":
            return f.choices[0]
        return _value(f, word(16))  # ULIDs of one millisecond look alike to fuzzy matching

    def put(self, domain: str, system: str, source_id: str, body: dict[str, Any]) -> Any:
        return self.client.put(_path(domain, system, source_id), json=body)

    def owner_record(self, domain: str) -> tuple[str, dict[str, Any]]:
        """A payload the domain's creating system sends for a new record."""
        d = BY_NAME[domain]
        body = {f.name: self.value(domain, f.name) for f in d.fields if f.required}
        return body, next(s for s, dom in CREATES if dom == domain)

    def link(self, system: str, domain: str) -> tuple[str, dict[str, Any], str]:
        """This system's source record, linked to a golden record (its base payload kept)."""
        if (system, domain) in self.linked:
            return self.linked[(system, domain)]
        body, creator = self.owner_record(domain)
        if system != creator:  # a second system links to the creator's record through key fields it may send
            _, body, golden = self.link(creator, domain)
            key = {"customer": ("identifiers",), "project": ("code",), "employee": ("employee_number",)}[domain]
            base = {k: body[k] for k in key}
            source_id = unique("l")
            r = self.put(domain, system, source_id, base)
            assert r.status_code == 200, r.text
            assert (r.json()["outcome"], r.json()["id"]) == ("linked", golden)
            self.linked[(system, domain)] = (source_id, base, golden)
            return self.linked[(system, domain)]
        if domain == "customer":
            body |= {"identifiers": [{"scheme": "duns", "value": duns()}], "country": "DE"}
        creator_id = unique("c")
        r = self.put(domain, creator, creator_id, body)
        assert r.status_code == 200, r.text
        self.linked[(system, domain)] = (creator_id, body, r.json()["id"])
        return self.linked[(system, domain)]


@pytest.fixture(scope="module")
def estate(client, factory) -> Estate:
    return Estate(client, factory)


# a system with no right in a domain links nothing and creates nothing there: its records
# are held (test_create below, tests/integration/test_held_records.py)
WRITE_CASES = [(s, d.name, f.name) for s in SYSTEMS for d in DOMAINS for f in d.fields
               if any(may_write(s, d.name, n) for n in d.field_names)]  # fmt: skip


REFUSED = {("workday", "employee", "cost_rate")}  # the policy's write deny: never sent by that system


@pytest.mark.parametrize(("system", "domain", "field"), WRITE_CASES, ids=lambda v: v)
def test_write_each_field(estate, client, system, domain, field):
    """A system sends whole records: a field it owns is written, one it does not own is
    contributed (kept, said so, never displacing an owner's value), and one the policy
    refuses it refuses the whole write, audited, with nothing written."""
    source_id, base, golden = estate.link(system, domain)
    path = BY_NAME[domain].path
    before = client.get(f"/v2/{path}/{golden}").json()
    chosen = {e["field"]: e["rule"] for e in client.get(f"/v2/{path}/{golden}/lineage").json()}
    value = estate.value(domain, field)
    r = estate.put(domain, system, source_id, base | {field: value})
    # an identifier is decided by its scheme, which may have owners of its own
    named = f"identifiers.{value[0]['scheme']}" if field == "identifiers" else field
    if (system, domain, field) not in REFUSED:
        assert r.status_code == 200, r.text
        assert r.json()["id"] == golden
        owned = may_write(system, domain, field)
        assert r.json()["contributed"] == ([] if owned else [named])
        if owned:
            return
        after = client.get(f"/v2/{path}/{golden}").json()
        lineage = [e for e in client.get(f"/v2/{path}/{golden}/lineage").json() if e["field"].startswith(field)]
        mine = (system, source_id)
        if chosen.get(field, "none") not in ("none", "default"):  # a source's value (list fields: per slot)
            assert after[field] == before[field]  # an owner's value stands
            assert any((c["system"], c["source_id"]) == mine for e in lineage for c in e["contributed"])
        else:  # no owner has one: the contribution fills it, marked as such
            assert any((e["rule"], e["system"], e["source_id"]) == ("contributed", *mine) for e in lineage) or any(
                (c["system"], c["source_id"]) == mine for e in lineage for c in e["contributed"]
            ), lineage
        estate.put(domain, system, source_id, base)  # back to the base payload for the next field
        return
    assert r.status_code == 403, r.text
    problem = r.json()
    assert problem["status"] == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    denied = {e["field"]: e for e in problem["errors"]}
    assert set(denied) == {named}
    owners = {f"system:{s}" for s in SYSTEMS if may_write(s, domain, field)}
    assert set(denied[named]["owners"]) == owners
    # nothing was written: not the golden record, not the source, not a crosswalk
    assert client.get(f"/v2/{path}/{golden}").json() == before
    # ... but the audit log has the denied write, under the golden record, the source key in its detail
    audit = client.get("/v1/audit", params={"principal": f"system:{system}", "outcome": "denied", "limit": 5})
    assert any(
        row["domain"] == domain
        and row["record_id"] == golden
        and named in row["fields"]
        and f"{system}/{source_id}" in row["detail"]
        for row in audit.json()["items"]
    ), audit.text


CREATE_CASES = [(s, d.name) for s in SYSTEMS for d in DOMAINS if any(may_write(s, d.name, f) for f in d.field_names)]


@pytest.mark.parametrize(("system", "domain"), CREATE_CASES, ids=lambda v: v)
def test_create(estate, client, system, domain):
    """A record no key matches: made only by a system with `create` on the domain (a system
    with no right in a domain is refused on its fields first: test_write_each_field)."""
    body, _ = estate.owner_record(domain)
    if domain == "customer":
        body |= {"identifiers": [{"scheme": "duns", "value": duns()}], "country": "DE"}
    body = {k: v for k, v in body.items() if may_write(system, domain, k)}
    assert body, f"{system} may write none of the fields that make or find a {domain}"
    source_id = unique("n")
    r = estate.put(domain, system, source_id, body)
    if (system, domain) in CREATES:
        assert r.status_code == 200, r.text
        assert r.json()["outcome"] == "created"
    else:  # kept whole, joined to nothing: held, and resolve says so
        assert r.status_code == 202, r.text
        assert (r.json()["outcome"], r.json()["held"]["reason"]) == ("held", "no_create_right")
        assert f"may not create {domain}" in r.json()["held"]["detail"]
        resolved = client.get(f"/v2/{BY_NAME[domain].path}/resolve", params={"system": system, "source_id": source_id})
        assert resolved.status_code == 404
        assert resolved.json()["title"] == "Source record held"


READERS = ("reader", "steward", "finance", "admin")


@pytest.fixture(scope="module")
def role_keys(database_url):
    """Keys holding exactly one role each (the shared test keys mix some)."""
    import asyncio

    from mdm.auth.keys import create_key
    from mdm.db.engine import Database

    async def make():
        async with Database.opened(database_url) as db:
            return {role: (await create_key(db, f"user:only-{role}", [role]))[1] for role in READERS}

    return asyncio.run(make())


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("domain", [d.name for d in DOMAINS])
def test_read_each_field(estate, client, role_keys, role, domain):
    golden = estate.link(next(s for s, d in CREATES if d == domain), domain)[2]
    if domain == "employee":  # make sure there is a cost rate to hide
        source_id, base, _ = estate.link("netsuite", "employee")
        assert estate.put("employee", "netsuite", source_id, base | {"cost_rate": "812.75"}).status_code == 200
    headers = {"Authorization": f"Bearer {role_keys[role]}"}
    record = client.get(f"/v2/{BY_NAME[domain].path}/{golden}", headers=headers)
    assert record.status_code == 200, record.text
    shown = set(record.json())
    for name in BY_NAME[domain].field_names:
        hidden = f"{domain}.{name}" in HIDDEN_FROM[role]
        assert (name not in shown) == hidden, f"{role} reading {domain}.{name}"
    if domain == "employee" and role in ("steward", "finance"):
        assert record.json()["cost_rate"] == "812.75"


@pytest.mark.parametrize("v", ["v1", "v2"])
def test_cost_rate_cannot_be_read_another_way(estate, client, role_keys, v):
    """Resolve, list, history, lineage and a system's own read all leave cost_rate out for a
    reader, in every contract version."""
    source_id, base, golden = estate.link("netsuite", "employee")
    assert estate.put("employee", "netsuite", source_id, base | {"cost_rate": "901.25"}).status_code == 200
    for headers in ({"Authorization": f"Bearer {role_keys['reader']}"}, bearer("system:netsuite")):
        resolved = client.get(f"/{v}/employees/resolve", params={"system": "netsuite", "source_id": source_id},
                              headers=headers)  # fmt: skip
        assert resolved.status_code == 200
        assert "cost_rate" not in resolved.json()["record"]
        listed = client.get(f"/{v}/employees", params={"limit": 500}, headers=headers).json()["items"]
        assert listed
        assert all("cost_rate" not in item for item in listed)
        history = client.get(f"/{v}/employees/{golden}/history", headers=headers).json()
        assert history
        assert all("cost_rate" not in h["data"] for h in history)
        lineage = client.get(f"/{v}/employees/{golden}/lineage", headers=headers).json()
        assert "cost_rate" not in {e["field"] for e in lineage}
        assert "901.25" not in client.get(f"/{v}/employees/{golden}/history", headers=headers).text
    steward = client.get(f"/{v}/employees/{golden}/lineage", headers=bearer("user:steward")).json()
    assert {e["field"]: e["value"] for e in steward}["cost_rate"] == "901.25"
