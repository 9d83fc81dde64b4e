"""A hub that ran the v1 model upgrades to the canonical model v2 with everything intact.

The data is written by the real code of the last release before v2 (unpacked from git at
`BEFORE_V2` and served by `mdm serve` from there), over HTTP, as integrations and stewards
wrote it; then today's `mdm db upgrade` runs (revision 0010) and today's server must read
every record as before in v1, and as identifiers, addresses and names in v2."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mdm.auth.keys import create_key
from mdm.db.engine import Database
from tests.conftest import fresh_database, serving
from tests.factory import vat_de

ROOT = Path(__file__).resolve().parents[2]
BEFORE_V2 = "a015440"  # main before contract v2 landed: its migrations end at 0009


@pytest.fixture(scope="module")
def old_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The code of `BEFORE_V2`, unpacked (a clone with history is needed, as CI's is)."""
    dest = tmp_path_factory.mktemp("before-v2")
    archive = subprocess.run(
        ["git", "archive", BEFORE_V2, "mdm", "contracts", "stewardship", "migrations", "alembic.ini"],
        cwd=ROOT,
        capture_output=True,
    )
    assert archive.returncode == 0, f"needs git history with {BEFORE_V2}: {archive.stderr.decode()}"
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest


def _mdm(url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MDM_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "mdm", *args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd
    )


def _keys(url: str) -> dict[str, dict[str, str]]:
    async def make() -> dict[str, dict[str, str]]:
        async with Database.opened(url) as db:
            made = {}
            for principal, roles in (
                ("system:salesforce", ["reader"]),
                ("system:netsuite", ["reader"]),
                ("system:workday", ["reader"]),
                ("user:admin", ["admin", "steward"]),
            ):
                made[principal] = {"Authorization": f"Bearer {(await create_key(db, principal, roles))[1]}"}
            return made

    return asyncio.run(make())


