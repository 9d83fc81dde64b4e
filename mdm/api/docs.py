"""The API's documents and their pages under /schema, open without a key and without the
internet (auth.py lets /schema through):

    /schema                      an index of the contract versions
    /schema/v1                   Swagger UI for v1 (and /schema/v2, … once their routes exist)
    /schema/v1/openapi.json      v1's document (mdm.api.openapi.version_documents)
    /schema/openapi.json         the whole document, every version
    /schema/assets/<file>        Swagger UI itself, from the swagger-ui-bundle-v2 package

Swagger UI's files are served from the installed package, never a CDN, and the page asks
no other host for anything (no validator badge).
"""

import html
import json
from pathlib import Path
from typing import Annotated, Any

import swagger_ui_bundle
from litestar import Litestar, Request, Response, get
from litestar.enums import MediaType, OpenAPIMediaType
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import PathParameter
from litestar.router import Router
from litestar.serialization import encode_json

from mdm.api.openapi import VERSIONED, document, version_documents

ASSETS_DIR = Path(str(swagger_ui_bundle.swagger_ui_path))
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}


def _page(title: str, body: str, head: str = "") -> bytes:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(title)}</title><link rel="icon" href="/schema/assets/favicon-32x32.png">'
        f"{head}</head><body>{body}</body></html>"
    ).encode()


def swagger_page(version: str) -> bytes:
    config = {
        "url": f"/schema/{version}/openapi.json",
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "validatorUrl": None,  # Swagger UI would fetch a badge from its validator's host
        "layout": "BaseLayout",
    }
    script = (
        "<script>window.onload = function () { "
        f"const config = {json.dumps(config)}; "
        "config.presets = [SwaggerUIBundle.presets.apis]; window.ui = SwaggerUIBundle(config); };</script>"
    )
    head = '<link rel="stylesheet" href="/schema/assets/swagger-ui.css">'
    body = f'<div id="swagger-ui"></div><script src="/schema/assets/swagger-ui-bundle.js"></script>{script}'
    return _page(f"mdm API {version}", body, head)


def index_page(found: list[str]) -> bytes:
    items = "".join(
        f'<li><a href="/schema/{v}">{v}</a> (<a href="/schema/{v}/openapi.json">openapi.json</a>)</li>' for v in found
    )
    body = (
        "<main><h1>mdm API</h1><p>Contract versions, each in Swagger UI and as its OpenAPI document:</p>"
        f'<ul>{items}</ul><p>Every version in one document: <a href="/schema/openapi.json">openapi.json</a>. '
        "Calls need an API key (Authorize: an mdm_… key); these pages do not.</p></main>"
    )
    return _page("mdm API", body)


class IndexPage(OpenAPIRenderPlugin):
    """/schema: the versions, linked."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return index_page(list(version_documents(request.app)))

    def receive_router(self, router: Router) -> None:
        router.register(serve_asset)


class WholeDocument(OpenAPIRenderPlugin):
    """/schema/openapi.json: the truthful document of every version (tests and tools read it)."""

    def __init__(self) -> None:
        super().__init__(path="/openapi.json", media_type=OpenAPIMediaType.OPENAPI_JSON)

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return encode_json(document(request.app))


@get("/assets/{name:str}", include_in_schema=False, sync_to_thread=False, cache=False)
def serve_asset(name: Annotated[str, PathParameter(max_length=100)]) -> Response[bytes]:
    if name not in ASSETS:
        raise NotFoundException(f"no asset {name}")
    body = (ASSETS_DIR / name).read_bytes()
    return Response(body, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})


def mount_version_pages(app: Litestar) -> None:
    """/schema/vN and /schema/vN/openapi.json for each version the app has routes for."""
    found = sorted({m.group(1) for route in app.routes if (m := VERSIONED.match(route.path))}, key=lambda v: int(v[1:]))
    for version in found:
        app.register(_page_handler(version))
        app.register(_document_handler(version))


def _page_handler(version: str) -> Any:
    @get(f"/schema/{version}", include_in_schema=False, sync_to_thread=False, media_type=MediaType.HTML)
    def page() -> bytes:
        return swagger_page(version)

    return page


def _document_handler(version: str) -> Any:
    @get(f"/schema/{version}/openapi.json", include_in_schema=False, media_type=OpenAPIMediaType.OPENAPI_JSON)
    async def version_json(request: Request) -> bytes:
        return encode_json(version_documents(request.app)[version])

    return version_json
