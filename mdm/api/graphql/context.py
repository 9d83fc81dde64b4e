"""One GraphQL request's state: its read transaction, the caller's readable fields, and the
loaders that batch every relationship level into one statement."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graphql import GraphQLError
from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from mdm.db.engine import Database
from mdm.domains import BY_NAME, Domain
from mdm.errors import MdmError, Moved
from mdm.policy.rules import Policy
from mdm.policy.visibility import readable_by
from mdm.records import graph

Record = dict[str, Any]


@dataclass(slots=True)
class Golden:
    """A golden record as a GraphQL object sees it: its canonical view and what the caller
    may read of its domain (fields outside `readable` resolve to null with an error), and
    what a list page read ahead for all its records at once (`prefetched`: references by
    field name, `crosswalks`), which the resolvers answer without a loader's round."""

    domain: Domain
    view: Record
    readable: frozenset[str]
    prefetched: dict[str, Any] = field(default_factory=dict)
    as_of: datetime | None = None  # read as it was then: its references and crosswalks too


def problem(exc: MdmError) -> GraphQLError:
    """A service's refusal as a GraphQL error: its detail, and in `extensions` what REST
    would answer (status, title) and the fields it names."""
    extensions: dict[str, Any] = {"status": exc.status, "title": exc.title}
    if exc.errors:
        extensions["errors"] = [{"field": f, "reason": r} for f, r in exc.errors]
    if isinstance(exc, Moved):
        extensions.update(survivorId=exc.survivor_id, passed=exc.passed)
    return GraphQLError(exc.detail, extensions=extensions)


class GraphContext:
    def __init__(self, db: Database, policy: Policy, subjects: tuple[str, ...], request: Request):
        self.db, self.policy, self.subjects, self.mdm_request = db, policy, subjects, request
        self._session: AsyncSession | None = None
        self._readable: dict[str, frozenset[str]] = {}
        self._loaders: dict[tuple[Any, ...], DataLoader[Any, Any]] = {}

    @property
    def session(self) -> AsyncSession:
        """The request's one read transaction, made when a resolver first reads (`resolve`
        reads through the raw driver and needs none); it begins at its first statement."""
        if self._session is None:
            self._session = self.db.sessionmaker(write=False)()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()  # read-only: nothing to commit

    def readable(self, domain: Domain) -> frozenset[str]:
        """The caller's readable fields of a domain; a GraphQL error if none."""
        found = self._readable.get(domain.name)
        if found is None:
            try:
                found = self._readable[domain.name] = readable_by(self.policy, self.subjects, domain)
            except MdmError as exc:
                raise problem(exc) from None
        return found

    def golden(self, domain: Domain, view: Record, as_of: datetime | None = None) -> Golden:
        return Golden(domain, view, self.readable(domain), as_of=as_of)

    def _loader(self, key: tuple[Any, ...], load: Any) -> DataLoader[Any, Any]:
        found = self._loaders.get(key)
        if found is None:
            found = self._loaders[key] = DataLoader(load_fn=load)
        return found

    async def _views(self, domain: Domain, ids: list[str], as_of: datetime | None) -> dict[str, Record]:
        """Records by id: the live record each ends at, or as each was at `as_of`."""
        if as_of is None:
            return await graph.views(self.session, domain, ids)
        return await graph.views_at(self.session, domain, ids, as_of)

    async def record(self, domain: Domain, golden_id: str, as_of: datetime | None = None) -> Golden | None:
        """The live record an id ends at, or the record as it was at `as_of` (batched with
        every other id of this level)."""

        async def load(ids: list[str]) -> list[Record | None]:
            found = await self._views(domain, ids, as_of)
            return [found.get(i) for i in ids]

        view = await self._loader(("record", domain.name, as_of), load).load(golden_id)
        return None if view is None else self.golden(domain, view, as_of)

    async def crosswalks(self, domain: Domain, golden_id: str, as_of: datetime | None = None) -> list[Record]:
        async def load(ids: list[str]) -> list[list[Record]]:
            if as_of is None:
                found = await graph.crosswalks(self.session, domain, ids)
            else:
                found = await graph.crosswalks_at(self.session, ids, as_of)
            return [found.get(i, []) for i in ids]

        result: list[Record] = await self._loader(("crosswalks", domain.name, as_of), load).load(golden_id)
        return result

    async def lineage(self, domain: Domain, golden_id: str) -> list[Record]:
        async def load(ids: list[str]) -> list[list[Record]]:
            found = await graph.lineages(self.session, domain, ids, self.policy, self.readable(domain))
            return [found.get(i, []) for i in ids]

        result: list[Record] = await self._loader(("lineage", domain.name), load).load(golden_id)
        return result

    async def history(self, domain: Domain, golden_id: str) -> list[Record]:
        async def load(ids: list[str]) -> list[list[Record]]:
            found = await graph.histories(self.session, domain, ids, self.readable(domain))
            return [found.get(i, []) for i in ids]

        result: list[Record] = await self._loader(("history", domain.name), load).load(golden_id)
        return result

    async def prefetch(self, domain: Domain, nodes: list[Golden], names: set[str]) -> None:
        """Read ahead, for every record of a page, the references and crosswalks the query
        asks of them (`names`: their fields' names in the descriptor), one statement each."""
        ids = [n.view["id"] for n in nodes]
        as_of = nodes[0].as_of if nodes else None
        if "crosswalks" in names and nodes:
            if as_of is None:
                found = await graph.crosswalks(self.session, domain, ids)
            else:
                found = await graph.crosswalks_at(self.session, ids, as_of)
            for n in nodes:
                n.prefetched["crosswalks"] = found.get(n.view["id"], [])
        for ref in domain.references:
            if ref.name not in names or ref.name not in self.readable(domain):
                continue
            target = BY_NAME[ref.ref or ""]
            try:
                readable = self.readable(target)
            except GraphQLError:  # the caller may read nothing of it: each reference says so on its path
                continue
            wanted = {n.view[ref.name] for n in nodes if n.view.get(ref.name)}
            views = await self._views(target, sorted(wanted), as_of) if wanted else {}
            for n in nodes:
                view = views.get(n.view.get(ref.name) or "")
                n.prefetched[ref.name] = None if view is None else Golden(target, view, readable, as_of=as_of)

    async def referrers(self, domain: Domain, field_name: str, golden_id: str, first: int) -> list[Golden]:
        async def load(ids: list[str]) -> list[list[Record]]:
            found = await graph.referrers(self.session, domain, field_name, ids, first)
            return [found.get(i, []) for i in ids]

        views = await self._loader(("referrers", domain.name, field_name, first), load).load(golden_id)
        return [self.golden(domain, v) for v in views]


@asynccontextmanager
async def request_context(request: Request[Any, Any, Any]) -> AsyncIterator[dict[str, GraphContext]]:
    """The caller, as the authentication middleware found it, and the policy in force
    (strawberry's context: `mdm`); the read transaction (on the read replica, when there is
    one) is closed when the answer is made."""
    policy = await request.app.state.policies.for_read()
    context = GraphContext(request.app.state.read_db, policy, request.scope["state"]["subjects"], request)
    try:
        yield {"mdm": context}
    finally:
        await context.close()
