"""The app factory: the one place routes, middleware, error handlers and state are wired.

Building the app never touches the database (so OpenAPI export works offline); the
engines open in the lifespan.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import entry_points
from typing import Any

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from mdm.api.audit import list_audit
from mdm.api.auth import auth_middleware
from mdm.api.docs import IndexPage, WholeDocument, mount_version_pages
from mdm.api.events import event_consumers, events_head, list_events
from mdm.api.graphql import graphql_routes
from mdm.api.graphql.ide import serve_graphiql_asset
from mdm.api.instants import TYPE_DECODERS, InstantSchemaPlugin
from mdm.api.metrics import metrics, metrics_middleware, watch, worker_exited
from mdm.api.middleware import (
    JsonRequest,
    allow_middleware,
    correlation_middleware,
    deprecation_headers,
    deprecation_middleware,
    idempotency_middleware,
    json_body_middleware,
)
from mdm.api.openapi import ContractSchemaPlugin
from mdm.api.ops import list_systems, live, migration_guide, ready
from mdm.api.policy import policy_router
from mdm.api.problems import HANDLERS
from mdm.api.quality import quality_router
from mdm.api.records import records_router
from mdm.api.rejections import audit_rejected_write
from mdm.api.resolve import bulk_resolve
from mdm.api.tracing import tracing_middleware
from mdm.api.versions import under_every_version
from mdm.api.webhooks import subscriptions_router
from mdm.api.writer import UpsertWriter
from mdm.auth.keys import KeyCache
from mdm.db.engine import Database, Timeouts, checkpoints
from mdm.db.fastpath import fast_reads
from mdm.domains import CONTRACT_VERSIONS, DOMAINS
from mdm.events.publisher import from_settings as publisher_from_settings
from mdm.events.retention import prune_events
from mdm.events.webhooks import from_settings as webhooks_from_settings
from mdm.logs import configure as configure_logs
from mdm.policy.store import PolicyCache
from mdm.settings import Settings, settled_gc, tune_gc


def plugins() -> list[Any]:
    """Packages that plug into the app (stewardship): the `mdm.plugins` entry points, so
    mdm never imports them."""
    return [ep.load() for ep in entry_points(group="mdm.plugins")]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    tune_gc(settings)
    configure_logs(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.settings = settings
        timeouts = Timeouts(settings.db_connect_timeout, settings.db_statement_timeout)
        app.state.db = Database.connect(settings.database_url, settings.pool_size, timeouts,
                                        background_checkpoints=True)  # fmt: skip
        # reads that may lag (resolve, GraphQL, the quality report; API keys while the primary
        # does not answer): the replica when there is one
        app.state.read_db = app.state.db
        if settings.read_database_url:
            app.state.read_db = Database.connect(settings.read_database_url, settings.pool_size, timeouts)
        watch(app.state.db, app.state.read_db)
        app.state.fast = fast_reads(settings.database_url, settings.read_database_url, settings.pool_size, timeouts)
        app.state.api_keys = KeyCache(app.state.db, app.state.read_db)
        app.state.policies = PolicyCache(app.state.db)
        app.state.writer = UpsertWriter(app.state.db, app.state.policies, fuzzy=settings.match_on_ingest,
                                        lanes=settings.write_lanes)  # fmt: skip
        await app.state.fast.start()
        stop = asyncio.Event()
        tasks = [asyncio.create_task(prune_events(app.state.db, settings.events_retention_days, stop)),
                 asyncio.create_task(checkpoints(app.state.db, stop))]  # fmt: skip
        if settings.nats_url:
            publisher = publisher_from_settings(app.state.db, settings, app.state.policies.for_read)
            tasks.append(asyncio.create_task(publisher.run(stop)))
        if settings.webhooks:
            dispatcher = webhooks_from_settings(app.state.db, settings, app.state.policies.for_read)
            tasks.append(asyncio.create_task(dispatcher.run(stop)))
        try:
            with settled_gc():
                yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await app.state.fast.close()
            await app.state.db.dispose()
            if app.state.read_db is not app.state.db:
                await app.state.read_db.dispose()
            worker_exited()

    app = Litestar(
        route_handlers=[
            live,
            ready,
            metrics,
            migration_guide,
            *under_every_version(
                list_systems, bulk_resolve, list_audit, list_events, events_head, event_consumers, policy_router
            ),
            *(records_router(d, version) for version in CONTRACT_VERSIONS for d in DOMAINS),
            subscriptions_router,
            quality_router,
            *graphql_routes(),
            serve_graphiql_asset,
        ],
        middleware=[
            *tracing_middleware(),
            metrics_middleware,
            deprecation_middleware({"/v1/": deprecation_headers(settings.v1_deprecation, settings.v1_sunset)}),
            correlation_middleware,
            allow_middleware,
            auth_middleware,
            json_body_middleware,
            idempotency_middleware,
        ],
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        after_exception=[audit_rejected_write],
        lifespan=[lifespan],
        plugins=[ContractSchemaPlugin(), InstantSchemaPlugin(), *plugins()],
        type_decoders=TYPE_DECODERS,
        openapi_config=OpenAPIConfig(
            title="mdm",
            version="1.0.0",
            description="Master-data hub: golden records, crosswalks and survivorship for six domains.",
            path="/schema",
            render_plugins=[IndexPage(), WholeDocument()],  # and a page per version: mount_version_pages
            security=[{"BearerToken": []}],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(type="http", scheme="bearer", description="an mdm API key")
                }
            ),
        ),
        request_max_body_size=settings.max_body_bytes,
        request_class=JsonRequest,
        logging_config=None,  # mdm.logs configured the process's logging: JSON lines, Litestar's too
        debug=False,
    )
    mount_version_pages(app)
    return app
