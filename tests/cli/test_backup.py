"""`mdm db backup` and `mdm db restore`: a backup of the running hub's database, restored into
an empty database, serves the same records; a restore into a database that holds a hub is
refused unless told to replace it."""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from litestar.testing import TestClient

from bench.cluster import Cluster
from mdm.app import create_app
from mdm.db.migrate import upgrade
from mdm.settings import Settings
from tests.auth import bearer
from tests.conftest import _keys, fresh_database
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


@pytest.mark.parametrize("how", ["mdm db restore", "pg_restore by hand, then mdm db upgrade"])
def test_events_written_after_a_restore_into_another_cluster_come_after_every_cursor(tmp_path, how):
    """The backup of a database on one cluster (the machine's), restored into a new cluster whose
    transaction ids are far behind: the restored events are readable there, and an event
    written there comes after the cursor read before it, for the pull feed and for every
    consumer."""
    work = Path(tempfile.mkdtemp(prefix="mdm-restore-"))  # not pytest's 0700 tree: postgres works in it
    work.chmod(0o755)
    target = Cluster(work / "target")
    try:
        target.psql("CREATE DATABASE mdm")
        behind = int(target.psql("SELECT pg_current_xact_id()"))
        with fresh_database("postgresql", tmp_path) as source:
            upgrade(source)
            keys = _keys(source)
            asyncio.run(_burn_xids(source, until=behind + 5_000))  # the source's cluster is well ahead
            headers = {"Authorization": f"Bearer {keys['system:salesforce']}"}
            with TestClient(create_app(Settings(database_url=source, pool_size=2, webhooks=False))) as there:
                there.put("/v2/customers/sources/salesforce/before", json={"name": "Before GmbH"}, headers=headers)
            file = tmp_path / "hub.backup"
            assert _mdm(source, "backup", str(file)).returncode == 0
        if how == "mdm db restore":
            restored = _mdm(target.url("mdm"), "restore", str(file))
        else:
            dsn = target.url("mdm").replace("postgresql+asyncpg://", "postgresql://")
            subprocess.run(["pg_restore", "--no-owner", "--dbname", dsn, str(file)], check=True, capture_output=True)
            restored = _mdm(target.url("mdm"), "upgrade")
        assert restored.returncode == 0, restored.stderr + restored.stdout
        with TestClient(create_app(Settings(database_url=target.url("mdm"), pool_size=2, webhooks=False))) as there:
            reader = {"Authorization": f"Bearer {keys['user:steward']}"}
            cursor = there.get("/v2/events/head", headers=reader).json()["sequence"]
            assert cursor is not None  # the restored events
            made = there.put("/v2/customers/sources/salesforce/after", json={"name": "After GmbH"}, headers=headers)
            assert made.status_code == 200, made.text
            page = there.get("/v2/events", params={"after": cursor}, headers=reader).json()
            assert made.json()["id"] in {e["subject"] for e in page["items"]}  # not sorted behind the cursor
    finally:
        target.remove()
        shutil.rmtree(work, ignore_errors=True)


async def _burn_xids(url: str, until: int) -> None:
    """Spend transaction ids on the database's cluster until its next one is past `until`."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        while int(await conn.fetchval("SELECT pg_current_xact_id()::text")) < until:
            for _ in range(500):
                await conn.execute("SELECT pg_current_xact_id()")  # one transaction each
    finally:
        await conn.close()
