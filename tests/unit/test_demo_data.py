"""The demo estate's generator: deterministic, the promised sizes, and consistent enough to load with no rejects."""

import itertools
from collections import Counter
from datetime import date
from typing import Any

import pytest

from mdm.demo import TARGETS, DemoEstate, SourceRecord, SourceRef, generate, tables, target_sizes
from mdm.domains import BY_NAME
from mdm.records.service import decode_payload
from mdm.records.validation import normalized
from mdm.records.workspace import identifier_links

SMALL = 0.05


@pytest.fixture(scope="module")
def small() -> DemoEstate:
    return generate(7, SMALL)


@pytest.fixture(scope="module")
def full() -> DemoEstate:
    return generate(7, 1.0)


def placeholder_id(ref: SourceRef) -> str:
    """A canonical-looking id of the referenced domain, standing in for the one the hub would give."""
    return f"{BY_NAME[ref.domain].prefix}_{'0' * 26}"


def with_placeholders(record: SourceRecord) -> dict[str, Any]:
    return {k: placeholder_id(v) if isinstance(v, SourceRef) else v for k, v in record.payload.items()}


def without_nulls(value: Any) -> Any:
    """Nulls carry no value: decode_payload drops them at any depth."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value


def test_the_data_files_fit_together() -> None:
    """What a person edits in mdm/demo/data/ must agree across files, or generation fails."""
    assert any(e.delivers for e in tables.ENTITIES)
    for entity in tables.ENTITIES:
        assert entity.country in tables.COUNTRIES, entity.name
    for country in tables.COUNTRIES.values():
        assert all((country.cities, country.streets, country.forms)), country.code
        assert country.currency in tables.CURRENCY_FACTORS, country.code
        assert set(country.cultures) <= set(tables.NAMES), country.code
        assert set(country.forms) <= set(tables.FORM_SPELLINGS), country.code
    assert all(given and family for given, family in tables.NAMES.values())
    assert tables.COST_CENTERS[0][2] is None  # the chart's root, which each entity's lead owns
    assert set(tables.CLOSED_CODES) | tables.GROUP_CODES | tables.DELIVERY_CODES <= {
        c for c, _, _ in tables.COST_CENTERS
    }
    assert len(tables.TITLES) == len(tables.MANAGER_GRADES) == len(tables.DAY_COST) == len(tables.DAY_RATES_EUR)
    assert all(g < grade for grade, managers in enumerate(tables.MANAGER_GRADES) for g in managers)
    assert set(tables.RATE_CARD_MODELS) <= set(tables.BILLING_MODELS)


def test_a_seed_always_gives_the_same_estate(small: DemoEstate) -> None:
    assert generate(7, SMALL) == small
    assert generate(8, SMALL) != small


def test_sizes_follow_the_scale(small: DemoEstate, full: DemoEstate) -> None:
    assert full.expected == TARGETS
    assert small.expected == target_sizes(SMALL)
    assert small.expected == {
        "legal_entity": 2, "cost_center": 10, "employee": 250, "customer": 100, "rate_card": 3, "project": 150,
    }  # fmt: skip


def test_every_reference_points_at_a_record_of_its_domain_from_an_earlier_step(full: DemoEstate) -> None:
    earlier: set[SourceRef] = set()
    for step in full.steps:
        domain = BY_NAME[step.domain]
        for record in step.records:
            assert (record.domain, record.system) == (step.domain, step.system)
            for f in domain.references:
                value = record.payload.get(f.name)
                if value is None:
                    continue
                assert isinstance(value, SourceRef), f"{record.source_id}.{f.name} is not a SourceRef"
                assert value.domain == f.ref
                assert value in earlier, f"{step.domain} {record.source_id}.{f.name} points forward"
        earlier |= {r.ref for r in step.records}


def test_payloads_fit_the_create_contracts_as_they_are(small: DemoEstate) -> None:
    for step in small.steps:
        domain = BY_NAME[step.domain]
        for record in step.records:
            payload = with_placeholders(record)
            assert without_nulls(decode_payload(domain, payload)) == payload  # already canonical builtins
            # codes, e-mails, money, date ranges; identifiers pass their check digits, phones are E.164
            assert normalized(domain, payload) == (payload, [])


def test_unique_keys_are_unique(full: DemoEstate) -> None:
    psa_codes = [r.payload["code"] for r in full.records("project") if r.system == "certinia"]
    erp_codes = [r.payload["code"] for r in full.records("project") if r.system == "netsuite"]
    assert len(set(psa_codes)) == len(psa_codes) == full.expected["project"]
    assert len(set(erp_codes)) == len(erp_codes)
    assert set(erp_codes) <= set(psa_codes)
    numbers = [r.payload["employee_number"] for r in full.records("employee") if r.system == "workday"]
    assert len(set(numbers)) == len(numbers)
    erp_numbers = [r.payload["employee_number"] for r in full.records("employee") if r.system == "netsuite"]
    assert len(set(erp_numbers)) == len(erp_numbers)
    assert set(erp_numbers) <= set(numbers)
    first_pass = [s for s in full.steps if s.domain == "cost_center" and s.label != "owners"]
    codes = [(r.payload["code"], r.payload["legal_entity_id"]) for s in first_pass for r in s.records]
    assert len(set(codes)) == len(codes) == full.expected["cost_center"]
    ids = Counter((r.domain, r.system, r.source_id) for s in full.steps if s.label != "owners" for r in s.records)
    assert ids.most_common(1)[0][1] == 1


def test_date_ranges_are_ordered_and_cards_of_one_scope_never_overlap(full: DemoEstate) -> None:
    for domain in BY_NAME.values():
        for record in full.records(domain.name):
            for first, last in domain.date_ranges:
                if first in record.payload and last in record.payload:
                    assert record.payload[last] >= record.payload[first]
    by_scope: dict[tuple[Any, ...], list[tuple[date, date]]] = {}
    for r in full.records("rate_card"):
        scope = tuple(r.payload.get(n) for n in ("name", "customer_id", "legal_entity_id", "currency"))
        end = date.fromisoformat(r.payload.get("effective_to", "9999-12-31"))
        by_scope.setdefault(scope, []).append((date.fromisoformat(r.payload["effective_from"]), end))
    for periods in by_scope.values():
        periods.sort()
        assert all(a[1] < b[0] for a, b in itertools.pairwise(periods))


def test_near_duplicates_are_planted(full: DemoEstate) -> None:
    records = {r.ref: r for s in full.steps for r in s.records}
    assert len(full.customer_duplicates) >= 0.05 * full.expected["customer"]
    for original, duplicate in full.customer_duplicates:
        a, b = records[original].payload, records[duplicate].payload
        assert duplicate.system == "salesforce"
        assert "identifiers" not in b
        assert b["name"] != a["name"]
        assert b["country"] == a["country"]
    assert full.employee_duplicates
    for original, duplicate in full.employee_duplicates:
        a, b = records[original].payload, records[duplicate].payload
        assert b["email"] == a["email"]
        assert b["employee_number"] != a["employee_number"]
        assert b["name"] != a["name"]


def test_deterministic_keys_link_exactly_the_records_meant_to_be_one(full: DemoEstate) -> None:
    """Link the estate as ingestion does (crosswalk, then each key in order, then linking
    identifiers) and count golden records."""
    for name, expected in full.expected.items():
        domain = BY_NAME[name]
        golden_of: dict[tuple[str, str], int] = {}
        owner_of: dict[tuple[Any, ...], int] = {}
        goldens = 0
        for record in full.records(name):
            keys = [(k.fields, v) for k in domain.keys if (v := k.values(record.payload)) is not None]
            keys += [(("identifiers",), link) for link in identifier_links(domain, record.payload)]
            golden = golden_of.get((record.system, record.source_id))
            if golden is None:
                golden = next((owner_of[k] for k in keys if k in owner_of), None)
            if golden is None:
                golden, goldens = goldens, goldens + 1
            golden_of[(record.system, record.source_id)] = golden
            for k in keys:
                assert owner_of.setdefault(k, golden) == golden, f"{name} {record.source_id}: key {k} already taken"
        assert goldens == expected, name
