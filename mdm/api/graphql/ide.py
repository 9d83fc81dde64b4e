"""GraphiQL at /graphql in a browser, offline: its assets (the npm packages graphiql 3.8.3,
react and react-dom 18.2.0, the files and sha384 that strawberry's own page pins on a CDN)
are served by mdm from mdm/api/graphql/static, with their licenses. The page needs no key;
its queries do: GraphiQL's headers tab holds `{"Authorization": "Bearer <key>"}`."""

import json
from pathlib import Path
from typing import Annotated

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter

STATIC = Path(__file__).with_name("static")
ASSETS = {
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "graphiql.min.js": "text/javascript",
    "graphiql.min.css": "text/css",
}
ASSETS_PATH = "/graphql/assets/"
EXAMPLE = """# mdm's golden records, read-only. Put your API key in the Headers tab below:
#   {"Authorization": "Bearer <your key>"}
{
  customers(first: 5) {
    totalCount
    nodes { id name country crosswalks { system sourceId } }
  }
}
"""


def page() -> str:
    # the key stays in the tab: not kept in the browser's storage
    settings = {
        "defaultQuery": EXAMPLE,
        "defaultHeaders": '{"Authorization": "Bearer "}',
        "shouldPersistHeaders": False,
    }
    scripts = "".join(f'<script src="{ASSETS_PATH}{name}"></script>' for name in list(ASSETS)[:3])
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>mdm GraphQL</title>'
        f'<link rel="stylesheet" href="{ASSETS_PATH}graphiql.min.css">'
        "<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style></head>"
        f'<body><div id="graphiql">Loading…</div>{scripts}<script>'
        "const fetcher = GraphiQL.createFetcher({url: window.location.pathname});"
        f"const settings = {json.dumps(settings)};"
        "ReactDOM.createRoot(document.getElementById('graphiql'))"
        ".render(React.createElement(GraphiQL, {fetcher, ...settings}));"
        "</script></body></html>"
    )


@get(f"{ASSETS_PATH}{{name:str}}", include_in_schema=False, sync_to_thread=False, cache=False)
def serve_graphiql_asset(name: Annotated[str, PathParameter(max_length=100)]) -> Response[bytes]:
    if name not in ASSETS:
        raise NotFoundException(f"no asset {name}")
    body = (STATIC / name).read_bytes()
    return Response(body, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})
