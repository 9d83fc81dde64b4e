"""Stewardship over REST, under every contract version: merge and unmerge per domain, the
review queue, "not a match", bulk decisions and match quality. Records are answered, and
picks named, in the caller's version. Thin handlers: the work is in stewardship.merge and
stewardship.queue, inside the request's one transaction."""

import base64
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import v1
from mdm.api import (
    ContractVersion,
    RecordId,
    caller_subjects,
    operation_id,
    problem_of_error,
    problem_responses,
    provide_actor,
    provide_session,
    readable,
    under_every_version,
    version_of,
    version_suffix,
)
from mdm.api.records import SourceId, System
from mdm.auth.actor import Actor
from mdm.db import held as held_sql
from mdm.domains import BY_NAME, CONTRACT_VERSIONS, DOMAINS, Domain
from mdm.errors import Forbidden, Invalid, NotFound
from mdm.policy.visibility import shown
from mdm.records import service
from stewardship import queue
from stewardship import repository as srepo
from stewardship.merge import merge, unmerge

Session = NamedDependency[AsyncSession]
Caller = NamedDependency[Actor]
DEPENDENCIES = {"db_session": Provide(provide_session), "actor": Provide(provide_actor)}


async def _readable_domains(request: Request) -> list[str]:
    policy = await request.app.state.policies.for_read()
    subjects = caller_subjects(request)
    return [d.name for d in DOMAINS if policy.readable(subjects, d.name)]


def _shown(cv: ContractVersion, view: dict[str, Any], actor: Actor) -> dict[str, Any]:
    return cv.shaped(shown(cv.domain, view, actor.policy.readable(actor.subjects, cv.domain.name)))


def _entry(row: Any) -> v1.MergeEntry:
    return v1.MergeEntry(merge_id=row.id, survivor_id=row.survivor_id, merged_ids=list(row.merged_ids),
                         picks=dict(row.picks), principal=row.principal, created_at=row.created_at,
                         undone_at=row.undone_at, undone_by=row.undone_by)  # fmt: skip


def merge_router(domain: Domain, version: str) -> Router:
    """POST /{version}/{d}/merge, POST .../{id}/unmerge and GET .../{id}/merges."""
    label, sfx, cv = domain.label, version_suffix(version), ContractVersion(domain, version)

    @post("/merge", operation_id=f"merge{domain.plural_label}{sfx}", status_code=200,
          responses=problem_responses(403, 409, 422),
          summary=f"Fold {domain.name} records into a survivor, in one transaction")  # fmt: skip
    async def merge_records(data: JSONBody[v1.MergeRequest], db_session: Session, actor: Caller) -> v1.MergeResult:
        picks = {cv.view.names_in([name])[0] if cv.view else name: gid for name, gid in data.picks.items()}
        done = await merge(db_session, domain, data.survivor_id, list(data.merged_ids), picks, actor)
        done["record"] = _shown(cv, done["record"], actor)
        return msgspec.convert(done, v1.MergeResult)

    @post("/{record_id:str}/unmerge", operation_id=f"unmerge{label}{sfx}", status_code=200,
          responses=problem_responses(403, 404, 409, 422),
          summary="Undo a merge into this record, exactly")  # fmt: skip
    async def unmerge_record(
        data: JSONBody[v1.UnmergeRequest], db_session: Session, actor: Caller, record_id: RecordId
    ) -> v1.UnmergeResult:
        done = await unmerge(db_session, domain, record_id, data.merge_id, actor)
        done["record"] = _shown(cv, done["record"], actor)
        return msgspec.convert(done, v1.UnmergeResult)

    @get("/{record_id:str}/merges", operation_id=f"get{label}Merges{sfx}", responses=problem_responses(403),
         summary="The merges into this record, newest first, with the ids to undo them by")  # fmt: skip
    async def list_merges(request: Request, db_session: Session, record_id: RecordId) -> list[v1.MergeEntry]:
        await readable(request, domain)
        rows = await srepo.merges_of(db_session, domain, record_id)
        return [_entry(r) for r in rows]

    @get("/held", operation_id=f"listHeld{domain.plural_label}{sfx}", responses=problem_responses(403, 422),
         summary=f"Held {domain.name} source records: kept whole, joined to no golden record yet, and why")  # fmt: skip
    async def list_held(
        request: Request,
        db_session: Session,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=400, pattern=r"^[A-Za-z0-9_-]*$")] = None,
    ) -> v1.HeldPage:
        fields = await readable(request, domain)
        rows = await held_sql.list_held(db_session, domain, _after(cursor), limit + 1)
        items = [
            v1.HeldRecord(system=r.system, source_id=r.source_id, received_at=r.received_at,
                          record=cv.shaped(shown(domain, dict(r.payload), fields)),
                          held=msgspec.convert({"reason": r.reason, "detail": r.detail, "candidates": r.candidates},
                                               v1.HeldInfo))
            for r in rows[:limit]
        ]  # fmt: skip
        last = rows[limit - 1] if len(rows) > limit else None
        return v1.HeldPage(items=items, next_cursor=_cursor_of(last.system, last.source_id) if last else None)

    @post("/held/{system:str}/{source_id:str}/link", operation_id=f"linkHeld{label}{sfx}", status_code=200,
          responses=problem_responses(403, 404, 409, 422),
          summary="A steward joins a held source record to a golden record")  # fmt: skip
    async def link_held(
        data: JSONBody[v1.HeldLink], db_session: Session, actor: Caller, system: System, source_id: SourceId
    ) -> v1.UpsertResult:
        done = await service.link_held(db_session, domain, system, source_id, data.id, actor)
        return msgspec.convert(done, v1.UpsertResult)

    @post("/held/{system:str}/{source_id:str}/create", operation_id=f"createFromHeld{label}{sfx}", status_code=200,
          responses=problem_responses(403, 404, 409, 422),
          summary="A steward makes a golden record of a held source record")  # fmt: skip
    async def create_from_held(
        db_session: Session, actor: Caller, system: System, source_id: SourceId
    ) -> v1.UpsertResult:
        done = await service.create_from_held(db_session, domain, system, source_id, actor)
        return msgspec.convert(done, v1.UpsertResult)

    return Router(
        path=f"/{version}/{domain.path}",
        route_handlers=[merge_records, unmerge_record, list_merges, list_held, link_held, create_from_held],
        dependencies=DEPENDENCIES,
        tags=[domain.plural_label],
    )


