"""Test wiring: one fresh database per run (SQLite file or a new PostgreSQL database),
migrated once with the real Alembic revisions, and an app served against it.

Tests commit for real (the raw-driver resolve path and the concurrency tests read
committed data on other connections), so each test makes its own unique records
instead of relying on empty tables. `MDM_TEST_DATABASE=postgresql` selects PostgreSQL.
"""

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from ulid import ULID

from mdm.app import create_app
from mdm.auth.keys import create_key
from mdm.db.engine import Database
from mdm.db.migrate import upgrade
from mdm.settings import Settings
from tests.auth import AUTH, PRINCIPALS
from tests.factory import Factory

PG_ADMIN = os.environ.get("MDM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _backend() -> str:
    backend = os.environ.get("MDM_TEST_DATABASE", "sqlite")
    if backend not in ("sqlite", "postgresql"):
        raise pytest.UsageError("MDM_TEST_DATABASE must be sqlite or postgresql")
    return backend


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def backend() -> str:
    return _backend()


@contextmanager
def fresh_database(backend: str, directory: Path) -> Iterator[str]:
    """An empty database of its own (a SQLite file in `directory`, or a new PostgreSQL
    database dropped afterwards), not yet migrated: its URL."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'mdm-{ULID()}.db'}"
        return
    name = f"mdm_test_{str(ULID()).lower()}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[str]:
    with fresh_database(backend, tmp_path_factory.mktemp("db")) as url:
        upgrade(url)
        yield url


def _keys(url: str) -> dict[str, str]:
    """principal -> key for every test principal, made through the real key store."""

    async def make() -> dict[str, str]:
        async with Database.opened(url) as db:
            return {p: (await create_key(db, p, roles))[1] for p, roles in PRINCIPALS.items()}

    return asyncio.run(make())


@pytest.fixture(scope="session")
def api_keys(database_url: str) -> dict[str, str]:
    AUTH.keys.update(_keys(database_url))
    return AUTH.keys


@pytest.fixture(scope="module")
def own_database(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A migrated database of the module's own and its keys per principal, for tests whose
    server acts on every row of a table (webhook deliveries go to every subscription: those
    other tests left, schemathesis's among them, must not be called)."""
    with fresh_database(backend, tmp_path_factory.mktemp("own")) as url:
        upgrade(url)
        yield url, _keys(url)


@pytest.fixture(scope="session")
def client(database_url: str, api_keys: dict[str, str]) -> Iterator[TestClient]:  # type: ignore[type-arg]
    # webhook deliveries run in the servers of test_webhooks.py only (their retry timings)
    app = create_app(Settings(database_url=database_url, pool_size=5, webhooks=False))
    with TestClient(app, base_url="http://testserver.local") as c:
        c.auth = AUTH
        yield c


@pytest.fixture(scope="session")
def factory(client: TestClient) -> Factory:  # type: ignore[type-arg]
    """Records made through contract v1 (its tests still hold while v1 is served)."""
    return Factory(client)


@pytest.fixture(scope="session")
def factory_v2(client: TestClient) -> Factory:  # type: ignore[type-arg]
    """Records made through contract v2, the canonical model."""
    return Factory(client, "v2")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(
    database_url: str,
    *options: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    started: list[subprocess.Popen[bytes]] | None = None,
) -> Iterator[str]:
    """A real `mdm serve` (granian) on the test database until the block ends; its base URL.
    `env` adds settings (MDM_DOMAIN_MODULES, ...) to the server's environment; `cwd` runs
    the code found there (an earlier release's, unpacked) instead of today's; `started`
    receives the server's process (a session of its own: killpg reaches its workers).
    Webhook deliveries are off unless `env` turns them on (test_webhooks.py)."""
    port = _free_port()
    env = {**os.environ, "MDM_DATABASE_URL": database_url, "MDM_POOL_SIZE": "20", "MDM_WEBHOOKS": "false",
           "MDM_SHUTDOWN_TIMEOUT": "5", **(env or {})}  # fmt: skip
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"mdm-live-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mdm", "serve", "--host", "127.0.0.1", "--port", str(port), *options],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
    if started is not None:
        started.append(proc)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:  # open: no key needed
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mdm serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def live_server(database_url: str, api_keys: dict[str, str]) -> Iterator[str]:
    """The real server for concurrent requests, one worker."""
    with serving(database_url) as base:
        yield base


logging.getLogger("httpx").setLevel(logging.WARNING)
