"""Identifiers, phones and addresses of the canonical model: each scheme's check (python-stdnum),
E.164 phones (phonenumbers), one element per slot, and problems that name `field[i].part`."""

import pytest

from mdm.domains import BY_NAME
from mdm.domains.identifiers import BadIdentifier, identifier, link_keys, phone, tax_scheme
from mdm.records.validation import normalized

CUSTOMER, LEGAL_ENTITY, EMPLOYEE = (BY_NAME[n] for n in ("customer", "legal_entity", "employee"))

# (scheme, country, good value as written, its normalized form, the same number with a wrong check digit)
SCHEMES = [
    ("vat", "DE", "DE 811 907 980", "DE811907980", "DE811907981"),
    ("vat", "FR", "FR40303265045", "FR40303265045", "FR41303265045"),
    ("vat", "GB", "GB 980 7806 84", "GB980780684", "GB980780685"),
    ("vat", "CH", "CHE-109.322.551 MWST", "CHE109322551MWST", "CHE-109.322.552 MWST"),
    ("ein", None, "04-2103594", "042103594", "07-2103594"),
    ("duns", None, "15-048-3782", "150483782", "15048378"),
    ("lei", None, "5493001KJTIIGC8Y1R12", "5493001KJTIIGC8Y1R12", "5493001KJTIIGC8Y1R13"),
    ("registration", "FR", "732 829 320", "732829320", "732 829 321"),
    ("gst", "IN", "27AAPFU0939F1ZV", "27AAPFU0939F1ZV", "27AAPFU0939F1ZW"),
    ("gst", "AU", "51 824 753 556", "51824753556", "51 824 753 557"),
    ("abn", None, "51 824 753 556", "51824753556", "51 824 753 557"),
]


@pytest.mark.parametrize(("scheme", "country", "good", "compact", "bad"), SCHEMES, ids=lambda v: str(v))
def test_each_scheme_checks_its_value(scheme, country, good, compact, bad):
    element = {"scheme": scheme, "value": good} | ({"country": country} if country else {})
    assert identifier(element, None)["value"] == compact
    with pytest.raises(BadIdentifier) as refused:
        identifier({**element, "value": bad}, None)
    assert refused.value.part == "value"


def test_separators_people_write_are_read_past():
    written = {"ein": "04 2103594", "abn": "51-824-753-556", "lei": "5493 001K JTII GC8Y 1R12", "duns": "15.048.3782"}
    assert {s: identifier({"scheme": s, "value": v}, None)["value"] for s, v in written.items()} == {
        "ein": "042103594",
        "abn": "51824753556",
        "lei": "5493001KJTIIGC8Y1R12",
        "duns": "150483782",
    }


def test_a_register_number_without_a_checksum_and_a_firms_own_scheme_are_kept_as_written():
    assert identifier({"scheme": "registration", "value": "HRB  12345 b"}, "DE") == {
        "scheme": "registration",
        "value": "HRB 12345 B",
        "country": "DE",
    }
    assert identifier({"scheme": "other:sap_kunnr", "value": " 0000471 "}, "DE")["value"] == "0000471"


def test_a_scheme_takes_its_country_from_the_record_or_its_own():
    assert identifier({"scheme": "vat", "value": "811907980"}, "DE")["value"] == "DE811907980"
    assert identifier({"scheme": "ein", "value": "04-2103594"}, "DE")["country"] == "US"  # an EIN is American
    assert "country" not in identifier({"scheme": "duns", "value": "150483782"}, "DE")  # a DUNS is worldwide
    with pytest.raises(BadIdentifier) as refused:
        identifier({"scheme": "vat", "value": "811907980"}, None)
    assert refused.value.part == "country"
    with pytest.raises(BadIdentifier) as unknown:
        identifier({"scheme": "iban", "value": "x"}, "DE")
    assert unknown.value.part == "scheme"


def test_which_identifiers_link_and_with_what():
    assert link_keys({"scheme": "vat", "value": "DE811907980", "country": "DE"}) == ("vat", "DE", "DE811907980")
    assert link_keys({"scheme": "duns", "value": "150483782"}) == ("duns", "", "150483782")
    assert link_keys({"scheme": "other:sap_kunnr", "value": "1"}) is None  # a firm's own number links nothing
    assert [tax_scheme(c) for c in ("DE", "US", "AU", "IN", None)] == ["vat", "ein", "gst", "gst", "vat"]


def test_phones_become_e164_read_in_the_records_country():
    assert phone({"kind": "main", "number": "030 1234567"}, "DE")["number"] == "+49301234567"
    assert phone({"kind": "mobile", "number": "+1 (201) 555-0123"}, "DE")["number"] == "+12015550123"
    # a number not valid in its country (a local one without its area code) is kept, not refused
    assert phone({"kind": "main", "number": "535-1757"}, "US")["number"] == "+15351757"
    # and one that cannot be read in a country (none given) is kept as sent
    assert phone({"kind": "main", "number": " 030/1234567 "}, None)["number"] == "030/1234567"
    # a vanity number is read; one too long to be possible is kept as sent, not made E.164
    assert phone({"kind": "main", "number": "1-800-FLOWERS"}, "US")["number"] == "+18003569377"
    assert phone({"kind": "main", "number": "1234567890123456"}, "DE")["number"] == "1234567890123456"
    for number, country in (("123", "DE"), ("12-34", None), ("not a phone", "DE")):
        with pytest.raises(BadIdentifier, match="not a phone number"):
            phone({"kind": "main", "number": number}, country)


def test_problems_name_the_element_and_its_part():
    record = {
        "country": "DE",
        "identifiers": [
            {"scheme": "duns", "value": "150483782"},
            {"scheme": "vat", "value": "DE811907981"},
            {"scheme": "duns", "value": "804735132"},
        ],
        "phones": [{"kind": "main", "number": "12"}],
        "addresses": [{"kind": "billing", "country": "ZZ"}],
    }
    _, problems = normalized(CUSTOMER, record)
    fields = [f for f, _ in problems]
    assert fields == ["identifiers[1].value", "identifiers[2]", "phones[0].number", "addresses[0].country"]
    assert "one per slot" in problems[1][1]


def test_a_valid_record_is_kept_normalized():
    record = {"name": {"given": "Ada", "family": "King"}, "phones": [{"kind": "mobile", "number": "0151 23456789"}]}
    out, problems = normalized(EMPLOYEE, record | {"country": "DE"})
    assert problems == []
    assert out["phones"] == [{"kind": "mobile", "number": "+4915123456789"}]
    _, missing = normalized(EMPLOYEE, {"name": {"given": "Ada"}})
    assert missing == [("name.family", "is required")]
