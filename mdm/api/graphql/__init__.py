"""The GraphQL read layer at /graphql: the schema the descriptors make (schema.py), the
limits every query meets before it runs, and the routes (POST and GET, GraphiQL's page in a
browser). Read-only: no mutations.

Limits, each refused before execution with a GraphQL error: depth and aliases (strawberry's
limiters' rules), tokens, page size (`first` at most MAX_PAGE) and cost (a field costs 1, a
list multiplies its children's cost by its page size): see `prepared` and `check_limits`."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from inspect import isawaitable
from typing import Any, cast

import msgspec
import strawberry
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
    ValueNode,
    VariableNode,
    execute,
    parse,
    specified_rules,
    validate,
    value_from_ast_untyped,
)
from litestar import Request, Response, get, post
from litestar.enums import MediaType
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from mdm.api.graphql.context import request_context
from mdm.api.graphql.execution import DIRECT, Executor, run_direct
from mdm.api.graphql.ide import page
from mdm.api.graphql.schema import DEFAULT_PAGE, LISTS, build_query, plain_resolvers
from mdm.api.problems import unreachable
from mdm.errors import BadRequest, Invalid, UnsupportedMediaType

PATH = "/graphql"
MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 5_000
QUERY_CACHE = 1_000  # distinct query texts whose parse and validation are kept
CACHED_CHARS = 20_000  # a longer text is prepared every time: the cache holds at most ~20 MB of texts
MAX_COST = 20_000  # e.g. 100 projects with 5 references and their crosswalks is ~1,200


def unstorable(text: str) -> str | None:
    """Why a text cannot be an argument (a database refuses it), or None: REST refuses the
    same in paths and bodies (mdm.api.middleware.unreadable, the contracts' NO_NUL)."""
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (it holds a lone surrogate)"
    return None


class StorableText(ValidationRule):
    """String literals a database can take: NUL and lone surrogates are refused (400)."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        reason = unstorable(node.value)
        if reason:
            self.report_error(GraphQLError(f"a string {reason}", node, extensions={"status": 400}))


def _storable_variables(value: Any, where: str) -> None:
    if isinstance(value, str):
        reason = unstorable(value)
        if reason:
            raise GraphQLError(f"variable {where} {reason}", extensions={"status": 400,
                               "errors": [{"field": where, "reason": reason}]})  # fmt: skip
    elif isinstance(value, dict):
        for k, v in value.items():
            _storable_variables(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _storable_variables(v, f"{where}[{i}]")


# the depth and alias limits' validation rules, made once (strawberry's limiters make them anew
# for each instance, a request's, and `_validated`'s cache would never hit)
LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    StorableText,
)


def cost(selection: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
         variables: dict[str, Any], seen: frozenset[str] = frozenset()) -> int:  # fmt: skip
    """What a selection costs: 1 a field plus its children, times the page size of a field
    that takes `first` (its default when not given; a variable as the request sets it)."""
    total = 0
    for node in _fields(selection, fragments, seen):
        size = 1
        for arg in node.arguments or ():
            if arg.name.value == "first":
                size = _int(arg.value, variables) or DEFAULT_PAGE
        if size == 1 and node.name.value in LISTS:
            size = DEFAULT_PAGE
        total += 1 + size * cost(node.selection_set, fragments, variables, seen)
    return total


def _fields(selection: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
            seen: frozenset[str]) -> Iterator[FieldNode]:  # fmt: skip
    for node in selection.selections if selection else ():
        if isinstance(node, FieldNode):
            yield node
        elif isinstance(node, InlineFragmentNode):
            yield from _fields(node.selection_set, fragments, seen)
        elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
            fragment = fragments.get(node.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments, seen | {node.name.value})


def _sized_by_variables(selection: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
                        seen: frozenset[str] = frozenset()) -> bool:  # fmt: skip
    """Whether a page size in this selection is a variable's: its cost is then the request's."""
    for node in _fields(selection, fragments, seen):
        if any(a.name.value == "first" and isinstance(a.value, VariableNode) for a in node.arguments or ()):
            return True
        if _sized_by_variables(node.selection_set, fragments, seen):
            return True
    return False


def _int(value: ValueNode, variables: dict[str, Any]) -> int | None:
    found = variables.get(value.name.value) if isinstance(value, VariableNode) else value_from_ast_untyped(value)
    return found if isinstance(found, int) and not isinstance(found, bool) else None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A query text made ready once, since an integration sends the same few queries with
    variables: its document, or why it cannot run (a syntax error, too many tokens, a
    validation rule or limit it breaks: answered without running anything)."""

    document: DocumentNode | None
    errors: list[GraphQLError]
    fragments: dict[str, FragmentDefinitionNode]
    operations: list[OperationDefinitionNode]
    plans: dict[Any, Any] | None = None  # the executor's, across requests: see Executor._plan
    costs: dict[int, int] = field(default_factory=dict)  # by operation (id): those no variable sizes


def prepared(schema: GraphQLSchema, query: str) -> Prepared:
    """Parse (at most MAX_TOKENS tokens) and validate with the standard rules and ours (the
    depth and alias limits, storable strings), cached by the query's text when it is short
    enough that the cache stays small (QUERY_CACHE texts of at most CACHED_CHARS)."""
    return _prepared(schema, query) if len(query) <= CACHED_CHARS else _prepare(schema, query)


@lru_cache(maxsize=QUERY_CACHE)
def _prepared(schema: GraphQLSchema, query: str) -> Prepared:
    return _prepare(schema, query)


def _prepare(schema: GraphQLSchema, query: str) -> Prepared:
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError as exc:
        return Prepared(None, [exc], {}, [])
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    errors = validate(schema, document, (*specified_rules, *LIMIT_RULES))
    fixed = {} if errors else {id(o): cost(o.selection_set, fragments, {}) for o in operations
                               if not _sized_by_variables(o.selection_set, fragments)}  # fmt: skip
    # a directive ('@', here or in a string) may make the fields a request selects depend on its variables
    return Prepared(document, errors, fragments, operations, None if "@" in query else {}, fixed)


def check_limits(ready: Prepared, operation_name: str | None, variables: dict[str, Any]) -> None:
    """The limits that depend on the request's variables: storable strings and the cost."""
    for name, value in variables.items():
        _storable_variables(value, f"${name}")
    chosen = [o for o in ready.operations if o.name and o.name.value == operation_name] or ready.operations[:1]
    for operation in chosen:
        found = ready.costs.get(id(operation))
        if found is None:
            found = cost(operation.selection_set, ready.fragments, variables)
        if found > MAX_COST:
            raise GraphQLError(
                f"query cost {found} is over the limit of {MAX_COST}: ask for smaller pages (first) "
                "or fewer nested lists",
                extensions={"status": 400, "cost": found, "limit": MAX_COST},
            )


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log what went wrong on our side only: a refusal or a bad query is the caller's
        answer, not a log line with a traceback."""
        for error in errors:
            if _unexpected(error):
                StrawberryLogger.error(error, execution_context)


def _unexpected(error: GraphQLError) -> bool:
    """An error of ours (a bug), masked in the answer and logged: not a refusal, not a bad
    query, not a database that does not answer (a 503: graphql_routes)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError) and not unreachable(original)


