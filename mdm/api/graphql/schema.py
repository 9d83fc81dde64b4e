"""The GraphQL schema, made from the domain descriptors: a seventh domain gets its type, its
look-ups, its list and its relationships both ways with no GraphQL code.

Per domain: a type with every field of the canonical (v2) read contract, `crosswalks`,
`lineage`, `history`, a field per reference (`project.customer`) and, on the referenced type,
the list of its referrers (`customer.projects`, named by the reference's `reverse`), with
`ancestors`/`descendants` where a domain refers to itself; the root fields `customer(id, asOf)`
and `customers(first, after, status, q, updatedSince, asOf, where)` (a Relay connection with
`totalCount`; `where` made from the descriptor); across domains `resolve`, `resolveMany`,
`translate`, `node` and `rateFor`.

A field the caller's policy does not let it read resolves to null with an error on its path,
and a reference or referrer list through such a field does too, so no path reveals it.

Speed: a list page reads ahead the references and crosswalks its query asks of its records
(GraphContext.prefetch), and the plain field resolvers are installed on graphql-core's
schema as they are (`plain_resolvers`), without strawberry's wrapping per field.
"""

import asyncio
import datetime as dt
import enum
import operator
from collections.abc import Callable
from typing import Annotated, Any, Optional, Union, cast

import msgspec.inspect as mi
import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread

from contracts.v2.quality import QualityReport
from mdm.api.cursors import decode_cursor, encode_cursor
from mdm.api.graphql.context import Golden, GraphContext, problem
from mdm.api.graphql.execution import CONTEXT_ONLY, FAST, Slow
from mdm.api.graphql.structs import graph_type, to_graph
from mdm.api.quality import readable
from mdm.domains import BY_NAME, DOMAINS, Domain
from mdm.domains.descriptor import Field
from mdm.errors import MdmError, NotFound
from mdm.records import graph, quality, service
from mdm.records import rates as rates_service

MAX_PAGE = 100  # first: at most this many records a list or a referrer list answers
DEFAULT_PAGE = 20
HIERARCHY_DEPTH = 10  # ancestors and descendants: levels walked at most
MAX_DESCENDANTS = 1_000  # records `descendants` answers at most
_SCALARS: dict[type, Any] = {
    mi.StrType: str,
    mi.IntType: int,
    mi.BoolType: bool,
    mi.FloatType: float,
    mi.DateTimeType: dt.datetime,
    mi.DateType: dt.date,
    mi.DecimalType: str,
    mi.LiteralType: str,
}


@strawberry.interface(description="A golden record of any domain, by its id (Relay's Node).")
class Node:
    id: strawberry.ID


@strawberry.type
class Crosswalk:
    system: str
    source_id: str


@strawberry.type(description="A value a source sent for a field its system does not own: not authoritative")
class Contribution:
    system: str
    source_id: str
    value: JSON
    at: dt.datetime


@strawberry.type(description="Where a field's value came from: the source and the rule that chose it")
class LineageEntry:
    field: str
    value: JSON | None
    rule: str
    system: str | None
    source_id: str | None
    by: str | None
    at: dt.datetime | None
    merged_from: str | None
    contributed: list[Contribution]

    @classmethod
    def of(cls, entry: dict[str, Any]) -> "LineageEntry":
        return cls(**{**entry, "contributed": [Contribution(**c) for c in entry["contributed"]]})


@strawberry.type(description="One version of a record: who changed it, when, and its fields then")
class HistoryEntry:
    version: int
    changed_at: dt.datetime
    action: str
    principal: str
    correlation_id: str | None
    data: JSON


@strawberry.input(description="An identifier a record holds (vat, ein, duns, lei, abn, gst, registration)")
class IdentifierFilter:
    scheme: str
    value: str
    country: str | None = None


FILTERED_KINDS = ("country", "currency", "enum", "ref")  # the fields a list filters by value


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def _camel(name: str) -> str:
    """A descriptor's name as GraphQL spells it (strawberry's auto camel case)."""
    head, *rest = name.replace("-", "_").split("_")
    return head + "".join(p.title() for p in rest)


def _context(info: Info) -> GraphContext:
    context: GraphContext = info.context["mdm"]
    return context


