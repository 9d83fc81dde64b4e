"""Revisions are frozen: a hub keeps upgrading after the code gains a field and a domain.

Today's code "after a change" is the test descriptors in tests/extension (a `duns` field on
customer, a seventh domain `vendor`), each with the revision `mdm db revision` wrote for it,
registered through MDM_DOMAIN_MODULES. Everything runs as a user would: `mdm db upgrade`
and `mdm serve` in their own processes, the records written and read over HTTP."""

import asyncio
import os
import re
import subprocess
import sys

import httpx

from mdm.auth.keys import create_key
from mdm.db.engine import Database
from mdm.db.migrate import VERSIONS, upgrade
from tests.conftest import fresh_database, serving

IMPORTS_MDM = re.compile(r"^\s*(import|from) (mdm|stewardship)\b", re.M)
CHANGED = {"MDM_DOMAIN_MODULES": "tests.extension.customer_duns,tests.extension.vendor"}


def _mdm(url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mdm", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MDM_DATABASE_URL": url, **(env or {})},
    )


def _keys(url: str) -> dict[str, str]:
    async def make() -> dict[str, str]:
        async with Database.opened(url) as db:
            return {
                p: (await create_key(db, p, roles))[1]
                for p, roles in (
                    ("system:salesforce", ["reader"]),
                    ("system:netsuite", ["reader"]),
                    ("user:steward", ["steward"]),
                )
            }

    return asyncio.run(make())


def _as(keys: dict[str, str], principal: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys[principal]}"}


def _schema_diff(url: str) -> str:
    """What the migrated schema lacks or has beyond today's (changed) descriptors' tables."""
    script = (
        "import asyncio, sys\n"
        "from alembic.autogenerate import compare_metadata\n"
        "from alembic.migration import MigrationContext\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "import stewardship.tables\n"
        "from mdm.db.tables import metadata\n"
        "async def run():\n"
        "    engine = create_async_engine(sys.argv[1])\n"
        "    async with engine.connect() as c:\n"
        "        diff = await c.run_sync(lambda s: compare_metadata(MigrationContext.configure(s), metadata))\n"
        "    await engine.dispose()\n"
        "    print(diff)\n"
        "asyncio.run(run())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **CHANGED},
        check=True,
    )
    return done.stdout.strip()


