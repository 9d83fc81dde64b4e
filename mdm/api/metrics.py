"""Prometheus metrics at GET /metrics (prometheus-client), for a key with the operator or admin
role; and each request's log line (mdm.logs).

A worker counts what it serves: requests by route template (never the raw path), method and
status, as OpenTelemetry's `http.server.request.duration`; source records ingested by domain,
system and outcome (`held` and `contributed` included) and the match scores that decided
them; its database pool and its statements' latency. Several workers (`mdm serve --workers
N`) share one directory (PROMETHEUS_MULTIPROC_DIR, which `mdm serve` makes empty at start)
and whichever answers a scrape adds them all up: prometheus-client's multiprocess mode. The
estate's own figures (review candidates and held records by domain and age, consumers' lag
and dead letters) are read from the database at the scrape: they are no worker's."""

import contextlib
import logging
import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.types import ASGIApp, Message, Receive, Send
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import values as prometheus_values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from mdm.db import backlog, driver
from mdm.db.engine import Database
from mdm.errors import Forbidden
from mdm.events import feed
from mdm.logs import get as get_logger

PATH = "/metrics"
REQUEST_LOG = "mdm.request"
request_log = get_logger(REQUEST_LOG)
ROLES = frozenset({"operator", "admin"})
MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"
EXPOSITION = "text/plain; version=0.0.4"  # Prometheus's text format (Litestar adds the charset)
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_pid = os.getpid()


def _refresh_pid() -> None:
    global _pid
    _pid = os.getpid()


def _process() -> int:
    """This process's id, as multiprocess mode keys its files: kept, and renewed in a forked
    child, instead of prometheus-client's os.getpid() system call on every increment (a tenth
    of a REST resolve's time on SQLite)."""
    return _pid


if os.environ.get(MULTIPROC):  # before any metric is made: each takes the value class in force
    os.register_at_fork(after_in_child=_refresh_pid)
    prometheus_values.ValueClass = prometheus_values.MultiProcessValue(process_identifier=_process)  # type: ignore[no-untyped-call]

REQUEST_DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Duration of HTTP server requests (OpenTelemetry http.server.request.duration)",
    ["http_request_method", "http_route", "http_response_status_code"],
    buckets=SECONDS,
)
INGESTED = Counter("mdm_ingest_records", "Source records ingested, by what became of each",
                   ["domain", "system", "outcome"])  # fmt: skip
CONTRIBUTED = Counter("mdm_ingest_contributed_records", "Ingested source records that contributed to a golden record "
                      "they did not create or join (policy fill)", ["domain", "system"])  # fmt: skip
MATCH_SCORE = Histogram("mdm_match_score", "Best match score of an ingested source record that was scored",
                        ["domain"], buckets=tuple(i / 10 for i in range(1, 11)))  # fmt: skip
POOL_IN_USE = Gauge("mdm_db_pool_connections_in_use", "Database connections checked out of this worker's pools",
                    multiprocess_mode="livesum")  # fmt: skip
STATEMENT_DURATION = Histogram("mdm_db_statement_duration_seconds",
                               "Duration of database statements (SQLAlchemy's, and those run on the driver)",
                               buckets=SECONDS)  # fmt: skip


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Time each routed request to its answer's start, by route template and status, and log
    it: one line with its correlation id, principal, route, status and duration."""
    logged = logging.getLogger(REQUEST_LOG)

    async def middleware(scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = False

        def observe(status: int) -> None:
            took = time.perf_counter() - started
            route = scope.get("path_template", "")
            REQUEST_DURATION.labels(scope["method"], route, str(status)).observe(took)
            if logged.isEnabledFor(logging.INFO):
                state = scope.get("state", {})
                request_log.info("request", method=scope["method"], route=route, status=status,
                                 duration_ms=round(took * 1000, 2), correlation_id=state.get("correlation_id"),
                                 principal=state.get("principal"))  # fmt: skip

        async def send_timed(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                observe(message["status"])
            await send(message)

        try:
            await app(scope, receive, send_timed)
        except BaseException:
            if not answered:  # Litestar's outer handler answers it: a 500
                observe(500)
            raise

    return middleware


def count_ingested(domain: str, results: Iterable[tuple[str, Any]]) -> None:
    """What became of each source record a committed write ingested: (its system, what
    `service.ingest` answered for it; a refused one is an error, counted as `rejected`)."""
    for system, result in results:
        if not isinstance(result, dict):
            INGESTED.labels(domain, system, "rejected").inc()
            continue
        INGESTED.labels(domain, system, result["outcome"]).inc()
        if result.get("contributed"):
            CONTRIBUTED.labels(domain, system).inc()
        match = result.get("match")
        if match and match.get("score") is not None:
            MATCH_SCORE.labels(domain).observe(float(match["score"]))


def watch(*dbs: Database) -> None:
    """Time the statements of this worker's engines; keep its pool gauge current."""
    engines = {id(e): e for db in dbs for e in (db.write, db.read)}.values()

    def before(conn: Any, _cursor: Any, _statement: Any, _params: Any, context: Any, _many: Any) -> None:
        context._mdm_started = time.perf_counter()

    def after(conn: Any, _cursor: Any, _statement: Any, _params: Any, context: Any, _many: Any) -> None:
        started = getattr(context, "_mdm_started", None)
        if started is not None:
            STATEMENT_DURATION.observe(time.perf_counter() - started)

    def pool_use(*_args: Any) -> None:
        POOL_IN_USE.set(sum(_checked_out(e) for e in engines))

    driver.timer = STATEMENT_DURATION.observe
    for engine in engines:
        event.listen(engine.sync_engine, "before_cursor_execute", before)
        event.listen(engine.sync_engine, "after_cursor_execute", after)
        event.listen(engine.sync_engine.pool, "checkout", pool_use)
        event.listen(engine.sync_engine.pool, "checkin", pool_use)


