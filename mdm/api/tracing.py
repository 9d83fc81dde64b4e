"""OpenTelemetry traces, when configured: with OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, each request is a server span
(opentelemetry-instrumentation-asgi) exported over OTLP/HTTP in batches; the exporter's other
settings are OpenTelemetry's own environment variables (OTEL_SERVICE_NAME, headers, sampling).
Unset, nothing of OpenTelemetry is imported."""

import os
from typing import Any

from litestar.types import ASGIApp

ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracing_middleware() -> list[Any]:
    """The middleware to put first in the app's list: none unless an OTLP endpoint is set."""
    if not any(os.environ.get(name) for name in ENDPOINTS):
        return []
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "mdm")})
    provider = TracerProvider(resource=resource)  # flushes its batch when the process exits
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))

    def middleware(app: ASGIApp) -> ASGIApp:
        return OpenTelemetryMiddleware(app, tracer_provider=provider)  # type: ignore[return-value]

    return [middleware]
