"""The descriptors and the hand-written contracts must describe the same fields."""

import msgspec
import pytest

from mdm.domains import BY_PREFIX, DOMAINS

KNOWN_SYSTEMS = {"salesforce", "certinia", "netsuite", "workday"}
BASE = {"id", "version", "status", "created_at", "updated_at", "overrides"}


def _names(struct: type) -> set[str]:
    return {f.name for f in msgspec.structs.fields(struct)}


@pytest.mark.parametrize("domain", DOMAINS, ids=lambda d: d.name)
def test_contracts_match_descriptor(domain):
    fields = set(domain.field_names)
    assert _names(domain.create) == fields
    assert _names(domain.source) == fields
    assert all(f.default is None for f in msgspec.structs.fields(domain.source))  # a source sends what it holds
    assert _names(domain.patch) == fields | {"overrides_cleared"}
    assert _names(domain.read) == fields | BASE


@pytest.mark.parametrize("domain", DOMAINS, ids=lambda d: d.name)
def test_keys_and_references_are_consistent(domain):
    names = set(domain.field_names)
    for key in domain.keys:
        assert set(key.fields) <= names
    for f in domain.references:
        assert any(d.name == f.ref for d in DOMAINS), f"{domain.name}.{f.name} points at unknown {f.ref}"
    for f in domain.fields:
        if f.kind == "enum":
            assert f.choices
    for start, end in domain.date_ranges:
        assert domain.field(start).kind == domain.field(end).kind == "date"
    assert domain.status_default in domain.statuses


def test_prefixes_and_paths_are_unique():
    assert len(BY_PREFIX) == len(DOMAINS)
    assert len({d.path for d in DOMAINS}) == len(DOMAINS)
    for d in DOMAINS:
        new_id = d.new_id()
        assert new_id.startswith(d.prefix + "_")
        assert len(new_id) == len(d.prefix) + 27
        assert new_id != d.new_id()