def _masked(error: GraphQLError) -> dict[str, Any]:
    """A bug's error as the caller sees it: where, not what (Schema.process_errors logged it)."""
    shown = {k: v for k, v in error.formatted.items() if k in ("locations", "path")}
    return {"message": "internal error (logged on the server)", **shown}


def make_schema() -> Schema:
    schema = Schema(query=build_query())
    plain_resolvers(schema)
    return schema


async def run(schema: Schema, asked: "GraphQLRequest", context: Any) -> ExecutionResult:
    """A request through graphql-core: prepared (cached), its limits, then executed by our
    Executor (strawberry's `Schema.execute` ran extension hooks and wrappers a request that
    cost more than a `resolve` itself; the schema, its types and resolvers stay strawberry's),
    or without one where an earlier request planned the operation's Direct (execution.py)."""
    ready = prepared(schema._schema, asked.query)
    if ready.document is None or ready.errors:
        return ExecutionResult(None, ready.errors)
    try:
        check_limits(ready, asked.operation_name, asked.variables or {})
    except GraphQLError as exc:
        return ExecutionResult(None, [exc])
    direct = ready.plans.get((DIRECT, id(_operation(ready, asked.operation_name)))) if ready.plans else None
    result = await run_direct(direct, schema._schema, context, asked.variables) if direct is not None else None
    if result is None:
        result = await _execute(schema, ready, asked, context)
    if result.errors:
        schema.process_errors(result.errors)
    return result


