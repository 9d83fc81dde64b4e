"""bench/generator.py writes records the hub takes: contract v2 payloads whose identifiers
(with valid check digits, written with clerks' noise) and phones (in any format) pass the
hub's own validation; only the nameless records level 2 makes are left without a name. No
quality figure is asserted: bench/quality.py prints them."""

import random

import pytest

from bench.generator import LEVEL2, SETTINGS, customers, employees
from mdm.domains import BY_NAME
from mdm.records import service
from mdm.records.validation import normalized


@pytest.mark.parametrize("setting", ["easy", "hard"])
@pytest.mark.parametrize("level", [1, 2])
def test_every_generated_record_is_a_valid_v2_source_record(setting, level):
    for name, make in (("customer", customers), ("employee", employees)):
        domain = BY_NAME[name]
        extra = LEVEL2[setting][name] if level == 2 else None
        data = make(40, SETTINGS[setting][name], random.Random(f"test-{setting}-{level}"), extra)
        assert data.events
        for event in data.events:
            record, problems = normalized(domain, service.decode_payload(domain, event.payload))
            assert problems == [], (event.payload, problems)
            if name == "customer" and "name" not in record:
                assert level == 2
                assert event.system != "salesforce"  # only the ERP's and billing's records go nameless
                assert record.get("addresses") or record.get("identifiers") or record.get("website")


def test_level_2_customers_come_from_three_systems_in_the_order_they_were_sent():
    data = customers(60, SETTINGS["hard"]["customer"], random.Random(3), LEVEL2["hard"]["customer"])
    assert {e.system for e in data.events} == {"salesforce", "netsuite", "certinia"}
    assert [e.at for e in data.events] == sorted(e.at for e in data.events)
    assert data.ordered


def test_the_generator_is_seeded():
    one = customers(30, SETTINGS["hard"]["customer"], random.Random(5), LEVEL2["hard"]["customer"])
    two = customers(30, SETTINGS["hard"]["customer"], random.Random(5), LEVEL2["hard"]["customer"])
    assert [(e.entity, e.system, e.source_id, e.payload) for e in one.events] == [
        (e.entity, e.system, e.source_id, e.payload) for e in two.events
    ]
