"""The edit-right policy: parsed, checked against the domain descriptors, and decided by casbin.

A policy is casbin CSV (`p, subject, domain, field, action, effect`) read with
`model.conf`. Every decision is memoized per policy object: a policy never changes in
place (a change makes a new `Policy`), so its cached decisions can never go stale.
Survivorship's owner priority is read from the same rules: the systems allowed to write
a field, in the order the policy lists them.
"""

from __future__ import annotations

import ast
import csv
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import casbin  # type: ignore[import-untyped]
from casbin.model import Model  # type: ignore[import-untyped]
from casbin.util.expression import SimpleEval  # type: ignore[import-untyped]

from mdm.domains import BY_NAME, DOMAINS
from mdm.policy.vocabulary import word_problems

HERE = Path(__file__).parent
MODEL_TEXT = (HERE / "model.conf").read_text()


def _default_text() -> str:
    """The policy a new hub starts with: default.csv's header, each descriptor's lines, then
    default.csv's lines for people (roles)."""
    header, people = (HERE / "default.csv").read_text().split("# ---- people", 1)
    return header + "".join(d.policy.strip() + "\n\n" for d in DOMAINS) + "# ---- people" + people


DEFAULT_TEXT = _default_text()

ALL_FIELDS = frozenset(n for d in DOMAINS for n in d.policy_fields)


class PolicyError(ValueError):
    """A policy text that cannot be adopted; each problem names its line."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Rule:
    line: int
    subject: str
    domain: str
    field: str
    action: str
    effect: str

    @property
    def tokens(self) -> tuple[str, str, str, str, str]:
        return (self.subject, self.domain, self.field, self.action, self.effect)

    @property
    def text(self) -> str:
        return "p, " + ", ".join(self.tokens)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    subject: str | None  # the caller's subject the deciding rule names
    rule: Rule | None  # None: no rule allows it (deny by default)


def _check(line: int, tokens: list[str]) -> list[str]:
    where = f"line {line}"
    if not tokens or tokens[0] != "p":
        return [f"{where}: a rule starts with 'p' (got '{tokens[0] if tokens else ''}')"]
    if len(tokens) != 6:
        return [f"{where}: a rule is 'p, subject, domain, field, action, effect' ({len(tokens) - 1} values given)"]
    _, subject, domain, field, action, effect = tokens
    problems = [f"{where}: {p}" for p in word_problems(subject, field, action, effect)]
    if domain != "*" and domain not in BY_NAME:
        problems.append(f"{where}: unknown domain '{domain}' (one of {', '.join(BY_NAME)}, or *)")
    elif field != "*":
        known = ALL_FIELDS if domain == "*" else set(BY_NAME[domain].policy_fields)
        if field not in known:
            problems.append(f"{where}: '{field}' is not a field of {'any domain' if domain == '*' else domain}")
    return problems


def parse(text: str) -> list[Rule]:
    """The rules of a policy text, or a PolicyError naming every bad line."""
    rules: list[Rule] = []
    problems: list[str] = []
    seen: dict[tuple[str, ...], int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        tokens = [t.strip() for t in next(csv.reader([raw], skipinitialspace=True))]
        found = _check(number, tokens)
        if found:
            problems += found
            continue
        rule = Rule(number, *tokens[1:])
        if rule.tokens in seen:
            problems.append(f"line {number}: repeats line {seen[rule.tokens]}")
            continue
        seen[rule.tokens] = number
        rules.append(rule)
    if problems:
        raise PolicyError(problems)
    return rules


def subjects_of(principal: str, roles: frozenset[str] | set[str] | tuple[str, ...]) -> tuple[str, ...]:
    """What a caller is in the policy's terms: its principal and each of its roles."""
    return (principal, *sorted(f"role:{r}" for r in roles))


class _Enforcer(casbin.Enforcer):  # type: ignore[misc]
    """casbin's enforcer, parsing its matcher once instead of on every call.

    casbin parses the matcher (`ast.parse`) on every enforce. CPython 3.11's AST
    constructor keeps its recursion depth per interpreter, not per thread, so a parse
    that races one in another thread fails with SystemError "AST constructor recursion
    depth mismatch", and a request with it answered 500: Litestar's logging thread parses
    too, whenever it formats a traceback (3.11's carets). Here each matcher is parsed
    once per process, under a lock, and every call reuses the tree (evaluation only
    reads it)."""

    _parsed: dict[str, ast.expr] = {}
    _lock = threading.Lock()

    @staticmethod
    def _get_expression(expr: str, functions: dict[str, object] | None = None) -> SimpleEval:
        expr = re.sub(r"!(?!=)", "not ", expr.replace("&&", "and").replace("||", "or"))  # as casbin does
        tree = _Enforcer._parsed.get(expr)
        if tree is None:
            with _Enforcer._lock:
                tree = _Enforcer._parsed.setdefault(expr, ast.parse(expr.strip()).body[0].value)  # type: ignore[attr-defined]
        found = SimpleEval("", functions)  # "" parses nothing
        found.expr, found.ast_parsed_value = expr, tree
        return found


