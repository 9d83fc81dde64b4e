"""Normalizers, comparators and scoring of fuzzy matching, without a database."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdm.db.repository import candidate_row
from mdm.domains import BY_NAME, RULES
from mdm.matching import compare
from mdm.matching import normalize as n
from mdm.matching.blocking import blocking_keys, rank
from mdm.matching.ingest import CANDIDATES, INGEST_BLOCK_CAP, FuzzyIndex
from mdm.matching.score import score

CUSTOMER, EMPLOYEE = RULES["customer"], RULES["employee"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Müller   Straße!! ", "muller strasse"),
        ("Ærø Øresund", "aero oresund"),
        ("Јован", "jovan"),
        ("東京", "dongjing"),
        ("", None),
        ("?!", None),
        (None, None),
    ],
)
def test_fold_transliterates_and_cleans(raw, expected):
    assert n.fold(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ACME Consulting GmbH", "acme consulting"),
        ("Acme Consulting, Inc.", "acme consulting"),
        ("The Acme Consulting Company LLC", "acme consulting company"),
        ("Smith & Jones Ltd", "smith jones"),
        ("Smith and Jones Limited", "smith jones"),
        ("Telefónica S.A.", "telefonica"),
        ("Fiat S.p.A.", "fiat"),
        ("Foo S.r.l.", "foo"),
        ("Nokia Oyj", "nokia"),
        ("Volvo AB", "volvo"),
        ("Toyota KK", "toyota"),
        ("Barclays plc", "barclays"),
        ("Philips N.V.", "philips"),
        ("Heineken B.V.", "heineken"),
        ("Atlassian Pty Ltd", "atlassian"),
        ("Société Générale SARL", "societe generale"),
        ("Siemens AG", "siemens"),
        (None, None),
    ],
)
def test_company_names_lose_legal_forms_and_connectives(raw, expected):
    assert n.company_name(raw) == expected


def test_person_names():
    assert n.given_name_forms("Jon") >= {"jon", "jonathan"}
    assert n.given_name_forms("Bill") >= {"bill", "william"}
    assert n.given_name("J. Robert") == "j"
    assert n.family_name("van der Berg") == "berg"
    assert n.family_name("O'Brien") == "obrien"
    assert n.family_name("de la Cruz") == "cruz"
    assert n.family_name("deVries") == n.family_name("de Vries") == "vries"
    assert n.family_name("delaCruz") == "cruz"
    assert n.family_name("MacDonald") == "macdonald"  # a capital first: not particles written together
    assert n.family_name("Devlin") == "devlin"
    assert n.family_name("") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12 Main Street", "12 main st"),
        ("12 Main St.", "12 main st"),
        ("Hauptstraße 5", "haupt st 5"),
        ("Haupt Str. 5", "haupt st 5"),
        ("1 North Avenue, Suite 200", "1 n ave ste 200"),
    ],
)
def test_street_abbreviations_agree(raw, expected):
    assert n.street(raw) == expected


def test_identifiers_emails_and_websites():
    assert n.tax_id("DE 811 907 980", "DE") == "811907980"
    assert n.tax_id("811-907-980", "DE") == "811907980"
    assert n.tax_id("EL123456789", "GR") == "123456789"
    assert n.tax_id(None) is None
    assert n.postcode("sw1a 1aa") == "SW1A1AA"
    assert n.email(" Jane.Doe@Firm.Example ") == "jane.doe@firm.example"
    assert n.email_domain("jane@firm.example") == "firm.example"
    assert n.email("not an address") is None
    assert n.website_domain("HTTPS://www.Acme.com:443/about?x=1") == "acme.com"
    assert n.website_domain("acme.com") == "acme.com"
    assert n.website_domain("") is None


def test_comparators():
    assert compare.exact("a", "a") == 1.0
    assert compare.exact("a", "b") == 0.0
    assert compare.token_set("acme consulting", "consulting acme") == 1.0
    assert compare.token_set("acme", "acme global holdings") < 0.9
    assert compare.jaro_winkler("smyth", "smith") > 0.85
    assert compare.partial("acme", "acme consulting") == 1.0
    assert compare.given_name("jon", "jonathan") == 0.95
    assert compare.given_name("j", "jonathan") == 0.7
    assert compare.given_name("j", "mary") == 0.0
    assert compare.given_name("mary", "maria") > 0.8


def _customer(**fields):
    return {"name": None, "legal_name": None, "website": None, "identifiers": None, "country": None,
            "addresses": None} | fields  # fmt: skip


def _vat(value, country="DE"):
    return [{"scheme": "vat", "value": value, "country": country}]


def _person(given=None, family=None, **fields):
    return {"name": {k: v for k, v in (("given", given), ("family", family)) if v is not None}} | fields


def test_a_legal_form_variant_scores_high_and_is_explained():
    value, why = score(CUSTOMER, _customer(name="ACME Consulting GmbH", country="DE", website="https://acme.de"),
                       _customer(name="Acme Consulting", country="DE", website="acme.de"))  # fmt: skip
    assert value == 1.0
    by_field = {e["field"]: e for e in why}
    assert by_field["name"]["left"] == by_field["name"]["right"] == "acme consulting"
    contributions = [by_field[f]["contribution"] for f in ("name", "website", "country")]
    assert sum(contributions) == pytest.approx(1.0)
    assert by_field["street"]["note"] == "missing: neutral"


def test_a_name_and_a_country_alone_never_reach_auto_link():
    value, why = score(CUSTOMER, _customer(name="ACME Consulting GmbH", country="DE"),
                       _customer(name="Acme Consulting", country="DE"))  # fmt: skip
    assert CUSTOMER.review <= value < CUSTOMER.auto_link
    assert why[-1]["field"] == "*"
    assert why[-1]["cap"] == value


def test_tax_ids_are_strong_evidence_both_ways():
    same, why = score(CUSTOMER, _customer(name="Acme", identifiers=_vat("DE811907980"), country="DE"),
                      _customer(name="Zenith Partners", identifiers=_vat("DE 811 907 980"), country="DE"))  # fmt: skip
    assert same == CUSTOMER.evidence[0].same_floor
    assert {"field": "tax", "left": "811907980", "right": "811907980", "evidence": "same", "floor": 0.97} in why
    different, _ = score(CUSTOMER, _customer(name="Acme Consulting", identifiers=_vat("DE111111125"), country="DE"),
                         _customer(name="Acme Consulting", identifiers=_vat("DE811907980"), country="DE"))  # fmt: skip
    assert different == CUSTOMER.evidence[0].different_cap


def test_a_hard_negative_same_name_other_country_scores_below_auto_link():
    value, _ = score(CUSTOMER, _customer(name="Apex Advisory", country="DE", website="apex.de"),
                     _customer(name="Apex Advisory", country="US", website="apex.com"))  # fmt: skip
    assert value < CUSTOMER.auto_link


def test_nickname_and_typo_employee_pair_reaches_review():
    left = _person("Jon", "Smyth", email=None, country="GB")
    right = _person("Jonathan", "Smith", email=None, country="GB")
    value, _ = score(EMPLOYEE, left, right)
    assert value >= EMPLOYEE.review


def test_a_required_field_missing_scores_zero():
    value, why = score(EMPLOYEE, _person("Ann"), _person("Ann", "Lee"))
    assert value == 0.0
    assert why[0]["note"] == "required on both sides"


def test_blocking_keys_survive_typos_and_reordering():
    a = blocking_keys(
        BY_NAME["customer"].blocking, _customer(name="Acme Consulting GmbH", country="DE", website="https://acme.de")
    )
    b = blocking_keys(BY_NAME["customer"].blocking, _customer(name="Consulting Acme", country="DE"))
    c = blocking_keys(BY_NAME["customer"].blocking, _customer(name="Acmee Consulting", country="DE"))
    assert a & b
    assert a & c
    e = blocking_keys(BY_NAME["employee"].blocking, _person("Jon", "Smyth", email=None))
    f = blocking_keys(BY_NAME["employee"].blocking, _person("Jonathan", "Smith", email=None))
    assert e & f


def test_two_work_addresses_of_one_firm_are_two_people():
    person = _person("Ahmed", "Wang", country="NL", start_date="2011-03-12")
    alike, _ = score(EMPLOYEE, person | {"email": "ahmed.wang@firm.example"}, person | {"email": "ahmed@mail.example"})
    twins, why = score(EMPLOYEE, person | {"email": "ahmed.wang@firm.example"},
                       person | {"email": "ahmed.wang2@firm.example"})  # fmt: skip
    assert alike >= EMPLOYEE.auto_link  # a private and a work address: the names decide
    assert EMPLOYEE.review <= twins < EMPLOYEE.auto_link  # to a steward, not linked
    assert {"field": "email", "evidence": "different"}.items() <= why[-1].items()


def test_a_typo_in_a_company_names_first_word_keeps_a_shared_block():
    for name, typo in (("Stark", "Tsark"), ("Stark Analytics", "Sdark Analytics"), ("Zephyr Oy", "Zpehyr Oy")):
        keys = BY_NAME["customer"].blocking
        assert blocking_keys(keys, _customer(name=name, country="FI")) & blocking_keys(
            keys, _customer(name=typo, country="FI")
        ), typo


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("Lucas", "Brown"), ("uLcas", "Brown")),  # the first two letters swapped
        (("Omar", "Kaya"), ("Omar", "aKya")),
        (("Ahmed", "Jensen"), ("Ahmed", "EJNSEN")),
        (("Jürgen", "Fitzgerald"), ("J.", "IFTZGERALD")),  # an initial and a swap
        (("Alexander", "de Vries"), ("Alexander", "deVries")),
    ],
)
def test_employee_blocks_survive_swapped_letters(left, right):
    def keys(names):
        return blocking_keys(BY_NAME["employee"].blocking, _person(names[0], names[1], country="US"))

    assert keys(left) & keys(right)


_text = st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["Acme GmbH", "ACME", "Jon", "Smith", "DE"]))


@settings(max_examples=300, deadline=None)
@given(domain=st.sampled_from(sorted(RULES)), left=st.dictionaries(st.sampled_from(
    ["name", "legal_name", "website", "tax_id", "country", "given_name", "family_name", "email", "code",
     "customer_id", "legal_entity_id", "currency", "start_date", "registration_number"]), _text),
    right=st.dictionaries(st.sampled_from(["name", "tax_id", "country", "given_name", "family_name", "email", "code",
                                           "customer_id", "legal_entity_id", "currency"]), _text))  # fmt: skip
def test_scoring_is_symmetric_and_bounded(domain, left, right):
    rules = RULES[domain]
    forward, _ = score(rules, left, right)
    backward, _ = score(rules, right, left)
    assert forward == backward
    assert 0.0 <= forward <= 1.0


_alike = st.one_of(st.none(), st.sampled_from(["Acme Consulting GmbH", "ACME Consultng", "Acme", "Globex Partners",
                                                "Jon", "Jonathan", "J.", "Smith", "Smyth", "DE", "FR"]))  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(domain=st.sampled_from(sorted(RULES)), left=st.dictionaries(st.sampled_from(
    ["name", "legal_name", "website", "tax_id", "country", "given_name", "family_name", "email", "code",
     "customer_id", "legal_entity_id", "start_date"]), _alike),
    right=st.dictionaries(st.sampled_from(["name", "legal_name", "tax_id", "country", "given_name",
                                           "family_name", "code", "customer_id", "start_date"]), _alike))  # fmt: skip
def test_a_floor_only_cuts_short_what_stays_below_it(domain, left, right):
    """Scored with a floor (ingestion, the scan), a pair the full score puts at or above it
    gets exactly that score; one below it stays below it."""
    rules = RULES[domain]
    full, why = score(rules, left, right)
    quick, quick_why = score(rules, left, right, floor=rules.review)
    if full >= rules.review:
        assert (quick, quick_why) == (full, why)
    else:
        assert quick < rules.review


@settings(max_examples=200, deadline=None)
@given(a=st.text(max_size=15), b=st.text(max_size=15))
def test_comparators_are_symmetric_and_bounded(a, b):
    for name, comparator in compare.COMPARATORS.items():
        fa, fb = n.fold(a), n.fold(b)
        if fa and fb:
            value = comparator(fa, fb)
            assert value == comparator(fb, fa), name
            assert 0.0 <= value <= 1.0, name


def test_rate_cards_of_another_scope_are_other_cards():
    """Same name, currency and start date, but another legal entity or customer: not a duplicate."""
    rules = RULES["rate_card"]
    card = {"name": "Standard 2026", "currency": "EUR", "effective_from": "2026-01-01", "legal_entity_id": "le_1"}
    assert score(rules, card, dict(card))[0] == 1.0
    assert score(rules, card, card | {"legal_entity_id": "le_2"})[0] <= 0.40
    assert score(rules, card | {"customer_id": "cus_1"}, card | {"customer_id": "cus_2"})[0] <= 0.40
    assert score(rules, card, card | {"effective_from": "2027-01-01"})[0] <= 0.40


def test_a_queued_pair_keeps_its_explanation_the_way_round_of_its_ids():
    why = [{"field": "name", "left": "acme partners", "right": "acme", "similarity": 0.8}, {"field": "*", "cap": 0.9}]
    row = candidate_row(BY_NAME["customer"], "cus_B", "cus_A", 0.8, 1, why, status="pending", source="ingest",
                        at=datetime.now(UTC))  # fmt: skip
    assert (row["left_id"], row["right_id"]) == ("cus_A", "cus_B")
    assert (row["explanation"][0]["left"], row["explanation"][0]["right"]) == ("acme", "acme partners")
    assert row["explanation"][1] == {"field": "*", "cap": 0.9}
    same = candidate_row(BY_NAME["customer"], "cus_A", "cus_B", 0.8, 1, why, status="pending", source="ingest",
                         at=datetime.now(UTC))  # fmt: skip
    assert same["explanation"] == why


_ids = st.sampled_from([f"01J{n:02d}" for n in range(12)])
_keys = st.sampled_from(["tax:de1", "email:a@b", "name:acme", "ph:AKM:DE", "ph:KNS:DE", "ana:acem:DE", "zip:1010:acme"])


@settings(max_examples=300, deadline=None)
@given(blocks=st.dictionaries(_keys, st.sets(_ids, max_size=6)), keys=st.sets(_keys), limit=st.integers(1, 6))
def test_ranking_puts_an_identifier_first_then_the_most_keys_shared_then_the_smaller_id(blocks, keys, limit):
    shared = {i: sum(i in blocks.get(k, ()) for k in keys) for ids in blocks.values() for i in ids}
    strong = {i for k in keys if k.startswith(("tax:", "email:")) for i in blocks.get(k, ())}
    expected = sorted((i for i in shared if shared[i]), key=lambda i: (i not in strong, -shared[i], i))[:limit]
    assert rank(keys, blocks, limit) == expected


_word = st.sampled_from(["Acme", "Akme", "Globex", "Consulting", "Initech", "Nova"])
_company = st.builds(
    lambda words, country, tax: {"name": " ".join(words), "country": country, "tax_id": tax},
    st.lists(_word, min_size=1, max_size=3),
    st.sampled_from(["DE", "FR"]),
    st.sampled_from([None, "DE111", "DE222"]),
)


@settings(max_examples=200, deadline=None)
@given(stored=st.lists(_company, max_size=14), made=st.lists(st.tuples(_company, st.booleans()), max_size=14),
       probes=st.lists(_company, min_size=1, max_size=4))  # fmt: skip
def test_a_batch_ranks_its_own_records_as_a_fresh_read_would(stored, made, probes):
    """Ingestion keeps each record's ranking among the blocks it read and counts only what
    the batch made or changed since; that equals ranking everything afresh."""
    index = FuzzyIndex(BY_NAME["customer"])
    held: dict[str, set[str]] = {}
    for i, values in enumerate(stored):
        for k in blocking_keys(BY_NAME["customer"].blocking, values):
            held.setdefault(k, set()).add(f"A{i:03d}")
    index.blocks = {k: set(sorted(ids)[:INGEST_BLOCK_CAP]) for k, ids in held.items()}  # as the database answers
    before = [index.ranked(p) for p in probes]
    assert before == [rank(blocking_keys(BY_NAME["customer"].blocking, p), index.blocks, CANDIDATES) for p in probes]
    for i, (values, change) in enumerate(made):  # a new record, or a change to one the batch read
        index.add(f"A{i:03d}" if change and i < len(stored) else f"B{i:03d}", values, values,
                  new=not (change and i < len(stored)))  # fmt: skip
    now = {k: index.blocks.get(k, set()) | set(index.added.get(k, ())) for k in {*index.blocks, *index.added}}
    for p in probes:
        assert index.ranked(p) == rank(blocking_keys(BY_NAME["customer"].blocking, p), now, CANDIDATES)
