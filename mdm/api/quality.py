"""The data-quality report: GET /v2/quality and the records behind each figure
(mdm.records.quality). For anyone who reads the hub: it shows counts, not values."""

from typing import Annotated

from litestar import Request, Router, get
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.v2.quality import QualityRecords, QualityReport
from mdm.api.deps import ON_REPLICA, provide_session
from mdm.api.records import problems
from mdm.domains import BY_NAME, DOMAINS
from mdm.errors import Forbidden
from mdm.records import quality

READERS = frozenset({"reader", "finance", "steward", "admin"})
_DOMAIN = "|".join(d.name for d in DOMAINS)
StaleDays = Annotated[
    int,
    QueryParameter(
        ge=quality.STALE_DAYS[0],
        le=quality.STALE_DAYS[1],
        description="a source record not refreshed in this many days is stale",
    ),
]


def readable(roles: frozenset[str]) -> None:
    """The report is for those who read the hub (REST and GraphQL)."""
    if not roles & READERS:
        raise Forbidden("the quality report is for those who read the hub (reader, finance, steward, admin)")


def _readable(request: Request) -> None:
    readable(request.scope["state"].get("roles", frozenset()))


@get("/quality", operation_id="v2QualityReport", tags=["Quality"], responses=problems(403, 422),
     dependencies={"db_session": Provide(provide_session)}, opt={ON_REPLICA: True},
     summary="Data quality per domain: completeness, validity, uniqueness, consistency, references")  # fmt: skip
async def quality_report(
    request: Request,
    db_session: NamedDependency[AsyncSession],
    domain: Annotated[str | None, QueryParameter(pattern=rf"^({_DOMAIN})$")] = None,
    stale_days: StaleDays = 90,
) -> QualityReport:
    _readable(request)
    return await quality.report(db_session, [BY_NAME[domain]] if domain else None, stale_days)


@get("/quality/{domain:str}/records", operation_id="v2QualityRecords", tags=["Quality"],
     responses=problems(403, 422), dependencies={"db_session": Provide(provide_session)}, opt={ON_REPLICA: True},
     summary="The records behind one figure of the quality report, a page at a time")  # fmt: skip
async def quality_records(
    request: Request,
    db_session: NamedDependency[AsyncSession],
    domain: Annotated[str, PathParameter(pattern=rf"^({_DOMAIN})$")],
    figure: Annotated[str, QueryParameter(max_length=120, pattern=r"^[a-z_]+(:[A-Za-z0-9_.-]+){0,2}$")],
    after: Annotated[str | None, QueryParameter(max_length=1000, pattern=r"^[A-Za-z0-9_=-]+$")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    stale_days: StaleDays = 90,
) -> QualityRecords:
    _readable(request)
    return await quality.records_behind(db_session, BY_NAME[domain], figure, after, limit, stale_days)


quality_router = Router(path="/v2", route_handlers=[quality_report, quality_records])
