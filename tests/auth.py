"""API keys for the tests: one per demo system and per role, chosen by request path, so a
source upsert goes out as its own system and everything else as a steward."""

import re
from collections.abc import Generator

import httpx

SOURCE_PATH = re.compile(r"^/v[0-9]+/[a-z-]+/sources/([^/]+)/")
PRINCIPALS = {
    "system:salesforce": ["reader"],
    "system:certinia": ["reader"],
    "system:netsuite": ["reader"],
    "system:workday": ["reader"],
    "user:steward": ["steward"],
    "user:admin": ["admin", "steward", "finance"],
    "user:reader": ["reader"],
    "user:operator": ["operator"],
}


class KeyAuth(httpx.Auth):
    def __init__(self) -> None:
        self.keys: dict[str, str] = {}  # principal -> key, filled once the test database exists

    def key_for(self, path: str) -> str | None:
        source = SOURCE_PATH.match(path)
        principal = f"system:{source.group(1)}" if source else "user:steward"
        return self.keys.get(principal, self.keys.get("user:steward"))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "authorization" not in request.headers and (key := self.key_for(request.url.path)):
            request.headers["Authorization"] = f"Bearer {key}"
        yield request


AUTH = KeyAuth()


def bearer(principal: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {AUTH.keys[principal]}"}
