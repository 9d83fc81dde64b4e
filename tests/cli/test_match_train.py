"""`mdm match train`, `impact --version`, `adopt`: a model learnt from the hub's own records,
written as a version, checked, then put in force for every matcher."""

import os
import random
import string
import subprocess
import sys

from tests.factory import duns, unique


def _mdm(database_url, *args):
    env = {**os.environ, "MDM_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "mdm", *args], env=env, capture_output=True, text=True, timeout=300)


def _brand():
    return "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()


def test_a_trained_version_is_written_checked_and_adopted(client, database_url):
    for _ in range(30):  # firms each sent by the CRM and the ERP, and a few written twice by the CRM
        brand, number = _brand(), duns()
        body = {"name": f"{brand} Consulting", "country": "DE", "website": f"https://{brand.lower()}.de",
                "identifiers": [{"scheme": "duns", "value": number}]}  # fmt: skip
        assert client.put(f"/v2/customers/sources/salesforce/{unique('sf')}", json=body).status_code == 200
        erp = {"legal_name": f"{brand} Consulting GmbH", "country": "DE", "identifiers": body["identifiers"]}
        assert client.put(f"/v2/customers/sources/netsuite/{unique('ns')}", json=erp).status_code == 200
    trained = _mdm(database_url, "match", "train", "customer", "--random-pairs", "2000", "--blocked-pairs", "5000")
    assert trained.returncode == 0, trained.stderr
    said = " ".join((trained.stdout + trained.stderr).split())
    version = int(said.split("wrote customer rules version ")[1].split(":")[0])
    assert "EM:" in said
    assert "random for u" in said
    before = client.post("/v2/customers/match", json={"name": "Anything", "country": "DE"}).json()["rules_version"]
    assert before != version  # written, not yet in force
    checked = _mdm(database_url, "match", "impact", "customer", "--version", str(version))
    assert checked.returncode == 0, checked.stderr
    assert f"-> v{version}" in " ".join((checked.stdout + checked.stderr).split())
    missing = _mdm(database_url, "match", "adopt", "customer", "9999")
    assert missing.returncode == 1
    adopted = _mdm(database_url, "match", "adopt", "customer", str(version))
    assert adopted.returncode == 0, adopted.stderr
    from mdm.matching import versions

    versions.forget()  # this test process's own matcher looks again now (workers do within a second)
    try:
        after = client.post("/v2/customers/match", json={"name": "Anything", "country": "DE"}).json()
        assert after["rules_version"] == version
    finally:  # the other tests expect the defaults
        assert _mdm(database_url, "match", "adopt", "customer", "defaults").returncode == 0
        versions.forget()
    assert client.post("/v2/customers/match", json={"name": "x"}).json()["rules_version"] == before
