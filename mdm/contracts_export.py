"""OpenAPI documents per contract version, built from the app without a database."""

import json
from pathlib import Path
from typing import Any

from litestar.serialization import encode_json

from mdm.app import create_app
from mdm.settings import Settings

OPENAPI_DIR = Path(__file__).resolve().parents[1] / "openapi"


def documents() -> dict[str, dict[str, Any]]:
    """{version: OpenAPI document}; one per contract version (only v1 so far)."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    return {"v1": json.loads(encode_json(app.openapi_schema.to_schema()))}


def export() -> list[Path]:
    OPENAPI_DIR.mkdir(exist_ok=True)
    written = []
    for version, document in documents().items():
        path = OPENAPI_DIR / f"{version}.json"
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
