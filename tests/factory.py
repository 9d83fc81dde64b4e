"""One descriptor-driven factory: a valid record of any domain from its descriptor, with
values unique per call (so keys never collide between tests) and the records it must
reference created through the API first. A source system's payload holds only the fields
the default edit-right policy lets that system write."""

import random
import string
from typing import Any

import msgspec
from litestar.testing import TestClient
from stdnum.iso7064 import mod_11_10
from ulid import ULID

from mdm.domains import BY_NAME, Domain, Field
from mdm.policy.rules import default_policy

POLICY = default_policy()


def unique(prefix: str = "") -> str:
    return f"{prefix}{ULID()}"


def word(length: int = 12) -> str:
    """A random word: values of different records must not look alike to fuzzy matching
    (ULIDs made in one millisecond share most of their letters)."""
    return "".join(random.choices(string.ascii_lowercase, k=length)).capitalize()


def writes(system: str, domain: str, field: str) -> bool:
    """Whether the default policy lets `system` write `field` of `domain`."""
    return POLICY.allows((f"system:{system}",), domain, field, "write")


def creator(domain: str) -> str:
    """The source system the default policy lets make new golden records of `domain`."""
    return next(s.removeprefix("system:") for s in POLICY.grantees(domain, "*", "create") if s.startswith("system:"))


def duns() -> str:
    return f"{random.randint(0, 999_999_999):09d}"


def vat_de() -> str:
    """A random German VAT number whose check digit holds (ISO 7064 MOD 11,10, as stdnum checks it)."""
    digits = f"{random.randint(10_000_000, 99_999_999)}"
    return f"DE{digits}{mod_11_10.calc_check_digit(digits)}"


def near_addresses() -> tuple[dict[str, str], dict[str, str]]:
    """Two Berlin addresses whose postcodes differ in one digit, at a postcode no other test
    draws: with a name alike, enough to queue a pair (not to link it) and to pair with no
    other test's records."""
    here = f"{random.randint(10000, 99999)}"
    near = here[:-1] + str((int(here[-1]) + 1) % 10)
    return {"postal_code": here, "city": "Berlin"}, {"postal_code": near, "city": "Berlin"}


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
            # a street number of its own: two records at one street address are a likely pair
            return {
                "line1": f"{random.randint(1, 9999)} Example Street",
                "city": "Berlin",
                "postal_code": "10115",
                "country": "DE",
            }
        case "rate_lines":
            return [{"role": "Consultant", "unit": "hour", "rate": "150.00"}]
        case "identifiers":  # a DUNS is nine digits with no check digit: random ones are valid and unique
            return [{"scheme": "duns", "value": duns()}]
        case "phones":
            return [{"kind": "main", "number": f"+49 30 {random.randint(1000000, 9999999)}"}]
        case "addresses":
            return [{"kind": "billing", **_value(Field("address", "address"), tag)}]
        case "person_name":
            return {"given": tag, "family": tag[::-1].capitalize()}
        case _:
            return tag


def contract_fields(d: Domain, version: str) -> list[tuple[Field, str]]:
    """The fields of a domain's create contract in a version, each with the canonical field
    the policy names for it (v1's `tax_id` is written as `identifiers`)."""
    older = d.older.get(version)
    if older is None:
        return [(f, f.name) for f in d.fields]
    out = []
    for c in msgspec.structs.fields(older.create):
        if d.has_field(c.name):
            out.append((d.field(c.name), c.name))
        else:
            kind = "address" if c.name.endswith("address") else "text"
            out.append((Field(c.name, kind, required=c.required), older.view.names_in([c.name])[0]))
    return out


class Factory:
    """Records made through the REST API of one contract version (v1 unless told)."""

    def __init__(self, client: TestClient, version: str = "v1"):  # type: ignore[type-arg]
        self.client, self.version = client, version

    def payload(self, domain: str, system: str | None = None, **overrides: Any) -> dict[str, Any]:
        """A valid create payload of `domain`: every field but enums, optional references and
        range ends, which are left to their defaults unless given. With a `system`, only the
        fields that system may write (overrides are sent as given, allowed or not)."""
        d: Domain = BY_NAME[domain]
        tag = word()
        range_ends = {end for _, end in d.date_ranges}
        body: dict[str, Any] = {}
        for f, canonical in contract_fields(d, self.version):
            if f.name in overrides or f.kind == "enum" or f.name in range_ends:
                continue
            if system is not None and not writes(system, domain, canonical):
                continue
            if f.kind == "ref":
                if f.required and f.ref:
                    body[f.name] = self.create(f.ref)
                continue
            body[f.name] = _value(f, tag)
        body.update(overrides)
        return body

    def create(self, domain: str, **overrides: Any) -> str:
        """Create via POST /{version}/{d} and answer the new id."""
        r = self.client.post(f"/{self.version}/{BY_NAME[domain].path}", json=self.payload(domain, **overrides))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def upsert(self, domain: str, system: str, source_id: str, **fields: Any) -> dict[str, Any]:
        d = BY_NAME[domain]
        body = self.payload(domain, system, **fields)
        r = self.client.put(f"/{self.version}/{d.path}/sources/{system}/{source_id}", json=body)
        assert r.status_code == 200, r.text
        return dict(r.json())
