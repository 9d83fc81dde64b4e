"""GET /metrics: Prometheus's text format for an operator's (or admin's) key; requests by route
template and status, never the raw path; ingestion outcomes; the estate's backlogs; and, with
`mdm serve --workers 2`, every scrape adds up both workers' counts."""

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.auth import bearer
from tests.conftest import serving
from tests.factory import unique

Sample = tuple[str, frozenset[tuple[str, str]]]


def parse(text: str) -> dict[Sample, float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def scrape(client: Any) -> dict[Sample, float]:
    r = client.get("/metrics", headers=bearer("user:operator"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(r.text)


def value(samples: dict[Sample, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_need_an_operator_or_admin_key(client):
    assert client.get("/metrics", auth=None).status_code == 401
    refused = client.get("/metrics", headers=bearer("user:reader"))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get("/metrics", headers=bearer("user:admin")).status_code == 200
    assert scrape(client)  # the operator's key: metrics and nothing else
    assert client.get("/v2/customers", headers=bearer("user:operator")).status_code == 403


def test_requests_are_counted_by_route_template_and_status(client, factory_v2):
    gid = factory_v2.create("customer")
    before = scrape(client)
    for _ in range(3):
        assert client.get(f"/v2/customers/{gid}").status_code == 200
    assert client.get("/v2/customers/cus_NOBODY0000000000000000000").status_code == 404
    r = client.get("/metrics", headers=bearer("user:operator"))
    after = parse(r.text)
    route = {"http_request_method": "GET", "http_route": "/v2/customers/{record_id}"}
    count = "http_server_request_duration_seconds_count"
    assert value(after, count, **route, http_response_status_code="200") - value(
        before, count, **route, http_response_status_code="200") == 3  # fmt: skip
    assert value(after, count, **route, http_response_status_code="404") - value(
        before, count, **route, http_response_status_code="404") == 1  # fmt: skip
    assert gid not in r.text  # labelled by template, never by the raw path
    ours = {("http_route", "/v2/customers/{record_id}"), ("http_response_status_code", "200")}
    buckets = [v for (name, labels), v in after.items()
               if name == "http_server_request_duration_seconds_bucket" and ours <= labels]  # fmt: skip
    assert max(buckets) >= 3  # +Inf holds them all


def test_ingestion_outcomes_by_domain_system_and_outcome(client, factory_v2):
    tag = unique("mx")
    before = scrape(client)
    body = {"name": f"{tag} Metrics GmbH", "country": "DE"}
    assert client.put(f"/v2/customers/sources/salesforce/{tag}-1", json=body).status_code == 200
    assert client.put(f"/v2/customers/sources/salesforce/{tag}-1", json=body).status_code == 200  # unchanged
    held = client.put(f"/v2/customers/sources/netsuite/{tag}-H", json={"legal_name": f"{tag} Nowhere Holdings"})
    assert held.status_code == 202, held.text
    bulk = client.post("/v2/customers/sources/salesforce/batch", json={"items": [
        {"source_id": f"{tag}-2", "record": {"name": f"{tag} Second GmbH"}},
        {"source_id": f"{tag}-3", "record": {"name": f"{tag} Third GmbH", "country": "not a country"}}]})  # fmt: skip
    assert bulk.status_code == 200, bulk.text
    assert [i["status"] for i in bulk.json()["items"]] == [200, 422]
    after = scrape(client)

    def added(system: str, outcome: str) -> float:
        labels = {"domain": "customer", "system": system, "outcome": outcome}
        return value(after, "mdm_ingest_records_total", **labels) - value(before, "mdm_ingest_records_total", **labels)

    assert added("salesforce", "created") == 2
    assert added("salesforce", "unchanged") == 1
    assert added("salesforce", "rejected") == 1
    assert added("netsuite", "held") == 1


def test_a_write_groups_statements_are_timed(client):
    """A single upsert's statements run on the driver (mdm.db.driver), not through
    SQLAlchemy's events: the statement histogram counts them all the same."""
    count = "mdm_db_statement_duration_seconds_count"
    first = value(scrape(client), count)
    before = value(scrape(client), count)  # a scrape's own reads are counted: as many each time
    tag = unique("st")
    assert client.put(f"/v2/customers/sources/salesforce/{tag}", json={"name": f"{tag} Timed GmbH"}).status_code == 200
    after = value(scrape(client), count)
    # at least: golden, crosswalk, source, history, audit and event inserts, the crosswalk read
    assert (after - before) - (before - first) >= 7


def test_the_estates_backlogs_are_read_at_the_scrape(client):
    tag = unique("mb")
    before = scrape(client)
    for i in range(2):
        r = client.put(f"/v2/customers/sources/netsuite/{tag}-{i}", json={"legal_name": f"{tag} Held {i} Holdings"})
        assert r.status_code == 202, r.text
    after = scrape(client)
    fresh = {"domain": "customer", "age": "1d"}
    assert value(after, "mdm_held_records", **fresh) - value(before, "mdm_held_records", **fresh) == 2
    ages = {dict(labels)["age"] for (name, labels) in after if name == "mdm_open_candidates"}
    assert ages <= {"1d", "7d", "30d", "older"}


def test_two_workers_scrapes_add_up_both(database_url, api_keys, tmp_path: Path):
    key = api_keys["user:operator"]
    metrics_dir = tmp_path / "metrics"
    with serving(database_url, "--workers", "2", env={"MDM_METRICS_DIR": str(metrics_dir)}) as base:
        route = {"http_request_method": "GET", "http_route": "/health/live", "http_response_status_code": "200"}
        deadline = time.monotonic() + 30  # `serving` waits for one worker; each makes its file as it starts
        while len(list(metrics_dir.glob("histogram_*.db"))) < 2:
            assert time.monotonic() < deadline, "the second worker did not start"
            time.sleep(0.05)
        sent = 120
        for _ in range(sent):  # a new connection each: the kernel spreads them over both workers
            assert httpx.get(f"{base}/health/live", timeout=10).status_code == 200
        seen = set()
        for _ in range(8):
            r = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {key}"}, timeout=10)
            assert r.status_code == 200, r.text
            seen.add(value(parse(r.text), "http_server_request_duration_seconds_count", **route))
        served = [_live_count(p) for p in sorted(metrics_dir.glob("histogram_*.db"))]
    assert len(served) == 2, served  # a file each
    assert all(served), served  # both workers served some of them
    assert sum(served) == sent
    assert seen == {sent}  # and every scrape, whichever worker answered it, counts them all


def _live_count(path: Path) -> float:
    """The `/health/live` requests one worker's metrics file counts (a histogram's file holds
    each bucket's own observations, not cumulative: their sum counts every request)."""
    total = 0.0
    for found in MmapedDict.read_all_values_from_file(str(path)):
        _, sample, labels, _ = json.loads(found[0])
        if sample.endswith("_bucket") and labels.get("http_route") == "/health/live":
            total += found[1]
    return total


def test_the_temporary_metrics_directory_goes_with_the_server(database_url, tmp_path: Path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with serving(database_url, env={"TMPDIR": str(tmp)}) as base:
        assert httpx.get(f"{base}/health/live", timeout=10).status_code == 200
        assert [p.name.startswith("mdm-metrics-") for p in tmp.iterdir()] == [True]  # made at start
    assert list(tmp.iterdir()) == []  # and removed when it stopped


def test_a_killed_workers_live_gauges_are_dropped_and_its_counts_kept(database_url, api_keys, tmp_path: Path):
    operator = {"Authorization": f"Bearer {api_keys['user:operator']}"}
    reader = {"Authorization": f"Bearer {api_keys['user:reader']}"}
    metrics_dir = tmp_path / "metrics"
    route = {"http_request_method": "GET", "http_route": "/v2/customers", "http_response_status_code": "200"}
    with serving(database_url, "--workers", "2", env={"MDM_METRICS_DIR": str(metrics_dir)}) as base:
        sent = 60
        for _ in range(sent):  # each takes a pooled connection: the worker's pool gauge is written
            assert httpx.get(f"{base}/v2/customers", params={"limit": 1}, headers=reader, timeout=10).status_code == 200
        pools = {int(p.stem.rsplit("_", 1)[1]) for p in metrics_dir.glob("gauge_livesum_*.db")}
        assert len(pools) == 2, pools
        victim = min(pools)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while True:  # whichever worker answers the scrape (the survivor, or the one granian started)
            r = httpx.get(f"{base}/metrics", headers=operator, timeout=10)
            if r.status_code == 200 and not (metrics_dir / f"gauge_livesum_{victim}.db").exists():
                break
            assert time.monotonic() < deadline, "the dead worker's gauge is still counted"
            time.sleep(0.2)
        assert value(parse(r.text), "http_server_request_duration_seconds_count", **route) == sent  # none lost
