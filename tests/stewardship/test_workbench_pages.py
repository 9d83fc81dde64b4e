"""The workbench's pages as a steward reads them: the queue grouped by domain with both
records' names and key fields, the compare view with a pick for every differing field
(status too), record pages headed by the record's name, instants in <time> elements; and
a merge from the compare view keeps the status the steward picked, or the survivor's."""

import random
import re
import string

import pytest

from tests.auth import AUTH
from tests.factory import duns, near_addresses, unique

RAW = re.compile(r"\{'|\{&#39;|&#34;scheme|'scheme'")  # a Python dict or JSON written out as it is kept


@pytest.fixture
def steward(client):
    """The test client as a signed-in steward's browser, its cookies gone afterwards."""
    client.cookies.clear()
    client.get("/stewardship/sign-in")
    form = {"api_key": AUTH.keys["user:steward"], "csrf": client.cookies.get("mdm_csrf")}
    r = client.post("/stewardship/sign-in", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    yield client
    client.cookies.clear()


def _brand() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()


def _put(client, path, system, body):
    r = client.put(f"/v2/{path}/sources/{system}/{unique('p')}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _customer_pair(client, left_status="active", right_status="active"):
    """Two customers alike enough to queue: the first with a DUNS number and an address, the
    second's postcode a digit off the first's."""
    brand = _brand()
    here, near = near_addresses()
    first = _put(client, "customers", "salesforce", {
        "name": f"{brand} Consulting GmbH", "country": "DE", "status": left_status,
        "identifiers": [{"scheme": "duns", "value": duns()}],
        "addresses": [{"kind": "billing", "line1": "Hauptstrasse 1", **here, "country": "DE"}],
    })  # fmt: skip
    second = _put(client, "customers", "salesforce", {
        "name": f"{brand} Consulting Partners", "country": "DE", "status": right_status,
        "addresses": [{"kind": "billing", **near, "country": "DE"}],
    })  # fmt: skip
    assert second["outcome"] == "pending_review", second
    return first["id"], second["id"], brand


def _employee_pair(client):
    """Two employees of one name and country and nothing else to tell them apart: queued."""
    given, family = _brand(), _brand()
    ids = []
    for n, number in enumerate((unique("E"), unique("E"))):
        body = {"employee_number": number, "name": {"given": given, "family": family}, "country": "GB"}
        done = _put(client, "employees", "workday", body)
        assert n == 0 or done["outcome"] == "pending_review", done
        ids.append((done["id"], number))
    return ids, f"{given} {family}"


def _pair_id(client, record):
    items = client.get("/v1/stewardship/candidates", params={"record": record}).json()["items"]
    assert len(items) == 1, items
    return items[0]["id"]


def _sections(html: str) -> dict[str, str]:
    """The queue page's sections by domain."""
    parts = re.split(r'<section aria-labelledby="([a-z_]+)">', html)[1:]
    return dict(zip(parts[::2], parts[1::2], strict=True))


def test_the_queue_shows_both_records_names_and_key_fields_grouped_by_domain(steward):
    cus_a, _, brand = _customer_pair(steward)
    (_, number_a), (emp_b, number_b) = _employee_pair(steward)[0]
    _, person = _employee_pair(steward)

    page = steward.get("/stewardship/queue", params={"record": cus_a})
    assert page.status_code == 200, page.text
    sections = _sections(page.text)
    assert list(sections) == ["customer"]
    customer = sections["customer"]
    assert re.search(r'<h2 id="customer">Customer <span class="count">1 open</span></h2>', customer)
    assert f"{brand} Consulting GmbH" in customer
    assert f"{brand} Consulting Partners" in customer
    assert "duns " in customer  # the identifier as a line, never as the dict it is kept as
    assert "<dt>Country</dt><dd>DE</dd>" in customer
    assert not RAW.search(page.text)
    assert re.search(r"\d+ min", customer)  # how long the pair has waited

    # every domain at once: a heading per domain with its count, each row of that domain
    page = steward.get("/stewardship/queue")
    sections = _sections(page.text)
    assert {"customer", "employee"} <= set(sections)
    assert list(sections) == [d for d in ("customer", "legal_entity", "project", "employee", "cost_center",
                                          "rate_card") if d in sections]  # fmt: skip
    for domain, html in sections.items():
        prefix = {"customer": "cus_", "employee": "emp_"}.get(domain, "")
        count = int(re.search(rf'<h2 id="{domain}">[^<]+<span class="count">(\d+) open</span>', html).group(1))
        shown = re.findall(r'aria-label="Compare pair (\d+)', html)
        assert 0 < len(shown) <= min(count, 10)
        assert all(i.startswith(prefix) for i in re.findall(r'<span class="id">([a-z]+_[0-9A-Z]+)</span>', html))
        if count > len(shown):
            assert f"All {count} " in html

    page = steward.get("/stewardship/queue", params={"domain": "employee", "record": emp_b})
    employee = _sections(page.text)["employee"]
    assert employee.count(person) == 0  # another pair's
    names = re.findall(r'class="name" href="[^"]+">([^<]+)</a>', employee)
    assert len(names) == 2
    assert names[0] == names[1]
    assert "{" not in names[0]
    assert f"<dt>Employee number</dt><dd>{number_a}" in employee
    assert f"<dt>Employee number</dt><dd>{number_b}" in employee
    assert 'class="differs"' in employee  # the two numbers, marked


def test_the_compare_view_offers_a_pick_for_every_differing_field_and_renders_values(steward):
    a, _, brand = _customer_pair(steward, "active", "prospect")
    cid = _pair_id(steward, a)
    page = steward.get(f"/stewardship/candidates/{cid}")
    assert page.status_code == 200, page.text
    html = page.text
    assert f"<strong>{brand} Consulting GmbH</strong>" in html
    assert re.search(r"billing: Hauptstrasse 1, \d{5}, Berlin, DE", html)  # an address as an address
    assert not RAW.search(html)
    differing = set(re.findall(r'<th scope="row">([^<]+) <span class="muted">\(differs\)</span>', html))
    assert {"Name", "Identifiers", "Addresses", "Status"} <= differing
    picks = set(re.findall(r'name="pick_([a-z_]+)" value="left"', html))
    assert picks == {"name", "identifiers", "addresses", "status"}
    assert re.search(r'name="pick_status" value="" checked> survivor', html)  # the survivor's own by default
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z"', html)


def test_the_record_page_is_headed_by_the_records_name_with_readable_instants(steward):
    a, _, brand = _customer_pair(steward)
    page = steward.get(f"/stewardship/records/customer/{a}")
    assert page.status_code == 200, page.text
    assert f"<h1>{brand} Consulting GmbH</h1>" in page.text
    assert f"<title>{brand} Consulting GmbH · mdm stewardship</title>" in page.text
    instants = re.findall(r'<time datetime="([^"]+)" title="[^"]+">(\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC)</time>',
                          page.text)  # fmt: skip
    assert len(instants) >= 4  # created, updated, the crosswalk, the history
    assert all(iso.endswith("Z") for iso, _ in instants)
    assert not RAW.search(page.text)


def _merge(steward, cid, **form):
    data = {"csrf": steward.cookies.get("mdm_csrf"), "survivor": "left", **form}
    r = steward.post(f"/stewardship/candidates/{cid}/merge", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "/stewardship/records/customer/" in r.headers["location"], r.headers["location"]
    return r


@pytest.mark.parametrize(("pick_folded", "kept"), [(True, "prospect"), (False, "active")])
def test_a_merge_keeps_the_picked_status_or_else_the_survivors(steward, pick_folded, kept):
    """The folded record's source is the newer one: survivorship alone would give the
    survivor its status."""
    a, b, _ = _customer_pair(steward, "active", "prospect")
    cid = _pair_id(steward, a)
    side_a, side_b = ("left", "right") if a < b else ("right", "left")  # a pair keeps the smaller id on the left
    _merge(steward, cid, survivor=side_a, pick_status=side_b if pick_folded else "")
    record = steward.get(f"/v2/customers/{a}").json()
    assert record["status"] == kept
    assert "status" in record["overrides"]  # shown on the record page, and cleared there
    assert steward.get(f"/v2/customers/{b}", follow_redirects=False).status_code == 301


def test_a_steward_sees_held_records_and_links_one_to_its_candidate(steward):
    """netsuite's customer scored beside salesforce's but netsuite may not create: held. The
    workbench lists it with its reason, and one button links it to the record it names."""
    number = [{"scheme": "duns", "value": duns()}]
    made = _put(steward, "customers", "salesforce", {"name": f"{_brand()} Held Consulting", "country": "DE",
                                                     "identifiers": number})  # fmt: skip
    ns_id, legal = unique("CUST-"), f"{_brand()} Waiting GmbH"
    r = steward.put(f"/v2/customers/sources/netsuite/{ns_id}", json={"legal_name": legal, "country": "DE"})
    assert r.status_code == 202, r.text
    assert 'href="/stewardship/held#held-customer"' in steward.get("/stewardship/").text  # the dashboard counts them
    page = steward.get("/stewardship/held")
    assert page.status_code == 200
    assert ns_id in page.text
    assert legal in page.text
    assert "no create right" in page.text
    form = {"csrf": steward.cookies.get("mdm_csrf"), "link": made["id"]}
    done = steward.post(f"/stewardship/held/customer/netsuite/{ns_id}", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith(f"/stewardship/records/customer/{made['id']}")
    resolved = steward.get("/v2/customers/resolve", params={"system": "netsuite", "source_id": ns_id})
    assert resolved.json()["id"] == made["id"]
    assert ns_id not in steward.get("/stewardship/held").text
    # a form without the session's CSRF token changes nothing
    ns2 = unique("CUST-")
    assert (
        steward.put(f"/v2/customers/sources/netsuite/{ns2}", json={"legal_name": legal, "country": "AT"}).status_code
        == 202
    )
    forged = steward.post(f"/stewardship/held/customer/netsuite/{ns2}", data={"csrf": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    assert ns2 in steward.get("/stewardship/held").text
