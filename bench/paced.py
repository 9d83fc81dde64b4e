"""A paced (open-loop) HTTP load: requests at a fixed rate, latency from when each was due.

    python bench/paced.py --port P --key K --file LINES --rate 300 --connections 16 --seconds 8

wrk keeps every connection busy: it measures the most a server answers, and its latencies
are that rate's queue (sixteen connections at R requests/s wait 16/R s on average, by
Little's law). A connector does not send that way: it sends what its source changed, at the
source's pace. This client sends request i at start + i/rate over a pool of keep-alive
connections, as wrk2 does; a request due while every connection is busy waits for one, and
its latency counts from when it was due (no coordinated omission), so a server that falls
behind the rate shows it in p99 and max. Each line of LINES is "<path>\\t<JSON body>", sent
once, in order (bench/writes.py writes them). Prints one JSON object: rate achieved,
requests, p50, p99, max (ms), non-2xx and errors. Runs in its own process, beside the server.
"""

import argparse
import asyncio
import json
import time
from pathlib import Path

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is a dependency of the hub
    uvloop = None


TIMEOUT = 10.0  # seconds a request may take before it counts as an error (wrk's --timeout)
# refused, closed mid-answer (IncompleteReadError), garbled, a head past the limit, timed out
ERRORS = (OSError, EOFError, ValueError, asyncio.LimitOverrunError, TimeoutError)


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bool]:
    """Send one request and read its whole answer (the server answers with Content-Length):
    its status, and whether the server closes the connection after it."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status, length, closing = int(head[9:12]), 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            closing = value.strip().lower() == b"close"
    if length:
        await reader.readexactly(length)
    return status, closing


async def run(port: int, key: str, lines: list[bytes], rate: float, connections: int, seconds: float) -> dict:
    count = min(len(lines), int(rate * seconds))
    requests = []
    for line in lines[:count]:
        path, _, body = line.partition(b"\t")
        requests.append(
            b"PUT " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n" + body
        )  # fmt: skip
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []

    async def connection() -> None:
        """Take due requests in turn on one keep-alive connection, opened again after the
        server closes it or a request fails (the failure counted, its request not resent)."""
        try:  # opened before the clock starts; if it cannot be, the first request tries again
            stream = await asyncio.open_connection("127.0.0.1", port)
        except ERRORS:
            stream = None
        while (job := await queue.get()) is not None:
            due, request = job
            try:
                async with asyncio.timeout(TIMEOUT):
                    stream = stream or await asyncio.open_connection("127.0.0.1", port)
                    status, closing = await _exchange(*stream, request)
            except ERRORS as exc:
                errors.append(repr(exc))
                closing = True
            else:
                latencies.append(time.perf_counter() - due)
                statuses[status] = statuses.get(status, 0) + 1
            if closing and stream is not None:
                stream[1].close()
                stream = None
        if stream is not None:
            stream[1].close()

    pool = [asyncio.create_task(connection()) for _ in range(connections)]
    await asyncio.sleep(0.2)  # connections open before the clock starts
    start = time.perf_counter()
    for i, request in enumerate(requests):
        due = start + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        queue.put_nowait((due, request))
    for _ in pool:
        queue.put_nowait(None)
    await asyncio.gather(*pool)
    elapsed = time.perf_counter() - start
    latencies.sort()

    def at(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")

    return {
        "rate": len(latencies) / elapsed,
        "requests": len(latencies),
        "p50": at(0.50),
        "p99": at(0.99),
        "max": latencies[-1] * 1000 if latencies else float("nan"),
        "non_2xx": sum(n for s, n in statuses.items() if not 200 <= s < 300),
        "errors": len(errors),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--file", type=Path, required=True)
    p.add_argument("--rate", type=float, required=True, help="requests a second")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--seconds", type=float, default=8)
    args = p.parse_args()
    lines = args.file.read_bytes().splitlines()
    runner = uvloop.run if uvloop else asyncio.run
    print(json.dumps(runner(run(args.port, args.key, lines, args.rate, args.connections, args.seconds))))


if __name__ == "__main__":
    main()