def _operation(ready: Prepared, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs, as graphql-core chooses it, or None where it would refuse."""
    if name is None:
        return ready.operations[0] if len(ready.operations) == 1 else None
    return next((o for o in ready.operations if o.name and o.name.value == name), None)


async def _execute(schema: Schema, ready: Prepared, asked: "GraphQLRequest", context: Any) -> ExecutionResult:
    assert ready.document is not None
    result = execute(schema._schema, ready.document, context_value=context, variable_values=asked.variables,
                     operation_name=asked.operation_name, executor_class=Executor,
                     is_awaitable=cast(Any, optimized_is_awaitable), plans=ready.plans)  # fmt: skip
    if isawaitable(result):
        result = await result
    assert isinstance(result, ExecutionResult)
    return result


class GraphQLRequest(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    """A GraphQL request as POST sends it (GraphQL over HTTP)."""

    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None


def graphql_routes() -> list[Any]:
    """POST and GET /graphql, and GraphiQL's page: a thin route of ours around
    `schema.execute` (strawberry's controller resolved six dependencies a request, one in
    a thread, which cost more than the query `resolve` it served)."""
    schema = make_schema()

    async def execute(request: Request[Any, Any, Any], asked: GraphQLRequest) -> Response[bytes]:
        async with request_context(request) as context:
            result = await run(schema, asked, context)
        for error in result.errors or ():
            if error.original_error is not None and unreachable(error.original_error):
                raise error.original_error  # the whole answer's 503 (Retry-After), as REST's
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [_masked(e) if _unexpected(e) else e.formatted for e in result.errors]
        return Response(msgspec.json.encode(answer), media_type=MediaType.JSON)

    @post(PATH, include_in_schema=False, status_code=200)
    async def graphql_post(request: Request[Any, Any, Any]) -> Response[bytes]:
        if request.content_type[0] != MediaType.JSON:
            said = f"'{request.content_type[0]}' is not application/json" if request.content_type[0] else "is missing"
            raise UnsupportedMediaType("send the query as application/json", [("Content-Type", said)])
        try:
            asked = msgspec.convert(await request.json(), GraphQLRequest)
        except msgspec.ValidationError as exc:
            raise Invalid.from_validation("the body is not a GraphQL request", exc) from None
        return await execute(request, asked)

    @get(PATH, include_in_schema=False)
    async def graphql_get(request: Request[Any, Any, Any]) -> Response[bytes]:
        """?query=…&variables=…&operationName=… (`query` is Litestar's reserved name: read here)."""
        params = request.query_params
        query = params.get("query")
        if query is None:
            if "text/html" in request.headers.get("accept", ""):
                return Response(page().encode(), media_type=MediaType.HTML)
            raise BadRequest("send a query: GET /graphql?query=…, or POST it as JSON", [("query", "is missing")])
        try:
            variables = params.get("variables")
            values = msgspec.json.decode(variables) if variables else None
            asked = msgspec.convert({"query": query, "variables": values, "operationName": params.get("operationName")},
                                    GraphQLRequest)  # fmt: skip
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BadRequest("variables must be a JSON object", [("variables", str(exc))]) from None
        return await execute(request, asked)

    return [graphql_post, graphql_get]


def sdl() -> str:
    """The schema as SDL (openapi/schema.graphql)."""
    return make_schema().as_str() + "\n"
