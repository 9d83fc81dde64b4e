"""A read replica (MDM_READ_DATABASE_URL): a PostgreSQL primary and a streaming standby of
the test's own (initdb and pg_basebackup -R on free ports; never the shared cluster).

With the standby's replay paused, what each read answers shows where it read: resolve,
bulk resolve, GraphQL and the quality report answer as the replica has it, REST record
reads and every write as the primary has it, and a key written since the pause still
resolves over REST (asked of the primary). A stopped replica makes the replica's reads 503s
while writes go on (ready, saying so); a stopped primary, the writes and readiness, while
resolve and GraphQL answer from the replica; each started again serves again without a
restart."""

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar.testing import TestClient

from bench.cluster import Cluster
from mdm.app import create_app
from mdm.db.migrate import upgrade
from mdm.settings import Settings
from tests.auth import KeyAuth
from tests.conftest import _keys
from tests.factory import unique

QUERY = "query($id: ID!) { customer(id: $id) { name } }"
RESOLVE = "query($s: String!, $k: String!) { resolve(domain: CUSTOMER, system: $s, sourceId: $k) { id } }"


@dataclass
class Pair:
    primary: Cluster
    replica: Cluster

    def caught_up(self, within: float = 15.0) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        lsn = self.primary.psql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + within
        while self.replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") != "t":
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    work = Path(tempfile.mkdtemp(prefix="mdm-replica-"))  # not pytest's 0700 tree: postgres works in it
    work.chmod(0o755)
    made: list[Cluster] = []
    try:
        made.append(Cluster(work / "primary"))
        made[0].psql("CREATE DATABASE mdm")
        upgrade(made[0].url("mdm"))
        made.append(Cluster(work / "replica", primary=made[0]))
        yield Pair(*made)
    finally:
        for cluster in made:
            cluster.remove()
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def hub(pair: Pair) -> Iterator[TestClient]:  # type: ignore[type-arg]
    auth = KeyAuth()
    auth.keys.update(_keys(pair.primary.url("mdm")))
    settings = Settings(database_url=pair.primary.url("mdm"), read_database_url=pair.replica.url("mdm"),
                        pool_size=3, webhooks=False, db_connect_timeout=2)  # fmt: skip
    with TestClient(create_app(settings), base_url="http://testserver.local") as c:
        c.auth = auth
        yield c


def _resolve(hub: TestClient, sid: str):  # type: ignore[type-arg]
    return hub.get("/v2/customers/resolve", params={"system": "salesforce", "source_id": sid})


def _graphql(hub: TestClient, query: str, **variables: str):  # type: ignore[type-arg]
    r = hub.post("/graphql", json={"query": query, "variables": variables})
    assert r.status_code == 200, r.text
    return r.json()


def _golden_count(hub: TestClient) -> int:  # type: ignore[type-arg]
    r = hub.get("/v2/quality", params={"domain": "customer"})
    assert r.status_code == 200, r.text
    return int(r.json()["domains"][0]["records"])


def test_lagging_reads_come_from_the_replica_and_writes_and_record_reads_from_the_primary(hub, pair):
    sid, later = unique("rp"), unique("rp")
    first = hub.put(f"/v2/customers/sources/salesforce/{sid}", json={"name": f"{sid} Before GmbH"})
    assert first.status_code in (200, 201), first.text
    gid = first.json()["id"]
    pair.caught_up()
    before = _golden_count(hub)
    pair.replica.psql("SELECT pg_wal_replay_pause()")
    try:
        changed = hub.put(f"/v2/customers/sources/salesforce/{sid}", json={"name": f"{sid} After GmbH"})
        assert changed.status_code == 200, changed.text  # writes go to the primary while the replica stands still
        created = hub.put(f"/v2/customers/sources/salesforce/{later}", json={"name": f"{later} Neu GmbH"})
        assert created.status_code in (200, 201), created.text

        assert _resolve(hub, sid).json()["record"]["name"] == f"{sid} Before GmbH"  # the replica's
        assert hub.get(f"/v2/customers/{gid}").json()["name"] == f"{sid} After GmbH"  # the primary's
        assert _graphql(hub, QUERY, id=gid)["data"]["customer"]["name"] == f"{sid} Before GmbH"
        assert _golden_count(hub) == before  # the report too reads the replica

        # a key written since the pause resolves all the same: the replica lacks it, the primary has it
        fresh = _resolve(hub, later)
        assert fresh.status_code == 200, fresh.text
        assert fresh.json()["id"] == created.json()["id"]
        # GraphQL answers wholly as the replica has it (its records, crosswalks, references), new keys too
        unknown = _graphql(hub, RESOLVE, s="salesforce", k=later)
        assert unknown["data"] is None
        assert unknown["errors"][0]["extensions"]["status"] == 404
        keys = [{"domain": "customer", "system": "salesforce", "source_id": k} for k in (sid, later)]
        bulk = hub.post("/v2/resolve", json={"keys": keys})
        assert bulk.status_code == 200, bulk.text
        assert [r["id"] for r in bulk.json()["items"]] == [gid, created.json()["id"]]
    finally:
        pair.replica.psql("SELECT pg_wal_replay_resume()")
    pair.caught_up()
    assert _resolve(hub, sid).json()["record"]["name"] == f"{sid} After GmbH"
    assert _graphql(hub, RESOLVE, s="salesforce", k=later)["data"]["resolve"]["id"] == created.json()["id"]
    assert _graphql(hub, QUERY, id=gid)["data"]["customer"]["name"] == f"{sid} After GmbH"
    assert _golden_count(hub) == before + 1


