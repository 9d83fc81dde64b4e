"""Match rules are data: the default file, and a bad file's error names the place."""

import math

import pytest

from mdm.domains import BY_NAME, RULES
from mdm.matching.rules import RuleError, build, parse, render, table, text_of
from mdm.matching.score import score

DEFAULT_TEXT = text_of(BY_NAME)


def _line(comparison: str, key: str) -> str:
    """A customer comparison's `levels`, `m` or `u` line as the default file writes it (the
    shipped m and u are trained again as the demo or the levels change)."""
    block = DEFAULT_TEXT[DEFAULT_TEXT.index(f'name = "{comparison}"') :]
    return next(line for line in block.splitlines() if line.split(" ")[0] == key)


POSTCODE_LEVELS, WEBSITE_M, WEBSITE_U = _line("postal_code", "levels"), _line("website", "m"), _line("website", "u")


def test_the_default_rules_cover_every_domain_with_a_version():
    assert set(RULES) == {"customer", "employee", "legal_entity", "cost_center", "project", "rate_card"}
    assert all(r.version >= 1 and 0 < r.review <= r.auto_link < 1 and 0 < r.prior < 1 for r in RULES.values())
    customer = RULES["customer"]
    assert [c.name for c in customer.comparisons] == ["name", "tax", "duns", "lei", "website", "phone", "country",
                                                       "postal_code", "city", "street"]  # fmt: skip
    assert customer.comparisons[0].reads == ("name", "legal_name")
    assert customer.comparisons[-1].reads == ("addresses",)
    for rules in RULES.values():
        for c in rules.comparisons:
            assert len(c.m) == len(c.u) == len(c.levels) + 1
            assert c.labels[-1] == "else"
            assert c.weights == tuple(math.log2(m / u) for m, u in zip(c.m, c.u, strict=True))


def test_every_default_comparison_weighs_agreement_for_and_disagreement_against():
    for rules in RULES.values():
        for c in rules.comparisons:
            assert c.weights[0] > 0 > c.weights[-1], (rules.domain, c.name)


def test_paths_read_every_value_of_every_field():
    name, tax, postcode = (next(c for c in RULES["customer"].comparisons if c.name == n)
                           for n in ("name", "tax", "postal_code"))  # fmt: skip
    assert name.extract({"legal_name": "Acme GmbH"}) == ("acme",)
    assert name.extract({"name": "Globex Inc", "legal_name": "Acme GmbH"}) == ("globex", "acme")
    assert name.extract({"name": "Acme Inc", "legal_name": "Acme GmbH"}) == ("acme",)  # each value once
    addresses = [{"kind": "billing", "postal_code": "10115"}, {"kind": "shipping", "postal_code": "80 331"}]
    assert postcode.extract({"addresses": addresses}) == ("10115", "80331")
    assert postcode.extract({"addresses": None}) == ()
    ids = [{"scheme": "vat", "value": "DE811907980"}, {"scheme": "duns", "value": "150483782"},
           {"scheme": "ein", "value": "12-3456789"}]  # fmt: skip
    assert tax.extract({"identifiers": ids, "country": "DE"}) == ("811907980", "123456789")
    family = RULES["employee"].comparisons[0]
    assert family.extract({"name": {"given": "Ann", "family": "van der Berg"}}) == ("berg",)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[customer]", "[custmer]", "[custmer]: unknown domain"),
        (
            'fields = ["website"]',
            'fields = ["webside"]',
            "[customer].comparison[4] (website).fields: customer has no field 'webside'",
        ),
        (
            'normalize = "website"',
            'normalize = "url"',
            "[customer].comparison[4] (website).normalize: unknown normalizer 'url'",
        ),
        (
            POSTCODE_LEVELS,
            'levels = ["exact",  "cosine>=0.5"]',
            "[customer].comparison[7] (postal_code).levels[1]: unknown level 'cosine>=0.5'",
        ),
        (
            POSTCODE_LEVELS,
            'levels = ["exact"]',
            "[customer].comparison[7] (postal_code).m: 3 values for 1 levels and else (2 expected)",
        ),
        (WEBSITE_M, "m = [0.9, 0.5, 0.1]", "[customer].comparison[4] (website).m: sums to 1.5"),
        (WEBSITE_U, "u = [0, 0.5, 0.5]", "(website).u[0]: 0.0 is not above 0 and at most 1"),
        ("review = 0.2", "review = 0.995", "[customer].review: 0.995 is above auto_link 0.99"),
        ("auto_link = 0.99", "auto_link = 1.5", "[customer].auto_link: 1.5 is not between 0 and 1"),
        ("prior = 1e-05", "prior = 0", "[customer].prior: 0.0 is not between 0 and 1"),
        ('normalize = "website"', 'normalize = "website"\ntf = true\ntff = 1', "unknown field `tff`"),
        ('name = "website"', 'name = "name"', "[customer].comparison: two comparisons have one name"),
        (WEBSITE_M, 'm = ["high", 0.5, 0.5]', "[customer]: Expected `float`, got `str`"),
        ("[customer]", "[customer", "not valid TOML"),
    ],
)
def test_a_bad_rules_file_names_the_place_and_the_reason(old, new, message):
    assert old in DEFAULT_TEXT
    with pytest.raises(RuleError) as caught:
        parse(DEFAULT_TEXT.replace(old, new, 1), BY_NAME)
    assert message in str(caught.value)


