"""Training without labels: u from random pairs, m and the prior by EM over blocked pairs,
steward decisions as labels that cannot swing the model, term frequencies, the rules
written back."""

import random

import numpy as np
import pytest

from mdm.domains import BY_NAME, RULES
from mdm.matching.rules import build, table, with_tf
from mdm.matching.score import scored
from mdm.matching.train import (
    MISSING,
    Trained,
    anchored,
    estimate_u,
    expectation_maximisation,
    level_vector,
    level_vectors,
    random_pairs,
    report,
    term_frequencies,
    trained_table,
)

CUSTOMER = RULES["customer"]


def _model(rules, seed=1):
    """A 'true' m per comparison, unlike the rules' own (where EM starts)."""
    rng = np.random.default_rng(seed)
    return [rng.dirichlet(np.array(c.m) * 40 + 0.5) for c in rules.comparisons]


def _pairs(rules, m_true, n, share, seed=2, missing=0.15, non_match=None):
    """n blocked pairs' level vectors drawn from the model: a share of matches (levels by
    m_true), the rest by `non_match` (by default the rules' u); each comparison missing now
    and then."""
    rng = np.random.default_rng(seed)
    match = rng.random(n) < share
    columns = []
    for k, c in enumerate(rules.comparisons):
        size = len(c.levels) + 1
        unlike = np.array(c.u) if non_match is None else non_match[k]
        unlike = unlike / unlike.sum()  # the table's values are rounded
        levels = np.where(match, rng.choice(size, n, p=m_true[k]), rng.choice(size, n, p=unlike))
        levels[rng.random(n) < missing] = MISSING
        columns.append(levels)
    return np.stack(columns, axis=1).astype(np.int16), match


def test_em_finds_the_model_that_made_the_pairs():
    m_true = _model(CUSTOMER)
    vectors, match = _pairs(CUSTOMER, m_true, 20_000, 0.3)
    trained = expectation_maximisation(CUSTOMER, vectors, pairs_total=20_000 * 50)
    assert trained.converged
    assert trained.patterns < trained.pairs == 20_000  # identical patterns counted, not repeated
    assert trained.blocked_prior == pytest.approx(match.mean(), abs=0.01)
    assert trained.prior == pytest.approx(trained.blocked_prior / 50)
    for k in range(len(CUSTOMER.comparisons)):
        assert np.abs(np.array(trained.m[k]) - m_true[k]).max() < 0.03, CUSTOMER.comparisons[k].name
    assert trained.u == tuple(c.u for c in CUSTOMER.comparisons)  # u is held fixed


def test_a_model_learnt_from_the_duplicates_the_rules_see_is_anchored_in_them():
    """Matches drawn as the rules expect them: EM's sure pairs are pairs the rules queue too."""
    vectors, _ = _pairs(CUSTOMER, [np.array(c.m) / sum(c.m) for c in CUSTOMER.comparisons], 20_000, 0.3)
    trained = expectation_maximisation(CUSTOMER, vectors, pairs_total=20_000 * 50)
    sure, share = anchored(CUSTOMER, trained, vectors)
    assert sure > 3_000
    assert share > 0.95


def test_a_model_sure_of_what_the_rules_dismiss_is_not_anchored():
    """EM in an estate without duplicates may call a match what they share instead (one
    website, one town, other names: a group's companies); the rules score that low."""
    k = {c.name: i for i, c in enumerate(CUSTOMER.comparisons)}
    row = np.full(len(CUSTOMER.comparisons), MISSING, dtype=np.int16)
    name = CUSTOMER.comparisons[k["name"]]
    row[k["name"]] = len(name.levels)  # else: names unlike
    for field in ("website", "country", "city"):
        row[k[field]] = CUSTOMER.comparisons[k[field]].exact
    vectors = np.tile(row, (500, 1))
    m = [np.array(c.m) for c in CUSTOMER.comparisons]
    m[k["name"]] = np.append(np.full(len(name.levels), 0.1 / len(name.levels)), 0.9)  # its "matches" differ in name
    group = Trained(m=tuple(tuple(x) for x in m), u=tuple(tuple(c.u) for c in CUSTOMER.comparisons), prior=0.01,
                    blocked_prior=0.3, pairs=500, patterns=1)  # fmt: skip
    assert anchored(CUSTOMER, group, vectors) == (500, 0.0)


