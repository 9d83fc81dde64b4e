"""Health, readiness and the source-system registry."""

import asyncio
from pathlib import Path

from litestar import Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ServiceUnavailableException
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import v1
from mdm.api.deps import provide_session
from mdm.api.middleware import MIGRATION_GUIDE
from mdm.api.records import problems
from mdm.api.versions import operation_id
from mdm.db import repository as repo


@get("/health/live", operation_id="live", tags=["Health"], summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@get("/health/ready", operation_id="ready", tags=["Health"], summary="The database answers",
     responses=problems(503))  # fmt: skip
async def ready(request: Request) -> dict[str, str]:
    """Ready while the primary database answers. A read replica's state is in the answer
    (`read_replica`: ok or unreachable) but does not make a worker unready: every worker
    shares it, and a worker without it still writes (its resolves and GraphQL answer 503).
    Both are asked at once: the answer comes within the connect timeout."""
    state = request.app.state
    replica = state.read_db is not state.db
    found = await asyncio.gather(state.db.ping(), *([state.read_db.ping()] if replica else []), return_exceptions=True)
    if isinstance(found[0], BaseException):  # readiness reports (a 503 problem), whatever the driver raised
        detail = f"the database does not answer ({type(found[0]).__name__})"
        raise ServiceUnavailableException(detail, headers={"Retry-After": "5"}) from found[0]
    if not replica:
        return {"status": "ok"}
    lost = found[1]
    return {"status": "ok", "read_replica": f"unreachable ({type(lost).__name__})" if lost else "ok"}


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "migrating-v1-to-v2.md"


@get(MIGRATION_GUIDE, operation_id="migrationGuide", tags=["Health"], include_in_schema=False,
     summary="How to move from contract v1 to v2 (the Link of every deprecated answer)")  # fmt: skip
async def migration_guide() -> Response[bytes]:
    return Response(GUIDE.read_bytes(), media_type="text/markdown; charset=utf-8")


@get("/systems", operation_id=operation_id("listSystems"), tags=["Systems"], summary="Registered source systems",
     dependencies={"db_session": Provide(provide_session)})  # fmt: skip
async def list_systems(db_session: NamedDependency[AsyncSession]) -> list[v1.SourceSystem]:
    rows = await repo.known_systems(db_session)
    return [v1.SourceSystem(code=r.code, name=r.name, created_at=r.created_at) for r in rows.values()]
