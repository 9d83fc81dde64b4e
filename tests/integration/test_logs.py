"""Structured logs: a real server writes one JSON line per request (correlation id, principal,
route, status, duration) and never the caller's key; an error is one line with its cause,
and a field that could hold a secret or a cost rate is redacted whoever logs it."""

import json
import logging
import os
import sys
from pathlib import Path

import httpx

from mdm.logs import configure
from tests.conftest import serving
from tests.factory import unique


def test_a_request_is_one_json_line_with_who_what_and_how_long(database_url, api_keys):
    cid = unique("log")
    key = api_keys["user:steward"]
    with serving(database_url) as base:
        port = base.rsplit(":", 1)[1]
        headers = {"Authorization": f"Bearer {key}", "X-Correlation-ID": cid}
        r = httpx.get(f"{base}/v2/customers/resolve", params={"system": "salesforce", "source_id": cid},
                      headers=headers, timeout=10)  # fmt: skip
        assert r.status_code == 404, r.text
        assert httpx.get(f"{base}/v2/customers", headers={"Authorization": "Bearer not-a-key"}).status_code == 401
    text = (Path(os.environ.get("TMPDIR", "/tmp")) / f"mdm-live-{port}.log").read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line.get("correlation_id") == cid]
    assert len(ours) == 1, ours
    line = ours[0]
    assert line["event"] == "request"
    assert line["level"] == "info"
    assert line["route"] == "/v2/customers/resolve"
    assert line["method"] == "GET"
    assert line["status"] == 404
    assert line["principal"] == "user:steward"
    assert isinstance(line["duration_ms"], float)
    assert line["timestamp"].endswith("Z")
    refused = [line for line in lines if line.get("status") == 401]
    assert refused, "the refused request is logged too"
    assert refused[0]["principal"] is None
    assert key not in text
    assert "not-a-key" not in text


def test_an_error_is_one_line_with_its_cause_and_secrets_are_redacted():
    configure("info")
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_mdm", False))
    try:
        {}["missing"]
    except KeyError:
        record = logging.getLogger("mdm.api").makeRecord(
            "mdm.api", logging.ERROR, __file__, 1, "write failed", (), sys.exc_info(),
            extra={"api_key": "k-123", "cost_rate": "95.00", "domain": "employee"})  # fmt: skip
    out = handler.format(record)
    assert "\n" not in out
    assert "Traceback" not in out
    line = json.loads(out)
    assert line["event"] == "write failed"
    assert line["error"] == "KeyError: 'missing'"
    assert line["where"].startswith(__file__)
    assert line["api_key"] == "[redacted]"
    assert line["cost_rate"] == "[redacted]"
    assert line["domain"] == "employee"
    assert "k-123" not in out
    assert "95.00" not in out
