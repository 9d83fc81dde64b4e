"""A faster way through graphql-core's execution for the fields that are plain reads.

A page of 100 projects with their references and crosswalks completes ~2,500 fields; for each
graphql-core builds a path and a resolve info, dispatches on the return type and checks for
awaitables, which cost several times the read itself (`bench/graphql_reads.py` measured 60% of
the query's time there). Most of those fields read a value the page already holds: a view's
item, a read-ahead reference, a crosswalk's attribute. For an object whose every selected field
is such a read (a "fast" reader, see `FAST`), `Executor` completes the whole object, and the
objects and lists below it, in one tight loop.

Anything the loop cannot answer exactly as graphql-core would (a reader that raises, such as a
field the caller may not read; a null where the type says non-null; a value a scalar refuses; a
reference not read ahead) raises `Slow`, and the object is executed again on the standard path,
which answers it with the error on its path. The readers are pure reads, so running one twice
changes nothing.

An operation of one root field whose resolver reads nothing of its info but the context (an
integration's `resolve`), and whose answer the fast loop completes, goes further (`Direct`):
once a request has planned it, the next ones coerce their variables and arguments with
graphql-core's own functions, call the resolver and complete its value without building an
executor at all, which cost more than the look-up itself."""

from collections.abc import Callable
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    Undefined,
    VariableDefinitionNode,
    get_argument_values,
    get_variable_values,
    is_abstract_type,
    is_leaf_type,
    located_error,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

NO_INFO: Any = None  # what `is_type_of` gets: ours and strawberry's read only the value
FAST = "mdm-fast"  # a GraphQL field's extension: its reader, taking the parent value only
CONTEXT_ONLY = "mdm-context-only"  # a root field's extension: its resolver reads only `info.context`
DIRECT = "direct"  # the key of an operation's Direct in the query text's plans: (DIRECT, id(operation))
Complete = Callable[[Any], Any]
Plan = tuple[tuple[str, Callable[[Any], Any] | None, Complete], ...]


class Slow(Exception):  # a signal, not an error a caller sees
    """The fast loop cannot answer this object: the standard path does."""


