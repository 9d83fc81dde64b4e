"""Onboarding in one step: `mdm systems add` registers a system, adds its policy lines as a
new, audited policy version and prints its key; `mdm policy show` and `mdm policy apply`
round-trip the policy text unchanged. Each test has a database of its own (policy changes
would reach every other test)."""

import getpass
import json
import os
import subprocess
import sys

import pytest
from litestar.testing import TestClient

from mdm.app import create_app
from mdm.db.migrate import upgrade
from mdm.settings import Settings
from tests.conftest import fresh_database


@pytest.fixture
def own_database(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        upgrade(url)
        yield url


def _mdm(url, *args):
    return subprocess.run([sys.executable, "-m", "mdm", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MDM_DATABASE_URL": url})  # fmt: skip


def test_policy_show_and_apply_round_trip_the_text(own_database, tmp_path):
    shown = _mdm(own_database, "policy", "show")
    assert shown.returncode == 0, shown.stderr
    assert "policy version 1" in shown.stderr
    assert not shown.stdout.startswith("# version")  # the version is not part of the text
    path = tmp_path / "policy.csv"
    path.write_text(shown.stdout)
    applied = _mdm(own_database, "policy", "apply", str(path), "--expect", "1", "--comment", "unchanged")
    assert applied.returncode == 0, applied.stderr
    assert "adopted policy version 2" in applied.stderr  # messages to stderr, data to stdout
    again = _mdm(own_database, "policy", "show")
    assert again.stdout == shown.stdout
    assert "policy version 2" in again.stderr


def test_policy_apply_refuses_a_bad_file_or_a_stale_edit_and_adopts_nothing(own_database, tmp_path):
    text = _mdm(own_database, "policy", "show").stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(text + "p, system:netsuite, customer, colour, write, allow\n")
    done = _mdm(own_database, "policy", "apply", str(bad))
    assert done.returncode == 1
    assert f"line {len(text.splitlines()) + 1}: 'colour' is not a field of customer" in done.stderr
    good = tmp_path / "good.csv"
    good.write_text(text)
    stale = _mdm(own_database, "policy", "apply", str(good), "--expect", "7")
    assert stale.returncode == 1
    assert "at version 1, not 7" in stale.stderr
    assert "policy version 1" in _mdm(own_database, "policy", "show").stderr


def test_systems_add_registers_adopts_its_policy_and_prints_a_working_key(own_database):
    done = _mdm(own_database, "systems", "add", "hubspot", "HubSpot", "--owns", "customer.website",
                "--owns", "customer.name", "--creates", "customer", "--refuses", "customer.identifiers",
                "--key")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "policy version 2 adds 4 lines" in done.stderr
    key = done.stdout.strip()  # the key alone on stdout
    assert key.startswith("mdm_")
    policy = _mdm(own_database, "policy", "show").stdout
    assert "p, system:hubspot, customer, website, write, allow" in policy
    assert "p, system:hubspot, customer, *, create, allow" in policy
    with TestClient(create_app(Settings(database_url=own_database, pool_size=2))) as client:
        headers = {"Authorization": f"Bearer {key}"}
        made = client.put("/v2/customers/sources/hubspot/hs-1", headers=headers,
                          json={"name": "Onboarded Analytics Ltd", "website": "https://onboarded.example"})  # fmt: skip
        assert made.status_code in (200, 201), made.text
        assert made.json()["outcome"] == "created"
        record = client.get(f"/v2/customers/{made.json()['id']}", headers=headers)
        assert record.json()["name"] == "Onboarded Analytics Ltd"
        other = client.put("/v2/customers/sources/hubspot/hs-2", headers=headers,
                           json={"name": "Other Ltd", "currency": "EUR"})  # fmt: skip
        assert other.status_code == 200, other.text  # it owns name and website; currency it contributes
        assert other.json()["contributed"] == ["currency"]
        duns = [{"scheme": "duns", "value": "150483782"}]
        refused = client.put("/v2/customers/sources/hubspot/hs-3", headers=headers,
                             json={"name": "Refused Ltd", "identifiers": duns})  # fmt: skip
        assert refused.status_code == 403, refused.text  # it must never send identifiers
        assert refused.json()["errors"][0]["field"] == "identifiers.duns"
        admin = {"Authorization": f"Bearer {_admin_key(own_database)}"}
        audit = client.get("/v1/audit", params={"action": "policy_change"}, headers=admin)
        assert audit.status_code == 200, audit.text
        [row] = [r for r in audit.json()["items"] if r["record_id"] == "policy/2"]
        assert row["principal"] == f"user:{getpass.getuser()}"
        assert [line for line in json.loads(row["detail"])["added"] if line.startswith("p,")] == [
            "p, system:hubspot, customer, website, write, allow",
            "p, system:hubspot, customer, name, write, allow",
            "p, system:hubspot, customer, identifiers, write, deny",
            "p, system:hubspot, customer, *, create, allow",
        ]
    twice = _mdm(own_database, "systems", "add", "hubspot", "HubSpot", "--owns", "customer.name")
    assert twice.returncode != 0
    assert "already registered" in twice.stderr


def test_a_system_registered_while_the_hub_runs_writes_at_once(own_database):
    """A running hub remembers the systems it saw registered (it reads the table again only
    for a system it has not seen): one added by the CLI meanwhile writes at once."""
    made = _mdm(own_database, "keys", "create", "--principal", "system:salesforce", "--role", "reader")
    assert made.returncode == 0, made.stderr
    with TestClient(create_app(Settings(database_url=own_database, pool_size=2))) as client:
        first = client.put("/v2/customers/sources/salesforce/sf-1", json={"name": "Seen First GmbH"},
                           headers={"Authorization": f"Bearer {made.stdout.strip()}"})  # fmt: skip
        assert first.status_code == 200, first.text
        done = _mdm(own_database, "systems", "add", "pipedrive", "Pipedrive", "--owns", "customer.name",
                    "--creates", "customer", "--key")  # fmt: skip
        assert done.returncode == 0, done.stderr
        later = client.put("/v2/customers/sources/pipedrive/pd-1", json={"name": "Added Later Ltd"},
                           headers={"Authorization": f"Bearer {done.stdout.strip()}"})  # fmt: skip
        assert later.status_code == 200, later.text
        assert later.json()["outcome"] == "created"


def test_systems_add_with_a_bad_policy_line_registers_nothing(own_database):
    done = _mdm(own_database, "systems", "add", "crmx", "CRM X", "--owns", "customer.colour")
    assert done.returncode == 1
    assert "'colour' is not a field of customer" in done.stderr
    listed = _mdm(own_database, "systems", "list")
    assert "crmx" not in listed.stdout


def _admin_key(url):
    done = _mdm(url, "keys", "create", "--principal", "user:root-admin", "--role", "admin")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
