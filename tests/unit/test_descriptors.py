"""The descriptors and the hand-written contracts must describe the same fields."""

import msgspec
import pytest

from mdm.domains import BY_PREFIX, DOMAINS, ExclusiveRange

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


# ---- the registry's checks: a descriptor missing a part fails at import, naming it -------


def _vendor(**changes):
    from dataclasses import replace

    from tests.extension.vendor import DOMAIN

    return replace(DOMAIN, **changes)


def _problems(descriptor) -> str:
    from mdm.domains.checks import DescriptorError, check

    with pytest.raises(DescriptorError) as caught:
        check([*DOMAINS, descriptor])
    return str(caught.value)


def test_a_complete_seventh_descriptor_passes_the_checks():
    from mdm.domains.checks import check

    check([*DOMAINS, _vendor()])


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"blocking": None}, "declares no blocking keys"),
        ({"match": ""}, "declares no match rules"),
        (
            {"match": "version = 1\nprior = 0.001\nauto_link = 0.99\nreview = 0.5\ncomparison = []"},
            "name at least one comparison",
        ),
        ({"policy": ""}, "declares no seed policy lines"),
        ({"policy": "p, system:netsuite, vendor, *, write, allow"}, "lets no system create it"),
        ({"policy": "p, system:netsuite, vendor, iban, write, allow"}, "names 'iban', which is not a field"),
        ({"policy": "p, system:netsuite, vendor, *, create, alow"}, "unknown effect 'alow'"),
        ({"policy": "p, sys:sap, vendor, *, create, allow"}, "subject 'sys:sap' is not system:<code>"),
        ({"policy": "p, system:sap, vendor, name, create, allow"}, "create is about whole records"),
        ({"policy": "p, role:steward, vendor, *, create, allow"}, "lets no system create it"),
        ({"prefix": "ven2"}, "prefix 'ven2' must be two or three lower-case letters"),
        ({"exclusive_ranges": (ExclusiveRange(("nme",), "start", "name"),)}, "exclusive range scope 'nme'"),
    ],
    ids=[
        "blocking",
        "match",
        "rules",
        "policy",
        "create",
        "policy-field",
        "effect",
        "subject",
        "record-action",
        "role-only",
        "prefix",
        "exclusive-range",
    ],
)
def test_a_descriptor_missing_what_matching_or_policy_needs_is_refused_by_name(changes, said):
    """Each a mistake that would otherwise surface as a 500 or a policy that no longer parses."""
    from mdm.domains.descriptor import UNDECLARED

    if changes.get("blocking", 0) is None:
        changes["blocking"] = UNDECLARED
    message = _problems(_vendor(**changes))
    assert "domain 'vendor'" in message
    assert said in message


def test_contracts_are_held_against_the_descriptor_by_type_and_optionality():
    from msgspec import Struct

    from tests.extension import vendor

    class LooseCreate(Struct, kw_only=True, forbid_unknown_fields=True):  # name optional, country an int
        name: str | None = None
        tax_id: str | None = None
        country: int | None = None
        website: str | None = None
        parent_id: str | None = None
        status: vendor.VendorStatus | None = None

    message = _problems(_vendor(create=LooseCreate))
    assert "LooseCreate.name is not required; the descriptor says required" in message
    assert "LooseCreate.country is IntType, expected str for a country field" in message
    assert "LooseCreate.name takes null" in message


def test_an_unknown_reference_and_a_taken_prefix_are_refused():
    from mdm.domains.descriptor import ref

    fields = (*_vendor().fields, ref("buyer_id", "buyer"))
    message = _problems(_vendor(prefix="cus", fields=fields))
    assert "prefix 'cus' is also that of domain 'customer'" in message
    assert "refers to unknown domain 'buyer'" in message


def test_a_broken_descriptor_module_fails_mdm_at_import(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "broken_vendor.py").write_text(
        "from dataclasses import replace\nfrom tests.extension import vendor\n"
        "DOMAIN = replace(vendor.DOMAIN, match='')\n"
    )
    env = {**os.environ, "MDM_DOMAIN_MODULES": "broken_vendor",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()])}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", "import mdm.app"], capture_output=True, text=True, env=env)
    assert done.returncode != 0
    assert "domain 'vendor': declares no match rules" in done.stderr
