"""Contract versions over HTTP: one domain's shapes in a version (reads and writes through
its view of the canonical model), and handlers mounted once under every version's prefix.

An older version (v1) is a view of the canonical model: its reads project canonical values
onto its fields, its writes replace only the parts it can see. Operation ids stay those v1
published; a later version's carry its name (`listAuditV2`), so one app's ids are unique.
"""

from typing import Any

import msgspec
from litestar import Request, Router
from litestar.handlers import HTTPRouteHandler
from litestar.types import Method

from mdm.auth.actor import Actor
from mdm.domains import CONTRACT_VERSIONS, Domain
from mdm.domains.views import View
from mdm.errors import MdmError
from mdm.policy.visibility import shown
from mdm.records import service
from mdm.records.values import Record, drop_nulls


def version_suffix(version: str) -> str:
    """What a version adds to an operation id: nothing for v1, whose ids are published."""
    return "" if version == "v1" else version.upper()


def version_of(request: Request) -> str:
    """The contract version a request was made in (its path's first segment)."""
    return str(request.url.path.strip("/").split("/")[0])


def operation_id(name: str) -> Any:
    """An operation id for a handler mounted under every version: `name` under /v1, `nameV2` under /v2."""

    def create(handler: HTTPRouteHandler, method: Method, components: list[Any]) -> str:
        return f"{name}{version_suffix(str(components[0]) if components else 'v1')}"

    return create


def under_every_version(*handlers: Any, **options: Any) -> list[Router]:
    """The same handlers (or routers) at /v1/..., /v2/...: a version changes record shapes,
    not the endpoints that carry no record."""
    return [Router(path=f"/{version}", route_handlers=list(handlers), **options) for version in CONTRACT_VERSIONS]


class ContractVersion:
    """One contract version of one domain: its shapes and, for an older one, the view that
    converts to and from the canonical model. Every handler reads and writes through it."""

    def __init__(self, domain: Domain, version: str):
        self.domain, self.name = domain, version
        c = domain.contract(version)
        self.view: View | None = c.view
        self.read, self.create, self.source, self.patch = c.read, c.create, c.source, c.patch

    def shaped(self, values: Record) -> Record:
        """A canonical record (or history data) in this version's shape."""
        return self.domain.shaped(self.name, values)

    def one_shaped(self, values: Record) -> Any:
        """Values the caller may read as this version's read Struct (an older version's nested
        parts, such as v1's address, become their Structs)."""
        return msgspec.convert(self.shaped(values), self.read) if self.view else self.read(**values)

    def one(self, view: dict[str, Any], fields: frozenset[str]) -> Any:
        values = shown(self.domain, view, fields)
        return msgspec.convert(self.shaped(values), self.read)

    def written(self, view: dict[str, Any], actor: Actor) -> Any:
        """A write's answer shows what the writer may read (under the policy it wrote with)."""
        return self.one(view, actor.policy.readable(actor.subjects, self.domain.name))

    def payload(self, data: msgspec.Struct) -> Record:
        """A body Litestar validated, as canonical builtins (nulls carry no value)."""
        raw = drop_nulls(msgspec.to_builtins(data))
        return self.view.write(raw, None, whole=True) if self.view else raw

    def source_item(self, system: str, source_id: str, data: msgspec.Struct) -> service.SourceItem:
        return service.source_item(self.domain, self.name, system, source_id, drop_nulls(msgspec.to_builtins(data)))

    def renamed(self, exc: MdmError) -> MdmError:
        """An error about canonical fields, naming this version's fields."""
        if self.view is not None:
            view = self.view
            exc.errors = [(view.error_field(f), m) for f, m in exc.errors]
            exc.owners = {view.error_field(f): o for f, o in exc.owners.items()}
        return exc
