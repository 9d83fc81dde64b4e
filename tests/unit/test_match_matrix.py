"""The scan's matrices bound the explained score from above, so they keep every pair it puts
at or above review; where every level is computed exactly, they are the score."""

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.domains import RULES
from mdm.matching.matrix import block_scores, block_weights, likely_pairs
from mdm.matching.rules import with_tf
from mdm.matching.score import score, scored

_value = st.one_of(
    st.none(),
    st.sampled_from(["Acme Consulting GmbH", "ACME CONSULTING", "Acme Consultng", "ACMECONSULTING", "AC GmbH",
                     "Acme Consu", "Globex", "The Acme Group", "DE", "FR", "Jon", "Jonathan", "J.", "Smith", "Smyth",
                     "van der Berg", "Berg", "https://acme.de", "acme.de", "DE811907980", "811907980", "2024-01-01",
                     "2024-02-01", "2024-01-02", "CC-100", "CC-101", "jon.smith@firm.example", "j.smith@firm.example",
                     "jon@mail.example", "emp_1", "emp_2", "Consultant", "Senior Consultant"]),
)  # fmt: skip
_fields = ["name", "legal_name", "website", "tax_id", "country", "email", "code", "customer_id", "legal_entity_id",
           "currency", "start_date", "registration_number", "effective_from", "manager_id", "job_title"]  # fmt: skip


def _with_person_name(record):
    """Two of the values as an employee's name too (given, family)."""
    if "legal_name" in record and "name" in record:
        return record | {"name": {"given": record["legal_name"], "family": record["name"]}}
    return record


_record = st.dictionaries(st.sampled_from(_fields), _value).map(_with_person_name)
_identifier = st.fixed_dictionaries(
    {"scheme": st.sampled_from(["vat", "duns"]), "value": st.sampled_from(["DE811907980", "150483782"]),
     "country": st.just("DE")}
)  # fmt: skip
_address = st.fixed_dictionaries(
    {"kind": st.sampled_from(["billing", "shipping"]), "postal_code": st.sampled_from(["10115", "10116", "80331"]),
     "line1": st.sampled_from(["12 Main Street", "12 Main St", "5 Lake Rd"])}
)  # fmt: skip
_phone = st.fixed_dictionaries({"kind": st.just("main"), "number": st.sampled_from(["+493012345678", "+4989123456"])})
_v2 = st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["Acme Consulting GmbH", "ACME CONSULTING", "AC GmbH", "Acme Consu", "Globex"]),
    "legal_name": st.sampled_from(["Acme Consulting GmbH", "Zenith Partners"]),
    "country": st.sampled_from(["DE", "FR"]),
    "website": st.sampled_from(["acme.de", "https://www.acme.de/x"]),
    "identifiers": st.lists(_identifier, max_size=2),
    "addresses": st.lists(_address, max_size=3),
    "phones": st.lists(_phone, max_size=2),
})  # fmt: skip


def _check(rules, records):
    features = [rules.features(r) for r in records]
    weights = block_weights(rules, features)
    probabilities = block_scores(rules, features)
    found = set(likely_pairs(rules, features, rules.review))
    assert np.array_equal(weights, weights.T)
    for i in range(len(records)):
        for j in range(i + 1, len(records)):
            value, why = scored(rules, features[i], features[j])
            assert weights[i, j] >= why[-1]["total_weight"] - 1e-3, (records[i], records[j])
            assert probabilities[i, j] >= value - 1e-4, (records[i], records[j])
            if value >= rules.review:
                assert (i, j) in found


@settings(max_examples=150, deadline=None)
@given(domain=st.sampled_from(sorted(RULES)), records=st.lists(_record, min_size=2, max_size=6))
def test_the_matrix_never_scores_a_pair_below_its_explained_score(domain, records):
    _check(RULES[domain], records)


@settings(max_examples=150, deadline=None)
@given(records=st.lists(_v2, min_size=2, max_size=8))
def test_the_matrix_takes_the_best_over_every_value_of_a_record(records):
    _check(RULES["customer"], records)


_TF = {"name": {"acme consulting": 30, "globex": 1}}


@settings(max_examples=60, deadline=None)
@given(records=st.lists(_v2, min_size=2, max_size=8))
def test_the_matrix_weighs_exact_matches_by_frequency_as_the_score_does(records):
    _check(with_tf(RULES["customer"], _TF, {"name": 2_000}), records)


def test_the_matrix_bounds_the_score_on_random_blocks_of_generated_companies():
    """Blocks drawn from companies written the way systems and clerks write them."""
    from bench.generator import LEVEL2, SETTINGS, customers

    data = customers(120, SETTINGS["hard"]["customer"], random.Random(5), LEVEL2["hard"]["customer"])
    records = [e.payload for e in data.events]
    rng = random.Random(11)
    for _ in range(6):
        _check(RULES["customer"], rng.sample(records, 25))


def test_the_matrix_is_the_score_where_every_level_is_computed_exactly():
    rules = RULES["project"]  # exact, token set, Jaro-Winkler, Levenshtein, swapped dates: all matrices
    records = [
        {"customer_id": "cus_1", "name": "ERP Rollout", "code": "PRJ-100", "start_date": "2024-01-02"},
        {"customer_id": "cus_1", "name": "ERP rollout phase 2", "code": "PRJ-555", "start_date": "2024-06-15"},
        {"customer_id": "cus_1", "name": "ERP Rolout", "start_date": "2024-01-02"},
        {"customer_id": "cus_2", "name": "Data Platform", "code": "PRJ-200"},
    ]  # fmt: skip
    features = [rules.features(r) for r in records]
    matrix = block_scores(rules, features)
    for i in range(len(records)):
        for j in range(i + 1, len(records)):
            assert abs(matrix[i, j] - score(rules, records[i], records[j])[0]) < 1e-4
    assert likely_pairs(rules, features, rules.review) == [(0, 2)]