def bad_argument(name: str, reason: str) -> GraphQLError:
    """An argument refused, as a 400 names it (`extensions.status`, `errors[].field`)."""
    return GraphQLError(f"{name} {reason}", extensions={"status": 400, "errors": [{"field": name, "reason": reason}]})


def _page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise bad_argument("first", f"must be between 1 and {MAX_PAGE}")
    return first


def _not_readable(domain: Domain, name: str) -> GraphQLError:
    return GraphQLError(
        f"{name} of {domain.name} is not readable by this caller",
        extensions={"status": 403, "errors": [{"field": name, "reason": "not readable"}]},
    )


def _list_of(t: Any) -> Any:
    """`list[t]` for a type made at run time (mypy reads `list[...]` as an annotation)."""
    return list.__class_getitem__(t)


def _optional(t: Any) -> Any:
    """`t | None` for a type made at run time: a nullable GraphQL field."""
    return Optional.__getitem__(t)


class _Builder:
    """The types of one schema: nested contract structs once each, a type per domain."""

    def __init__(self) -> None:
        self.nested: dict[type, type] = {}
        self.goldens: dict[str, type] = {d.name: type(d.label, (Node,), {}) for d in DOMAINS}

    def annotation(self, t: Any) -> Any:
        """The Python type strawberry maps to GraphQL, for one msgspec type (not null)."""
        while isinstance(t, mi.Metadata):
            t = t.type
        if isinstance(t, mi.UnionType):
            (t,) = [p for p in t.types if not isinstance(p, mi.NoneType)]
            return self.annotation(t)
        if isinstance(t, mi.ListType):
            return _list_of(self.annotation(t.item_type))
        if isinstance(t, mi.StructType):
            return self.struct(t)
        return _SCALARS[type(t)]

    def struct(self, t: mi.StructType) -> type:
        found = self.nested.get(t.cls)
        if found is None:
            ns = {f.name: strawberry.field(resolver=_item(f.name), graphql_type=self._field_type(f)) for f in t.fields}
            found = self.nested[t.cls] = strawberry.type(type(t.cls.__name__, (), ns))
        return found

    def _field_type(self, f: mi.Field) -> Any:
        inner = self.annotation(f.type)
        nullable = not f.required or (
            isinstance(f.type, mi.UnionType) and any(isinstance(p, mi.NoneType) for p in f.type.types)
        )
        return _optional(inner) if nullable else inner

    def golden(self, domain: Domain) -> None:
        """A domain's type: its contract's fields (policy fields checked per caller), its
        crosswalks and a field per reference."""
        cls = self.goldens[domain.name]
        info = mi.type_info(domain.read)
        assert isinstance(info, mi.StructType)
        for f in info.fields:
            if domain.has_field(f.name):
                is_ref = domain.field(f.name).kind == "ref"
                inner = strawberry.ID if is_ref else self.annotation(f.type)
                resolver = _policy_field(domain, f.name, _as_date if inner is dt.date else None)
                field = strawberry.field(resolver=resolver, graphql_type=_optional(inner))
            elif f.name == "id":
                field = strawberry.field(resolver=_view("id"), graphql_type=strawberry.ID)
            else:
                kind = self.annotation(f.type)
                field = strawberry.field(resolver=_view(f.name, _as_instant if kind is dt.datetime else None),
                                         graphql_type=kind)  # fmt: skip
            setattr(cls, f.name, field)
        cls.crosswalks = strawberry.field(  # type: ignore[attr-defined]
            resolver=_crosswalks(domain),
            graphql_type=_list_of(Crosswalk),
            description="The live source keys that map to this record",
        )
        cls.lineage = strawberry.field(  # type: ignore[attr-defined]
            resolver=_lineage(domain),
            graphql_type=_list_of(LineageEntry),
            description="Per readable field (per slot of a list): its source, rule and what others contributed",
        )
        cls.history = strawberry.field(  # type: ignore[attr-defined]
            resolver=_history(domain),
            graphql_type=_list_of(HistoryEntry),
            description="Every version, newest first (each version's readable fields)",
        )
        for ref in domain.references:
            target = self.goldens[ref.ref or ""]
            forward = strawberry.field(
                resolver=_reference(domain, ref),
                graphql_type=_optional(target),
                description=f"The {ref.ref} {ref.name} names",
            )
            setattr(cls, ref.name.removesuffix("_id"), forward)
        for ref in domain.hierarchy_fields:
            prefix = "" if len(domain.hierarchy_fields) == 1 else f"{ref.name.removesuffix('_id')}_"
            setattr(cls, f"{prefix}ancestors", strawberry.field(
                resolver=_ancestors(domain, ref), graphql_type=_list_of(cls),
                description=f"The {ref.name} chain upward, nearest first (at most maxDepth)"))  # fmt: skip
            setattr(cls, f"{prefix}descendants", strawberry.field(
                resolver=_descendants(domain, ref), graphql_type=_list_of(cls),
                description=f"Records below this one by {ref.name}, level by level (at most maxDepth levels "
                f"and {MAX_DESCENDANTS} records)"))  # fmt: skip
        cls.is_type_of = classmethod(_is_type_of(domain))  # type: ignore[attr-defined]

    def referrers(self) -> None:
        """On each referenced type, the list of the records that refer to it."""
        for domain in DOMAINS:
            for ref in domain.references:
                target = self.goldens[ref.ref or ""]
                name = reverse_name(domain, ref)
                if name in vars(target):
                    raise ValueError(
                        f"{ref.ref} already has a GraphQL field {name!r}: give {domain.name}.{ref.name} "
                        "another `reverse` name"
                    )
                listed = strawberry.field(
                    resolver=_referrers(domain, ref),
                    graphql_type=_list_of(self.goldens[domain.name]),
                    description=f"{domain.plural_label} whose {ref.name} names this record (by id; `first` of them)",
                )
                setattr(target, name, listed)

    def where(self, domain: Domain) -> type | None:
        """A list's filters beyond status, q and updatedSince, from the descriptor: each
        country, currency, enum and reference field by value, and a linking identifier."""
        annotations: dict[str, Any] = {}
        for f in domain.fields:
            if f.name != "status" and f.kind in FILTERED_KINDS:
                annotations[f.name] = _optional(strawberry.ID if f.kind == "ref" else str)
        if domain.has_field("identifiers"):
            annotations["identifier"] = _optional(IdentifierFilter)
        if not annotations:
            return None
        ns: dict[str, Any] = {"__annotations__": annotations, **dict.fromkeys(annotations)}
        return strawberry.input(type(f"{domain.label}Where", (), ns), description=f"Filters of {domain.plural_label}")

    def connection(self, domain: Domain) -> type:
        node = self.goldens[domain.name]
        edge = strawberry.type(type(f"{domain.label}Edge", (), {"__annotations__": {"cursor": str, "node": node}}))
        ns = {
            "__annotations__": {"edges": _list_of(edge), "nodes": _list_of(node), "page_info": PageInfo},
            "total_count": strawberry.field(
                resolver=_total_count, graphql_type=int, description="Records every page of this list holds"
            ),
        }
        return strawberry.type(type(f"{domain.label}Connection", (), ns))

    def rate_types(self) -> tuple[type, type]:
        """`rateFor`'s answers: the rate that applies (AppliedRate), or why none does (NoRate)."""
        project, card = self.goldens["project"], self.goldens["rate_card"]
        applied = strawberry.type(
            type("AppliedRate", (), {"__annotations__": {
                # nullable as NoRate's is: one query asks both for `rateCard` (GraphQL's rule)
                "role": str, "unit": str, "rate": str, "currency": _optional(str), "rate_card": _optional(card),
                "project": project,
            }}),
            description="The rate of a role on a project on a date, and the rate card it comes from",
        )  # fmt: skip
        missing = strawberry.type(
            type("NoRate", (), {"__annotations__": {
                "reason": NoRateReason, "detail": str, "project": project, "rate_card": _optional(card),
            }}),
            description="Why no rate applies: no card, no card effective then, or no line for the role",
        )  # fmt: skip
        return applied, missing


