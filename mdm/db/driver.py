"""Statements built once, run on the session's own driver connection, inside its transaction.

A single upsert's write group runs a dozen small statements. Through SQLAlchemy's execution
machinery (session, cache key, execution context, parameter and result objects) each cost
more CPU than the driver's work on it: 27% of a server worker's CPU at 300 upserts/s
(py-spy, bench/README.md). Here a statement is compiled once per dialect, with the bind and
result processors SQLAlchemy would apply (JSON, timestamps), and sent straight to asyncpg or
aiosqlite: one call (on SQLite one thread hop, where SQLAlchemy's adapter makes several).
Errors are raised as SQLAlchemy's (`IntegrityError`, `DBAPIError` ...), as if it had run the
statement, so callers and error handlers cannot tell the difference.

Only statements built once belong here (module level or behind an `lru_cache`): a
statement is recognised by identity, and its values that vary are bind parameters.
"""

import time
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Dialect, Insert, Table
from sqlalchemy import insert as sa_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None
timer: Callable[[float], None] | None = None  # set by the metrics layer: each statement's seconds
_CACHE_SIZE = 512


@dataclass(slots=True)
class _Compiled:
    stmt: ClauseElement  # held, so that its id is not reused while cached
    sql: str
    names: tuple[str, ...]  # bind parameters in positional order
    binds: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, processor) of those that process
    defaults: Mapping[str, Any]  # values the statement carries (a LIMIT, a constant)
    types: tuple[Any, ...]  # of the result columns
    row: type | None  # None for text(): its columns are not known, rows are plain tuples
    results: tuple[Processor, ...] | None = None  # known at the first run (PostgreSQL's need the column types)


def _row_class(names: Sequence[str]) -> type:
    """A named tuple read like SQLAlchemy's Row: by position, by attribute and `_mapping`."""
    base = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    keys = tuple(names)

    def mapping(self: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(keys, self, strict=True))

    return type("Row", (base,), {"__slots__": (), "_mapping": property(mapping)})


_COMPILED: OrderedDict[tuple[int, str, tuple[str, ...]], _Compiled] = OrderedDict()


def _compiled(session: AsyncSession, stmt: ClauseElement, keys: tuple[str, ...]) -> _Compiled:
    dialect = session.get_bind().dialect
    key = (id(stmt), dialect.name, keys)
    found = _COMPILED.get(key)
    if found is not None and found.stmt is stmt:
        _COMPILED.move_to_end(key)
        return found
    c: Any = stmt.compile(dialect=dialect, column_keys=list(keys) or None, for_executemany=bool(keys))
    if c.escaped_bind_names or "POSTCOMPILE" in c.string:
        raise ValueError(f"not a statement for the driver (expanding or escaped parameters): {c.string}")
    processors = c._bind_processors
    names = tuple(c.positiontup)
    columns = c._result_columns
    found = _Compiled(
        stmt=stmt,
        sql=c.string,
        names=names,
        binds=tuple((i, processors[n]) for i, n in enumerate(names) if processors.get(n) is not None),
        defaults={n: b.effective_value for n, b in c.binds.items() if b.value is not None or b.callable},
        types=tuple(col.type for col in columns),
        row=_row_class([col.keyname for col in columns]) if columns else None,
    )
    _COMPILED[key] = found
    if len(_COMPILED) > _CACHE_SIZE:
        _COMPILED.popitem(last=False)
    return found


