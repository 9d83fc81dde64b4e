"""Settings from MDM_* environment variables."""

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import msgspec


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    database_url: str = "sqlite+aiosqlite:///./mdm.db"
    # a PostgreSQL read replica (streaming) for the reads that may lag the primary by its
    # replay delay: resolve, bulk resolve, GraphQL and the quality report. A source key the
    # replica does not know yet is asked of the primary by REST resolve, so a new source
    # record resolves at once; everything else (writes, REST record reads and their ETags, the
    # feed, the workbench, leases) stays on the primary, and API keys are read there unless it
    # does not answer (docs/operations.md). Unset: every read on the primary
    read_database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    pool_size: int = 10
    # seconds the server waits on its database before it answers 503 (mdm.db.engine.Timeouts):
    # a connection (new, or from a full pool), and one statement (PostgreSQL cancels it; on
    # SQLite, how long a writer queues for the write lock)
    db_connect_timeout: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    db_statement_timeout: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    log_level: str = "info"
    # score source records no key links against the golden records (match-before-create);
    # off, ingestion links by crosswalk and keys only (bulk loads of known-clean data)
    match_on_ingest: bool = True
    # objects allocated between two collections of the young generation (CPython's default
    # is 700): ingestion makes many short-lived objects per record, and at 700 the collector
    # took a fifth of a load's time (bench/README.md); see `tune_gc`
    gc_threshold: Annotated[int, msgspec.Meta(ge=700)] = 50_000
    # groups of single upserts a worker writes at once (PostgreSQL; SQLite has one writer).
    # One by default: on a two-core machine four lanes made smaller groups that contended
    # for the same cores (16 connections: 190 req/s, p99 259 ms, against 285 and 130 with
    # one; bench/README.md); more may pay where the database has cores of its own
    write_lanes: Annotated[int, msgspec.Meta(ge=1, le=32)] = 1
    # the largest request body taken (a 1,000-record bulk call fits); a larger one is a 413
    # before anything buffers it, so no request makes a worker hold more than this
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024)] = 10_000_000
    # how long an Idempotency-Key is remembered (its answer replayed); then it is forgotten
    idempotency_hours: Annotated[float, msgspec.Meta(gt=0)] = 24.0
    # change events (mdm.events): set, every worker runs the JetStream publisher and one at a
    # time (a lease) publishes to `<nats_prefix>.<domain>.<what>` on stream `nats_stream`,
    # records as a caller with `nats_roles` (comma-separated) reads them
    nats_url: str | None = None
    nats_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")] = "mdm"
    nats_stream: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]+$")] = "MDM_EVENTS"
    nats_roles: str = "reader"
    # the publisher's position (table event_consumer; another name: a second stream of its own)
    # and its lease: how long a publisher that died holds back the one that takes over
    nats_consumer: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:-]{1,60}$")] = "nats"
    nats_lease_seconds: Annotated[float, msgspec.Meta(ge=1)] = 15.0
    # how long the outbox keeps events for the pull feed (older ones are pruned; a cursor
    # before them is a 410)
    events_retention_days: Annotated[float, msgspec.Meta(gt=0)] = 7.0
    # signed webhooks (mdm.events.webhooks): every worker of `mdm serve` runs the deliveries
    # (off: run `mdm events deliver` instead), one process per subscription at a time (a lease).
    # A receiver has `webhook_timeout_seconds` to answer; an event it did not take is tried
    # again after `webhook_retry_seconds`, doubling up to `webhook_retry_max_seconds`, with
    # jitter, for `webhook_retry_hours`; then it is a dead letter. Rotated-out secrets sign
    # beside the new one for `webhook_rotation_hours`.
    webhooks: bool = True
    webhook_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 15.0
    webhook_retry_seconds: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    webhook_retry_max_seconds: Annotated[float, msgspec.Meta(gt=0)] = 21_600.0
    webhook_retry_hours: Annotated[float, msgspec.Meta(gt=0)] = 72.0
    webhook_rotation_hours: Annotated[float, msgspec.Meta(ge=0)] = 24.0
    # receivers at private addresses (loopback, RFC 1918, link-local such as cloud metadata):
    # refused unless set, so a subscription cannot reach into the hub's own network
    webhook_private_addresses: bool = False
    # on SIGTERM a worker stops taking requests and finishes those it holds; one that has not
    # finished after this many seconds (or was still starting) is killed
    shutdown_timeout: Annotated[int, msgspec.Meta(ge=1, le=600)] = 35
    # where `mdm serve`'s workers keep their metrics for /metrics to add up (prometheus-client's
    # multiprocess mode; emptied at start): unset, a new temporary directory each start
    metrics_dir: str | None = None
    # contract v1 is deprecated since, and will be switched off at (RFC 9745 Deprecation and
    # RFC 8594 Sunset headers on every /v1 answer; README "Versions and deprecation")
    v1_deprecation: datetime = datetime(2026, 12, 7, tzinfo=UTC)
    v1_sunset: datetime = datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC)

    def __post_init__(self) -> None:
        if self.v1_sunset <= self.v1_deprecation:
            raise ValueError("MDM_V1_SUNSET must be after MDM_V1_DEPRECATION")
        if self.read_database_url and not (
            self.database_url.startswith("postgresql") and self.read_database_url.startswith("postgresql")
        ):
            raise ValueError("MDM_READ_DATABASE_URL is a PostgreSQL replica of a PostgreSQL MDM_DATABASE_URL")

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Read `MDM_<FIELD>` for each field; explicit overrides win."""
        raw: dict[str, object] = {}
        for name in msgspec.structs.fields(cls):
            value = os.environ.get(f"MDM_{name.name.upper()}")
            if value is not None:
                raw[name.name] = value
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return msgspec.convert(raw, cls, strict=False)


def tune_gc(settings: Settings) -> None:
    """Collect the young generation every `settings.gc_threshold` allocations; the older
    generations keep their thresholds. Called where a process starts: the app, the CLI."""
    gc.set_threshold(settings.gc_threshold, *gc.get_threshold()[1:])


@contextmanager
def settled_gc() -> Iterator[None]:
    """While a worker serves, what it made to start (modules, app, schemas, pools: ~275,000
    objects that live as long as it does) is out of the collector's sight. Without this, the
    first collections of the older generations under traffic walked them all: pauses of
    100-290 ms while requests waited (bench/README.md). Objects freed meanwhile are still
    freed by their reference counts; at the end they are given back. Only the first app of a
    process does this: tests start many apps in one process, beside one that serves them all,
    and each would pay a full collection of a process that large."""
    if gc.get_freeze_count() > 0:  # another app of this process froze first: it gives back
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
