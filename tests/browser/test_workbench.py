"""The steward workbench in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright): sign in, filter the queue (pairs by name, with key fields), compare a pair,
merge with a name and a status pick, see the merged record under its name, unmerge it,
reject another pair, sign out; a wrong key and a form without its CSRF token are refused.
Screenshots go to $MDM_ARTIFACTS (default test-artifacts/)."""

import os
import random
import re
import string
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.auth import AUTH
from tests.factory import duns, near_addresses, unique

CHROMIUM = "/usr/bin/chromium"  # Debian's; never a downloaded browser
ARTIFACTS = Path(os.environ.get("MDM_ARTIFACTS", "test-artifacts"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium (apt-get install chromium): .ci/run does"
    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield found
        found.close()


def _queued_pair(client) -> tuple[str, str, str, str]:
    """Two customers alike enough to queue (not to link), the first active with a DUNS number
    and an address, the second (newer) a prospect, its postcode a digit off: ids and names."""
    brand = "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()
    here, near = near_addresses()
    first = {"name": f"{brand} Consulting GmbH", "country": "DE", "status": "active",
             "identifiers": [{"scheme": "duns", "value": duns()}],
             "addresses": [{"kind": "billing", "line1": "Hauptstrasse 1", **here, "country": "DE"}]}  # fmt: skip
    second = {"name": f"{brand} Consulting Partners", "country": "DE", "status": "prospect",
              "addresses": [{"kind": "billing", **near, "country": "DE"}]}  # fmt: skip
    ids = []
    for body in (first, second):
        r = client.put(f"/v2/customers/sources/salesforce/{unique('b')}", json=body)
        assert r.status_code == 200, r.text
        ids.append(r.json()["id"])
    assert r.json()["outcome"] == "pending_review"
    return ids[0], ids[1], first["name"], second["name"]


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _sign_in(page: Page, base: str, key: str) -> None:
    page.goto(f"{base}/stewardship/queue")  # not signed in: to the sign-in page
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_a_steward_works_the_queue_in_the_browser(browser, client, live_server):
    left, right, left_name, right_name = _queued_pair(client)
    other_left, other_right, *_ = _queued_pair(client)
    context = browser.new_context(viewport={"width": 1366, "height": 900})  # a laptop screen
    page = context.new_page()

    _sign_in(page, live_server, "not-a-key")
    expect(page.get_by_role("alert")).to_contain_text("unknown, revoked")
    _sign_in(page, live_server, AUTH.keys["user:steward"])
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_role("heading", name="Customer", exact=False).first).to_be_visible()

    page.get_by_label("Domain", exact=True).select_option("customer")
    page.get_by_label("Record id").fill(right)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", name="Customer 1 open")).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(left_name)  # both records by name, their key fields beside
    expect(rows.first).to_contain_text(right_name)
    expect(rows.first).to_contain_text("duns ")
    expect(rows.first).to_contain_text(left)
    _shot(page, "queue")

    rows.first.get_by_role("link", name="Compare").click()
    expect(page.get_by_role("heading", name="Compare customer pair")).to_be_visible()
    name_row = page.locator("tr.diff", has=page.get_by_role("rowheader", name="Name"))
    expect(name_row).to_contain_text(right_name)
    address_row = page.locator("tr.diff", has=page.get_by_role("rowheader", name="Addresses"))
    expect(address_row).to_contain_text(re.compile(r"billing: Hauptstrasse 1, \d{5}, Berlin, DE"))  # not a dict
    status_row = page.locator("tr.diff", has=page.get_by_role("rowheader", name="Status"))
    expect(status_row).to_contain_text("prospect")
    expect(status_row.get_by_label("survivor's")).to_be_checked()  # the survivor's own unless picked
    _shot(page, "compare")

    left_side = "left" if left < right else "right"  # a pair keeps the smaller id on the left
    right_side = "right" if left_side == "left" else "left"
    page.locator(f"input[name=survivor][value={left_side}]").check()  # the first record survives ...
    page.locator(f"input[name=pick_name][value={right_side}]").check()  # ... with the second one's name
    status_row.locator(f"input[value={right_side}]").check()  # ... and its status
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(right_name)  # the record's name, as picked
    expect(page.get_by_role("status")).to_contain_text("Merged")
    name_cell = page.locator("tr", has=page.get_by_role("rowheader", name="Name", exact=True)).first
    expect(name_cell).to_contain_text(right_name)
    expect(name_cell).to_contain_text("overridden")
    status_cell = page.locator("tr", has=page.get_by_role("rowheader", name="Status", exact=True)).first
    expect(status_cell).to_contain_text("prospect")
    expect(page.locator("time").first).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT.*Z$"))
    _shot(page, "record")
    assert client.get(f"/v1/customers/{right}", follow_redirects=False).status_code == 301
    assert client.get(f"/v1/customers/{left}").json()["status"] == "prospect"

    page.get_by_role("button", name="Unmerge").click()
    expect(page.get_by_role("status")).to_contain_text("undone")
    assert client.get(f"/v1/customers/{right}", follow_redirects=False).status_code == 200
    assert client.get(f"/v1/customers/{left}").json()["name"] != right_name
    assert client.get(f"/v1/customers/{left}").json()["status"] == "active"

    page.goto(f"{live_server}/stewardship/queue?domain=customer&record={other_right}")
    page.get_by_role("link", name="Compare").first.click()
    page.get_by_role("button", name="Not a match").click()
    expect(page.get_by_role("status")).to_contain_text("not a match")
    pairs = client.get("/v1/stewardship/candidates", params={"record": other_right, "status": "rejected"}).json()
    assert {(p["left_id"], p["right_id"]) for p in pairs["items"]} == {tuple(sorted((other_left, other_right)))}

    forged = context.request.post(f"{live_server}/stewardship/candidates/{pairs['items'][0]['id']}/reject",
                                  form={"nothing": "here"}, max_redirects=0)  # fmt: skip
    assert forged.status == 403

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_server}/stewardship/queue")  # the session is over on the server, too
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    context.close()


def test_the_quality_page_draws_each_chart_with_its_numbers(browser, client, factory_v2, live_server):
    """The quality report as charts a screen reader can read: each SVG is an image named by its
    title and described by a table of its numbers; a planted project on an expired rate card
    shows in the project table."""
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    card = factory_v2.create("rate_card", effective_from="2020-01-01", effective_to=yesterday)
    factory_v2.create("project", code=unique("qb"), status="active", rate_card_id=card)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, live_server, AUTH.keys["user:steward"])
    page.get_by_role("link", name="Quality").click()
    expect(page.get_by_role("heading", name="Data quality", level=1)).to_be_visible()
    names = (
        "Completeness of customer fields",
        "Open candidates and held records by age",
        "Auto-link rate by day (linked by score / scored)",
        "Events each consumer has not delivered",
    )
    for name in names:
        chart = page.get_by_role("img", name=name)
        expect(chart).to_be_visible()
        table = page.locator(f"#{chart.get_attribute('aria-describedby')}")
        expect(table).to_be_visible()
    assert page.locator("#completeness-table tbody tr").count() > 5  # a row a customer field
    assert page.locator("#autolink-table tbody tr").count() == 14  # a row a day
    _shot(page, "quality-customer")
    page.get_by_label("Domain").select_option("project")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("img", name="Completeness of project fields")).to_be_visible()
    references = page.locator("#references-table")
    row = references.get_by_role("row").filter(has=page.get_by_role("cell", name="rate_card_id", exact=True))
    assert int(row.get_by_role("cell").nth(3).inner_text()) >= 1  # out of date: the planted project
    _shot(page, "quality-project")
    page.close()