def test_a_v1_hub_upgrades_with_its_tax_ids_addresses_names_overrides_and_policy_intact(backend, tmp_path, old_release):
    vat, register = vat_de(), "HRB 4711"
    address = {
        "line1": "Hauptstrasse 1",
        "line2": None,
        "city": "Berlin",
        "region": None,
        "postal_code": "10115",
        "country": "DE",
    }
    with fresh_database(backend, tmp_path) as url:
        migrated = _mdm(url, "db", "upgrade", cwd=old_release)
        assert migrated.returncode == 0, migrated.stderr
        keys = _keys(url)
        sf, ns, wd, admin = (keys[p] for p in ("system:salesforce", "system:netsuite", "system:workday", "user:admin"))
        with serving(url, cwd=old_release) as base, httpx.Client(base_url=base) as http:
            customer = http.put(
                "/v1/customers/sources/salesforce/001A",
                headers=sf,
                json={"name": "Brightwater Consulting", "country": "DE", "tax_id": vat, "billing_address": address},
            )
            assert customer.status_code == 200, customer.text
            cid = customer.json()["id"]
            linked = http.put(
                "/v1/customers/sources/netsuite/C-1",
                headers=ns,
                json={"legal_name": "Brightwater Consulting GmbH", "tax_id": vat, "country": "DE"},
            )
            assert linked.json()["id"] == cid
            unchecked = http.put(
                "/v1/customers/sources/salesforce/001B",
                headers=sf,
                json={"name": "Old Ledger Ltd", "country": "GB", "tax_id": "GB-LEGACY-17"},
            )
            assert unchecked.status_code == 200, unchecked.text
            entity = http.put(
                "/v1/legal-entities/sources/netsuite/7",
                headers=ns,
                json={"name": "Firm GmbH", "country": "DE", "registration_number": register, "tax_id": vat},
            )
            assert entity.status_code == 200, entity.text
            person = http.put(
                "/v1/employees/sources/workday/W-1",
                headers=wd,
                json={"employee_number": "100001", "given_name": "Ada", "family_name": "King", "country": "GB"},
            )
            assert person.status_code == 200, person.text
            etag = http.get(f"/v1/customers/{cid}", headers=admin).headers["etag"]
            patched = http.patch(
                f"/v1/customers/{cid}",
                headers=admin | {"If-Match": etag},
                json={"billing_address": {**address, "line1": "Hauptstrasse 3"}},
            )
            assert patched.status_code == 200, patched.text
            policy = http.get("/v1/policy", headers=admin)
            text = policy.json()["text"] + "p, system:workday, customer, tax_id, write, allow\n"
            adopted = http.put(
                "/v1/policy",
                headers=admin | {"If-Match": policy.headers["etag"]},
                json={"text": text, "comment": "workday may send tax IDs"},
            )
            assert adopted.status_code == 200, adopted.text
            before = {
                path: http.get(path, headers=admin).json()
                for path in (
                    f"/v1/customers/{cid}",
                    f"/v1/customers/{unchecked.json()['id']}",
                    f"/v1/legal-entities/{entity.json()['id']}",
                    f"/v1/employees/{person.json()['id']}",
                )
            }
            history_before = http.get(f"/v1/customers/{cid}/history", headers=admin).json()

        upgraded = _mdm(url, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr

        with serving(url) as base, httpx.Client(base_url=base) as http:
            for path, record in before.items():  # v1 reads as it did: values, versions, overrides
                assert http.get(path, headers=admin).json() == record, path
            assert http.get(f"/v1/customers/{cid}/history", headers=admin).json() == history_before
            v2 = http.get(f"/v2/customers/{cid}", headers=admin).json()
            assert v2["identifiers"] == [{"scheme": "vat", "value": vat, "country": "DE"}]
            assert v2["addresses"] == [
                {"kind": "billing", **{k: v for k, v in address.items() if v}, "line1": "Hauptstrasse 3"}
            ]
            assert v2["overrides"] == ["addresses.billing"]
            old = http.get(f"/v2/customers/{unchecked.json()['id']}", headers=admin).json()
            assert old["identifiers"] == [{"scheme": "other:tax_id", "value": "GB-LEGACY-17", "country": "GB"}]
            le = http.get(f"/v2/legal-entities/{entity.json()['id']}", headers=admin).json()
            assert sorted(i["scheme"] for i in le["identifiers"]) == ["registration", "vat"]
            ada = http.get(f"/v2/employees/{person.json()['id']}", headers=admin).json()
            assert ada["name"] == {"given": "Ada", "family": "King"}

            # the identifier index was built: a new system's record links by the migrated VAT number
            again = http.put(
                "/v2/customers/sources/netsuite/C-2",
                headers=ns,
                json={"identifiers": [{"scheme": "vat", "value": vat}], "country": "DE"},
            )
            assert (again.json()["outcome"], again.json()["id"]) == ("linked", cid)
            # lineage moved: the VAT slot still names the source that gave it
            lineage = {e["field"]: e for e in http.get(f"/v2/customers/{cid}/lineage", headers=admin).json()}
            assert lineage["identifiers.vat.DE"]["system"] in ("netsuite", "salesforce")
            assert lineage["addresses.billing"]["rule"] == "override"
            # the override moved to the billing slot: clearing it through v1 gives the source's address back
            etag = http.get(f"/v1/customers/{cid}", headers=admin).headers["etag"]
            cleared = http.patch(
                f"/v1/customers/{cid}",
                headers=admin | {"If-Match": etag},
                json={"overrides_cleared": ["billing_address"]},
            )
            assert cleared.json()["billing_address"]["line1"] == "Hauptstrasse 1"
            # the changed policy in force names the canonical fields
            text = http.get("/v1/policy", headers=admin).json()["text"]
            assert "p, system:workday, customer, identifiers, write, allow" in text
            assert "tax_id" not in [line.split(",")[3].strip() for line in text.splitlines() if line.startswith("p,")]