def test_five_contradictory_decisions_barely_move_the_model():
    """Steward decisions join EM as pairs whose match probability is fixed: one pair among
    thousands each, so a few mistaken ones cannot swing m."""
    vectors, _ = _pairs(CUSTOMER, _model(CUSTOMER), 10_000, 0.25)
    before = expectation_maximisation(CUSTOMER, vectors)
    agree = np.zeros(len(CUSTOMER.comparisons), dtype=np.int16)  # every comparison at its best level
    disagree = np.array([len(c.levels) for c in CUSTOMER.comparisons], dtype=np.int16)  # every one at else
    wrong = np.stack([agree] * 3 + [disagree] * 2)  # all alike, "not a match"; all unlike, "merged"
    after = expectation_maximisation(CUSTOMER, vectors, labels=(wrong, [False, False, False, True, True]))
    moved = max(np.abs(np.array(a) - np.array(b)).max() for a, b in zip(after.m, before.m, strict=True))
    assert moved < 0.005
    assert abs(after.blocked_prior - before.blocked_prior) < 0.005
    assert after.labelled == (2, 3)


def test_many_agreeing_decisions_do_move_it():
    vectors, _ = _pairs(CUSTOMER, _model(CUSTOMER), 2_000, 0.25)
    before = expectation_maximisation(CUSTOMER, vectors)
    labelled = np.zeros((500, len(CUSTOMER.comparisons)), dtype=np.int16)
    labelled[:, 0] = 1  # stewards merged 500 pairs whose names were glued
    after = expectation_maximisation(CUSTOMER, vectors, labels=(labelled, [True] * 500))
    assert after.m[0][1] > before.m[0][1] + 0.1