def _checked_out(engine: AsyncEngine) -> int:
    checked_out = getattr(engine.sync_engine.pool, "checkedout", None)
    return int(checked_out()) if checked_out is not None else 0


def forget_dead_workers(where: Path) -> None:
    """Drop the live gauges of workers that died without saying so (SIGKILL, out of memory:
    granian started another), so the pool gauge counts only the living. Their counters stay:
    a counter never goes back. The directory is one server's (MDM_METRICS_DIR), its workers
    processes of this host: a pid that is not alive here is a dead worker."""
    for found in where.glob("gauge_live*_*.db"):
        pid_text = found.stem.rsplit("_", 1)[1]
        if not pid_text.isdigit():  # not a worker's file
            continue
        pid = int(pid_text)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            with contextlib.suppress(FileNotFoundError):  # another worker's scrape was first
                multiprocess.mark_process_dead(pid, str(where))  # type: ignore[no-untyped-call]
        except PermissionError:  # alive, another user's
            pass


def worker_exited() -> None:
    """A worker that stops takes its live gauges with it (multiprocess mode)."""
    if os.environ.get(MULTIPROC):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class _Estate(Collector):
    """The database's figures, read before the scrape is written."""

    def __init__(self, families: list[GaugeMetricFamily]):
        self.families = families

    def collect(self) -> Iterable[GaugeMetricFamily]:
        return self.families


async def estate_families(db: Database) -> list[GaugeMetricFamily]:
    now = datetime.now(UTC)
    candidates = GaugeMetricFamily("mdm_open_candidates", "Review candidates waiting for a steward, by age",
                                   labels=["domain", "age"])  # fmt: skip
    held = GaugeMetricFamily("mdm_held_records", "Held source records, by age", labels=["domain", "age"])
    behind = GaugeMetricFamily("mdm_consumer_lag_events", "Events a consumer has not delivered", labels=["consumer"])
    behind_s = GaugeMetricFamily("mdm_consumer_lag_seconds", "Age of the oldest event a consumer has not delivered",
                                 labels=["consumer"])  # fmt: skip
    dead = GaugeMetricFamily("mdm_webhook_dead_letters", "Webhook events given up on (dead letters)",
                             labels=["consumer"])  # fmt: skip
    retrying = GaugeMetricFamily("mdm_webhook_retrying", "Webhook events waiting for a retry", labels=["consumer"])
    async with db.sessionmaker(write=False)() as session, session.begin():
        for family, counts in ((candidates, await backlog.open_candidates(session, now)),
                               (held, await backlog.held(session, now))):  # fmt: skip
            for domain, ages in sorted(counts.items()):
                for age, n in ages.items():
                    family.add_metric([domain, age], n)
        for lag in await feed.lags(session, now):
            behind.add_metric([lag["name"]], lag["behind_events"])
            behind_s.add_metric([lag["name"]], lag["behind_seconds"])
            dead.add_metric([lag["name"]], lag["dead_letters"])
            retrying.add_metric([lag["name"]], lag["retrying"])
    return [candidates, held, behind, behind_s, dead, retrying]


@get(PATH, include_in_schema=False)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    if not request.scope["state"].get("roles", frozenset()) & ROLES:
        raise Forbidden("metrics are for a key with the operator or admin role")
    if where := os.environ.get(MULTIPROC):
        forget_dead_workers(Path(where))
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)  # type: ignore[no-untyped-call]
    else:
        workers = REGISTRY
    estate = CollectorRegistry()
    estate.register(_Estate(await estate_families(request.app.state.db)))
    return Response(generate_latest(workers) + generate_latest(estate), media_type=EXPOSITION)