def _is_type_of(domain: Domain) -> Callable[..., bool]:
    """How GraphQL tells which type a `Node` is (Relay's `node`, `resolve`)."""

    def is_type_of(_cls: type, obj: Any, _info: Any) -> bool:
        return isinstance(obj, Golden) and obj.domain is domain

    return is_type_of


def reverse_name(domain: Domain, ref: Field) -> str:
    """What a reference's referrers are called on the referenced type."""
    return ref.reverse or ("children" if ref.ref == domain.name else domain.path.replace("-", "_"))


def _plain(
    resolve: Callable[..., Any], takes_info: bool, fast: Callable[[Any], Any] | None = None
) -> Callable[..., Any]:
    """Mark a resolver of ours that graphql-core may call as it is, without strawberry's
    wrapping per field (make_schema installs it: see `plain_resolvers`), and its reader of
    the parent value alone for execution's fast loop (one that needs no info; `fast`, when
    it needs info only sometimes: it raises Slow then)."""
    resolve.plain = resolve if takes_info else (lambda source, _info: resolve(source))  # type: ignore[attr-defined]
    resolve.fast = fast if takes_info else resolve  # type: ignore[attr-defined]
    return resolve


def _item(name: str) -> Callable[..., Any]:
    def resolve(root: Any) -> Any:
        return root.get(name)

    return _plain(resolve, False)