def test_term_frequencies_need_an_exact_level():
    text = DEFAULT_TEXT.replace('normalize = "postcode"', 'normalize = "postcode"\ntf = true', 1)
    text = text.replace(POSTCODE_LEVELS, 'levels = ["digits<=1", "levenshtein<=2"]', 1)
    with pytest.raises(RuleError) as caught:
        parse(text, BY_NAME)
    assert "(postal_code).tf: term frequencies weigh an exact match; add the level 'exact'" in str(caught.value)


def test_the_file_is_every_domain_under_its_table():
    parsed = parse(DEFAULT_TEXT, BY_NAME)
    assert set(parsed) == set(RULES)
    assert "[[customer.comparison]]" in DEFAULT_TEXT
    assert all(parsed[d].version == RULES[d].version for d in RULES)


def test_a_table_written_back_reads_the_same():
    for name, domain in BY_NAME.items():
        spec = table(name, domain.match)
        assert table(name, render(spec)) == spec


def test_a_changed_m_changes_the_score():
    left = {"name": "Acme Consulting", "country": "DE", "website": "https://acme.de"}
    right = {"name": "Acme Consulting", "country": "FR", "website": "https://acme.fr"}
    before = score(RULES["customer"], left, right)[0]
    looser = parse(DEFAULT_TEXT.replace(_line("country", "m"), "m = [0.7, 0.3]", 1), BY_NAME)
    after = score(looser["customer"], left, right)[0]
    assert before < after  # another country weighs less against the pair


def test_a_joined_path_reads_a_name_in_its_order_and_a_record_seen_both_ways_has_none():
    spec = table("employee", """
version = 1
prior = 1e-05
auto_link = 0.99
review = 0.2
[[comparison]]
name = "name_order"
fields = ["name.given+name.family"]
normalize = "fold"
levels = ["swapped"]
m = [0.01, 0.99]
u = [1e-06, 0.999999]
""")  # fmt: skip
    rules = build(BY_NAME["employee"], spec)
    [order] = rules.comparisons
    assert order.reads == ("name",)
    straight, turned = {"name": {"given": "Jaiden", "family": "Bloomfield"}}, {"name": {"given": "Bloomfield",
                                                                                       "family": "Jaiden"}}  # fmt: skip
    assert order.extract(straight) == ("jaiden|bloomfield",)
    assert order.extract({"name": {"given": "Jaiden"}}) == ()  # one part missing: no value
    assert score(rules, straight, turned)[1][0]["level"] == "swapped"
    assert rules.features_of([straight, turned]) == ((),)  # both orders: no order to compare
    with pytest.raises(RuleError, match="employee has no field 'nmae'"):
        build(BY_NAME["employee"], table("employee", render(spec).replace("name.given+name.family", "name.given+nmae")))