def test_an_empty_database_upgrades_to_the_changed_code_and_the_schema_is_the_descriptors(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        done = _mdm(url, "db", "upgrade", env=CHANGED)
        assert done.returncode == 0, done.stderr
        assert _schema_diff(url) == "[]"
        policy = _mdm(url, "policy", "show", env=CHANGED)
        assert "p, system:netsuite, vendor, *, create, allow" in policy.stdout
        assert "p, system:salesforce, customer, duns, write, allow" in policy.stdout


def test_a_hub_at_the_previous_head_carries_its_data_into_a_new_field_and_a_seventh_domain(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        upgrade(url)  # the previous head, with today's six built-in domains
        keys = _keys(url)
        address = {"line1": "Hauptstrasse 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}
        with serving(url) as base, httpx.Client(base_url=base) as http:
            r = http.put(
                "/v1/customers/sources/salesforce/001A",
                headers=_as(keys, "system:salesforce"),
                json={
                    "name": "Brightwater Consulting",
                    "country": "DE",
                    "billing_address": address,
                    "tax_id": "DE811907980",
                },
            )
            assert r.status_code == 200, r.text
            customer = r.json()["id"]
            r = http.put(
                "/v1/customers/sources/netsuite/C-1",
                headers=_as(keys, "system:netsuite"),
                json={"legal_name": "Brightwater Consulting GmbH", "tax_id": "DE811907980", "country": "DE"},
            )
            assert (r.status_code, r.json()["id"]) == (200, customer), r.text
            before = http.get(f"/v1/customers/{r.json()['id']}", headers=_as(keys, "user:steward")).json()

        upgraded = _mdm(url, "db", "upgrade", env=CHANGED)
        assert upgraded.returncode == 0, upgraded.stderr
        assert "blocking keys rebuilt for vendor" in " ".join((upgraded.stdout + upgraded.stderr).split())
        assert _schema_diff(url) == "[]"

        with serving(url, env=CHANGED) as base, httpx.Client(base_url=base) as http:
            steward, netsuite = _as(keys, "user:steward"), _as(keys, "system:netsuite")
            after = http.get(f"/v1/customers/{before['id']}", headers=steward).json()
            assert {k: after[k] for k in ("tax_id", "billing_address", "legal_name", "version")} == {
                k: before[k] for k in ("tax_id", "billing_address", "legal_name", "version")
            }
            r = http.put(  # the wider descriptor's contracts are v2's and more
                "/v2/customers/sources/salesforce/001A",
                headers=_as(keys, "system:salesforce"),
                json={
                    "name": "Brightwater Consulting",
                    "country": "DE",
                    "addresses": [{"kind": "billing", **address}],
                    "identifiers": [{"scheme": "vat", "value": "DE811907980"}],
                    "duns": "150483782",
                },
            )
            assert r.status_code == 200, r.text
            assert http.get(f"/v2/customers/{customer}", headers=steward).json()["duns"] == "150483782"

            # the seventh domain, through HTTP: create, upsert and link by key, resolve, match, merge, unmerge
            made = http.post("/v1/vendors", headers=steward, json={"name": "Northwind Supplies", "country": "GB"})
            assert made.status_code == 201, made.text
            first = http.put(
                "/v1/vendors/sources/netsuite/V-1",
                headers=netsuite,
                json={"name": "Acme Industrial Supply", "tax_id": "GB123456789", "country": "GB"},
            )
            assert first.status_code == 200, first.text
            assert first.json()["outcome"] == "created"
            again = http.put(
                "/v1/vendors/sources/netsuite/V-9",
                headers=netsuite,
                json={"name": "ACME Industrial", "tax_id": "GB123456789", "country": "GB"},
            )
            assert (again.json()["outcome"], again.json()["id"]) == ("linked", first.json()["id"])
            other = http.put(
                "/v1/vendors/sources/netsuite/V-2",
                headers=netsuite,
                json={"name": "Acme Industrial Supplies Ltd", "country": "GB"},
            )
            assert other.status_code == 200, other.text
            resolved = http.get(
                "/v1/vendors/resolve", headers=steward, params={"system": "netsuite", "source_id": "V-9"}
            )
            assert resolved.json()["id"] == first.json()["id"]
            matched = http.post(
                "/v1/vendors/match", headers=steward, json={"name": "Acme Industrial Supply", "country": "GB"}
            )
            assert matched.status_code == 200, matched.text
            assert first.json()["id"] in [item["id"] for item in matched.json()["items"]]

            survivor, folded = first.json()["id"], other.json()["id"]
            merged = http.post(
                "/v1/vendors/merge", headers=steward, json={"survivor_id": survivor, "merged_ids": [folded]}
            )
            assert merged.status_code == 200, merged.text
            moved = http.get("/v1/vendors/resolve", headers=steward, params={"system": "netsuite", "source_id": "V-2"})
            assert moved.json()["id"] == survivor
            gone = http.get(f"/v1/vendors/{folded}", headers=steward)
            assert (gone.status_code, gone.headers["location"].rsplit("/", 1)[-1]) == (301, survivor)
            undone = http.post(
                f"/v1/vendors/{survivor}/unmerge", headers=steward, json={"merge_id": merged.json()["merge_id"]}
            )
            assert undone.status_code == 200, undone.text
            back = http.get("/v1/vendors/resolve", headers=steward, params={"system": "netsuite", "source_id": "V-2"})
            assert back.json()["id"] == folded

            # the policy learnt the domain through its revision: netsuite owns it, salesforce may not write it
            explained = http.get(
                "/v1/policy/explain",
                headers=steward,
                params={"principal": "system:netsuite", "domain": "vendor", "field": "name", "action": "write"},
            )
            assert explained.json()["allowed"] is True
            held = http.put(
                "/v1/vendors/sources/salesforce/S-1",
                headers=_as(keys, "system:salesforce"),
                json={"name": "Acme Industrial Supply"},
            )
            assert (held.status_code, held.json()["held"]["reason"]) == (202, "no_create_right")


def test_mdm_db_revision_writes_a_frozen_revision_with_the_new_domains_policy(tmp_path):
    """The README's steps: a scratch database upgraded with the new descriptor registered (its
    table does not exist yet: the upgrade leaves its keys for later), then the revision."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
    (tmp_path / "new_vendor.py").write_text(
        "from dataclasses import replace\nfrom tests.extension import vendor\n"
        "DOMAIN = replace(vendor.DOMAIN, migrations=None)\n"
    )
    env = {"MDM_DOMAIN_MODULES": "new_vendor", "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()])}
    upgraded = _mdm(url, "db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    versions = tmp_path / "versions"
    versions.mkdir()
    done = _mdm(
        url,
        "db",
        "revision",
        "-m",
        "vendor domain",
        "--version-path",
        str(versions),
        "--branch-label",
        "vendor",
        "--head",
        max(p.name[:4] for p in VERSIONS.glob("0*.py")),  # the newest revision of the hub
        env=env,
    )
    assert done.returncode == 0, done.stderr
    (written,) = versions.glob("*_vendor_domain.py")
    text = written.read_text()
    assert "op.create_table('vendor'" in text
    assert "INSERT INTO policy_version" in text
    assert "p, system:netsuite, vendor, *, create, allow" in text
    assert not IMPORTS_MDM.search(text)


def test_no_revision_imports_mdm():
    from mdm.db.migrate import VERSIONS

    for path in [*VERSIONS.glob("*.py"), *VERSIONS.parents[1].glob("tests/extension/*_migrations/*.py")]:
        assert not IMPORTS_MDM.search(path.read_text()), path.name


def test_the_policy_a_new_hub_is_seeded_with_is_what_the_descriptors_declare(database_url):
    """Revision 0003 wrote the seed policy out as it was; the descriptors now declare it. The
    same rules, in the same order per field (owner priority): if this fails, a descriptor's
    policy lines changed without a revision that adopts the change."""
    import sqlalchemy as sa

    from mdm.db.tables import policy_version
    from mdm.policy.rules import DEFAULT_TEXT, Policy

    async def seeded() -> str:
        async with Database.opened(database_url) as db, db.transaction() as session:
            query = sa.select(policy_version.c.text).where(policy_version.c.version == 1)
            return (await session.execute(query)).scalar_one()

    def rules(text: str) -> list[tuple[str, ...]]:
        found = [r.tokens for r in Policy(text, 0).rules]
        return sorted(found, key=lambda t: (t[1], t[2], t[3]))  # stable: order per field kept

    assert rules(asyncio.run(seeded())) == rules(DEFAULT_TEXT)
