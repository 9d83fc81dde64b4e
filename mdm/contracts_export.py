"""The contracts as files, built from the app without a database: one OpenAPI document
per contract version (openapi/v1.json, openapi/v2.json once /v2 routes exist), a JSON
Schema per domain, version and kind (contracts/schemas/v1/customer.create.json, .patch,
.source, .read), each the schema the version's document gives that operation, and the
GraphQL schema (openapi/schema.graphql)."""

import json
from pathlib import Path
from typing import Any

from mdm.api.graphql import sdl
from mdm.api.openapi import referenced, version_documents
from mdm.app import create_app
from mdm.domains import DOMAINS
from mdm.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
OPENAPI_DIR = ROOT / "openapi"
SCHEMAS_DIR = ROOT / "contracts" / "schemas"
GRAPHQL_SCHEMA = OPENAPI_DIR / "schema.graphql"
# kind -> (the operation of a domain at /{version}/{its path}, where its schema is); by path
# and method, which every version keeps, not by operation id, which a later version suffixes
KINDS = {
    "create": ("", "post", "request"),
    "source": ("/sources/{system}/{source_id}", "put", "request"),
    "patch": ("/{record_id}", "patch", "request"),
    "read": ("/{record_id}", "get", "200"),
}


def documents() -> dict[str, dict[str, Any]]:
    """{version: OpenAPI document}; one per contract version the app has routes for."""
    return version_documents(create_app(Settings(database_url="sqlite+aiosqlite:///:memory:")))


def _rewrite(value: Any, root: str) -> Any:
    if isinstance(value, dict):
        out = {k: _rewrite(v, root) for k, v in value.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            out["$ref"] = "#" if name == root else f"#/$defs/{name}"
        return out
    if isinstance(value, list):
        return [_rewrite(v, root) for v in value]
    return value


def json_schema(doc: dict[str, Any], ref: str, schema_id: str) -> dict[str, Any]:
    """A document's component as a JSON Schema (2020-12) of its own, `$defs` holding
    what it references."""
    schemas = doc["components"]["schemas"]
    name = ref.rsplit("/", 1)[1]
    out: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id}
    out.update(_rewrite(schemas[name], name))
    defs = {n: _rewrite(schemas[n], name) for n in sorted(referenced(schemas, schemas[name]) - {name})}
    if defs:
        out["$defs"] = defs
    return out


def domain_schemas(version: str, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{"customer.create.json": schema, …} for one version's document."""
    found = {}
    for domain in DOMAINS:
        for kind, (tail, method, where) in KINDS.items():
            op = doc["paths"].get(f"/{version}/{domain.path}{tail}", {}).get(method)
            if op is None:
                continue
            part = op["requestBody"] if where == "request" else op["responses"][where]
            ref = part["content"]["application/json"]["schema"]["$ref"]
            filename = f"{domain.name}.{kind}.json"
            found[filename] = json_schema(doc, ref, f"https://mdm.dev/schemas/{version}/{filename}")
    return found


def files() -> dict[Path, dict[str, Any] | str]:
    """Every file the export writes, and its content (a document, or text)."""
    out: dict[Path, dict[str, Any] | str] = {}
    for version, doc in documents().items():
        out[OPENAPI_DIR / f"{version}.json"] = doc
        for filename, schema in domain_schemas(version, doc).items():
            out[SCHEMAS_DIR / version / filename] = schema
    out[GRAPHQL_SCHEMA] = sdl()
    return out


def render(content: dict[str, Any] | str) -> str:
    return content if isinstance(content, str) else json.dumps(content, indent=2, sort_keys=True) + "\n"


def stale(written: set[Path]) -> list[Path]:
    """Files in the export's directories that it no longer writes."""
    there = [*OPENAPI_DIR.glob("*.json"), *OPENAPI_DIR.glob("*.graphql"), *SCHEMAS_DIR.glob("*/*.json")]
    return sorted(p for p in there if p not in written)


def export() -> list[Path]:
    made = files()
    for path, content in made.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(content), encoding="utf-8")
    for path in stale(set(made)):
        path.unlink()
    return sorted(made)
