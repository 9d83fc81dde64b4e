"""The GraphQL read layer at /graphql: the schema the descriptors make (schema.py), the
limits every query meets before it runs, and the route. Read-only: no mutations.

Limits, each refused before execution with a GraphQL error: depth, aliases, tokens (strawberry's
limiters), page size (`first` at most MAX_PAGE) and cost (CostLimiter: a field costs 1, a
list multiplies its children's cost by its page size)."""

import warnings
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    value_from_ast_untyped,
)
from litestar import Controller
from litestar.exceptions import LitestarDeprecationWarning
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.litestar import make_graphql_controller
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from mdm.api.graphql.context import context_getter
from mdm.api.graphql.ide import page
from mdm.api.graphql.schema import DEFAULT_PAGE, LISTS, build_query
from mdm.api.problems import unreachable

# strawberry's Litestar controller infers its dependencies (`context`, `root_value`, ...),
# which Litestar 2.x warns about at start-up: strawberry's code to change, not ours
warnings.filterwarnings("ignore", r".*handler='handle_http_(get|post)'.*Inferred dependency field",
                        LitestarDeprecationWarning)  # fmt: skip

PATH = "/graphql"
MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 5_000
MAX_COST = 20_000  # e.g. 100 projects with 5 references and their crosswalks is ~1,200


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


def _int(value: ValueNode, variables: dict[str, Any]) -> int | None:
    found = variables.get(value.name.value) if isinstance(value, VariableNode) else value_from_ast_untyped(value)
    return found if isinstance(found, int) and not isinstance(found, bool) else None


class CostLimiter(SchemaExtension):
    """Refuses a query whose cost (see `cost`) is over MAX_COST, before it runs."""

    def on_execute(self) -> Iterator[None]:
        context: ExecutionContext = self.execution_context
        document = context.graphql_document
        if document is not None:
            fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            chosen = [o for o in operations if o.name and o.name.value == context.operation_name] or operations[:1]
            variables = context.variables or {}
            for operation in chosen:
                found = cost(operation.selection_set, fragments, variables)
                if found > MAX_COST:
                    raise GraphQLError(
                        f"query cost {found} is over the limit of {MAX_COST}: ask for smaller pages (first) "
                        "or fewer nested lists",
                        extensions={"status": 400, "cost": found, "limit": MAX_COST},
                    )
        yield


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Log what went wrong on our side only: a refusal or a bad query is the caller's
        answer, not a log line with a traceback."""
        for error in errors:
            if _unexpected(error):
                StrawberryLogger.error(error, execution_context)


def _unexpected(error: GraphQLError) -> bool:
    """An error of ours (a bug), masked in the answer and logged: not a refusal, not a bad
    query, not a database that does not answer (a 503, see GraphQL.process_result)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError) and not unreachable(original)


def make_schema() -> Schema:
    schema = Schema(
        query=build_query(),
        extensions=[
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            CostLimiter,
            lambda: MaskErrors(should_mask_error=_unexpected, error_message="internal error (logged on the server)"),
        ],
    )
    return schema


def graphql_controller() -> type[Controller]:
    base = make_graphql_controller(make_schema(), path=PATH, graphql_ide="graphiql", context_getter=context_getter)

    class GraphQL(base):  # type: ignore[valid-type,misc]
        include_in_schema = False  # not part of the REST contract (openapi/schema.graphql is its own)
        websocket_endpoint = None  # no subscriptions: queries over HTTP only

        @property
        def graphql_ide_html(self) -> str:
            """GraphiQL from assets mdm serves (ide.py), not from strawberry's CDN."""
            return page()

        async def process_result(self, request: Any, result: ExecutionResult) -> Any:
            """A database that stopped answering mid-query is the whole answer's 503 (with
            Retry-After, as REST answers it), not a null per field."""
            for error in result.errors or ():
                if error.original_error is not None and unreachable(error.original_error):
                    raise error.original_error
            return await super().process_result(request, result)

    return GraphQL


def sdl() -> str:
    """The schema as SDL (openapi/schema.graphql)."""
    return make_schema().as_str() + "\n"
