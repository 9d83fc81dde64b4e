"""`mdm import`: CSV and NDJSON through ingestion, per-row rejects, batches that commit
whole, so a crash loses no accepted row and leaves no half-row."""

import asyncio
import json
import os
import random
import subprocess
import sys

import pytest

from mdm.db import repository
from mdm.db.engine import Database
from mdm.domains import BY_NAME
from mdm.importer import import_file
from tests.factory import unique, word


def _write_csv(path, rows, header):
    lines = [",".join(header)] + [",".join(str(r.get(h, "")) for h in header) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_cli_imports_csv_with_nested_columns_and_writes_rejects(tmp_path, database_url, client):
    tag = unique()
    rows = [
        {"source_id": f"{tag}-1", "name": "Northwind Traders", "country": "GB", "billing_address.city": "Leeds",
         "billing_address.country": "GB"},
        {"source_id": f"{tag}-2", "name": "Contoso", "country": "XX"},
        {"source_id": "", "name": "No id"},
        {"source_id": f"{tag}-3", "name": "Fabrikam", "country": "US", "industry": "Manufacturing"},
    ]  # fmt: skip
    src = tmp_path / "accounts.csv"
    _write_csv(
        src, rows, ["source_id", "name", "country", "industry", "billing_address.city", "billing_address.country"]
    )
    rejects = tmp_path / "rejects.ndjson"
    env = {**os.environ, "MDM_DATABASE_URL": database_url}
    proc = subprocess.run(
        [sys.executable, "-m", "mdm", "import", "customer", str(src), "--system", "salesforce",
         "--reject-file", str(rejects), "--contract", "v1"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # some rows were rejected
    assert "4 rows: 2 accepted" in proc.stderr
    bad = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert sorted((b["line"], b["errors"][0]["field"]) for b in bad) == [(3, "country"), (4, "source_id")]
    r = client.get("/v1/customers/resolve", params={"system": "salesforce", "source_id": f"{tag}-1"})
    assert r.json()["record"]["billing_address"] == {"city": "Leeds", "country": "GB", "line1": None, "line2": None,
                                                     "region": None, "postal_code": None}  # fmt: skip


def test_ndjson_import_is_idempotent(tmp_path, database_url, client):
    tag = unique()
    src = tmp_path / "workers.ndjson"
    families = [word() for _ in range(5)]  # different people: nothing for fuzzy matching to link
    lines = [{"source_id": f"{tag}-{i}", "employee_number": f"{tag}-{i}", "given_name": word(),
              "family_name": families[i], "start_date": f"2024-01-{i + 10}"} for i in range(5)]  # fmt: skip
    src.write_text("\n".join(json.dumps(x) for x in lines) + "\n{not json\n", encoding="utf-8")

    async def run():
        async with Database.opened(database_url) as db:
            first = await import_file(db, BY_NAME["employee"], src, "workday", batch_size=2, version="v1")
            second = await import_file(db, BY_NAME["employee"], src, "workday", batch_size=2, version="v1")
        return first, second

    first, second = asyncio.run(run())
    assert (first.accepted, first.rejected, first.outcomes) == (5, 1, {"created": 5})
    assert second.outcomes == {"unchanged": 5}
    r = client.get("/v1/employees/resolve", params={"system": "workday", "source_id": f"{tag}-4"})
    assert r.json()["record"]["family_name"] == families[4]


def test_a_crash_between_batches_keeps_every_committed_row(tmp_path, database_url, client):
    tag = unique()
    src = tmp_path / "crash.ndjson"
    src.write_text("\n".join(json.dumps({"source_id": f"{tag}-{i}", "name": f"Crash {word()}"}) for i in range(7)))

    def crash_after_first_batch(n):
        raise RuntimeError("killed")

    async def run(on_progress):
        async with Database.opened(database_url) as db:
            return await import_file(db, BY_NAME["customer"], src, "salesforce", batch_size=3, on_progress=on_progress)

    with pytest.raises(RuntimeError):
        asyncio.run(run(crash_after_first_batch))
    found = _found(client, [f"{tag}-{i}" for i in range(7)])
    assert found == [True] * 3 + [False] * 4
    report = asyncio.run(run(None))  # the rerun finishes the file
    assert report.outcomes == {"unchanged": 3, "created": 4}
    assert _found(client, [f"{tag}-{i}" for i in range(7)]) == [True] * 7


def test_a_crash_inside_a_batch_leaves_no_half_row(tmp_path, database_url, client, monkeypatch):
    """Golden rows, crosswalks and source records of a batch commit together or not at all."""
    tag = unique()
    brand = word()
    src = tmp_path / "half.ndjson"
    src.write_text("\n".join(json.dumps({"source_id": f"{tag}-{i}", "name": f"{brand} {word()}"}) for i in range(4)))

    async def failing_history(session, rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(repository, "insert_history", failing_history)

    async def run():
        async with Database.opened(database_url) as db:
            await import_file(db, BY_NAME["customer"], src, "salesforce", batch_size=10)

    with pytest.raises(RuntimeError):
        asyncio.run(run())
    assert _found(client, [f"{tag}-{i}" for i in range(4)]) == [False] * 4
    assert client.get("/v1/customers", params={"q": brand}).json()["items"] == []


def _found(client, source_ids):
    keys = [{"domain": "customer", "system": "salesforce", "source_id": s} for s in source_ids]
    items = client.post("/v1/resolve", json={"keys": keys}).json()["items"]
    return [i["status"] == "found" for i in items]


def test_db_upgrade_and_systems_commands(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    env = {**os.environ, "MDM_DATABASE_URL": url}
    up = subprocess.run([sys.executable, "-m", "mdm", "db", "upgrade"], env=env, capture_output=True, text=True)
    assert up.returncode == 0, up.stderr
    add = subprocess.run([sys.executable, "-m", "mdm", "systems", "add", "hubspot", "HubSpot (CRM)"], env=env,
                         capture_output=True, text=True)  # fmt: skip
    assert add.returncode == 0, add.stderr
    listed = subprocess.run([sys.executable, "-m", "mdm", "systems", "list"], env=env, capture_output=True, text=True)
    assert "hubspot\tHubSpot (CRM)" in listed.stdout.splitlines()
    again = subprocess.run([sys.executable, "-m", "mdm", "systems", "add", "hubspot", "x"], env=env,
                           capture_output=True, text=True)  # fmt: skip
    assert again.returncode != 0


def test_demo_command_loads_a_cross_referenced_estate(tmp_path):
    """The whole estate the README's first command loads: the demo checks its own counts."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    env = {**os.environ, "MDM_DATABASE_URL": url}
    proc = subprocess.run([sys.executable, "-m", "mdm", "demo", "--scale", "1.0"], env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "demo loaded:" in proc.stderr
    import sqlite3

    db = sqlite3.connect(tmp_path / "demo.db")
    counts = dict(db.execute("SELECT domain, count(DISTINCT golden_id) FROM crosswalk GROUP BY domain").fetchall())
    assert set(counts) == {"customer", "legal_entity", "project", "employee", "cost_center", "rate_card"}
    systems = {s for (s,) in db.execute("SELECT DISTINCT system FROM crosswalk")}
    assert systems == {"salesforce", "certinia", "netsuite", "workday"}
    orphans = db.execute(
        "SELECT count(*) FROM project p LEFT JOIN customer c ON c.id = p.customer_id "
        "WHERE p.customer_id IS NOT NULL AND c.id IS NULL"
    ).fetchone()[0]
    assert orphans == 0
    managed = db.execute("SELECT count(*) FROM employee WHERE manager_id IS NOT NULL").fetchone()[0]
    assert managed > 0


def test_unreadable_rows_go_to_the_reject_file(tmp_path, database_url):
    tag = unique()
    csv_file = tmp_path / "cards.csv"
    csv_file.write_text(
        "source_id,name,currency,effective_from,lines\n"
        f'{tag}-1,Std {tag},EUR,2025-01-01,"[{{""role"": ""A"", ""unit"": ""day"", ""rate"": ""900""}}]"\n'
        f"{tag}-2,Std2 {tag},EUR,2025-01-01,not-json\n",
        encoding="utf-8",
    )
    nd = tmp_path / "rows.ndjson"
    nd.write_text('[1, 2]\n"text"\n', encoding="utf-8")

    async def run():
        async with Database.opened(database_url) as db:
            return (await import_file(db, BY_NAME["rate_card"], csv_file, "netsuite"),
                    await import_file(db, BY_NAME["customer"], nd, "salesforce"))  # fmt: skip

    cards, customers = asyncio.run(run())
    assert (cards.accepted, cards.rejected) == (1, 1)
    assert (customers.accepted, customers.rejected) == (0, 2)
    reasons = [json.loads(line)["detail"] for line in (tmp_path / "cards.csv.rejects.ndjson").read_text().splitlines()]
    assert "not JSON" in reasons[0]


def test_keys_create_list_revoke(tmp_path):
    env = {**os.environ, "MDM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"}

    def mdm(*args):
        return subprocess.run(
            [sys.executable, "-m", "mdm", *args], env=env, capture_output=True, text=True, timeout=120
        )

    made = mdm("keys", "create", "--principal", "user:ann", "--role", "steward")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("mdm_")
    assert len(key) > 40
    listed = mdm("keys", "list")
    key_id, principal, roles, state = listed.stdout.strip().split("\t")
    assert (principal, roles, state) == ("user:ann", "steward", "active")
    assert key not in listed.stdout + listed.stderr  # the key is shown once, at creation
    assert mdm("keys", "revoke", key_id).returncode == 0
    assert mdm("keys", "list").stdout.strip().split("\t")[3].startswith("revoked")
    assert mdm("keys", "revoke", key_id).returncode != 0
    bad = mdm("keys", "create", "--principal", "salesforce")
    assert bad.returncode != 0
    assert "system:<code>" in bad.stderr


def _uk_mobile_line() -> int:
    """The last six digits of a valid UK mobile number 07911 ......, drawn at random."""
    import phonenumbers

    while True:
        line = random.randint(0, 999_999)
        if phonenumbers.is_valid_number(phonenumbers.parse(f"07911 {line:06d}", "GB")):
            return line


def test_a_v2_csv_takes_lists_as_json_and_parts_as_dotted_columns(tmp_path, database_url, client):
    tag, number = unique(), f"{random.randint(0, 999_999_999):09d}"
    # a person of this test's own (another test's Margaret Hamilton with one phone would link)
    family, line = "Hamilton-" + "".join(random.choices("bcdfghjklmnpqrstvwz", k=6)).title(), _uk_mobile_line()
    src = tmp_path / "workers.csv"
    src.write_text(
        "source_id,employee_number,name.given,name.family,name.preferred,phones,country\n"
        f'{tag},{tag},Margaret,{family},Maggie,"[{{""kind"": ""mobile"", ""number"": ""07911 {line:06d}""}}]",GB\n',
        encoding="utf-8",
    )
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "source_id,name,country,identifiers\n"
        f'{tag},Northwind {tag},GB,"[{{""scheme"": ""duns"", ""value"": ""{number}""}}]"\n',
        encoding="utf-8",
    )

    async def run():
        async with Database.opened(database_url) as db:
            people = await import_file(db, BY_NAME["employee"], src, "workday")
            firms = await import_file(db, BY_NAME["customer"], accounts, "salesforce")
        return people, firms

    people, firms = asyncio.run(run())
    assert (people.accepted, firms.accepted) == (1, 1), (people, firms)
    person = client.get("/v2/employees/resolve", params={"system": "workday", "source_id": tag}).json()["record"]
    assert person["name"] == {"given": "Margaret", "family": family, "preferred": "Maggie"}
    assert person["phones"] == [{"kind": "mobile", "number": f"+447911{line:06d}"}]
    firm = client.get("/v2/customers/resolve", params={"system": "salesforce", "source_id": tag}).json()["record"]
    assert firm["identifiers"] == [{"scheme": "duns", "value": number}]


def test_import_url_sends_the_file_through_a_running_hubs_bulk_endpoint(tmp_path, live_server, client):
    """`mdm import --url`: the rows go through HTTP as the system (its key), the hub decides
    each; rejects are written as a local import writes them; a rerun is answered from the
    Idempotency-Keys of its calls, not applied again."""
    from tests.auth import AUTH

    tag = unique()
    names = {f"{tag}-{n}": "".join(random.choices("bcdfghjklmnpqrstvwz", k=5)).title() + " Remote Ltd" for n in (1, 3)}
    rows = [
        {"source_id": f"{tag}-1", "name": names[f"{tag}-1"], "country": "GB"},
        {"source_id": f"{tag}-2", "name": "Bad Country", "country": "XX"},
        {"source_id": f"{tag}-3", "name": names[f"{tag}-3"], "country": "IE"},
    ]
    src = tmp_path / "remote.csv"
    _write_csv(src, rows, ["source_id", "name", "country"])
    rejects = tmp_path / "remote-rejects.ndjson"
    env = {
        **os.environ,
        "MDM_API_KEY": AUTH.keys["system:salesforce"],
        "MDM_DATABASE_URL": "sqlite+aiosqlite:////nonexistent/x.db",
    }
    cmd = [sys.executable, "-m", "mdm", "import", "customer", str(src), "--system", "salesforce", "--contract", "v1",
           "--url", live_server, "--reject-file", str(rejects), "--batch-size", "2"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1, done.stderr  # one row rejected
    assert "3 rows: 2 accepted (2 created), 1 rejected" in done.stderr
    [reject] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert (reject["line"], reject["source_id"], reject["errors"][0]["field"]) == (3, f"{tag}-2", "country")
    ids = {sid: client.get("/v1/customers/resolve", params={"system": "salesforce", "source_id": sid}).json()["id"]
           for sid in names}  # fmt: skip
    assert client.get(f"/v1/customers/{ids[f'{tag}-1']}").json()["name"] == names[f"{tag}-1"]
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert "3 rows: 2 accepted (2 created), 1 rejected" in again.stderr  # the same answers, replayed
    refused = subprocess.run([*cmd[:-4], "--system", "netsuite"], capture_output=True, text=True, timeout=120, env=env)
    assert refused.returncode == 1
    assert "the hub refused the import: 403" in refused.stderr
