"""Match rules are data: the default file, and a bad file's error names the place."""

import pytest

from mdm.domains import BY_NAME, RULES
from mdm.matching.rules import RuleError, parse, text_of
from mdm.matching.score import score

DEFAULT_TEXT = text_of(BY_NAME)


def test_the_default_rules_cover_every_domain_with_a_version():
    assert set(RULES) == {"customer", "employee", "legal_entity", "cost_center", "project", "rate_card"}
    assert all(r.version >= 1 and r.review <= r.auto_link for r in RULES.values())
    customer = RULES["customer"]
    assert [c.name for c in customer.comparisons] == ["name", "website", "country", "street", "postal_code"]
    assert customer.comparisons[0].reads == ("name", "legal_name")
    assert customer.comparisons[3].reads == ("addresses",)


def test_paths_read_parts_and_the_first_present_field():
    name, street = RULES["customer"].comparisons[0], RULES["customer"].comparisons[3]
    assert name.extract({"legal_name": "Acme GmbH"}) == "acme"
    assert name.extract({"name": "Globex Inc", "legal_name": "Acme GmbH"}) == "globex"
    assert street.extract({"addresses": [{"kind": "billing", "line1": "12 Main Street"}]}) == "12 main st"
    assert street.extract({"addresses": None}) is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[customer]", "[custmer]", "[custmer]: unknown domain"),
        (
            'fields = ["website"]',
            'fields = ["webside"]',
            "[customer].compare[1] (website).fields: customer has no field 'webside'",
        ),
        (
            'normalize = "website"',
            'normalize = "url"',
            "[customer].compare[1] (website).normalize: unknown normalizer 'url'",
        ),
        (
            'comparator = "token_set", weight = 0.55',
            'comparator = "cosine", weight = 0.55',
            "unknown comparator 'cosine'",
        ),
        ("review = 0.75", "review = 0.95", "[customer].review: 0.95 is above auto_link 0.92"),
        ("auto_link = 0.92", "auto_link = 1.5", "[customer].auto_link: 1.5 is not between 0 and 1"),
        ("weight = 0.55, required = true", "weight = 0.55", "[customer].compare: mark at least one field required"),
        ("weight = 0.15 }", 'weight = "high" }', "[customer]: Expected `float`, got `str` - at `$.compare[1].weight`"),
        ("weight = 0.15 }", "weight = 0.15, wieght = 1 }", "unknown field `wieght`"),
        ("[customer]", "[customer", "not valid TOML"),
    ],
)
def test_a_bad_rules_file_names_the_place_and_the_reason(old, new, message):
    assert old in DEFAULT_TEXT
    with pytest.raises(RuleError) as caught:
        parse(DEFAULT_TEXT.replace(old, new, 1), BY_NAME)
    assert message in str(caught.value)


def test_a_changed_weight_changes_the_score():
    left = {"name": "Acme Consulting", "country": "DE", "website": "https://acme.de"}
    right = {"name": "Acme Consulting", "country": "FR", "website": "https://acme.fr"}
    before = score(RULES["customer"], left, right)[0]
    heavier = parse(
        DEFAULT_TEXT.replace('comparator = "token_set", weight = 0.55', 'comparator = "token_set", weight = 2.0', 1),
        BY_NAME,
    )
    after = score(heavier["customer"], left, right)[0]
    assert before < after
    assert after == pytest.approx(2.0 / 2.25, abs=1e-4)