def _cursor_of(system: str, source_id: str) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode([system, source_id])).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[str, str] | None:
    """The (system, source_id) a held page's cursor ends at; a 422 for any other text."""
    if cursor is None:
        return None
    try:
        system, source_id = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)),
                                                type=tuple[str, str])  # fmt: skip
    except (ValueError, msgspec.DecodeError) as exc:
        raise Invalid("cursor is not valid", [("cursor", "not a cursor this API gave out")]) from exc
    return system, source_id


CandidateId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="a queued pair's id")]
DomainName = Annotated[str | None, QueryParameter(pattern=r"^[a-z_]+$", max_length=32, description="a domain")]
Score = Annotated[float | None, QueryParameter(ge=0.0, le=1.0)]


@get("/candidates", operation_id=operation_id("listCandidates"), responses=problem_responses(403, 404, 422),
     summary="The review queue, best score first")  # fmt: skip
async def list_candidates(
    request: Request,
    db_session: Session,
    domain: DomainName = None,
    status: Annotated[v1.stewardship.QueueStatus | None, QueryParameter()] = None,
    min_score: Score = None,
    max_score: Score = None,
    system: Annotated[str | None, QueryParameter(pattern=r"^[a-z][a-z0-9_-]*$", max_length=50)] = None,
    record: Annotated[
        str | None, QueryParameter(max_length=64, pattern=r"^[A-Za-z0-9_]+$", description="pairs that name this record")
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, QueryParameter(max_length=200, pattern=r"^[A-Za-z0-9_-]*$")] = None,
) -> v1.QueuePage:
    domains = await _readable_domains(request)
    if domain is not None:
        if domain not in BY_NAME:
            raise NotFound(f"no domain {domain}")
        if domain not in domains:
            raise Forbidden(f"{caller_subjects(request)[0]} may not read {domain} records")
        domains = [domain]
    found = await queue.page(db_session, domains, status=status, min_score=min_score, max_score=max_score,
                             system=system, cursor=cursor, limit=limit, record=record)  # fmt: skip
    return msgspec.convert(found, v1.QueuePage)


@get("/candidates/{candidate_id:int}", operation_id=operation_id("getCandidate"), responses=problem_responses(403, 404),
     summary="A queued pair side by side, with the level and weight of each field")  # fmt: skip
async def get_candidate(request: Request, db_session: Session, candidate_id: CandidateId) -> v1.CandidateDetail:
    row = await srepo.candidate(db_session, candidate_id)
    if row is None or row.domain not in BY_NAME:
        raise NotFound(f"no match candidate {candidate_id}")
    fields = await readable(request, BY_NAME[row.domain])
    detail = await queue.detail(db_session, candidate_id, fields)
    cv = ContractVersion(BY_NAME[row.domain], version_of(request))  # the two records in the caller's version
    detail |= {side: cv.shaped(detail[side]) for side in ("left", "right") if detail[side] is not None}
    return msgspec.convert(detail, v1.CandidateDetail)


@post("/candidates/{candidate_id:int}/reject", operation_id=operation_id("rejectCandidate"), status_code=200,
      responses=problem_responses(403, 404, 409), summary="Not a match: never queued or auto-linked again")  # fmt: skip
async def reject_candidate(db_session: Session, actor: Caller, candidate_id: CandidateId) -> v1.RejectResult:
    return msgspec.convert(await queue.reject(db_session, candidate_id, actor), v1.RejectResult)


@post("/candidates/bulk", operation_id=operation_id("decideCandidates"), status_code=200,
      responses=problem_responses(403, 422),
      summary="Merge or reject many queued pairs, each decided on its own")  # fmt: skip
async def bulk_decide(data: JSONBody[v1.BulkRequest], db_session: Session, actor: Caller) -> v1.BulkResult:
    items = await queue.bulk(db_session, msgspec.to_builtins(data.items), actor)
    for item in items:  # an item refused on its own answers the problem it would have had alone
        if (error := item.pop("error", None)) is not None:
            item["problem"] = msgspec.to_builtins(problem_of_error(error))
    return msgspec.convert({"items": items}, v1.BulkResult)


@get("/quality", operation_id=operation_id("getMatchQuality"), responses=problem_responses(403),
     summary="Precision per domain and score band, estimated from steward decisions")  # fmt: skip
async def get_quality(request: Request, db_session: Session) -> v1.Quality:
    return msgspec.convert(await queue.quality(db_session, await _readable_domains(request)), v1.Quality)


queue_router = Router(
    path="/stewardship",
    route_handlers=[list_candidates, get_candidate, reject_candidate, bulk_decide, get_quality],
    dependencies=DEPENDENCIES,
    tags=["Stewardship"],
)


def routers() -> list[Router]:
    return [*under_every_version(queue_router), *(merge_router(d, v) for v in CONTRACT_VERSIONS for d in DOMAINS)]
