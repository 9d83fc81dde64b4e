"""The scan's score matrix finds every pair the explained score puts at or above review."""

from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.domains import RULES
from mdm.matching.matrix import block_scores, likely_pairs
from mdm.matching.score import score

_value = st.one_of(
    st.none(),
    st.sampled_from(["Acme Consulting GmbH", "ACME CONSULTING", "Acme Consultng", "Globex", "The Acme Group", "DE",
                     "FR", "Jon", "Jonathan", "J.", "Smith", "Smyth", "van der Berg", "Berg", "https://acme.de",
                     "acme.de", "DE811907980", "811907980", "2024-01-01", "CC-100", "CC-101", "jon.smith@firm.example",
                     "j.smith@firm.example", "jon@mail.example"]),
)  # fmt: skip
_fields = ["name", "legal_name", "website", "tax_id", "country", "given_name", "family_name", "email", "code",
           "customer_id", "legal_entity_id", "currency", "start_date", "registration_number",
           "effective_from"]  # fmt: skip
_record = st.dictionaries(st.sampled_from(_fields), _value)


@settings(max_examples=150, deadline=None)
@given(domain=st.sampled_from(sorted(RULES)), records=st.lists(_record, min_size=2, max_size=6))
def test_the_matrix_never_scores_a_pair_below_its_explained_score(domain, records):
    rules = RULES[domain]
    features = [rules.features(r) for r in records]
    matrix = block_scores(rules, features)
    found = set(likely_pairs(rules, features, rules.review))
    for i in range(len(records)):
        for j in range(i + 1, len(records)):
            value, _ = score(rules, records[i], records[j])
            assert matrix[i, j] == matrix[j, i]
            assert matrix[i, j] >= value - 1e-4, (records[i], records[j])
            if value >= rules.review:
                assert (i, j) in found


def test_the_matrix_is_the_score_where_no_cap_applies():
    rules = RULES["customer"]
    records = [
        {"name": "Acme Consulting GmbH", "country": "DE", "website": "https://acme.de",
         "billing_address": {"line1": "12 Main Street", "postal_code": "10115"}},
        {"name": "ACME Consultng", "country": "DE", "website": "acme.de",
         "billing_address": {"line1": "12 Main St", "postal_code": "10 115"}},
        {"name": "Globex", "country": "FR"},
    ]  # fmt: skip
    features = [rules.features(r) for r in records]
    matrix = block_scores(rules, features)
    assert abs(matrix[0, 1] - score(rules, records[0], records[1])[0]) < 1e-4
    assert abs(matrix[0, 2] - score(rules, records[0], records[2])[0]) < 1e-4
    assert likely_pairs(rules, features, rules.review) == [(0, 1)]
