"""Comparison levels: each predicate, with pairs it holds for and pairs it does not; each
symmetric; and its matrix (every pair of a list at once) agrees with it pair by pair."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.matching import normalize as n
from mdm.matching.levels import NAMES, LevelError, level

# (level, pairs it holds for, pairs it does not), values as the normalizers leave them
CASES = [
    ("exact", [("acme", "acme")], [("acme", "acme consulting"), ("acme", "Acme")]),
    ("levenshtein<=1", [("smith", "smyth"), ("jon", "john"), ("acme", "acme")], [("smith", "smythe"), ("ab", "ba")]),
    ("levenshtein<=2", [("smith", "smythe"), ("ab", "ba")], [("smith", "jones")]),
    ("jaro_winkler>=0.92", [("martha", "marhta"), ("anna", "hanna"), ("jonathan", "jonathon")],
     [("smith", "smyth"), ("anna", "maria")]),
    ("jaro_winkler>=0.80", [("smith", "smyth"), ("dwayne", "duane")], [("anna", "maria"), ("acme", "globex")]),
    ("token_set>=0.90", [("acme consulting", "consulting acme"), ("acme", "acme global holdings"),
                         ("acme consulting", "acme consultng")],
     [("acme logistics", "acme consulting"), ("first soluti", "first solutions")]),
    ("token_set>=0.60", [("acme consulting", "globex consulting")], [("acme", "globex")]),
    ("initials", [("fs", "first solutions"), ("ibm", "international business machines"), ("f s", "first solutions"),
                  ("f solutions", "first solutions"), ("cv", "cooper ventures")],
     [("fs", "first"), ("fs", "fast data solutions"), ("first solutions", "first solutions"), ("f", "first"),
      ("g solutions", "first solutions"), ("fs", "solutions first")]),
    ("abbreviated", [("corn technologies", "cornerstone technologies"), ("edw sons", "edwards sons"),
                     ("rive an", "riverside analytics"), ("rhei treuhand", "treuhand rheintal"),
                     ("j corn technologies", "j cornerstone technologies")],
     [("c technologies", "cornerstone technologies"), ("corn technologies", "corn technologies"),
      ("corn tech", "cornerstone solutions"), ("corn", "cornerstone technologies"), ("sun", "sunoco")]),
    ("glued", [("summitconsulting", "summit consulting"), ("northwind", "north wind"),
               ("summitconsulting", "summit consulting group"), ("northwind consulting", "north wind")],
     [("acme consulting", "acme consulting group"), ("first soluti", "first solutions"), ("acme", "acmeco"),
      ("summit", "consulting")]),
    ("prefix", [("first soluti", "first solutions"), ("summit consulting gm", "summit consulting"),
                ("ange", "angela"), ("kristallkomm", "kristall kommunikation")],
     [("ang", "angela"), ("first solutions", "firm solutions"), ("soluti", "first solutions")]),
    ("digits<=1", [("10115", "10116"), ("EC123", "EC124"), ("10115", "10115")],
     [("10115", "10166"), ("EC123", "ED123"), ("10115", "1011"), ("12", "21")]),
    ("nickname", [("jon", "jonathan"), ("bill", "william"), ("bill", "will"), ("anna", "anna")],
     [("jon", "william"), ("anna", "hanna")]),
    ("initial", [("j", "jonathan"), ("jonathan", "j"), ("j", "j")], [("j", "mary"), ("jo", "jonathan")]),
    ("date_swap", [("20110312", "20111203")], [("20110312", "20110312"), ("20110312", "20110313"),
                                               ("2011-03-12", "2011-12-03")]),
    ("same_domain", [("ann@firm.example", "ann.lee@firm.example"), ("a@x.io", "a@x.io")],
     [("ann@firm.example", "ann@mail.example"), ("ann", "bob")]),
    ("phone_typo", [("2060089441", "2062089441"), ("14211426", "14211427")],
     [("2060089441", "2060089441"), ("5551234", "5551235"), ("2060089441", "20600894411")]),
    ("switchboard", [("14211426", "14211439"), ("2125550134", "2125550199")],
     [("2125550134", "2125550134"), ("5551234", "5551299"), ("2125550134", "2125551134")]),
    ("swapped", [("jaiden|bloomfield", "bloomfield|jaiden")],
     [("jaiden|bloomfield", "jaiden|bloomfield"), ("jaiden", "jaiden"), ("ann|lee", "lee|bob")]),
    ("same_street", [("3250 w adams", "3250 w adams st"), ("ste 6 3250 w adams st", "3250 w adams st")],
     [("3250 w adams st", "3250 w adams st"), ("3250 w adams", "3252 w adams"), ("adams st", "adams"),
      ("3250 w adams st", "3250 w adams ave"), ("ste 100 3250 w adams st", "ste 900 3250 w adams st")]),
    ("same_site", [("acme.co.uk", "acme.com"), ("shop.acme.de", "acme.com.au"), ("acme.com", "acme.com"),
                   ("acme.wixsite.com", "acme.de")],
     [("acme.com", "acmeco.com"), ("acme.co.uk", "co.uk"), ("acme", "acme"),
      ("joesplumbing.wixsite.com", "annasbakery.wixsite.com")]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "holds", "fails"), CASES, ids=[c[0] for c in CASES])
def test_each_level_holds_where_it_should_and_only_there(name, holds, fails):
    lv = level(name)
    for a, b in holds:
        assert lv.holds(a, b), (name, a, b)
        assert lv.holds(b, a), (name, b, a)
    for a, b in fails:
        assert not lv.holds(a, b), (name, a, b)
        assert not lv.holds(b, a), (name, b, a)


@pytest.mark.parametrize(("name", "holds", "fails"), CASES, ids=[c[0] for c in CASES])
def test_each_level_mask_agrees_with_it_or_is_a_superset(name, holds, fails):
    lv = level(name)
    values = sorted({v for pair in holds + fails for v in pair})
    assert lv.mask is not None
    mask = lv.mask(values, {})
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            if lv.holds(a, b):
                assert mask[i, j], (name, a, b)
            elif lv.exact_mask:
                assert not mask[i, j], (name, a, b)


def test_a_threshold_exactly_met_passes():
    assert level("token_set>=0.90").holds("main st 12", "main st 14")  # the ratio is exactly 90
    assert level("jaro_winkler>=1.0").holds("acme", "acme")


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("cosine>=0.5", "unknown level 'cosine>=0.5'"),
        ("jaro_winkler<=0.5", "jaro_winkler takes >="),
        ("levenshtein<=1.5", "levenshtein counts edits, a whole number"),
        ("jaro_winkler>=1.5", "a similarity, above 0 and at most 1"),
        ("fuzzy", "unknown level 'fuzzy'"),
    ],
)
def test_a_bad_level_name_says_what_is_wrong(name, said):
    with pytest.raises(LevelError) as caught:
        level(name)
    assert said in str(caught.value)


def test_every_plain_name_is_a_level():
    for name in NAMES:
        level(name.replace("N", "1") if name.endswith("N") else name)


_word = st.sampled_from(
    [
        "acme",
        "akme",
        "consulting",
        "consultng",
        "first",
        "solutions",
        "fs",
        "f",
        "north",
        "wind",
        "northwind",
        "summit",
        "jon",
        "jonathan",
        "bill",
        "william",
        "ann",
        "anna",
        "hanna",
        "a",
        "10115",
        "10116",
        "ec123",
        "20110312",
        "20111203",
        "ann@firm.example",
        "bob@firm.example",
    ]
)
_value = st.one_of(st.lists(_word, min_size=1, max_size=3).map(" ".join), st.text(min_size=1, max_size=12).map(
    lambda t: n.fold(t) or "x"))  # fmt: skip
_names = ["exact", "levenshtein<=1", "levenshtein<=2", "jaro_winkler>=0.92", "jaro_winkler>=0.80", "token_set>=0.90",
          "token_set>=0.60", "initials", "glued", "prefix", "digits<=1", "nickname", "initial", "date_swap",
          "same_domain", "same_site", "phone_typo", "switchboard", "abbreviated", "same_street", "swapped"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(values=st.lists(_value, min_size=1, max_size=8))
def test_levels_are_symmetric_and_their_masks_agree_on_any_values(values):
    for name in _names:
        lv = level(name)
        assert lv.mask is not None
        mask = lv.mask(values, {})
        for i, a in enumerate(values):
            for j, b in enumerate(values):
                found = lv.holds(a, b)
                assert found == lv.holds(b, a), (name, a, b)
                assert mask[i, j] == mask[j, i], (name, a, b)
                if found:
                    assert mask[i, j], (name, a, b)
                elif lv.exact_mask:
                    assert not mask[i, j], (name, a, b)