def _view(name: str, convert: Callable[[Any], Any] | None = None) -> Callable[..., Any]:
    def resolve(root: Golden) -> Any:
        value = root.view.get(name)
        return convert(value) if convert is not None and value is not None else value

    return _plain(resolve, False)


def _as_instant(value: Any) -> Any:
    """An instant as the DateTime scalar takes it: the raw driver's views (resolve) carry ISO text."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _as_date(value: Any) -> Any:
    """A view's date (ISO text, as REST answers it) as the Date scalar takes it."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _policy_field(domain: Domain, name: str, convert: Callable[[Any], Any] | None = None) -> Callable[..., Any]:
    def resolve(root: Golden) -> Any:
        if name not in root.readable:
            raise _not_readable(domain, name)
        value = root.view.get(name)
        return convert(value) if convert is not None and value is not None else value

    return _plain(resolve, False)


def _crosswalks(domain: Domain) -> Callable[..., Any]:
    def fast(root: Golden) -> Any:
        found = root.prefetched.get("crosswalks")
        if found is None:
            raise Slow
        return [Crosswalk(**x) for x in found]

    def resolve(root: Golden, info: Info) -> Any:
        if "crosswalks" in root.prefetched:  # read ahead for the page (GraphContext.prefetch): no loader round
            return fast(root)
        return _crosswalks_of(info, domain, root.view["id"], root.as_of)

    return _plain(resolve, True, fast)


async def _crosswalks_of(info: Info, domain: Domain, golden_id: str, as_of: dt.datetime | None) -> list[Crosswalk]:
    return [Crosswalk(**x) for x in await _context(info).crosswalks(domain, golden_id, as_of)]


def _lineage(domain: Domain) -> Callable[..., Any]:
    async def resolve(root: Golden, info: Info) -> Any:
        return [LineageEntry.of(e) for e in await _context(info).lineage(domain, root.view["id"])]

    return resolve


def _history(domain: Domain) -> Callable[..., Any]:
    async def resolve(root: Golden, info: Info) -> Any:
        return [HistoryEntry(**e) for e in await _context(info).history(domain, root.view["id"])]

    return resolve


def _reference(domain: Domain, ref: Field) -> Callable[..., Any]:
    target = BY_NAME[ref.ref or ""]

    def fast(root: Golden) -> Any:
        if ref.name not in root.readable:
            raise _not_readable(domain, ref.name)
        if ref.name in root.prefetched:
            return root.prefetched[ref.name]
        if root.view.get(ref.name) is None:
            return None
        raise Slow

    def resolve(root: Golden, info: Info) -> Any:
        """Sync when the page read it ahead; else an awaitable of the loader (GraphQL awaits it)."""
        try:
            return fast(root)
        except Slow:
            return _context(info).record(target, root.view[ref.name], root.as_of)

    return _plain(resolve, True, fast)


