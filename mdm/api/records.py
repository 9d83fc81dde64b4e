"""The generic REST controller, built once per domain descriptor.

No `from __future__ import annotations` here: the handlers are made inside a factory
and Litestar must see their real annotation objects (the domain's contract types).
"""

from typing import Annotated, Any, Literal, cast

import msgspec
from litestar import Request, Response, Router, delete, get, patch, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import v1
from contracts.v1.common import NO_NUL
from mdm.api.batch import upsert_batch
from mdm.api.cursors import decode_cursor, encode_cursor
from mdm.api.deps import provide_actor, provide_session
from mdm.api.instants import Instant
from mdm.api.preconditions import ETAG_PATTERN, etag, parse_if_match
from mdm.api.versions import ContractVersion, version_suffix
from mdm.api.visibility import readable
from mdm.auth.actor import Actor
from mdm.domains import LATEST, Domain
from mdm.errors import Invalid, MdmError, NotFound
from mdm.matching import service as matching
from mdm.policy.visibility import shown
from mdm.records import service
from mdm.records.validation import check_fields

# a path or query holding U+FFFD is refused (mdm.api.middleware.unreadable: it is what a
# broken escape decodes to), so its parameters' text may not hold it either
PATH_TEXT = NO_NUL.replace("\\x00", "\\x00\\uFFFD")
_SOURCE_ID: dict[str, Any] = {
    "min_length": 1,
    "max_length": 200,
    "pattern": PATH_TEXT,
    "description": "the record's id in that system",
}
_SYSTEM: dict[str, Any] = {
    "min_length": 1,
    "max_length": 50,
    "pattern": r"^[a-z][a-z0-9_-]*$",
    "description": "source system code, e.g. salesforce",
}
SourceId = Annotated[str, PathParameter(**_SOURCE_ID)]
System = Annotated[str, PathParameter(**_SYSTEM)]
SourceIdQuery = Annotated[str, QueryParameter(**_SOURCE_ID)]
SystemQuery = Annotated[str, QueryParameter(**_SYSTEM)]
RecordId = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=PATH_TEXT, description="canonical id")]
IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", required=False, pattern=ETAG_PATTERN, description="ETag from a GET, or *"),
]  # required in the document: without it the handler answers 428 (mdm.api.openapi)
When = Annotated[Instant | None, QueryParameter()]
Search = Annotated[
    str | None, QueryParameter(max_length=200, pattern=PATH_TEXT, description="text in searchable fields")
]
ETAG = [ResponseHeader(name="ETag", documentation_only=True, required=True, description="the record's version")]
CREATED = [*ETAG, ResponseHeader(name="Location", documentation_only=True, required=True, description="the new record")]
Session = NamedDependency[AsyncSession]
Caller = NamedDependency[Actor]
Readable = NamedDependency[frozenset[str]]


def problems(*codes: int) -> dict[int, ResponseSpec]:
    return {
        c: ResponseSpec(
            data_container=v1.Problem,
            media_type="application/problem+json",
            description="problem details",
            generate_examples=False,  # random ones would change every export; mdm.api.openapi writes them
        )
        for c in codes
    }