def test_a_stopped_replica_makes_its_reads_503_while_writes_go_on(hub, pair):
    sid = unique("rp")
    assert hub.put(f"/v2/customers/sources/salesforce/{sid}", json={"name": f"{sid} GmbH"}).status_code in (200, 201)
    pair.caught_up()
    assert hub.get("/health/ready", auth=None).json() == {"status": "ok", "read_replica": "ok"}
    pair.replica.stop()
    try:
        ready = hub.get("/health/ready", auth=None)
        assert ready.status_code == 200  # the worker still writes: ready, saying what it lacks
        assert ready.json()["read_replica"].startswith("unreachable")
        resolved = _resolve(hub, sid)
        assert resolved.status_code == 503, resolved.text
        assert resolved.headers["retry-after"]
        keys = hub.app.state.api_keys
        keys.entries.clear()  # as if the keys' cache had expired: looked up on the primary
        keys.headers.clear()
        written = hub.put(f"/v2/customers/sources/salesforce/{sid}", json={"name": f"{sid} Noch GmbH"})
        assert written.status_code == 200, written.text
        assert hub.get(f"/v2/customers/{written.json()['id']}").status_code == 200
    finally:
        pair.replica.start()
    deadline = time.monotonic() + 15
    while hub.get("/health/ready", auth=None).json().get("read_replica") != "ok":
        assert time.monotonic() < deadline, "the replica answers again once it is back"
        time.sleep(0.2)
    pair.caught_up()
    assert _resolve(hub, sid).json()["record"]["name"] == f"{sid} Noch GmbH"


def test_with_the_primary_stopped_the_replica_still_answers_resolve_and_graphql(hub, pair):
    sid = unique("rp")
    created = hub.put(f"/v2/customers/sources/salesforce/{sid}", json={"name": f"{sid} Lesbar GmbH"})
    assert created.status_code in (200, 201), created.text
    pair.caught_up()
    pair.primary.stop()
    try:
        keys = hub.app.state.api_keys
        keys.entries.clear()  # as if the keys' cache had expired: each is looked up again
        keys.headers.clear()
        resolved = _resolve(hub, sid)
        assert resolved.status_code == 200, resolved.text  # the key and the record, both from the replica
        assert resolved.json()["record"]["name"] == f"{sid} Lesbar GmbH"
        gid = created.json()["id"]
        assert _graphql(hub, QUERY, id=gid)["data"]["customer"]["name"] == f"{sid} Lesbar GmbH"
        refused = hub.put(f"/v2/customers/sources/salesforce/{sid}", json={"name": f"{sid} Nein GmbH"})
        assert refused.status_code == 503, refused.text  # writes need the primary
        assert refused.headers["retry-after"]
        ready = hub.get("/health/ready", auth=None)
        assert ready.status_code == 503
        assert "the database does not answer" in ready.json()["detail"]
    finally:
        pair.primary.start()
    deadline = time.monotonic() + 15
    while (
        r := hub.put(f"/v2/customers/sources/salesforce/{sid}", json={"name": f"{sid} Wieder GmbH"})
    ).status_code != 200:
        assert time.monotonic() < deadline, r.text  # writes again once the primary is back, without a restart
        time.sleep(0.2)
