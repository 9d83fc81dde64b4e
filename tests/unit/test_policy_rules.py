"""The policy engine without a database: parsing and checking, decisions, owner priority."""

import pytest

from mdm.policy.rules import Policy, PolicyError, default_policy, subjects_of


def test_the_default_policy_checks_clean_and_gives_the_issue_s_owners():
    policy = default_policy()
    assert policy.owners("customer", "name") == ("salesforce",)
    assert policy.owners("customer", "identifiers.vat") == ("netsuite", "salesforce")  # a scheme's own owner first
    assert policy.owners("customer", "identifiers.duns") == ("salesforce", "netsuite")
    assert policy.owners("customer", "currency") == ("netsuite",)
    assert policy.owners("legal_entity", "name") == ("netsuite",)
    assert policy.owners("project", "contract_value") == ("netsuite",)
    assert policy.owners("project", "billing_model") == ("certinia",)
    assert policy.owners("employee", "job_title") == ("workday",)
    assert policy.owners("employee", "cost_rate") == ("netsuite",)  # workday's * is overruled by its deny


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("q, role:reader, *, *, read, allow", "a rule starts with 'p'"),
        ("p, role:reader, *, *, read", "a rule is 'p, subject, domain, field, action, effect' (4 values given)"),
        ("p, role:boss, *, *, read, allow", "subject 'role:boss' is not system:<code>, user:<name> or role:<"),
        ("p, system:Sales Force, *, *, read, allow", "subject 'system:Sales Force' is not"),
        ("p, role:reader, invoice, *, read, allow", "unknown domain 'invoice'"),
        ("p, role:reader, customer, cost_rate, read, allow", "'cost_rate' is not a field of customer"),
        ("p, role:reader, *, shoe_size, read, allow", "'shoe_size' is not a field of any domain"),
        ("p, role:reader, *, *, delete, allow", "unknown action 'delete'"),
        ("p, role:steward, customer, name, merge, allow", "merge is about whole records; its field must be *"),
        ("p, role:reader, *, *, read, maybe", "unknown effect 'maybe'"),
    ],
)
def test_each_bad_line_is_named(line, message):
    text = "# a comment\n\np, role:reader, *, *, read, allow\n" + line + "\n"
    with pytest.raises(PolicyError) as err:
        Policy(text)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith(f"line 4: {message}")


def test_a_repeated_rule_is_an_error_and_all_errors_are_reported():
    with pytest.raises(PolicyError) as err:
        Policy("p, role:reader, *, *, read, allow\np, role:reader, *, *, read, allow\np, x, *, *, read, allow\n")
    assert err.value.problems[0] == "line 2: repeats line 1"
    assert err.value.problems[1].startswith("line 3: subject 'x'")


def test_deny_by_default_and_deny_beats_allow_within_a_subject():
    policy = Policy("p, role:reader, *, *, read, allow\np, role:reader, employee, cost_rate, read, deny\n"
                    "p, role:finance, *, *, read, allow\n")  # fmt: skip
    reader = subjects_of("user:ann", {"reader"})
    assert policy.allows(reader, "employee", "given_name", "read")
    assert not policy.allows(reader, "employee", "cost_rate", "read")
    assert not policy.allows(reader, "employee", "given_name", "write")  # nothing says so
    both = subjects_of("user:ann", {"reader", "finance"})
    assert policy.allows(both, "employee", "cost_rate", "read")  # another of her roles allows it
    decision = policy.explain(reader, "employee", "cost_rate", "read")
    assert (decision.allowed, decision.subject, decision.rule.line) == (False, "role:reader", 2)
    assert policy.readable(reader, "employee") == frozenset(policy.readable(both, "employee")) - {"cost_rate"}


def test_owner_priority_is_the_order_of_lines_and_only_systems_own():
    text = ("p, system:b, customer, name, write, allow\np, role:steward, *, *, write, allow\n"
            "p, system:a, customer, *, write, allow\n")  # fmt: skip
    policy = Policy(text)
    assert policy.owners("customer", "name") == ("b", "a")
    assert policy.owners("customer", "website") == ("a",)
    assert policy.owners("project", "name") == ()


def test_casbin_parses_its_matcher_once_not_on_every_decision(monkeypatch):
    """A parse on every call raced Litestar's logging thread on CPython 3.11 (SystemError
    "AST constructor recursion depth mismatch", a 500): after the first policy, none."""
    import ast

    Policy(default_policy().text).decide("role:steward", "customer", "name", "read")  # parsed once here
    parses = []
    with monkeypatch.context() as patched:
        patched.setattr(ast, "parse", lambda *args, **kwargs: parses.append(args))
        policy = Policy(default_policy().text)
        allowed = policy.decide("role:steward", "customer", "name", "read").allowed
        denied = policy.decide("role:reader", "customer", "name", "write").allowed
    assert parses == []
    assert allowed
    assert not denied


def test_a_source_owns_contributes_or_is_refused_each_field_it_sends():
    policy = default_policy()
    assert policy.source_right("salesforce", "customer", "name") == "own"
    assert policy.source_right("netsuite", "customer", "name") == "contribute"  # no line
    assert policy.source_right("workday", "employee", "cost_rate") == "refuse"  # a write deny
    assert policy.source_right("workday", "employee", "job_title") == "own"


def test_contributions_fill_a_gap_unless_a_fill_deny_line_says_no():
    assert default_policy().fills("netsuite", "customer", "name")
    policy = Policy(default_policy().text + "p, system:netsuite, customer, name, fill, deny\n")
    assert not policy.fills("netsuite", "customer", "name")
    assert policy.fills("netsuite", "customer", "website")
    assert policy.fills("certinia", "customer", "name")
    assert policy.fills_of("customer")("netsuite", "name") is False
