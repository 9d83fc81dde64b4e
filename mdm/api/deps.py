"""Request-scoped dependencies: the one transaction per request, and the caller."""

from collections.abc import AsyncGenerator

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.engine import Database
from mdm.records.workspace import Actor

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


def provide_actor(request: Request) -> Actor:
    """Who is calling, as the authentication middleware found it."""
    return Actor(
        principal=request.scope["state"].get("principal", "anonymous"),
        correlation_id=request.scope["state"].get("correlation_id"),
    )