def _referrers(domain: Domain, ref: Field) -> Callable[..., Any]:
    async def resolve(root: Golden, info: Info, first: int = DEFAULT_PAGE) -> Any:
        context = _context(info)
        if ref.name not in context.readable(domain):  # the list would reveal the reference
            raise _not_readable(domain, ref.name)
        return await context.referrers(domain, ref.name, root.view["id"], _page_size(first))

    return resolve


def _depth(max_depth: int) -> int:
    if not 1 <= max_depth <= HIERARCHY_DEPTH:
        raise bad_argument("maxDepth", f"must be between 1 and {HIERARCHY_DEPTH}")
    return max_depth


def _ancestors(domain: Domain, ref: Field) -> Callable[..., Any]:
    async def resolve(root: Golden, info: Info, max_depth: int = HIERARCHY_DEPTH) -> Any:
        """One batched read per level; a cycle (which writes refuse) ends the walk."""
        context, chain, seen = _context(info), [], {root.view["id"]}
        if ref.name not in root.readable:
            raise _not_readable(domain, ref.name)
        current: Golden | None = root
        for _ in range(_depth(max_depth)):
            parent_id = current.view.get(ref.name) if current is not None else None
            if parent_id is None or parent_id in seen:
                break
            current = await context.record(domain, parent_id)
            if current is None:
                break
            seen.add(current.view["id"])
            chain.append(current)
        return chain

    return resolve


def _descendants(domain: Domain, ref: Field) -> Callable[..., Any]:
    async def resolve(root: Golden, info: Info, max_depth: int = 3) -> Any:
        """Level by level, each level one batched read of the referrers of the level above."""
        context = _context(info)
        if ref.name not in context.readable(domain):
            raise _not_readable(domain, ref.name)
        found: list[Golden] = []
        level, seen = [root.view["id"]], {root.view["id"]}
        for _ in range(_depth(max_depth)):
            below = await asyncio.gather(*(context.referrers(domain, ref.name, i, MAX_PAGE) for i in level))
            level = []
            for record in (r for rows in below for r in rows):
                if record.view["id"] not in seen and len(found) < MAX_DESCENDANTS:
                    seen.add(record.view["id"])
                    found.append(record)
                    level.append(record.view["id"])
            if not level:
                break
        return found

    return resolve


def _asked_of_nodes(info: Info, domain: Domain) -> set[str]:
    """The descriptor names of the fields a query asks of a page's records (under `nodes`
    and `edges.node`, through fragments): what GraphContext.prefetch reads ahead."""
    wanted = {_camel(r.name.removesuffix("_id")): r.name for r in domain.references} | {"crosswalks": "crosswalks"}
    found: set[str] = set()

    def walk(selections: Any, depth: int) -> None:
        for s in selections:
            name = getattr(s, "name", None)
            if name is None or isinstance(s, FragmentSpread):  # an inline fragment or a named one: its fields
                walk(s.selections, depth)
            elif depth == 0 and name in ("nodes", "edges"):
                walk(s.selections, 1 if name == "nodes" else 2)
            elif depth == 2 and name == "node":
                walk(s.selections, 1)
            elif depth == 1 and name in wanted:
                found.add(wanted[name])

    for selected in info.selected_fields:
        walk(selected.selections, 0)
    return found


def _total_count(root: Any) -> Any:
    return root.count()


def _one(domain: Domain) -> Callable[..., Any]:
    async def resolve(info: Info, id: strawberry.ID, as_of: dt.datetime | None = None) -> Any:
        context = _context(info)
        context.readable(domain)
        try:
            view = await service.get(context.session, domain, str(id), as_of)
        except MdmError as exc:
            raise problem(exc) from None
        return context.golden(domain, view, service.as_utc(as_of, "asOf"))

    return resolve


