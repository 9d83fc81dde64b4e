"""The API docs in headless Chromium, without an API key and with every request to a host
other than the server refused: /schema lists the versions, and each version's Swagger UI
renders its operations from assets mdm serves itself."""

import json
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Route, expect

from mdm.contracts_export import documents
from tests.browser.test_workbench import _shot, browser  # noqa: F401  (the module's Chromium fixture)

VERSIONS = sorted(documents())


@pytest.mark.parametrize("version", VERSIONS)
def test_swagger_ui_renders_each_version_offline_without_a_key(browser, live_server, version):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    server = urlparse(live_server).netloc
    elsewhere: list[str] = []
    local: list[str] = []

    def only_the_server(route: Route) -> None:
        url = route.request.url
        if urlparse(url).netloc == server:
            local.append(url)
            route.continue_()
        else:  # no internet: a CDN or a validator badge would be refused here
            elsewhere.append(url)
            route.abort()

    page.route("**/*", only_the_server)
    page.goto(f"{live_server}/schema")
    page.get_by_role("link", name=version, exact=True).click()
    expect(page).to_have_url(f"{live_server}/schema/{version}")
    operation_id = documents()[version]["paths"][f"/{version}/customers"]["get"]["operationId"]
    expect(page.locator(".opblock-tag", has_text="Customers").first).to_be_visible(timeout=20_000)
    expect(page.locator(".opblock-summary-path", has_text=f"/{version}/customers").first).to_be_visible()
    page.locator(".opblock-tag", has_text="Customers").first.scroll_into_view_if_needed()
    assert page.locator(f"[id*='{operation_id}']").count() >= 1  # Swagger UI's ids carry the operation id
    _shot(page, f"schema-{version}")
    assert elsewhere == [], f"the page asked other hosts: {elsewhere}"
    assert any(u.endswith(f"/schema/{version}/openapi.json") for u in local), local
    context.close()


def test_graphiql_runs_a_query_offline_with_a_key_in_its_headers(browser, live_server, api_keys):  # noqa: F811
    """GraphiQL at /graphql opens without a key (the page holds no data), from assets mdm
    serves; with a steward's key in its Headers tab a query answers data; no other host asked."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    server = urlparse(live_server).netloc
    elsewhere: list[str] = []

    def only_the_server(route: Route) -> None:
        if urlparse(route.request.url).netloc == server:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_server)
    page.goto(f"{live_server}/graphql")
    run = page.locator(".graphiql-execute-button")
    expect(run).to_be_visible(timeout=20_000)
    page.get_by_role("button", name="Headers").click()
    headers = page.locator(".graphiql-editor-tool .graphiql-editor").last
    headers.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(json.dumps({"Authorization": f"Bearer {api_keys['user:steward']}"}))
    run.click()
    expect(page.locator(".graphiql-response")).to_contain_text('"totalCount"', timeout=20_000)
    _shot(page, "graphiql")
    assert elsewhere == [], f"the page asked other hosts: {elsewhere}"
    context.close()