def test_blocked_non_matches_get_their_own_levels():
    """Blocking brings together non-matches that share a name or a postcode: they agree far
    more often than random pairs. EM that estimates their levels finds the share of matches;
    EM that takes u for them counts their agreement as matches."""
    m_true = _model(CUSTOMER)
    near = []
    for c in CUSTOMER.comparisons:  # the blocked non-matches: a third of them agree at the first levels
        like = np.array(c.u) * 0.66
        like[: max(1, len(c.levels) // 2)] += 0.34 / max(1, len(c.levels) // 2)
        near.append(like / like.sum())
    vectors, match = _pairs(CUSTOMER, m_true, 20_000, 0.2, non_match=near)
    estimated = expectation_maximisation(CUSTOMER, vectors)
    fixed = expectation_maximisation(CUSTOMER, vectors, blocked_u="fixed")
    assert estimated.blocked_prior == pytest.approx(match.mean(), abs=0.02)
    assert fixed.blocked_prior > match.mean() + 0.1
    assert estimated.u == fixed.u == tuple(c.u for c in CUSTOMER.comparisons)  # u, for scoring, is untouched


_TWO = """
version = 1
prior = 0.001
auto_link = 0.99
review = 0.5

[[comparison]]
name = "country"
fields = ["country"]
normalize = "fold"
levels = ["exact"]
m = [0.9, 0.1]
u = [0.2, 0.8]

[[comparison]]
name = "website"
fields = ["website"]
normalize = "website"
levels = ["exact"]
m = [0.9, 0.1]
u = [0.001, 0.999]
"""


def test_u_comes_from_random_pairs_and_is_never_zero():
    vectors = np.array([[0, MISSING], [1, MISSING], [1, MISSING], [1, MISSING]], dtype=np.int16)
    rules = build(BY_NAME["customer"], table("customer", _TWO))
    u = estimate_u(rules, vectors)
    # the rules say 0.2 / 0.8; one of four pairs fell in "exact", so its u lies in 1/4 .. 4/4
    assert u[0] == pytest.approx((0.25 / 1.05, 0.8 / 1.05))
    assert u[1] == pytest.approx((0.001, 0.999))  # never seen: the rules' u
    assert all(p > 0 for p in u[0] + u[1])


def test_u_of_a_level_too_rare_to_be_seen_keeps_the_rules_value():
    # 100,000 random pairs, none in "exact": anything below 3 in 100,000 fits, so the rules'
    # 0.001 is too high and comes down to that bound, where a pseudo-count made it ~1e-8
    vectors = np.array([[1, 1]] * 100_000, dtype=np.int16)
    rules = build(BY_NAME["customer"], table("customer", _TWO))
    u = estimate_u(rules, vectors)
    assert u[1][0] == pytest.approx(3e-5, rel=1e-3)
    assert u[0][0] == pytest.approx(3e-5, rel=1e-3)
    # a rare level the rules put below the bound stays where the rules put it
    rare = build(BY_NAME["customer"], table("customer", _TWO.replace("u = [0.001, 0.999]", "u = [2e-6, 0.999998]")))
    assert estimate_u(rare, vectors)[1][0] == pytest.approx(2e-6, rel=1e-3)
    # and a level seen often takes what the pairs say, whatever the rules said
    half = np.array([[0, 0], [1, 1]] * 50_000, dtype=np.int16)
    assert estimate_u(rare, half)[1][0] == pytest.approx(0.5, rel=1e-3)


def test_level_vectors_of_generated_records_and_random_pairs():
    from bench.generator import LEVEL2, SETTINGS, customers

    data = customers(60, SETTINGS["hard"]["customer"], random.Random(3), LEVEL2["hard"]["customer"])
    features = [CUSTOMER.features(e.payload) for e in data.events]
    pairs = random_pairs(len(features), 500, seed=4)
    assert pairs.shape == (500, 2)
    assert (pairs[:, 0] != pairs[:, 1]).all()
    assert pairs.min() >= 0
    assert pairs.max() < len(features)
    vectors = level_vectors(CUSTOMER, [(features[i], features[j]) for i, j in pairs])
    assert vectors.shape == (500, len(CUSTOMER.comparisons))
    for (i, j), vector in zip(pairs[:20], vectors[:20], strict=True):
        why = scored(CUSTOMER, features[i], features[j])[1]
        levels = [c.labels.index(e["level"]) if e["level"] != "missing" else MISSING
                  for c, e in zip(CUSTOMER.comparisons, why, strict=False)]  # fmt: skip
        assert tuple(vector) == level_vector(CUSTOMER, features[i], features[j]) == tuple(levels)
    u = estimate_u(CUSTOMER, vectors)
    assert all(0 < p < 1 for probabilities in u for p in probabilities)


def test_term_frequencies_count_records_per_value():
    records = [{"name": "Acme GmbH", "legal_name": "Acme AG"}, {"name": "Acme Inc"}, {"name": "Globex"}, {}]
    counts, totals = term_frequencies(CUSTOMER, [CUSTOMER.features(r) for r in records])
    assert counts == {"name": {"acme": 2, "globex": 1}}  # "tf = true" comparisons only; a record counts once
    assert totals == {"name": 3}
    rules = with_tf(CUSTOMER, counts, totals)
    assert rules.tf_u(0, "acme") == pytest.approx(2 / 3)


def test_trained_parameters_are_written_back_as_a_new_version():
    vectors, _ = _pairs(CUSTOMER, _model(CUSTOMER), 5_000, 0.3)
    trained = expectation_maximisation(CUSTOMER, vectors, pairs_total=10**7, random_count=123)
    text = trained_table(CUSTOMER, trained)
    assert text.startswith(f"version = {CUSTOMER.version + 1}  # trained: EM over 5,000 blocked pairs")
    again = build(BY_NAME["customer"], table("customer", text))
    assert again.version == CUSTOMER.version + 1
    assert again.prior == pytest.approx(trained.prior, rel=1e-3)
    for c, m in zip(again.comparisons, trained.m, strict=True):
        assert c.m == pytest.approx(m, abs=1e-3)
    said = report(CUSTOMER, trained)
    assert "5,000 blocked" in said
    assert "123 random" in said
    assert "converged" in said
    assert "initials" in said