def _args(c: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    """Positional values, each through its processor as SQLAlchemy would, None included (a
    JSON column's None is JSON null, not SQL NULL)."""
    values = [params[n] if n in params else c.defaults[n] for n in c.names]
    for i, process in c.binds:
        values[i] = process(values[i])
    return values


def _results(session: AsyncSession, c: _Compiled, coltypes: Sequence[Any]) -> tuple[Processor, ...]:
    dialect = session.get_bind().dialect
    return tuple(t._cached_result_processor(dialect, o) for t, o in zip(c.types, coltypes, strict=False))


_CONNECTION = "mdm.driver"  # session.info's key


async def connection(session: AsyncSession) -> tuple[Any, Any]:
    """The session's connection as SQLAlchemy adapts it and as the driver has it, kept for the
    rest of its (innermost) transaction: asking the session again for each statement cost a
    lone write group a sixth of its CPU. A savepoint begun since is a new transaction: asking
    the session then is what makes SQLAlchemy send its SAVEPOINT."""
    sync = session.sync_session
    tx = sync.get_nested_transaction() or sync.get_transaction()
    found = session.info.get(_CONNECTION)
    if tx is not None and found is not None and found[0]() is tx:
        return found[1], found[2]
    raw = await (await session.connection()).get_raw_connection()
    now = sync.get_nested_transaction() or sync.get_transaction()
    # a weak reference: the transaction refers to the session, which would hold it in a cycle
    session.info[_CONNECTION] = (weakref.ref(now), raw.dbapi_connection, raw.driver_connection)
    return raw.dbapi_connection, raw.driver_connection


async def execute(
    session: AsyncSession, sql: str, args: Any, *, many: bool = False, prepared: Callable[[Any], None] | None = None
) -> list[Any]:
    """The driver's own SQL (asyncpg's $n or SQLite's ? / :name parameters) in the session's
    transaction: its rows as the driver answers them. Begins the transaction if this is its
    first statement, takes turns with SQLAlchemy's statements on the connection, and raises
    errors as SQLAlchemy would; a connection found dead is invalidated, so that the pool
    replaces it. `prepared` (PostgreSQL): called once with the prepared statement first."""
    return await _on_driver(session, sql, args, many=many, prepared=prepared)


async def _on_driver(
    session: AsyncSession,
    sql: str,
    args: Any,
    *,
    many: bool = False,
    prepared: Callable[[Any], None] | None = None,
    batches: Sequence[tuple[str, list[Any]]] = (),
) -> list[Any]:
    """`execute`; with `batches` (SQLite), those executemany calls instead, one after another
    in one call on aiosqlite's thread (each call there is a hop between threads, ~50 us)."""
    adapted, driver = await connection(session)
    postgres = session.get_bind().dialect.name == "postgresql"
    started = time.perf_counter()
    found: list[Any] = []
    raised: Exception | None = None
    async with adapted._execute_mutex:  # SQLAlchemy's own statements on this connection take turns with these
        try:
            if postgres and adapted._transaction is None:  # asyncpg's BEGIN is sent before a first statement
                await adapted._start_transaction()
            if batches and hasattr(driver, "_execute"):
                # aiosqlite's own way to run a call on its thread, as its executemany does
                await driver._execute(_executemany_all, driver._conn, batches)
            elif batches:  # an aiosqlite without it (the lock file pins one with it): a hop each
                for batch_sql, rows in batches:
                    await driver.executemany(batch_sql, rows)
            elif many:
                await driver.executemany(sql, args)
            elif postgres:
                if prepared is not None:
                    prepared(await driver.prepare(sql))
                found = await driver.fetch(sql, *args)
            else:
                found = list(await driver.execute_fetchall(sql, args))
        except Exception as error:
            raised = _translated(session, adapted, sql, args, error)
    if raised is not None:
        await _forget_if_gone(session, raised)
        raise raised
    if timer is not None:
        timer(time.perf_counter() - started)
    return found


def _executemany_all(conn: Any, batches: Sequence[tuple[str, list[Any]]]) -> None:
    for sql, rows in batches:
        conn.executemany(sql, rows)


def _translated(session: AsyncSession, adapted: Any, sql: str, args: Any, error: Exception) -> Exception:
    """The driver's error as SQLAlchemy raises it: translated by its adapter, then wrapped."""
    dialect = session.get_bind().dialect
    try:
        adapted._handle_exception(error)
    except Exception as dbapi_error:
        gone = dialect.is_disconnect(dbapi_error, adapted, None)  # type: ignore[arg-type]
        wrapped = DBAPIError.instance(
            sql, args, dbapi_error, dialect.loaded_dbapi.Error, connection_invalidated=gone, dialect=dialect
        )
        wrapped.__cause__ = error
        return wrapped
    return error  # pragma: no cover - _handle_exception always raises


async def _forget_if_gone(session: AsyncSession, error: Exception) -> None:
    """A connection the database dropped leaves the pool (SQLAlchemy does the same for its own
    statements); the next transaction gets a new one."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        session.info.pop(_CONNECTION, None)
        await (await session.connection()).invalidate(error)


async def _run(session: AsyncSession, c: _Compiled, args: Any, many: bool) -> list[Any]:
    if many or c.results is not None:
        return await execute(session, c.sql, args, many=many)
    if session.get_bind().dialect.name != "postgresql":
        c.results = _results(session, c, [None] * len(c.types))
        return await execute(session, c.sql, args)

    def learn(prepared: Any) -> None:  # a numeric's processor depends on the type the server answers
        c.results = _results(session, c, [a.type.oid for a in prepared.get_attributes()])

    return await execute(session, c.sql, args, prepared=learn)


async def rows(session: AsyncSession, stmt: ClauseElement, params: Mapping[str, Any] | None = None) -> list[Any]:
    """The statement's rows (named tuples, read as SQLAlchemy's rows are)."""
    c = _compiled(session, stmt, ())
    found = await _run(session, c, _args(c, params or {}), many=False)
    if c.row is None:
        return [tuple(r) for r in found]
    make, results = c.row._make, c.results or ()  # type: ignore[attr-defined]
    if not any(results):
        return [make(r) for r in found]
    return [make([v if p is None or v is None else p(v) for p, v in zip(results, r, strict=True)]) for r in found]


async def many(session: AsyncSession, stmt: ClauseElement, params: Sequence[Mapping[str, Any]]) -> None:
    """The statement once per parameter set (executemany). An INSERT takes its columns from
    the first set's keys, as SQLAlchemy does; every set must have the same keys."""
    if not params:
        return
    keys = tuple(params[0])
    c = _compiled(session, stmt, keys if getattr(stmt, "is_insert", False) else ())
    await _run(session, c, [_args(c, p) for p in params], many=True)


