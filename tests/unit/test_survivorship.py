"""Survivorship: override, then owners in priority order, then recency, then default."""

from datetime import UTC, datetime, timedelta

from mdm.domains import BY_NAME
from mdm.policy.rules import default_policy
from mdm.records.survivorship import SourceView, survive

CUSTOMER = BY_NAME["customer"]
OWNERS = default_policy().owners_of("customer")  # name: salesforce; country: netsuite, then salesforce
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def src(system, minutes, **payload):
    return SourceView(system, f"{system}-1", T0 + timedelta(minutes=minutes), payload)


def test_owner_beats_a_more_recent_non_owner():
    values, lineage = survive(
        CUSTOMER, [src("salesforce", 0, name="Acme"), src("netsuite", 5, name="ACME GmbH")], {}, OWNERS
    )
    assert values["name"] == "Acme"
    assert lineage["name"]["rule"] == "owner_priority"
    assert lineage["name"]["system"] == "salesforce"


def test_owner_priority_order_decides_between_owners():
    # country owners: netsuite first, then salesforce
    values, lineage = survive(
        CUSTOMER, [src("salesforce", 9, country="FR"), src("netsuite", 0, country="DE")], {}, OWNERS
    )
    assert values["country"] == "DE"
    assert lineage["country"]["system"] == "netsuite"


def test_a_contributed_value_fills_a_field_no_owner_has_unless_the_policy_says_no():
    sources = [src("certinia", 0, name="Old"), src("workday", 3, name="New")]
    values, lineage = survive(CUSTOMER, sources, {}, OWNERS)
    assert values["name"] == "New"
    assert (lineage["name"]["rule"], lineage["name"]["system"]) == ("contributed", "workday")
    values, lineage = survive(CUSTOMER, sources, {}, OWNERS, lambda system, field: system != "workday")
    assert (values["name"], lineage["name"]["system"]) == ("Old", "certinia")
    values, lineage = survive(CUSTOMER, sources, {}, OWNERS, lambda system, field: False)
    assert values["name"] is None
    assert "name" not in lineage


def test_an_owner_value_beats_a_newer_contribution_and_the_hub_beats_contributions():
    sources = [src("salesforce", 0, name="Owned"), src("netsuite", 3, name="Contributed")]
    values, lineage = survive(CUSTOMER, sources, {}, OWNERS)
    assert (values["name"], lineage["name"]["rule"]) == ("Owned", "owner_priority")
    values, lineage = survive(CUSTOMER, [src("mdm", 0, industry="Hub"), src("netsuite", 3, industry="X")], {}, OWNERS)
    assert (values["industry"], lineage["industry"]["rule"]) == ("Hub", "most_recent")


def test_override_wins_until_cleared():
    sources = [src("salesforce", 0, name="Acme")]
    override = {"name": {"value": "Acme Group", "by": "user:sam", "at": T0.isoformat()}}
    values, lineage = survive(CUSTOMER, sources, override, OWNERS)
    assert values["name"] == "Acme Group"
    assert lineage["name"]["rule"] == "override"
    values, _ = survive(CUSTOMER, sources, {}, OWNERS)
    assert values["name"] == "Acme"


def test_status_defaults_and_absent_fields_are_empty():
    values, lineage = survive(CUSTOMER, [src("salesforce", 0, name="Acme")], {}, OWNERS)
    assert values["status"] == "active"
    assert lineage["status"]["rule"] == "default"
    assert values["website"] is None
    assert "website" not in lineage
