"""Signed webhooks end to end: a real `mdm serve` delivering to real HTTP receivers on
loopback, signatures checked with the `standardwebhooks` library (not mdm's own code).

The server here retries fast (first retry after 0.2 s, at most 1 s apart) and gives up after
3 seconds, so a receiver's recovery and a dead letter both happen within a test."""

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.conftest import serving
from tests.factory import unique, vat_de, word
from tests.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 3.0  # seconds an event is retried before it is a dead letter (MDM_WEBHOOK_RETRY_HOURS)
SETTINGS = {
    "MDM_WEBHOOKS": "true",
    "MDM_WEBHOOK_RETRY_SECONDS": "0.2",
    "MDM_WEBHOOK_RETRY_MAX_SECONDS": "1",
    "MDM_WEBHOOK_RETRY_HOURS": str(WINDOW / 3600),
    "MDM_WEBHOOK_TIMEOUT_SECONDS": "2",
    "MDM_WEBHOOK_ROTATION_HOURS": "1",
    "MDM_WEBHOOK_PRIVATE_ADDRESSES": "true",  # the receivers are on loopback
}


@pytest.fixture(scope="module")
def hub(own_database: tuple[str, dict[str, str]]) -> Iterator[httpx.Client]:
    """The server delivering webhooks, on a database of its own, called as the admin."""
    url, keys = own_database
    admin = {"Authorization": f"Bearer {keys['user:admin']}"}
    with serving(url, env=SETTINGS) as base, httpx.Client(base_url=base, headers=admin) as c:
        c.keys = keys  # type: ignore[attr-defined]
        yield c


@contextmanager
def subscribed(hub: httpx.Client, receiver: Receiver, **body: Any) -> Iterator[dict[str, Any]]:
    r = hub.post("/v2/subscriptions", json={"url": receiver.url, **body})
    assert r.status_code == 201, r.text
    try:
        yield r.json()
    finally:
        assert hub.delete(f"/v2/subscriptions/{r.json()['id']}").status_code == 204
        receiver.close()


def until(check: Callable[[], Any], seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.05)
    return found