_INSERTS: dict[str, Insert] = {}


async def insert(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows (each with the same keys) in one executemany; inside `together`, at its end."""
    if not rows:
        return
    pending = session.info.get(_TOGETHER)
    if pending is not None:
        pending.append((table, list(rows)))
        return
    await many(session, _insert_statement(table), rows)


def _insert_statement(table: Table) -> Insert:
    """A table's INSERT, built once (the driver knows a statement by its identity)."""
    stmt = _INSERTS.get(table.name)
    if stmt is None:
        stmt = _INSERTS[table.name] = sa_insert(table)
    return stmt


_TOGETHER = "mdm.driver.together"  # session.info's key: the inserts `together` holds back


@asynccontextmanager
async def together(session: AsyncSession) -> AsyncIterator[None]:
    """Inserts made inside (`insert`) are sent at the end, in order, on PostgreSQL as one
    statement: a write group made eight, one round trip each (~0.15 ms of a worker's CPU
    apiece, bench/README.md); on SQLite as executemany calls made in one hop to aiosqlite's
    thread (eight hops were ~0.4 ms). Nothing read inside may depend on them; no table has
    foreign keys, so their order against the updates made inside does not matter."""
    if _TOGETHER in session.info:
        yield
        return
    pending: list[tuple[Table, list[Mapping[str, Any]]]] = []
    session.info[_TOGETHER] = pending
    try:
        yield
    finally:
        del session.info[_TOGETHER]
    if len(pending) == 1:
        await insert(session, *pending[0])
    elif pending and session.get_bind().dialect.name != "postgresql":
        batches = []
        for table, rows in pending:
            c = _compiled(session, _insert_statement(table), tuple(rows[0]))
            batches.append((c.sql, [_args(c, r) for r in rows]))
        await _on_driver(session, "; ".join(sql for sql, _ in batches), None, batches=batches)
    elif pending:
        spec = tuple((table, tuple(rows[0])) for table, rows in pending)
        sql, processors = _inserts_together(session.get_bind().dialect, spec)
        args = [[r[name] for r in rows] for (_, rows), (_, names) in zip(pending, spec, strict=True) for name in names]
        for i, process in processors:
            args[i] = [process(v) for v in args[i]]
        await execute(session, sql, args)


@lru_cache(maxsize=128)
def _inserts_together(dialect: Dialect, spec: tuple[tuple[Table, tuple[str, ...]], ...]) -> tuple[str, Any]:
    """One INSERT per (table, columns) as data-modifying CTEs of one statement, each taking its
    rows as one array per column (`unnest`), cast to the column's type; and the processors of
    those arrays' values (JSON, timestamps), by position, as SQLAlchemy binds them."""
    quote = dialect.identifier_preparer
    parts, processors, n = [], [], 0
    for table, names in spec:
        arrays = []
        for name in names:
            column_type = table.c[name].type
            process = column_type._cached_bind_processor(dialect)
            if process is not None:
                processors.append((n, process))
            n += 1
            arrays.append(f"${n}::{column_type.compile(dialect=dialect)}[]")
        columns = ", ".join(quote.quote(name) for name in names)
        parts.append(f"INSERT INTO {quote.format_table(table)} ({columns}) SELECT * FROM unnest({', '.join(arrays)})")
    ctes = ", ".join(f"i{i} AS ({part})" for i, part in enumerate(parts[:-1]))
    return f"WITH {ctes} {parts[-1]}", tuple(processors)