class Policy:
    """One adopted policy text (immutable) with memoized decisions."""

    def __init__(self, text: str, version: int = 0):
        self.text = text
        self.version = version
        self.rules = parse(text)
        model = Model()
        model.load_model_from_text(MODEL_TEXT)
        self._enforcer = _Enforcer(model)
        if self.rules:
            self._enforcer.add_policies([list(r.tokens) for r in self.rules])
        self._by_tokens = {r.tokens: r for r in self.rules}
        self._decisions: dict[tuple[str, str, str, str], Decision] = {}
        self._readable: dict[tuple[tuple[str, ...], str], frozenset[str]] = {}
        self._owners: dict[str, dict[str, tuple[str, ...]]] = {}  # domain -> field -> systems

    def decide(self, subject: str, domain: str, field: str, action: str) -> Decision:
        """casbin's answer for one subject, memoized (a casbin call costs about 0.1 ms)."""
        key = (subject, domain, field, action)
        found = self._decisions.get(key)
        if found is None:
            allowed, explain = self._enforcer.enforce_ex(subject, domain, field, action)
            rule = self._by_tokens.get(tuple(explain)) if explain else None
            if not allowed and rule is None:  # casbin names no rule for a deny: find the deny line
                rule = next(
                    (
                        r
                        for r in self.rules
                        if r.effect == "deny"
                        and r.subject == subject
                        and r.action == action
                        and r.domain in ("*", domain)
                        and _covers(r.field, field)
                    ),
                    None,
                )
            found = self._decisions[key] = Decision(bool(allowed), subject if rule else None, rule)
        return found

    def explain(self, subjects: tuple[str, ...], domain: str, field: str, action: str) -> Decision:
        """Allowed when any of the caller's subjects is; the rule that decided it."""
        denied: Decision | None = None
        for subject in subjects:
            decision = self.decide(subject, domain, field, action)
            if decision.allowed:
                return decision
            if decision.rule is not None and denied is None:
                denied = decision
        return denied or Decision(False, None, None)

    def allows(self, subjects: tuple[str, ...], domain: str, field: str, action: str) -> bool:
        return any(self.decide(s, domain, field, action).allowed for s in subjects)

    def readable(self, subjects: tuple[str, ...], domain: str) -> frozenset[str]:
        """The fields of a domain these subjects may read (memoized: the read hot path)."""
        key = (subjects, domain)
        found = self._readable.get(key)
        if found is None:
            names = BY_NAME[domain].field_names
            found = self._readable[key] = frozenset(n for n in names if self.allows(subjects, domain, n, "read"))
        return found

    def owners(self, domain: str, field: str) -> tuple[str, ...]:
        """Systems that may write this field, in the order the policy lists them."""
        return self.owners_of(domain).get(field, ())

    def owners_of(self, domain: str) -> dict[str, tuple[str, ...]]:
        """Owner priority of every policy field of a domain (what survivorship takes); worked
        out once per domain a process asks about (a casbin decision costs up to 2 ms)."""
        found = self._owners.get(domain)
        if found is None:
            found = self._owners[domain] = {name: self._owners_of_field(domain, name)
                                            for name in BY_NAME[domain].policy_fields}  # fmt: skip
        return found

    def _owners_of_field(self, domain: str, name: str) -> tuple[str, ...]:
        systems: list[str] = []
        for r in self.rules:
            if (
                r.subject.startswith("system:")
                and r.action == "write"
                and r.effect == "allow"
                and r.domain in ("*", domain)
                and _covers(r.field, name)
                and (system := r.subject.removeprefix("system:")) not in systems
                and self.decide(r.subject, domain, name, "write").allowed
            ):
                systems.append(system)
        return tuple(systems)

    def source_right(self, system: str, domain: str, field: str) -> str:
        """What a source system's record does with a field it sends: `own` it (a write
        allow: it competes in survivorship), `refuse` it (a write deny: the whole write is
        refused, nothing stored), else `contribute` it (kept in the source record, matched
        on, shown in lineage as not authoritative, chosen only as `fills` allows)."""
        decision = self.decide(f"system:{system}", domain, field, "write")
        return "own" if decision.allowed else "refuse" if decision.rule is not None else "contribute"

    def fills(self, system: str, domain: str, field: str) -> bool:
        """May a system's contributed value fill a golden field no owner has a value for?
        Yes unless a `fill, deny` line says no (a `fill, allow` line is the default, written out)."""
        decision = self.decide(f"system:{system}", domain, field, "fill")
        return decision.allowed or decision.rule is None

    def fills_of(self, domain: str) -> Callable[[str, str], bool]:
        """`fills` of one domain, as survivorship asks it: (system, field)."""
        return lambda system, field: self.fills(system, domain, field)

    def grantees(self, domain: str, field: str, action: str) -> list[str]:
        """Every subject the policy allows this (for error messages and explain)."""
        subjects = dict.fromkeys(r.subject for r in self.rules if r.action == action)
        return [s for s in subjects if self.decide(s, domain, field, action).allowed]


def _covers(rule_field: str, field: str) -> bool:
    """A rule's field covers a field: `*`, itself, or its whole (`identifiers` covers
    `identifiers.vat`), as model.conf's matcher says."""
    return rule_field in ("*", field) or field.startswith(f"{rule_field}.")


def default_policy() -> Policy:
    return Policy(DEFAULT_TEXT, 0)