def _many(domain: Domain, connection: type, where_type: type | None) -> Callable[..., Any]:
    async def resolve(
        info: Info,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
        status: str | None = None,
        q: str | None = None,
        updated_since: dt.datetime | None = None,
        as_of: dt.datetime | None = None,
        where: Any = None,
    ) -> Any:
        context = _context(info)
        fields = context.readable(domain)
        size = _page_size(first)
        given = {k: v for k, v in vars(where).items() if v is not None} if where is not None else {}
        found = given.pop("identifier", None)
        identifier = {k: v for k, v in vars(found).items() if v is not None} if found is not None else None
        equals = {k: str(v) for k, v in given.items()}
        filters: dict[str, Any] = {"q": q, "status": status, "updated_since": updated_since, "readable": fields,
                                   "equals": equals, "identifier": identifier}  # fmt: skip
        try:
            after_id = decode_cursor(after) if after else None
            at = service.as_utc(as_of, "asOf")
            if at is None:
                views, more = await service.list_page(context.session, domain, limit=size, after_id=after_id, **filters)
            else:  # the estate as it was then: each record's version in force at that instant
                views, more = await graph.page_at(context.session, domain, at, limit=size, after_id=after_id, **filters)
        except MdmError as exc:
            raise problem(exc) from None
        nodes = [context.golden(domain, v, at) for v in views]
        await context.prefetch(domain, nodes, _asked_of_nodes(info, domain))
        page = connection(
            edges=[_Edge(encode_cursor(n.view["id"]), n) for n in nodes],
            nodes=nodes,
            page_info=PageInfo(has_next_page=more, end_cursor=encode_cursor(nodes[-1].view["id"]) if nodes else None),
        )
        # asked for only when the query names totalCount (its own statement)
        page.count = (lambda: graph.count(context.session, domain, **filters)) if at is None else (
            lambda: graph.count_at(context.session, domain, at, **filters))  # fmt: skip
        return page

    if where_type is None:
        del resolve.__annotations__["where"]  # no filters to offer: no argument
        return _without_where(resolve)
    resolve.__annotations__["where"] = _optional(where_type)
    return resolve


def _without_where(resolve: Callable[..., Any]) -> Callable[..., Any]:
    async def listed(
        info: Info,
        first: int = DEFAULT_PAGE,
        after: str | None = None,
        status: str | None = None,
        q: str | None = None,
        updated_since: dt.datetime | None = None,
        as_of: dt.datetime | None = None,
    ) -> Any:
        return await resolve(info, first, after, status, q, updated_since, as_of)

    return listed


class _Edge:
    __slots__ = ("cursor", "node")

    def __init__(self, cursor: str, node: Golden):
        self.cursor, self.node = cursor, node


DomainName: Any = strawberry.enum(
    cast(Any, enum.Enum("DomainName", {d.name.upper(): d.name for d in DOMAINS})),
    description="A domain of golden records",
)


@strawberry.type(description="Where a source key leads: the live record, and the merged-away ids passed on the way")
class Resolution:
    id: strawberry.ID
    passed: list[strawberry.ID]
    record: Node


@strawberry.type(description="A record's source ids in one system")
class Translation:
    id: strawberry.ID
    system: str
    source_ids: list[str]


@strawberry.enum(description="Why no rate applies")
class NoRateReason(enum.Enum):
    NO_CARD = "no_card"
    CARD_NOT_EFFECTIVE = "card_not_effective"
    ROLE_MISSING = "role_missing"


@strawberry.input(description="A source system's key of a record")
class SourceKeyInput:
    domain: DomainName
    system: str
    source_id: str


@strawberry.type(
    description="Where one source key leads (id null when it leads nowhere; held says why when it is held)"
)
class ResolvedKey:
    domain: DomainName
    system: str
    source_id: str
    id: strawberry.ID | None
    passed: list[strawberry.ID]
    held: str | None
    record: Node | None


MAX_KEYS = 1_000  # resolveMany: keys a call may ask for


async def _quality(info: Info, domain: DomainName | None = None, stale_days: int = 90) -> Any:
    """The data-quality report (REST: GET /v2/quality), as its contract says."""
    context = _context(info)
    try:
        readable(context.mdm_request.scope["state"].get("roles", frozenset()))
    except MdmError as exc:
        raise problem(exc) from None
    low, high = quality.STALE_DAYS
    if not low <= stale_days <= high:
        raise bad_argument("staleDays", f"must be between {low} and {high}")
    domains = [_domain_of(domain)] if domain is not None else None
    return to_graph(await quality.report(context.session, domains, stale_days))


def _domain_of(value: Any) -> Domain:
    return BY_NAME[value.value]


