"""A webhook receiver for the tests: an HTTP server on loopback that records every request."""

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """An HTTP server on loopback that records every request and answers as `answer` says
    (a status code; it may sleep first)."""

    def __init__(self, answer: Callable[["Receiver", dict[str, str], bytes], int] | None = None):
        self.answer = answer or (lambda r, h, b: 204)
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver.answer(receiver, headers, body)
                with receiver.lock:
                    receiver.requests.append((headers, body, status))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def taken(self) -> list[tuple[dict[str, str], bytes]]:
        with self.lock:
            return [(h, b) for h, b, status in self.requests if 200 <= status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
