"""Field-level validation: each kind's rule, and problems naming their field."""

from decimal import Decimal

import pytest

from mdm.db.types import canonical_decimal
from mdm.domains import BY_NAME
from mdm.records.validation import check_complete, check_fields

CUSTOMER, PROJECT, EMPLOYEE, RATE_CARD = (BY_NAME[n] for n in ("customer", "project", "employee", "rate_card"))


@pytest.mark.parametrize(
    ("domain", "record", "field", "fragment"),
    [
        (CUSTOMER, {"country": "XX"}, "country", "ISO 3166"),
        (CUSTOMER, {"currency": "EUX"}, "currency", "ISO 4217"),
        (EMPLOYEE, {"email": "not-an-email"}, "email", "e-mail"),
        (EMPLOYEE, {"cost_rate": "-1"}, "cost_rate", "negative"),
        (PROJECT, {"contract_value": "NaN"}, "contract_value", "finite"),
        (PROJECT, {"billing_model": "barter"}, "billing_model", "one of"),
        (PROJECT, {"start_date": "2025-02-01", "end_date": "2025-01-31"}, "end_date", "before start_date"),
        (RATE_CARD, {"lines": [{"role": "A", "unit": "hour", "rate": "-5"}]}, "lines", "negative"),
    ],
)
def test_each_rule_names_its_field(domain, record, field, fragment):
    problems = check_fields(domain, record)
    assert [f for f, _ in problems] == [field]
    assert fragment in problems[0][1]


def test_valid_values_pass():
    record = {"country": "DE", "currency": "EUR", "addresses": [{"kind": "billing", "country": "FR", "city": "Lyon"}]}
    assert check_fields(CUSTOMER, record) == []
    assert check_fields(EMPLOYEE, {"email": "ada@firm.example", "cost_rate": "0", "start_date": "2025-01-01",
                                   "end_date": "2025-01-01"}) == []  # fmt: skip


def test_required_fields_after_survivorship():
    assert check_complete(PROJECT, {"code": "P1"}) == [("name", "is required")]


@pytest.mark.parametrize(("raw", "text"), [("100", "100"), ("12.50", "12.5"), ("1E+3", "1000"), ("0.000", "0")])
def test_money_is_canonical_plain_text(raw, text):
    assert canonical_decimal(Decimal(raw)) == text
