"""Structured logs (structlog): one JSON line per record on standard output, the stdlib
loggers' (`logging.getLogger("mdm.api")`, Litestar's, granian's) rendered the same way.

An error is one line with its cause (`error`: the exception's type and message, `where`: the
innermost frame), never a traceback a request. Fields that could carry a secret, a key or a
cost rate are dropped from every line, whoever logged them."""

import logging
import sys
import traceback
from typing import Any

import structlog
from structlog.typing import EventDict

# a field named so, or ending so, never reaches a log line
SECRET = ("authorization", "key", "api_key", "secret", "secrets", "password", "token", "cost_rate", "rate", "body")


def _redact(_logger: Any, _method: str, event: EventDict) -> EventDict:
    for name in [n for n in event if n.lower().endswith(SECRET)]:
        event[name] = "[redacted]"
    return event


def _one_line_error(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """exc_info becomes its cause in two fields; the traceback stays out of the log."""
    info = event.pop("exc_info", None)
    if info is True:
        info = sys.exc_info()
    elif isinstance(info, BaseException):
        info = (type(info), info, info.__traceback__)
    if info and info[1] is not None:
        event["error"] = f"{info[0].__name__}: {info[1]}"
        frames = traceback.extract_tb(info[2]) if info[2] is not None else []
        if frames:
            event["where"] = f"{frames[-1].filename}:{frames[-1].lineno}"
    return event


SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _one_line_error,
    _redact,
]


def configure(level: str = "info") -> None:
    """Every record of this process as a JSON line on stdout, at `level` and above."""
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.JSONRenderer()],
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *SHARED],
    ))  # fmt: skip
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_mdm", False)]
    handler._mdm = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("casbin").setLevel(logging.WARNING)  # it logs its model at INFO on every policy it builds


def get(name: str) -> Any:
    return structlog.get_logger(name)