def records_router(domain: Domain, version: str = LATEST) -> Router:
    """REST for one domain in one contract version: list, create, get, patch, history,
    lineage, crosswalks, source upsert and detach, resolve, translate."""
    v = ContractVersion(domain, version)
    read_type, create_type, source_type, patch_type = v.read, v.create, v.source, v.patch
    page_type = msgspec.defstruct(
        f"{domain.label}Page", [("items", list[read_type]), ("next_cursor", str | None, None)], kw_only=True,
        module=read_type.__module__,
    )  # fmt: skip
    resolved_type = msgspec.defstruct(
        f"{domain.label}Resolved",
        [("id", str), ("system", str), ("source_id", str), ("merged_path", list[str]), ("record", read_type)],
        kw_only=True,
        module=read_type.__module__,
    )
    status_type = Literal.__getitem__(domain.statuses)

    async def provide_readable(request: Request) -> frozenset[str]:
        """The fields this caller may read here (403 if none)."""
        return await readable(request, domain)

    label, plural = domain.label, domain.plural_label
    sfx = version_suffix(version)

    @get(
        "/",
        operation_id=f"list{plural}{sfx}",
        summary=f"List {domain.name} golden records",
        responses=problems(403, 422),
    )
    async def list_records(
        db_session: Session,
        fields: Readable,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=200, pattern=r"^[A-Za-z0-9_-]*$")] = None,
        q: Annotated[
            str | None, QueryParameter(max_length=200, pattern=PATH_TEXT, description="text in the searchable fields")
        ] = None,
        status: FromQuery[status_type | None] = None,
        updated_since: When = None,
    ) -> page_type:
        items, more = await service.list_page(
            db_session,
            domain,
            limit=limit,
            after_id=decode_cursor(cursor) if cursor else None,
            q=q,
            status=status,
            updated_since=updated_since,
            readable=fields,
        )
        next_cursor = encode_cursor(items[-1]["id"]) if more else None
        return page_type(items=[v.one(item, fields) for item in items], next_cursor=next_cursor)

    @post(
        "/",
        operation_id=f"create{label}{sfx}",
        summary=f"Create a {domain.name} authored in the hub",
        status_code=201,
        responses=problems(403, 409, 422),
        response_headers=CREATED,
    )
    async def create_record(data: JSONBody[create_type], db_session: Session, actor: Caller) -> Response[read_type]:
        try:
            view = await service.create(db_session, domain, v.payload(data), actor)
        except MdmError as exc:
            raise v.renamed(exc) from None
        return Response(
            v.written(view, actor),
            status_code=201,
            headers={"Location": f"/{version}/{domain.path}/{view['id']}", "ETag": etag(view["version"])},
        )

    @get(
        "/{record_id:str}",
        operation_id=f"get{label}{sfx}",
        summary=f"One {domain.name} (optionally as of a past instant)",
        responses={
            301: ResponseSpec(None, description="merged away: Location names the survivor"),
            **problems(403, 404),
        },
        response_headers=ETAG,
    )
    async def get_record(
        db_session: Session, fields: Readable, record_id: RecordId, as_of: When = None
    ) -> Response[read_type]:
        view = await service.get(db_session, domain, record_id, as_of)
        return Response(v.one(view, fields), headers={"ETag": etag(view["version"])})

    @patch(
        "/{record_id:str}",
        operation_id=f"patch{label}{sfx}",
        summary=f"Steward edit of a {domain.name}: set fields become overrides",
        responses=problems(403, 404, 409, 412, 422, 428),
        response_headers=ETAG,
    )
    async def patch_record(
        data: JSONBody[patch_type],
        db_session: Session,
        actor: Caller,
        record_id: RecordId,
        if_match: IfMatch = None,
    ) -> Response[read_type]:
        changes = msgspec.to_builtins(data)
        cleared = changes.pop("overrides_cleared", [])
        view_of = v.view
        convert = None
        if view_of is not None:
            convert = lambda ch, names, current: (  # noqa: E731
                view_of.write(ch, current, whole=False),
                view_of.cleared_in(names, current),
            )
        try:
            # a caller who may not write these fields hears 403 before anything about If-Match
            names = service.written(domain, view_of.write(changes, None, whole=False) if view_of else changes)
            clears = view_of.names_in(cleared) if view_of else cleared
            service.check_rights(actor.policy, actor.subjects, domain, sorted(set(names) | set(clears)))
            expected = parse_if_match(if_match)
            view = await service.patch(db_session, domain, record_id, changes, cleared, expected, actor, convert)
        except MdmError as exc:
            raise v.renamed(exc) from None
        return Response(v.written(view, actor), headers={"ETag": etag(view["version"])})

    @get(
        "/{record_id:str}/history",
        operation_id=f"get{label}History{sfx}",
        summary="Every version, newest first",
        responses=problems(403, 404),
    )
    async def get_history(db_session: Session, fields: Readable, record_id: RecordId) -> list[v1.HistoryEntry]:
        entries = await service.history(db_session, domain, record_id)
        for entry in entries:
            data = shown(domain, entry["data"], fields)
            entry["data"] = v.shaped(data)
        return msgspec.convert(entries, list[v1.HistoryEntry])

    @get(
        "/{record_id:str}/lineage",
        operation_id=f"get{label}Lineage{sfx}",
        summary="Per field: value, the source it came from, when, and the rule that chose it",
        responses={301: ResponseSpec(None, description="merged away"), **problems(403, 404)},
    )
    async def get_lineage(
        db_session: Session, fields: Readable, record_id: RecordId, request: Request
    ) -> list[v1.LineageEntry]:
        found = await service.lineage(db_session, domain, record_id, await request.app.state.policies.for_read())
        entries = [e for e in found if e["field"].split(".")[0] in fields]
        if v.view is not None:
            record = shown(domain, await service.get(db_session, domain, record_id), fields)
            entries = v.view.lineage(entries, record)
        return msgspec.convert(entries, list[v1.LineageEntry])

    @get(
        "/{record_id:str}/crosswalks",
        operation_id=f"get{label}Crosswalks{sfx}",
        summary="Source system ids of this record",
        responses=problems(403, 404),
    )
    async def get_crosswalks(db_session: Session, fields: Readable, record_id: RecordId) -> list[v1.Crosswalk]:
        return msgspec.convert(await service.crosswalks(db_session, domain, record_id), list[v1.Crosswalk])

    @get(
        "/{record_id:str}/translate",
        operation_id=f"translate{label}{sfx}",
        summary="This record's ids in another system",
        responses=problems(403, 404),
    )
    async def translate(
        db_session: Session, fields: Readable, record_id: RecordId, to: Annotated[str, QueryParameter(**_SYSTEM)]
    ) -> v1.Translation:
        return msgspec.convert(await service.translate(db_session, domain, record_id, to), v1.Translation)

    @put(
        "/sources/{system:str}/{source_id:str}",
        operation_id=f"upsert{label}Source{sfx}",
        summary=f"A source system upserts its {domain.name}: match, link or create (else hold), then survivorship",
        responses={
            202: ResponseSpec(
                v1.HeldResult, description="held: kept, joined to no golden record yet", generate_examples=False
            ),
            **problems(403, 409, 422),
        },
        response_headers=ETAG,
    )
    async def upsert_source(
        data: JSONBody[source_type],
        system: System,
        source_id: SourceId,
        request: Request,
    ) -> Response[v1.UpsertResult]:
        item = v.source_item(system, source_id, data)
        state = request.scope["state"]  # written with whatever else is waiting (mdm.api.writer)
        result = await request.app.state.writer.upsert(domain, item, state["principal"], state["roles"],
                                                       state.get("correlation_id"))  # fmt: skip
        if isinstance(result, MdmError):
            raise v.renamed(result)
        if result["outcome"] == "held":
            held = msgspec.convert(result, v1.HeldResult)  # its own 202 document (the responses above)
            return cast(Response[v1.UpsertResult], Response(held, status_code=202))
        if v.view is not None:
            result["match"] = v.view.match(result["match"])
        return Response(msgspec.convert(result, v1.UpsertResult), headers={"ETag": etag(result["version"])})

    @post(
        "/sources/{system:str}/batch",
        operation_id=f"upsert{label}SourceBatch{sfx}",
        status_code=200,
        summary=f"A source system upserts up to 1,000 {domain.name} records, each on its own, answered in order",
        responses=problems(403, 413, 422),
    )
    async def upsert_source_batch(
        data: JSONBody[v1.SourceBatch], request: Request, system: System
    ) -> v1.SourceBatchResult:
        return await upsert_batch(request, v, system, data)

    @delete(
        "/sources/{system:str}/{source_id:str}",
        operation_id=f"detach{label}Source{sfx}",
        status_code=200,
        summary="The source dropped its record: the crosswalk ends, the golden record stays",
        responses=problems(403, 404),
    )
    async def detach_source(db_session: Session, actor: Caller, system: System, source_id: SourceId) -> v1.DetachResult:
        return msgspec.convert(await service.detach(db_session, domain, system, source_id, actor), v1.DetachResult)

    @post(
        "/match",
        operation_id=f"match{label}{sfx}",
        status_code=200,
        summary=f"Score a {domain.name} (any of its fields) against the golden records; writes nothing",
        responses=problems(403, 422),
    )
    async def match_record(
        data: JSONBody[source_type],
        db_session: Session,
        fields: Readable,
        limit: Annotated[int, QueryParameter(ge=1, le=50)] = 10,
    ) -> v1.MatchResult:
        record = v.payload(data)
        found = check_fields(domain, record)  # what the document promises (code lists, enums), as a write checks
        if found:
            raise v.renamed(Invalid(f"the {domain.name} to match is not valid", found))
        result = await matching.match(db_session, domain, record, limit=limit, readable=fields)
        return msgspec.convert(result, v1.MatchResult)

    @get(
        "/{record_id:str}/match-decisions",
        operation_id=f"get{label}MatchDecisions{sfx}",
        summary="Why source records were linked to this record by score, or queued beside it",
        responses=problems(403, 404),
    )
    async def get_match_decisions(db_session: Session, fields: Readable, record_id: RecordId) -> list[v1.MatchDecision]:
        found = await matching.decisions(db_session, domain, record_id, fields)
        return msgspec.convert(found, list[v1.MatchDecision])

    @get(
        "/resolve",
        operation_id=f"resolve{label}{sfx}",
        summary="Canonical id and record for a source id",
        responses=problems(403, 404),
    )
    async def resolve(request: Request, system: SystemQuery, source_id: SourceIdQuery) -> resolved_type:
        fields = await readable(request, domain)
        found = await request.app.state.fast.resolve(domain, system, source_id)
        if found is None:
            async with request.app.state.db.sessionmaker(write=False)() as session:
                held = await service.held_problem(session, domain, system, source_id)
            raise held or NotFound(f"no active {domain.name} for {system}/{source_id}")
        record, passed = found
        values = shown(domain, record, fields)
        return resolved_type(
            id=record["id"],
            system=system,
            source_id=source_id,
            merged_path=passed,
            # already in the contract's shape (an older version's through its view): no second conversion
            record=v.one_shaped(values),
        )

    return Router(
        path=f"/{version}/{domain.path}",
        route_handlers=[
            list_records,
            create_record,
            get_record,
            patch_record,
            get_history,
            get_lineage,
            get_crosswalks,
            translate,
            upsert_source,
            upsert_source_batch,
            detach_source,
            match_record,
            get_match_decisions,
            resolve,
        ],
        dependencies={
            "db_session": Provide(provide_session),
            "actor": Provide(provide_actor),
            "fields": Provide(provide_readable),
        },
        tags=[domain.plural_label if version == "v1" else f"{domain.plural_label} ({version})"],
    )
