"""One descriptor-driven factory: a valid record of any domain from its descriptor, with
values unique per call (so keys never collide between tests) and the records it must
reference created through the API first."""

from typing import Any

from litestar.testing import TestClient
from ulid import ULID

from mdm.domains import BY_NAME, Domain, Field


def unique(prefix: str = "") -> str:
    return f"{prefix}{ULID()}"


def _value(f: Field, tag: str) -> Any:
    match f.kind:
        case "country":
            return "DE"
        case "currency":
            return "EUR"
        case "email":
            return f"{f.name}.{tag.lower()}@firm.example"
        case "money":
            return "100.00"
        case "date":
            return "2025-01-01"
        case "address":
            return {"line1": "1 Example Street", "city": "Berlin", "postal_code": "10115", "country": "DE"}
        case "rate_lines":
            return [{"role": "Consultant", "unit": "hour", "rate": "150.00"}]
        case _:
            return f"{f.name.replace('_', ' ').title()} {tag}"


class Factory:
    def __init__(self, client: TestClient):  # type: ignore[type-arg]
        self.client = client

    def payload(self, domain: str, **overrides: Any) -> dict[str, Any]:
        """A valid create payload of `domain`: every field but enums, optional references and
        range ends, which are left to their defaults unless given."""
        d: Domain = BY_NAME[domain]
        tag = unique()
        range_ends = {end for _, end in d.date_ranges}
        body: dict[str, Any] = {}
        for f in d.fields:
            if f.name in overrides or f.kind == "enum" or f.name in range_ends:
                continue
            if f.kind == "ref":
                if f.required and f.ref:
                    body[f.name] = self.create(f.ref)
                continue
            body[f.name] = _value(f, tag)
        body.update(overrides)
        return body

    def create(self, domain: str, **overrides: Any) -> str:
        """Create via POST /v1/{d} and answer the new id."""
        r = self.client.post(f"/v1/{BY_NAME[domain].path}", json=self.payload(domain, **overrides))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def upsert(self, domain: str, system: str, source_id: str, **fields: Any) -> dict[str, Any]:
        d = BY_NAME[domain]
        r = self.client.put(f"/v1/{d.path}/sources/{system}/{source_id}", json=self.payload(domain, **fields))
        assert r.status_code == 200, r.text
        return dict(r.json())
