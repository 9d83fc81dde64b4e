"""`mdm serve --workers 2` stopped by SIGTERM in the middle of a stream of writes: it finishes
what it took, so every write it acknowledged is there afterwards, whole, and no request it
answered got a server error; a write cut off by the stop is either wholly there or not at all."""

import signal
import threading
import time

import httpx

from tests.conftest import serving
from tests.factory import unique


def test_sigterm_finishes_in_flight_writes_and_loses_no_acknowledged_one(client, database_url, api_keys):
    tag = unique("sg")
    headers = {"Authorization": f"Bearer {api_keys['system:salesforce']}"}
    acknowledged: list[str] = []
    attempted: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    started: list = []

    def writer(n: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            i = 0
            while not stop.is_set():
                sid = f"{tag}-{n}-{i}"
                attempted.append(sid)
                try:
                    r = http.put(f"/v2/customers/sources/salesforce/{sid}", json={"name": f"{sid} Shutdown GmbH"})
                except httpx.HTTPError:  # the server stopped taking connections
                    return
                if r.status_code == 200:
                    acknowledged.append(sid)
                elif r.status_code >= 500:
                    errors.append(f"{sid}: {r.status_code} {r.text[:200]}")
                i += 1

    with serving(database_url, "--workers", "2", started=started) as base:
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) <= 20:  # the writes are flowing (a slow machine takes longer to warm up)
            assert time.monotonic() < deadline, "the writes are not flowing"
            time.sleep(0.05)
        started[0].send_signal(signal.SIGTERM)
        started[0].wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors[:5]
    for sid in attempted:  # the in-process app on the same database reads them back
        r = client.get("/v2/customers/resolve", params={"system": "salesforce", "source_id": sid})
        if sid in acknowledged:
            assert r.status_code == 200, (sid, r.text)
        assert r.status_code in (200, 404), (sid, r.text)
        if r.status_code == 200:  # whole: its golden record carries what was sent
            record = client.get(f"/v2/customers/{r.json()['id']}").json()
            assert record["name"] == f"{sid} Shutdown GmbH"
