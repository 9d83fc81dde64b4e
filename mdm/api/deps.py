"""Request-scoped dependencies: the one transaction per request, and the caller."""

from collections.abc import AsyncGenerator

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.auth.actor import Actor
from mdm.db.engine import Database

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_session(request: Request) -> AsyncGenerator[AsyncSession, None]:
    """The request's session. It commits after the handler and before the response is
    sent, so a failed COMMIT becomes a problem response, never a 2xx; any error rolls back."""
    db: Database = request.app.state.db
    session = db.sessionmaker(write=request.method not in READ_METHODS)()
    try:
        async with session.begin():
            yield session
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
