"""Webhook signing and retry timing, without a server: the signature is what the
`standardwebhooks` library verifies, the waits double with jitter up to their cap."""

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from mdm.events.webhooks import Retry, headers, live_secrets, new_secret


def test_a_signature_verifies_with_the_library_under_each_live_secret_and_not_another():
    old, new, stranger = new_secret(), new_secret(), new_secret()
    body = b'{"id":"evt_01M80JHKNPXXGD152RZD5KESWS","data":{"name":"M\xc3\xbcller"}}'
    sent = headers([new, old], "evt_01M80JHKNPXXGD152RZD5KESWS", body, datetime.now(UTC))
    assert Webhook(old).verify(body, sent) == Webhook(new).verify(body, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(stranger).verify(body, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body + b" ", sent)
    stale = headers([new], "evt_01M80JHKNPXXGD152RZD5KESWS", body, datetime.now(UTC) - timedelta(minutes=10))
    with pytest.raises(WebhookVerificationError):  # a replayed old request: the library's tolerance is 5 minutes
        Webhook(new).verify(body, stale)


def test_a_rotated_out_secret_stops_signing_when_it_expires():
    now = datetime.now(UTC)
    stored = [{"secret": "whsec_bmV3", "expires_at": None},
              {"secret": "whsec_b2xk", "expires_at": (now + timedelta(hours=1)).isoformat()},
              {"secret": "whsec_Z29uZQ==", "expires_at": (now - timedelta(seconds=1)).isoformat()}]  # fmt: skip
    assert live_secrets(stored, now) == ["whsec_bmV3", "whsec_b2xk"]
    assert live_secrets(stored, now + timedelta(hours=2)) == ["whsec_bmV3"]


def test_retries_wait_twice_as_long_each_time_up_to_the_cap_with_jitter():
    retry = Retry(first=5.0, most=3600.0)
    for attempts in range(1, 30):
        full = min(5.0 * 2 ** (attempts - 1), 3600.0)
        waits = [retry.delay(attempts).total_seconds() for _ in range(50)]
        assert all(full / 2 <= w <= full for w in waits), (attempts, full, min(waits), max(waits))
        assert len(set(waits)) > 1  # jittered: receivers coming back are not hit all at once