def customer(hub: httpx.Client, **values: Any) -> str:
    r = hub.post("/v2/customers", json={"name": f"{word()} {unique('c')}", "country": "DE", **values})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def readme_verify() -> Callable[[str, dict[str, str], bytes], bool]:
    """The README's ten-line signature check, as a receiver would paste it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(import base64, hashlib, hmac, time\n.*?)```", readme, re.S)
    assert block is not None
    scope: dict[str, Any] = {}
    exec(block.group(1), scope)
    return scope["verify"]  # type: ignore[no-any-return]


def events(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(body) for _, body in receiver.taken()]


def test_a_delivery_verifies_with_the_standardwebhooks_library_in_the_subscriptions_version(hub):
    v2, v1 = Receiver(), Receiver()
    customers = ["customer"]
    with subscribed(hub, v2, domains=customers) as sub2, subscribed(hub, v1, domains=customers, version="v1") as sub1:
        vat = vat_de()
        made = customer(hub, identifiers=[{"scheme": "vat", "value": vat}])
        until(lambda: v2.taken() and v1.taken())
        headers, body = v2.taken()[0]
        event = Webhook(sub2["secret"]).verify(body, headers)
        assert (event["type"], event["subject"], headers["webhook-id"]) == ("mdm.customer.created", made, event["id"])
        assert event["data"]["record"]["identifiers"] == [{"scheme": "vat", "value": vat, "country": "DE"}]
        headers, body = v1.taken()[0]
        assert Webhook(sub1["secret"]).verify(body, headers)["data"]["record"]["tax_id"] == vat
        with pytest.raises(Exception, match="signature"):
            Webhook(sub2["secret"]).verify(body, headers)  # each subscription has its own secret
        tampered = body.replace(made.encode(), b"cus_01M80JHKNPXXGD152RZD5KESWS")
        with pytest.raises(Exception, match="signature"):
            Webhook(sub1["secret"]).verify(tampered, headers)
        verify = readme_verify()
        assert verify(sub1["secret"], headers, body)
        assert not verify(sub1["secret"], headers, tampered)
        assert not verify(sub2["secret"], headers, body)


def test_a_receiver_that_fails_three_times_then_recovers_gets_each_event_once_in_order_per_record(hub):
    failed, lock = [], threading.Lock()

    def answer(receiver, headers, body):
        with lock:  # records are sent side by side, each request on its own thread
            if len(failed) < 3:
                failed.append(headers["webhook-id"])
                return 503
        return 200

    receiver = Receiver(answer)
    with subscribed(hub, receiver, types=["mdm.customer.created", "mdm.customer.updated"]):
        ids = [customer(hub) for _ in range(5)]
        for i in range(3):
            for golden in ids:
                etag = hub.get(f"/v2/customers/{golden}").headers["ETag"]
                r = hub.patch(f"/v2/customers/{golden}", json={"website": f"https://{unique('w')}.example/{i}"},
                              headers={"If-Match": etag})  # fmt: skip
                assert r.status_code == 200, r.text
        until(lambda: len(events(receiver)) >= 20)
        time.sleep(1.5)  # anything sent twice would have come by now
        got = events(receiver)
        assert len(failed) == 3
        assert sorted(e["id"] for e in got) == sorted({e["id"] for e in got})  # each once
        assert {e["subject"] for e in got} == set(ids)
        for golden in ids:
            versions = [e["data"]["version"] for e in got if e["subject"] == golden]
            assert versions == [1, 2, 3, 4], versions  # created, then three updates, in order
        assert set(failed) <= {e["id"] for e in got}  # what failed came again, and was taken


def test_an_event_not_taken_within_the_window_is_a_dead_letter_and_a_replay_sends_it_again(hub):
    up = threading.Event()
    receiver = Receiver(lambda r, h, b: 200 if up.is_set() else 500)
    with subscribed(hub, receiver, types=["mdm.customer.created"]) as sub:
        made = customer(hub)
        dead = until(lambda: hub.get(f"/v2/subscriptions/{sub['id']}/dead-letters").json(), WINDOW + 20)
        assert [(d["subject"], d["type"], d["last_status"]) for d in dead] == [(made, "mdm.customer.created", 500)]
        assert dead[0]["attempts"] >= 3
        lag = hub.get(f"/v2/subscriptions/{sub['id']}").json()["lag"]
        assert (lag["dead_letters"], lag["retrying"], lag["behind_events"]) == (1, 0, 0)
        up.set()
        time.sleep(1.0)
        assert receiver.taken() == []  # a dead letter is not sent again by itself
        r = hub.post(f"/v2/subscriptions/{sub['id']}/replay", params={"from": dead[0]["event_id"]})
        assert r.status_code == 202, r.text
        assert r.json()["cleared"] == 1
        taken = until(lambda: events(receiver))
        assert [e["id"] for e in taken] == [dead[0]["event_id"]]
        assert hub.get(f"/v2/subscriptions/{sub['id']}/dead-letters").json() == []


def test_a_replay_from_a_time_sends_every_event_since_again(hub):
    receiver = Receiver()
    with subscribed(hub, receiver, types=["mdm.customer.created"]) as sub:
        first = customer(hub)
        second = customer(hub)

        def caught_up() -> bool:  # a receiver has the events before the position moves past them
            return hub.get(f"/v2/subscriptions/{sub['id']}").json()["lag"]["behind_events"] == 0

        until(lambda: len(receiver.taken()) == 2 and caught_up())
        since = min(e["time"] for e in events(receiver))  # records are sent side by side: either may come first
        r = hub.post(f"/v2/subscriptions/{sub['id']}/replay", params={"from": since})
        assert r.status_code == 202, r.text
        until(lambda: len(receiver.taken()) == 4 and caught_up())
        assert sorted(e["subject"] for e in events(receiver)) == sorted([first, second] * 2)
        assert r.json()["behind_events"] >= 2
        naive = hub.post(f"/v2/subscriptions/{sub['id']}/replay", params={"from": "9808-02-10T00:09:00"})
        assert naive.status_code == 202, naive.text  # no offset: UTC; after every event: from the feed's end
        assert naive.json()["behind_events"] == 0


def test_after_a_rotation_both_secrets_sign_until_the_old_one_expires(hub):
    receiver = Receiver()
    with subscribed(hub, receiver, domains=["customer"]) as sub:
        r = hub.post(f"/v2/subscriptions/{sub['id']}/rotate-secret")
        assert r.status_code == 200, r.text
        new = r.json()["secret"]
        assert new != sub["secret"]
        assert hub.get(f"/v2/subscriptions/{sub['id']}").json()["signing_secrets"] == 2
        customer(hub)
        headers, body = until(receiver.taken)[0]
        assert len(headers["webhook-signature"].split(" ")) == 2
        assert Webhook(sub["secret"]).verify(body, headers) == Webhook(new).verify(body, headers)


def test_a_hanging_receiver_holds_back_no_write_nor_another_subscription(hub):
    release = threading.Event()
    hanging = Receiver(lambda r, h, b: 200 if release.wait(10) else 500)  # answers after the 2 s timeout
    healthy = Receiver()
    try:
        created = ["mdm.customer.created"]
        with subscribed(hub, hanging, types=created) as stuck, subscribed(hub, healthy, types=created):
            started = time.monotonic()
            made = [customer(hub) for _ in range(10)]
            writes = time.monotonic() - started
            until(lambda: len(healthy.taken()) == 10, 10)
            assert {e["subject"] for e in events(healthy)} == set(made)
            assert writes < 5, writes  # ten writes, not ten timeouts

            # its position passes every event while what it did not take waits in its own queue
            # (retried, then dead: the window is 3 s); its rounds take a timeout each meanwhile
            def passed() -> bool:
                lag = hub.get(f"/v2/subscriptions/{stuck['id']}").json()["lag"]
                return lag["behind_events"] == 0 and lag["retrying"] + lag["dead_letters"] == len(made)

            until(passed, 20)
    finally:
        release.set()


def test_only_an_admin_manages_subscriptions_and_what_a_hub_lacks_is_refused(hub):
    steward = {"Authorization": f"Bearer {hub.keys['user:steward']}"}
    assert hub.post("/v2/subscriptions", json={"url": "https://x.example/h"}, headers=steward).status_code == 403
    assert hub.get("/v2/subscriptions", headers=steward).status_code == 403
    r = hub.post("/v2/subscriptions", json={"url": "https://x.example/h", "domains": ["vendor"],
                                            "types": ["mdm.customer.created", "mdm.customer.exploded"]})  # fmt: skip
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["domains[0]", "types[1]"]
    assert hub.post("/v2/subscriptions", json={"url": "ftp://x.example/h"}).status_code == 422
    assert hub.get("/v2/subscriptions/sub_01M80JHKNPXXGD152RZD5KESWS").status_code == 404
    made = hub.post("/v2/subscriptions", json={"url": "https://x.example/h"}).json()
    listed = {s["id"]: s for s in hub.get("/v2/subscriptions").json()}
    assert "secret" not in listed[made["id"]]
    assert listed[made["id"]]["lag"]["behind_events"] == 0
    assert hub.delete(f"/v2/subscriptions/{made['id']}").status_code == 204
    assert hub.get(f"/v2/subscriptions/{made['id']}").status_code == 404
    consumers = {c["name"] for c in hub.get("/v2/events/consumers").json()}
    assert f"webhook:{made['id']}" not in consumers


def test_several_workers_and_servers_deliver_each_event_once_between_them(hub, own_database):
    """Three processes run deliveries (this module's server, and two workers of another):
    one at a time delivers for a subscription (the lease), so no event comes twice."""
    receiver = Receiver()
    with (
        serving(own_database[0], "--workers", "2", env=SETTINGS) as base,
        subscribed(hub, receiver, types=["mdm.customer.created"]),
    ):
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {hub.keys['user:steward']}"}) as other:
            made = [customer(hub if i % 2 else other) for i in range(30)]
        until(lambda: len(receiver.taken()) >= 30)
        time.sleep(1.5)  # a second copy would have come by now
        got = [e["subject"] for e in events(receiver)]
        assert sorted(got) == sorted(made)
