"""The workbench writes list and structured values as a person reads them."""

from stewardship.display import display


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
