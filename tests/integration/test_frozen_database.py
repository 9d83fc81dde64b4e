"""A database that stops answering: every request is a 503 problem with Retry-After within
the timeouts (MDM_DB_CONNECT_TIMEOUT, MDM_DB_STATEMENT_TIMEOUT), never a hang or a 500,
`/health/ready` included, and the same server answers again once the database is back,
without a restart. PostgreSQL is frozen through a TCP proxy that stops relaying (the
connections stay open, as with a hung server or a network partition); SQLite, by another
process holding its write lock."""

import contextlib
import socket
import sqlite3
import threading
import time
from urllib.parse import urlparse

from litestar.testing import TestClient

from mdm.app import create_app
from mdm.db.migrate import upgrade
from mdm.settings import Settings
from tests.conftest import fresh_database
from tests.factory import unique

LIMIT = 1.0  # seconds, both timeouts
ANSWER_WITHIN = 3 * LIMIT + 1  # a connect or statement timeout, the rollback's, and the client's own time


class FreezingProxy:
    """127.0.0.1:<port> relays to the database; `frozen` holds every byte (and every new
    connection) until it is cleared."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.frozen = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._open, args=(client,), daemon=True).start()

    def _open(self, client: socket.socket) -> None:
        while self.frozen.is_set():
            time.sleep(0.02)
        upstream = socket.create_connection(self.upstream)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                while self.frozen.is_set():
                    time.sleep(0.02)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.server.close()


QUERY = {"query": "{ customers(first: 5) { totalCount nodes { id name } } }"}


def _timed(call):
    t0 = time.monotonic()
    r = call()
    return r, time.monotonic() - t0


def _unavailable(r, took):
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "retry-after" in r.headers
    assert took < ANSWER_WITHIN, f"answered after {took:.1f} s"


def _keys(url):
    import asyncio

    from mdm.auth.keys import create_key
    from mdm.db.engine import Database

    async def make():
        async with Database.opened(url) as db:
            return (await create_key(db, "system:salesforce", ["reader"]))[1], (
                await create_key(db, "user:steward", ["steward"])
            )[1]

    sf, steward = asyncio.run(make())
    return {"Authorization": f"Bearer {sf}"}, {"Authorization": f"Bearer {steward}"}


def test_a_frozen_database_is_a_503_within_the_timeouts_and_recovers(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        upgrade(url)
        proxy = None
        served = url
        if backend == "postgresql":
            where = urlparse(url.replace("postgresql+asyncpg", "postgresql"))
            proxy = FreezingProxy(where.hostname or "127.0.0.1", where.port or 5432)
            served = url.replace(f"{where.hostname}:{where.port or 5432}", f"127.0.0.1:{proxy.port}")
        sf, steward = _keys(url)
        settings = Settings(database_url=served, pool_size=2, db_connect_timeout=LIMIT, db_statement_timeout=LIMIT)
        try:
            with TestClient(create_app(settings)) as client:
                put = lambda: client.put(f"/v2/customers/sources/salesforce/{unique('sf')}",  # noqa: E731
                                         json={"name": unique("Frozen Co "), "country": "DE"}, headers=sf)  # fmt: skip
                assert put().status_code == 200
                assert client.get("/v2/customers", headers=steward).status_code == 200
                if proxy is not None:
                    proxy.frozen.set()
                    _unavailable(*_timed(put))
                    _unavailable(*_timed(lambda: client.get("/v2/customers", headers=steward)))
                    _unavailable(*_timed(lambda: client.get("/health/ready")))
                    _unavailable(*_timed(lambda: client.post("/graphql", json=QUERY, headers=steward)))
                    proxy.frozen.clear()
                else:  # another process holds SQLite's write lock: writers queue, then 503
                    holder = sqlite3.connect(urlparse(url.replace("sqlite+aiosqlite", "file")).path, timeout=5)
                    holder.execute("BEGIN IMMEDIATE")
                    try:
                        _unavailable(*_timed(put))
                        assert client.get("/v2/customers", headers=steward).status_code == 200  # readers read
                        assert "errors" not in client.post("/graphql", json=QUERY, headers=steward).json()
                    finally:
                        holder.rollback()
                        holder.close()
                deadline = time.monotonic() + 10 * LIMIT
                while (r := put()).status_code != 200 and time.monotonic() < deadline:
                    time.sleep(0.2)  # connections the freeze broke are replaced as they are found
                assert r.status_code == 200, r.text
                assert client.get("/health/ready").status_code == 200
        finally:
            if proxy is not None:
                proxy.frozen.clear()
                proxy.close()
