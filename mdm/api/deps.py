"""Request-scoped dependencies: the one transaction per request, and the caller."""

from collections.abc import AsyncGenerator, Awaitable, Callable

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.auth.actor import Actor
from mdm.db.engine import Database

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READS_ONLY = "reads_only"  # a route's opt: a POST that changes nothing (e.g. a dry run) reads
ON_REPLICA = "on_replica"  # a route's opt: a read whose answer may lag by the replica's replay delay
_AFTER_COMMIT = "mdm.after_commit"


def after_commit(session: AsyncSession, hook: Callable[[], Awaitable[None]]) -> None:
    """Run `hook` once the request's transaction has committed, still before the response
    (a worker's cache learning what this request wrote). Not run when it rolls back."""
    session.info.setdefault(_AFTER_COMMIT, []).append(hook)


async def provide_session(request: Request) -> AsyncGenerator[AsyncSession, None]:
    """The request's session, the one every handler uses. It commits after the handler
    and before the response is sent, so a failed COMMIT becomes a problem response, never
    a 2xx; any error rolls back. Writes use the write engine (on SQLite: the write lock
    up front), reads and routes marked `reads_only` the read engine; reads marked
    `on_replica` the read replica (MDM_READ_DATABASE_URL) when there is one."""
    opt = request.route_handler.opt
    writes = request.method not in READ_METHODS and not opt.get(READS_ONLY)
    db: Database = request.app.state.read_db if opt.get(ON_REPLICA) and not writes else request.app.state.db
    session = db.sessionmaker(write=writes)()
    try:
        async with session.begin():
            yield session
        for hook in session.info.pop(_AFTER_COMMIT, []):
            await hook()
    finally:
        await session.close()


async def provide_actor(request: Request, db_session: NamedDependency[AsyncSession]) -> Actor:
    """Who is calling, as the authentication middleware found it, under the policy in
    force when this request's transaction began (checked inside it)."""
    state = request.scope["state"]
    return Actor(
        principal=state["principal"],
        correlation_id=state.get("correlation_id"),
        policy=await request.app.state.policies.for_write(db_session),
        roles=state["roles"],
    )