async def _resolve(info: Info, domain: DomainName, system: str, source_id: str) -> Resolution:
    return await _resolution(info, _domain_of(domain), system, source_id)


async def _resolve_plain(_root: Any, info: Info, domain: Any, system: str, sourceId: str) -> Resolution:
    """`_resolve` as graphql-core calls it (plain_resolvers): the arguments by their GraphQL names,
    the domain as strawberry's enum type parses it (its member, or its value). The call every
    integration makes before it posts: strawberry's wrapper and conversion cost more than the look-up."""
    return await _resolution(info, BY_NAME[getattr(domain, "value", domain)], system, sourceId)


_resolve.plain = _resolve_plain  # type: ignore[attr-defined]
_resolve_plain.context_only = True  # type: ignore[attr-defined]  # of its info, it reads the context only (Direct)


async def _resolution(info: Info, d: Domain, system: str, source_id: str) -> Resolution:
    context = _context(info)
    context.readable(d)
    found = await context.mdm_request.app.state.fast.on_read_db.resolve(d, system, source_id)
    if found is None:
        held = await service.held_problem(context.session, d, system, source_id)
        raise problem(held or NotFound(f"no {d.name} is known to {system} as {source_id}"))
    view, passed = found
    return Resolution(id=view["id"], passed=passed, record=context.golden(d, view))  # type: ignore[arg-type]


async def _resolve_many(info: Info, keys: list[SourceKeyInput]) -> list[ResolvedKey]:
    context = _context(info)
    if len(keys) > MAX_KEYS:
        raise bad_argument("keys", f"must hold at most {MAX_KEYS} keys a call ({len(keys)} asked)")
    domains = [_domain_of(k.domain) for k in keys]
    for d in set(domains):
        context.readable(d)
    found = await context.mdm_request.app.state.fast.on_read_db.bulk_resolve(
        [(d.name, k.system, k.source_id) for d, k in zip(domains, keys, strict=True)]
    )
    held: dict[tuple[str, str, str], str] = {}
    for d in set(domains):
        lost = [
            (k.system, k.source_id) for dk, k, (gid, _) in zip(domains, keys, found, strict=True) if dk is d and not gid
        ]
        if lost:
            reasons = await graph.held_reasons(context.session, d, lost)
            held.update({(d.name, *key): reason for key, reason in reasons.items()})
    records = await asyncio.gather(*(context.record(d, gid) for d, (gid, _) in zip(domains, found, strict=True) if gid))
    by_key = iter(records)
    records = [next(by_key) if gid else None for gid, _ in found]  # one statement per domain, not per key
    return [
        ResolvedKey(
            domain=k.domain,
            system=k.system,
            source_id=k.source_id,
            id=gid,
            passed=passed,
            held=held.get((d.name, k.system, k.source_id)),
            record=cast(Node | None, record),  # a Golden: Node's types tell which (is_type_of)
        )
        for d, k, (gid, passed), record in zip(domains, keys, found, records, strict=True)
    ]


def _rate_for(rates: tuple[type, type]) -> Callable[..., Any]:
    applied, missing = rates

    async def resolve(info: Info, project_id: strawberry.ID, role: str, on: dt.date) -> Any:
        """The rate of a role on a project on a date, from the project's rate card effective then."""
        context = _context(info)
        project, card = BY_NAME["project"], BY_NAME["rate_card"]
        for d, name in ((project, "rate_card_id"), (card, "lines"), (card, "effective_from"), (card, "effective_to")):
            if name not in context.readable(d):
                raise _not_readable(d, name)
        try:
            found = await rates_service.rate_for(context.session, str(project_id), role, on)
        except MdmError as exc:
            raise problem(exc) from None
        of_project = context.golden(project, found["project"])
        of_card = context.golden(card, found["card"]) if found.get("card") else None
        if "rate" in found:
            line = found["rate"]
            return applied(role=line["role"], unit=line["unit"], rate=str(line["rate"]),
                           currency=found["card"].get("currency"), rate_card=of_card, project=of_project)  # fmt: skip
        return missing(reason=NoRateReason(found["reason"]), detail=found["detail"], project=of_project,
                       rate_card=of_card)  # fmt: skip

    return resolve


