"""The workbench writes values, field names, instants, waits and records as a person reads them."""

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

from mdm.domains import BY_NAME
from stewardship.display import display, key_fields, label, readable_time, record_name, waited, when


def test_each_kind_of_value_reads_as_a_line():
    assert display(None) == display([]) == "—"
    assert display([{"scheme": "vat", "value": "DE811907980", "country": "DE"}, {"scheme": "duns", "value": "1"}]) == (
        "vat DE811907980 (DE); duns 1"
    )
    assert display([{"kind": "mobile", "number": "+447911123456"}]) == "mobile +447911123456"
    assert display([{"kind": "billing", "line1": "Hauptstrasse 1", "postal_code": "10115", "city": "Berlin"}]) == (
        "billing: Hauptstrasse 1, 10115, Berlin"
    )
    assert display({"given": "Margaret", "family": "Hamilton", "preferred": "Maggie"}) == "Margaret Hamilton (Maggie)"
    assert display({"line1": "Main St 1", "country": "US"}) == "Main St 1, US"
    assert display("Acme") == "Acme"


def test_an_instant_reads_as_a_date_and_time_and_keeps_its_iso_form_for_scripts():
    at = datetime(2026, 12, 5, 14, 17, 3, tzinfo=UTC)
    assert readable_time(at) == "5 Dec 2026, 14:17 UTC"
    assert str(when(at)) == (
        '<time datetime="2026-12-05T14:17:03Z" title="2026-12-05T14:17:03Z">5 Dec 2026, 14:17 UTC</time>'
    )
    # the API's ISO text, another offset and a naive instant (taken as UTC) all read in UTC
    assert readable_time("2026-12-05T14:17:03.123456+00:00") == "5 Dec 2026, 14:17 UTC"
    assert readable_time(datetime(2026, 1, 1, 1, 5, tzinfo=timezone(timedelta(hours=2)))) == "31 Dec 2025, 23:05 UTC"
    assert readable_time(datetime(2026, 7, 9, 8, 0)) == "9 Jul 2026, 08:00 UTC"
    assert 'datetime="2026-12-05T14:17:03.123456Z"' in when("2026-12-05T14:17:03.123456+00:00")
    assert when(None) == "—"
    assert str(when(at, "3 h")) == '<time datetime="2026-12-05T14:17:03Z" title="5 Dec 2026, 14:17 UTC">3 h</time>'
    assert str(when(at, "<b>")).endswith(">&lt;b&gt;</time>")  # escaped like any value


def test_a_wait_reads_in_minutes_hours_or_days():
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert waited(now - timedelta(minutes=40), now) == "40 min"
    assert waited(now - timedelta(hours=5), now) == "5 h"
    assert waited(now - timedelta(days=3), now) == "3 d"
    assert waited((now - timedelta(hours=2)).isoformat(), now) == "2 h"
    assert waited(None, now) == "—"


def test_a_field_name_reads_as_words():
    assert (label("legal_name"), label("customer_id"), label("status"), label("employee_number")) == (
        "Legal name", "Customer", "Status", "Employee number",
    )  # fmt: skip
    assert label("identifiers.vat.DE") == "Identifiers vat DE"


def test_a_record_is_called_by_its_name():
    d = BY_NAME
    assert record_name(d["customer"], {"id": "cus_1", "name": "Acme GmbH"}) == "Acme GmbH"
    assert record_name(d["employee"], {"id": "emp_1", "name": {"given": "Ada", "family": "Lovelace",
                                                                "preferred": "A"}}) == "Ada Lovelace"  # fmt: skip
    assert record_name(d["project"], {"id": "prj_1", "code": "P-100", "name": "Data platform"}) == "P-100 Data platform"
    assert record_name(d["cost_center"], {"id": "cc_1", "code": "CC-7"}) == "CC-7"
    # a caller who may not read the name sees the id
    assert record_name(d["customer"], {"id": "cus_1", "country": "DE"}) == "cus_1"
    assert record_name(d["customer"], None) == ""


def test_the_queue_shows_a_few_key_fields_per_domain():
    assert key_fields(BY_NAME["customer"]) == ("identifiers", "country", "website")
    assert key_fields(BY_NAME["employee"]) == ("employee_number", "email", "country")
    for domain in BY_NAME.values():
        assert 0 < len(key_fields(domain)) <= 3
        assert all(domain.has_field(n) for n in key_fields(domain))


def test_a_domain_not_listed_is_named_by_its_name_and_shown_with_what_its_blocking_reads():
    site = dataclasses.replace(BY_NAME["legal_entity"], name="site")  # a firm's own descriptor
    assert key_fields(site) == ("country",)  # its blocking reads name and country
    assert record_name(site, {"id": "ste_1", "name": "Plant 4"}) == "Plant 4"
