"""bench/events.py's baseline: with this directory on PYTHONPATH and MDM_BENCH_NO_OUTBOX=1,
every process (granian's workers too) writes no events, so the outbox's cost on ingestion is
measured against the same code without it. Never used outside that benchmark."""

import os

if os.environ.get("MDM_BENCH_NO_OUTBOX") == "1":
    from mdm.records import workspace

    async def _nothing(*_args: object, **_kwargs: object) -> None:
        return None

    workspace.Workspace.emit = lambda *_args, **_kwargs: None  # type: ignore[method-assign]
    workspace.events_sql.insert_events = _nothing  # type: ignore[assignment]
