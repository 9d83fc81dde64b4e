"""One descriptor-driven factory: valid records of any domain, unique per call,
with the references they need created through the API first."""

import itertools
from typing import Any

from litestar.testing import TestClient
from ulid import ULID

from mdm.domains import BY_NAME, Domain

_counter = itertools.count(1)


def unique(prefix: str = "") -> str:
    return f"{prefix}{ULID()}"


class Factory:
    def __init__(self, client: TestClient):  # type: ignore[type-arg]
        self.client = client

    def payload(self, domain: str, **overrides: Any) -> dict[str, Any]:
        """A valid create payload of `domain`, creating the records it must reference."""
        n = next(_counter)
        tag = unique()
        base: dict[str, Any]
        match domain:
            case "customer":
                base = {"name": f"Customer {tag}", "country": "DE", "tax_id": f"DE{tag}", "currency": "EUR"}
            case "legal_entity":
                base = {"name": f"Entity {tag}", "country": "GB", "registration_number": f"R{tag}",
                        "functional_currency": "GBP"}  # fmt: skip
            case "cost_center":
                base = {"code": f"CC{tag}", "name": f"Cost center {n}", "legal_entity_id": self.create("legal_entity")}
            case "employee":
                base = {"employee_number": f"E{tag}", "given_name": "Ada", "family_name": f"Lovelace{n}",
                        "email": f"ada.{tag.lower()}@firm.example", "country": "GB"}  # fmt: skip
            case "project":
                base = {"code": f"P{tag}", "name": f"Project {n}", "billing_model": "time_and_materials",
                        "currency": "EUR", "contract_value": "1000.00"}  # fmt: skip
            case "rate_card":
                base = {"name": f"Rates {tag}", "currency": "EUR", "effective_from": "2025-01-01",
                        "lines": [{"role": "Consultant", "unit": "hour", "rate": "150.00"}]}  # fmt: skip
            case _:
                raise KeyError(domain)
        base.update(overrides)
        return base

    def create(self, domain: str, **overrides: Any) -> str:
        """Create via POST /v1/{d} and answer the new id."""
        d: Domain = BY_NAME[domain]
        r = self.client.post(f"/v1/{d.path}", json=self.payload(domain, **overrides))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def upsert(self, domain: str, system: str, source_id: str, **fields: Any) -> dict[str, Any]:
        d = BY_NAME[domain]
        r = self.client.put(f"/v1/{d.path}/sources/{system}/{source_id}", json=self.payload(domain, **fields))
        assert r.status_code == 200, r.text
        return dict(r.json())