async def _translate(info: Info, domain: DomainName, id: strawberry.ID, to: str) -> Translation:
    context, d = _context(info), _domain_of(domain)
    context.readable(d)
    try:
        found = await service.translate(context.session, d, str(id), to)
    except MdmError as exc:
        raise problem(exc) from None
    return Translation(id=found["id"], system=found["system"], source_ids=found["source_ids"])


async def _node(info: Info, id: strawberry.ID) -> Node | None:
    prefix = str(id).partition("_")[0]
    domain = next((d for d in DOMAINS if d.prefix == prefix), None)
    if domain is None:
        return None
    found = await _context(info).record(domain, str(id))
    return found  # type: ignore[return-value]


def build_query() -> type:
    builder = _Builder()
    for domain in DOMAINS:
        builder.golden(domain)
    builder.referrers()
    rates = builder.rate_types()
    for cls in builder.goldens.values():
        strawberry.type(cls)
    ns: dict[str, Any] = {
        "resolve": strawberry.field(
            resolver=_resolve,
            description="The record a source system's id maps to (following merges; a held source record says so)",
        ),
        "resolve_many": strawberry.field(
            resolver=_resolve_many,
            description=f"Many source keys at once (at most {MAX_KEYS}), in order: one round trip per table",
        ),
        "rate_for": strawberry.field(
            resolver=_rate_for(rates),
            graphql_type=Annotated[Union[rates], strawberry.union("RateForResult")],  # noqa: UP007 (made at run time)
            description="The rate of a role on a project on a date, from the project's rate card effective then "
            "(its scope's card whose effective range holds the date), or why none applies",
        ),
        "translate": strawberry.field(resolver=_translate, description="A record's ids in another system"),
        "node": strawberry.field(resolver=_node, description="Any record by its id"),
        "quality": strawberry.field(
            resolver=_quality,
            graphql_type=graph_type(QualityReport),
            description="Data quality per domain (REST: GET /v2/quality); the records behind a figure: REST",
        ),
    }
    for domain in DOMAINS:
        connection = builder.connection(domain)
        ns[domain.name] = strawberry.field(
            resolver=_one(domain),
            graphql_type=_optional(builder.goldens[domain.name]),
            description=f"One {domain.name} by id (asOf: as it was then)",
        )
        ns[domain.path.replace("-", "_")] = strawberry.field(
            resolver=_many(domain, connection, builder.where(domain)),
            graphql_type=connection,
            description=f"{domain.plural_label}, by id, filtered",
        )
    return strawberry.type(type("Query", (), ns), description="mdm's golden records, read-only")


# the fields that answer a page (they take `first`): the query cost limit multiplies by it
LISTS = frozenset(_camel(n) for d in DOMAINS for n in (d.path, *(reverse_name(d, r) for r in d.references))) | {
    "ancestors", "descendants"}  # fmt: skip


def plain_resolvers(schema: Any) -> int:
    """Install the resolvers marked `_plain` on the built graphql-core schema: a page of 100
    records completes ~2,500 such fields, and strawberry's wrapper (its Info, its argument
    conversion, its extensions) cost more than the field itself. Answers how many."""
    installed = 0
    for type_ in schema._schema.type_map.values():
        for field in getattr(type_, "fields", {}).values() if hasattr(type_, "interfaces") else ():
            definition = (field.extensions or {}).get("strawberry-definition")
            resolver = getattr(definition, "base_resolver", None)
            wrapped = getattr(resolver, "wrapped_func", None)
            plain = getattr(wrapped, "plain", None)
            if plain is not None:
                field.resolve = plain
                installed += 1
                if getattr(plain, "context_only", False):
                    field.extensions = {**(field.extensions or {}), CONTEXT_ONLY: True}
            fast = getattr(wrapped, "fast", None) if resolver is not None else _attribute(definition)
            if fast is not None:
                field.extensions = {**(field.extensions or {}), FAST: fast}
    return installed


def _attribute(definition: Any) -> Callable[[Any], Any] | None:
    """A field without a resolver of ours reads its attribute (strawberry's default)."""
    if definition is None or definition.extensions or getattr(definition, "permission_classes", None):
        return None
    return operator.attrgetter(definition.python_name)