class Executor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with `execute_fields` trying the fast loop first."""

    def __init__(self, *args: Any, plans: dict[Any, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[Any, Plan | None]] = {}
        self._shared = plans  # the query text's plans and Directs, kept across its requests (see `_plan`)

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any, path: Any,
                       grouped_field_set: Any, position_context: Any) -> Any:  # fmt: skip
        if path is None and self._shared is not None:  # the root: plan the next requests' Direct
            key = (DIRECT, id(self.operation))
            if key not in self._shared:
                self._shared[key] = self._direct(parent_type, grouped_field_set)
        plan = self._plan(parent_type, grouped_field_set)
        if plan is not None:
            try:
                return _run(plan, source_value)
            except Exception:  # Slow, or a reader's error: the standard path says it
                pass
        return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Plan | None:
        """How to complete an object of this selection fast, or None if a field is not a
        plain read. Made once per selection of a request (graphql-core keeps a selection's
        field set), and once per query text when the route hands over `plans`: keyed then by
        the document's field nodes, which live as long as that dict (both are the prepared
        query's), and only for a query whose fields no variable decides (no @skip/@include)."""
        key = id(grouped_field_set)
        found = self._plans.get(key)
        if found is None:
            if self._shared is None:
                plan = self._make_plan(parent_type, grouped_field_set)
            else:
                shape = (parent_type.name, *((n, *map(id, _nodes(d))) for n, d in grouped_field_set.items()))
                if shape in self._shared:
                    plan = self._shared[shape]
                else:
                    plan = self._shared[shape] = self._make_plan(parent_type, grouped_field_set)
            found = self._plans[key] = (grouped_field_set, plan)
        return found[1]

    def _direct(self, root: GraphQLObjectType, grouped_field_set: Any) -> "Direct | None":
        if len(grouped_field_set) != 1:
            return None
        ((name, details),) = grouped_field_set.items()
        nodes = tuple(_nodes(details))
        field = root.fields.get(nodes[0].name.value)
        if field is None or not (field.extensions or {}).get(CONTEXT_ONLY) or any(n.directives for n in nodes):
            return None
        complete = self._completer(field.type, details)
        if complete is None:
            return None
        return Direct(name, field, nodes, complete, tuple(self.operation.variable_definitions or ()))

    def _make_plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> Plan | None:
        steps = []
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            if node.name.value == "__typename":
                steps.append((response_name, None, _constant(parent_type.name)))
                continue
            field = parent_type.fields.get(node.name.value)
            read = (field.extensions or {}).get(FAST) if field is not None else None
            if read is None or field.args or node.arguments or node.directives:
                return None
            complete = self._completer(field.type, details)
            if complete is None:
                return None
            steps.append((response_name, read, complete))
        return tuple(steps)

    def _completer(self, return_type: GraphQLOutputType, details: Any) -> Complete | None:
        """A value's completion as graphql-core's complete_value would make it, or None."""
        required = isinstance(return_type, GraphQLNonNull)
        kind = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        inner: Complete | None
        if is_leaf_type(kind):
            serialize = kind.serialize

            def inner(value: Any) -> Any:
                found = serialize(value)
                if found is None or found is Undefined:
                    raise Slow
                return found
        elif isinstance(kind, GraphQLList):
            item = self._completer(kind.of_type, details)
            if item is None:
                return None

            def inner(value: Any) -> Any:
                if not isinstance(value, list | tuple):
                    raise Slow
                return [item(v) for v in value]
        elif isinstance(kind, GraphQLObjectType):
            grouped, deferred = self.collect_subfields(kind, details)[:2]
            plan = None if deferred else self._plan(kind, grouped)
            if plan is None:
                return None
            is_type_of = kind.is_type_of

            def inner(value: Any) -> Any:
                if is_type_of is not None and not is_type_of(value, NO_INFO):
                    raise Slow
                return _run(plan, value)
        elif is_abstract_type(kind):  # an interface or a union: the type whose is_type_of takes the value
            possible = [(t.is_type_of, self._plan(t, self.collect_subfields(t, details)[0]))
                        for t in self.schema.get_possible_types(kind)]  # fmt: skip
            if any(check is None for check, _ in possible):
                return None

            def inner(value: Any) -> Any:
                for check, found in possible:
                    if check(value, NO_INFO):  # type: ignore[misc]
                        if found is None:
                            raise Slow
                        return _run(found, value)
                raise Slow
        else:
            return None

        def complete(value: Any) -> Any:
            if value is None:
                if required:
                    raise Slow
                return None
            return inner(value)

        return complete


@dataclass(frozen=True, slots=True)
class Direct:
    """How to answer an operation of one root field without an executor (see the module's doc)."""

    name: str  # its response name
    field: GraphQLField
    nodes: tuple[FieldNode, ...]
    complete: Complete
    variables: tuple[VariableDefinitionNode, ...]


class _ContextOnly:
    """The info a CONTEXT_ONLY resolver gets: the context alone."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


async def run_direct(direct: Direct, schema: GraphQLSchema, context: Any,
                     variables: dict[str, Any] | None) -> ExecutionResult | None:  # fmt: skip
    """The operation's answer as graphql-core's execution would give it, the resolver's error
    on its path included; or None when the standard path must answer (variables it refuses,
    a value the fast loop cannot complete: the resolver is a read, so calling it again is safe)."""
    coerced = get_variable_values(schema, direct.variables, variables or {}, max_errors=50)
    if isinstance(coerced, list):
        return None
    node = direct.nodes[0]
    try:
        args = get_argument_values(direct.field, node, coerced) if direct.field.args or node.arguments else {}
        value = direct.field.resolve(None, _ContextOnly(context), **args)  # type: ignore[misc]
        if isawaitable(value):
            value = await value
    except Exception as exc:  # as graphql-core's handle_field_error: null (or no data) and the error
        error = located_error(exc, list(direct.nodes), [direct.name])  # a list: GraphQLError wraps any other sequence
        return ExecutionResult(None if isinstance(direct.field.type, GraphQLNonNull) else {direct.name: None}, [error])
    try:
        return ExecutionResult({direct.name: direct.complete(value)}, None)
    except Exception:  # Slow, or a reader's error
        return None


def _nodes(details: Any) -> Any:
    return (d.node for d in details)


def _run(plan: Plan, source: Any) -> dict[str, Any]:
    return {name: complete(read(source) if read is not None else None) for name, read, complete in plan}


def _constant(value: str) -> Complete:
    return lambda _none: value
