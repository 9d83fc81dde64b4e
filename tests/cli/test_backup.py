"""`mdm db backup` and `mdm db restore`: a backup of the running hub's database, restored into
an empty database, serves the same records; a restore into a database that holds a hub is
refused unless told to replace it."""

import os
import subprocess
import sys

from litestar.testing import TestClient

from mdm.app import create_app
from mdm.settings import Settings
from tests.auth import bearer
from tests.conftest import fresh_database
from tests.factory import unique


def _mdm(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MDM_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "mdm", "db", *args], env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def test_a_backup_restored_into_an_empty_database_serves_the_same_records(client, database_url, backend, tmp_path):
    tag = unique("bk")
    made = client.put(f"/v2/customers/sources/salesforce/{tag}", json={"name": f"{tag} Backup GmbH", "country": "DE"})
    assert made.status_code == 200, made.text
    gid = made.json()["id"]
    total = client.get("/v2/quality", params={"domain": "customer"}).json()["domains"][0]["records"]
    file = tmp_path / "hub.backup"
    done = _mdm(database_url, "backup", str(file))
    assert done.returncode == 0, done.stderr + done.stdout
    assert file.stat().st_size > 0
    with fresh_database(backend, tmp_path) as empty:
        restored = _mdm(empty, "restore", str(file))
        assert restored.returncode == 0, restored.stderr + restored.stdout
        assert _mdm(empty, "upgrade").returncode == 0  # at the newest revision already: nothing to do
        with TestClient(create_app(Settings(database_url=empty, pool_size=2, webhooks=False))) as there:
            headers = bearer("user:steward")  # its keys came with it
            found = there.get("/v2/customers/resolve", params={"system": "salesforce", "source_id": tag},
                              headers=headers)  # fmt: skip
            assert found.status_code == 200, found.text
            assert found.json()["id"] == gid
            assert found.json()["record"]["name"] == f"{tag} Backup GmbH"
            report = there.get("/v2/quality", params={"domain": "customer"}, headers=headers).json()
            assert report["domains"][0]["records"] == total
        again = _mdm(empty, "restore", str(file))
        assert again.returncode == 1
        assert "already holds a hub" in again.stderr
