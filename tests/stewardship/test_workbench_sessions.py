"""Workbench sign-in: the cookie holds a session token, never the API key; the server
keeps the session, so signing out (here or everywhere), its expiry and revoking the key
each end it at the next page."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from mdm.auth.keys import create_key, hash_key
from mdm.db import api_keys as key_store
from mdm.db.engine import Database
from stewardship import repository as srepo
from stewardship.tables import steward_session
from tests.auth import AUTH, bearer

QUEUE = "/stewardship/queue"


@pytest.fixture
def browser(client):
    """The test client as a browser: its own cookies, none left for the next test."""
    client.cookies.clear()
    yield client
    client.cookies.clear()


def _sign_in(browser, key: str) -> str:
    """Sign in with `key`; answers the session cookie's value."""
    browser.get("/stewardship/sign-in")
    csrf = browser.cookies.get("mdm_csrf")
    r = browser.post("/stewardship/sign-in", data={"api_key": key, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith(QUEUE)
    return browser.cookies.get("mdm_steward")


def _hold(browser, token: str) -> None:
    """The session cookie as the server set it (a copy kept elsewhere, say)."""
    browser.cookies.set("mdm_steward", token, domain="testserver.local", path="/stewardship")


def _signed_in(browser, token: str) -> bool:
    _hold(browser, token)
    r = browser.get(QUEUE, follow_redirects=False)
    assert r.status_code in (200, 303), r.text
    return r.status_code == 200


def _sign_out(browser, **extra: str) -> None:
    data = {"csrf": browser.cookies.get("mdm_csrf"), **extra}
    r = browser.post("/stewardship/sign-out", data=data, follow_redirects=False)
    assert r.status_code == 303
    assert browser.cookies.get("mdm_steward") is None  # the browser forgets it too


def _run(database_url: str, work):
    async def go():
        async with Database.opened(database_url) as db, db.transaction() as session:
            return await work(session, db)

    return asyncio.run(go())


def test_the_cookie_holds_a_session_token_and_the_server_only_its_hash(browser, database_url):
    key = AUTH.keys["user:steward"]
    token = _sign_in(browser, key)
    assert token
    assert key not in token
    assert token not in key
    assert _signed_in(browser, token)

    async def stored(session, db):
        return await srepo.session_key(session, hash_key(token), datetime.now(UTC))

    row = _run(database_url, stored)
    assert row.principal == "user:steward"


def test_signing_out_ends_the_session_on_the_server(browser):
    token = _sign_in(browser, AUTH.keys["user:steward"])
    _sign_out(browser)
    assert not _signed_in(browser, token)  # a copy of the cookie kept elsewhere no longer works


def test_signing_out_everywhere_ends_every_session_of_the_key_and_only_those(browser):
    laptop = _sign_in(browser, AUTH.keys["user:steward"])
    browser.cookies.clear()
    desktop = _sign_in(browser, AUTH.keys["user:steward"])
    browser.cookies.clear()
    admin = _sign_in(browser, AUTH.keys["user:admin"])
    browser.cookies.clear()
    assert _signed_in(browser, laptop)
    assert _signed_in(browser, desktop)
    browser.get("/stewardship/sign-in")  # a CSRF cookie for the sign-out form
    _hold(browser, desktop)
    _sign_out(browser, everywhere="1")
    assert not _signed_in(browser, laptop)
    assert not _signed_in(browser, desktop)
    assert _signed_in(browser, admin)  # another key's session stays


def test_revoking_the_key_ends_its_sessions(browser, database_url):
    key_id, key = _run(database_url, lambda session, db: create_key(db, "user:temp-steward", ["steward"]))
    token = _sign_in(browser, key)
    assert _signed_in(browser, token)
    _run(database_url, lambda session, db: key_store.revoke(session, key_id, datetime.now(UTC)))
    assert not _signed_in(browser, token)


def test_a_session_ends_when_it_expires(browser, database_url):
    token, now = "an-expired-session-token", datetime.now(UTC)
    steward = AUTH.keys["user:steward"]

    async def expired(session, db):
        key = await key_store.by_hash(session, hash_key(steward))
        await srepo.open_session(session, hash_key(token), key.id, now - timedelta(hours=9), now - timedelta(hours=1))

    _run(database_url, expired)
    assert not _signed_in(browser, token)
    assert not _signed_in(browser, "no-such-session")


def test_sessions_over_for_a_month_are_dropped_at_the_next_sign_in(browser, database_url):
    steward, now = AUTH.keys["user:steward"], datetime.now(UTC)

    async def old_and_recent(session, db):
        key = await key_store.by_hash(session, hash_key(steward))
        for token, days in (("over-for-31-days", 31), ("over-for-29-days", 29)):
            ended = now - timedelta(days=days)
            await srepo.open_session(session, hash_key(token), key.id, ended - timedelta(hours=8), ended)

    _run(database_url, old_and_recent)
    _sign_in(browser, steward)

    async def kept(session, db):
        rows = await session.execute(select(steward_session.c.id))
        return set(rows.scalars())

    held = _run(database_url, kept)
    assert hash_key("over-for-31-days") not in held
    assert hash_key("over-for-29-days") in held


def _audit(client, **filters):
    rows = client.get("/v1/audit", params={**filters, "limit": 1}, headers=bearer("user:admin")).json()["items"]
    return rows[0] if rows else None


def test_sign_ins_refused_ones_and_sign_outs_are_audited_without_the_key(browser):
    browser.get("/stewardship/sign-in")
    wrong = "mdm_not-a-key-anybody-has"
    r = browser.post("/stewardship/sign-in", data={"api_key": wrong, "csrf": browser.cookies.get("mdm_csrf")})
    assert r.status_code == 401
    refused = _audit(browser, action="sign_in", outcome="refused")
    assert refused["principal"] == "anonymous"
    assert wrong not in str(refused)

    _sign_in(browser, AUTH.keys["user:steward"])
    signed_in = _audit(browser, action="sign_in", principal="user:steward")
    assert signed_in["outcome"] == "signed_in"
    _sign_out(browser, everywhere="1")
    signed_out = _audit(browser, action="sign_out", principal="user:steward")
    assert signed_out["outcome"] == "signed_out"
    assert signed_out["id"] > signed_in["id"]
    assert "everywhere" in signed_out["detail"]


def test_the_csrf_token_is_the_sessions_own(browser):
    """A form token of an earlier session, even planted in the CSRF cookie too, is refused:
    the token is made from the session's secret, not only compared with a cookie."""
    _sign_in(browser, AUTH.keys["user:steward"])
    earlier = browser.cookies.get("mdm_csrf")
    _sign_out(browser)
    _sign_in(browser, AUTH.keys["user:steward"])
    assert browser.cookies.get("mdm_csrf") != earlier
    browser.cookies.set("mdm_csrf", earlier, domain="testserver.local", path="/stewardship")
    r = browser.post("/stewardship/sign-out", data={"csrf": earlier}, follow_redirects=False)
    assert r.status_code == 403
    assert browser.get(QUEUE, follow_redirects=False).status_code == 200  # still signed in


@pytest.fixture
def own_app(database_url):
    """An app of its own: sign-in throttling is per worker, and must not reach other tests."""
    from litestar.testing import TestClient

    from mdm.app import create_app
    from mdm.settings import Settings

    with TestClient(create_app(Settings(database_url=database_url, pool_size=2, webhooks=False)),
                    base_url="http://testserver.local") as client:  # fmt: skip
        yield client


def _try(client, key):
    client.get("/stewardship/sign-in")
    return client.post("/stewardship/sign-in", data={"api_key": key, "csrf": client.cookies.get("mdm_csrf")},
                       follow_redirects=False)  # fmt: skip


def test_failed_sign_ins_from_one_address_are_throttled(own_app):
    for n in range(5):
        assert _try(own_app, f"mdm_guess-{n}").status_code == 401
    r = _try(own_app, AUTH.keys["user:steward"])  # the right key waits too: no guessing at speed
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert "Too many failed sign-ins" in r.text
    throttled = _audit(own_app, action="sign_in", outcome="refused")
    assert "throttled" in throttled["detail"]


def test_only_a_steward_key_signs_in_an_admin_key_does_not(own_app, database_url):
    async def make(session, db):
        return (await create_key(db, "user:only-admin", ["admin"]))[1]

    admin = _run(database_url, make)
    r = _try(own_app, admin)
    assert r.status_code == 401
    assert "not a steward" in r.text
    assert _try(own_app, AUTH.keys["user:steward"]).status_code == 303
