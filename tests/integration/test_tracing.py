"""OpenTelemetry traces when configured: a real server with OTEL_EXPORTER_OTLP_ENDPOINT set
exports a span of each request, named by its route, to an OTLP/HTTP collector (here a
receiver in the test), and answers as it does without."""

import http.server
import threading
import time

import httpx

from tests.conftest import serving
from tests.factory import unique


def test_each_request_is_a_span_sent_to_the_otlp_endpoint(database_url, api_keys):
    bodies: list[tuple[str, bytes]] = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append((self.path, self.rfile.read(int(self.headers.get("content-length", 0)))))
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    collector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server_address[1]}",
           "OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_SERVICE_NAME": "mdm-under-test"}  # fmt: skip
    try:
        with serving(database_url, env=env) as base:
            sid = unique("tr")
            r = httpx.get(f"{base}/v2/customers/resolve", params={"system": "salesforce", "source_id": sid},
                          headers={"Authorization": f"Bearer {api_keys['user:steward']}"}, timeout=10)  # fmt: skip
            assert r.status_code == 404, r.text
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not any(b"/v2/customers/resolve" in b for _, b in bodies):
                time.sleep(0.2)
    finally:
        collector.shutdown()
        collector.server_close()
    sent = [b for path, b in bodies if path == "/v1/traces"]
    assert any(b"/v2/customers/resolve" in b for b in sent), [p for p, _ in bodies]
    assert any(b"mdm-under-test" in b for b in sent)  # the service's name is on its spans
