"""Match rules as data, one table per domain (TOML): what to compare, how, how much it
weighs, which evidence is strong, and the thresholds. Each descriptor declares its default
table (`Domain.match`); a deployment's file (MDM_MATCH_RULES) may override any of them.
Versioned, so every decision can name the rules that made it; a table is checked against
its domain's descriptor when it is read, and `mdm match impact` compares two rule sets
before a change ships. Pure: descriptors are passed in, never looked up here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from mdm.matching import normalize as n
from mdm.matching.compare import COMPARATORS

Record = dict[str, Any]
Extract = Callable[[Record], str | None]
# a record as scoring sees it: each compared field's and each evidence's normalized value, in
# rule order; extracted once per record, however many pairs it is scored in
Features = tuple[tuple[str | None, ...], tuple[str | None, ...]]
if TYPE_CHECKING:
    from mdm.domains.descriptor import Domain

# what a rules file says on top; `mdm match rules show` prints it before the tables
HEADER = """\
# Match rules: one table per domain. Each `compare` field adds its similarity, weighted,
# to a mean over the fields both records have; each `evidence` identifier decides on its
# own (the same value lifts the score to `same_floor`, two different ones cap it at
# `different_cap`). A record at or above `auto_link` joins the golden record it matches;
# between `review` and `auto_link` it is made and queued for stewards.
#
#   fields      record fields to read, first present wins; "name.family" reads a part; in a
#               list, "identifiers.duns" reads the value of the duns identifier and
#               "addresses.billing.line1" (or "addresses.*.line1", the first) an element's part
#   normalize   fold, text, company_name, website, street, postcode, email, family_name,
#               given_name, tax_id (strips the record's country prefix), identifier
#   comparator  exact, token_set, jaro_winkler, partial, given_name
#   required    without it on both sides a pair scores 0
#   link_min    a similarity below this keeps the pair below auto_link (to review)
#   link_weight the weight that must be compared for a score to reach auto_link
#   different_if  "same_domain": an e-mail evidence caps only two addresses at one domain
#
# Change `version` with every change: each decision names the version that made it.
# `mdm match rules check FILE` validates a file; `mdm match impact DOMAIN --rules FILE`
# answers what a change would do before it ships; MDM_MATCH_RULES=FILE puts a file's
# tables in force in place of the descriptors' defaults.
"""


def _text(value: Any, record: Record) -> str | None:
    """Ids and dates as they are: compared exactly."""
    return None if value is None or value == "" else str(value)


def _plain(normalizer: Callable[[Any], str | None]) -> Callable[[Any, Record], str | None]:
    return lambda value, record: normalizer(value) if isinstance(value, str) else None


NORMALIZERS: dict[str, Callable[[Any, Record], str | None]] = {
    "text": _text,
    "fold": _plain(n.fold),
    "company_name": _plain(n.company_name),
    "website": _plain(n.website_domain),
    "street": _plain(n.street),
    "postcode": _plain(n.postcode),
    "email": _plain(n.email),
    "family_name": _plain(n.family_name),
    "given_name": _plain(n.given_name),
    "tax_id": lambda value, record: n.tax_id(value, record.get("country")) if isinstance(value, str) else None,
    "identifier": _plain(n.tax_id),
}


class RuleError(ValueError):
    """A rules file that cannot be used; the message names the place and the reason."""


# ---- the file's shape ---------------------------------------------------------------------------


class CompareSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str
    fields: list[str]
    normalize: str
    comparator: str
    weight: float
    required: bool = False
    link_min: float | None = None


class EvidenceSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str
    fields: list[str]
    normalize: str
    same_floor: float | None = None
    different_cap: float | None = None
    # "same_domain": two e-mail addresses cap only when they share a domain (two work
    # addresses of one firm are two people; a private and a work address say little)
    different_if: Literal["any", "same_domain"] = "any"


class DomainSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    version: int
    compare: list[CompareSpec]
    evidence: list[EvidenceSpec] = []
    auto_link: float = 0.92
    review: float = 0.75
    link_weight: float = 0.7


# ---- what scoring uses ----------------------------------------------------------------------------


def _part(value: Any, path: tuple[str, ...]) -> Any:
    """A part of a field value: a key of an object; in a list, the element whose scheme or
    kind is the step ("*": the first), then its `value` for an identifier."""
    for step in path:
        if isinstance(value, list):
            value = next((e for e in value if step == "*" or step in (e.get("scheme"), e.get("kind"))), None)
            if value is not None and "scheme" in value and path[-1] == step:
                value = value.get("value")
        elif isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


def _reader(paths: tuple[str, ...], normalizer: Callable[[Any, Record], str | None]) -> Extract:
    """The first of `paths` with a value, normalized ("name.family" reads a part)."""
    steps = tuple((top, tuple(part.split(".")) if part else ()) for top, _, part in (p.partition(".") for p in paths))

    def extract(record: Record) -> str | None:
        for top, part in steps:
            value = _part(record.get(top), part) if part else record.get(top)
            if value is not None and value != "":
                return normalizer(value, record)
        return None

    return extract


@dataclass(frozen=True, slots=True)
class Comparison:
    """One compared field: `extract` normalizes it out of a record."""

    name: str
    extract: Extract
    comparator: str  # a key of mdm.matching.compare.COMPARATORS
    weight: float
    required: bool = False  # without it on both sides, the pair scores 0
    fields: tuple[str, ...] = ()  # the record fields it reads (for read rights)
    link_min: float | None = None  # compared, a similarity below it keeps the pair below auto_link

    @property
    def reads(self) -> tuple[str, ...]:
        return self.fields or (self.name,)


@dataclass(frozen=True, slots=True)
class Evidence:
    """An identifier that decides on its own: the same value pulls the score up to at
    least `same_floor`; two different values both present cap it at `different_cap`
    (with `same_domain`, only two addresses at one domain)."""

    name: str
    extract: Extract
    same_floor: float | None = None
    different_cap: float | None = None
    fields: tuple[str, ...] = ()
    same_domain: bool = False

    def differs(self, a: str, b: str) -> bool:
        """Two present values that count as different for `different_cap`."""
        return a != b and (not self.same_domain or a.rpartition("@")[2] == b.rpartition("@")[2])

    @property
    def reads(self) -> tuple[str, ...]:
        return self.fields or (self.name,)


@dataclass(frozen=True, slots=True, eq=False)  # one rule set is itself: hashed by identity, a cache key
class MatchRules:
    domain: str
    version: int
    comparisons: tuple[Comparison, ...]
    evidence: tuple[Evidence, ...] = ()
    auto_link: float = 0.92
    review: float = 0.75
    # weight that must be compared (both sides present) for a score to reach auto_link;
    # a name and a country alone never link automatically, however alike
    link_weight: float = 0.7

    def features(self, record: Record) -> Features:
        return tuple(c.extract(record) for c in self.comparisons), tuple(e.extract(record) for e in self.evidence)

    @property
    def fields(self) -> tuple[str, ...]:
        """The record fields these rules read, in rule order."""
        reads = [name for c in self.comparisons for name in c.reads] + [name for e in self.evidence for name in e.reads]
        return tuple(dict.fromkeys(reads))


# ---- reading and checking a file --------------------------------------------------------------------


def _check_fields(where: str, descriptor: Domain, paths: list[str], normalize: str) -> tuple[str, ...]:
    if not paths:
        raise RuleError(f"{where}.fields: name at least one field")
    tops = []
    for path in paths:
        top = path.partition(".")[0]
        if not descriptor.has_field(top):
            raise RuleError(f"{where}.fields: {descriptor.name} has no field '{top}'")
        tops.append(top)
    if normalize == "tax_id" and descriptor.has_field("country"):
        tops.append("country")  # the normalizer strips the record's own country prefix
    return tuple(dict.fromkeys(tops))


def _check_normalizer(where: str, name: str) -> Callable[[Any, Record], str | None]:
    if name not in NORMALIZERS:
        raise RuleError(f"{where}.normalize: unknown normalizer '{name}' (one of {', '.join(sorted(NORMALIZERS))})")
    return NORMALIZERS[name]


def _unit(where: str, value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise RuleError(f"{where}: {value} is not between 0 and 1")


def build(descriptor: Domain, spec: DomainSpec) -> MatchRules:
    """MatchRules from one domain's table, checked against the domain's descriptor."""
    domain = descriptor.name
    where = f"[{domain}]"
    for name, value in (("auto_link", spec.auto_link), ("review", spec.review), ("link_weight", spec.link_weight)):
        _unit(f"{where}.{name}", value)
    if spec.review > spec.auto_link:
        raise RuleError(f"{where}.review: {spec.review} is above auto_link {spec.auto_link}")
    comparisons = []
    for i, c in enumerate(spec.compare):
        at = f"{where}.compare[{i}] ({c.name})"
        if c.comparator not in COMPARATORS:
            raise RuleError(f"{at}.comparator: unknown comparator '{c.comparator}' (one of {', '.join(COMPARATORS)})")
        if c.weight <= 0:
            raise RuleError(f"{at}.weight: must be above 0")
        _unit(f"{at}.link_min", c.link_min)
        fields = _check_fields(at, descriptor, c.fields, c.normalize)
        extract = _reader(tuple(c.fields), _check_normalizer(at, c.normalize))
        comparisons.append(Comparison(c.name, extract, c.comparator, c.weight, c.required, fields, c.link_min))
    if not any(c.required for c in comparisons):
        raise RuleError(f"{where}.compare: mark at least one field required (pairs without it are not compared)")
    if len({c.name for c in comparisons}) < len(comparisons):
        raise RuleError(f"{where}.compare: two fields have one name")
    evidence = []
    for i, e in enumerate(spec.evidence):
        at = f"{where}.evidence[{i}] ({e.name})"
        _unit(f"{at}.same_floor", e.same_floor)
        _unit(f"{at}.different_cap", e.different_cap)
        fields = _check_fields(at, descriptor, e.fields, e.normalize)
        extract = _reader(tuple(e.fields), _check_normalizer(at, e.normalize))
        evidence.append(Evidence(e.name, extract, e.same_floor, e.different_cap, fields,
                                 e.different_if == "same_domain"))  # fmt: skip
    return MatchRules(domain, spec.version, tuple(comparisons), tuple(evidence), spec.auto_link, spec.review,
                      spec.link_weight)  # fmt: skip


def table(domain: str, text: str) -> DomainSpec:
    """One domain's table from its TOML body (what a descriptor declares as `match`)."""
    return _spec(domain, _decode(f"[{domain}]\n{text}")[domain])


def parse(text: str, domains: Mapping[str, Domain]) -> dict[str, MatchRules]:
    """Every table of a rules text, built against `domains`; RuleError names what is wrong and where."""
    found = {}
    for domain, raw in _decode(text).items():
        if domain not in domains:
            raise RuleError(f"[{domain}]: unknown domain (one of {', '.join(domains)})")
        found[domain] = build(domains[domain], _spec(domain, raw))
    return found


def _decode(text: str) -> dict[str, dict[str, Any]]:
    try:
        return msgspec.toml.decode(text.encode(), type=dict[str, dict[str, Any]])
    except msgspec.ValidationError as exc:
        raise RuleError(f"not valid rules: {exc}; each domain is a [table]") from None
    except msgspec.DecodeError as exc:
        raise RuleError(f"not valid TOML: {exc}") from None


def _spec(domain: str, raw: dict[str, Any]) -> DomainSpec:
    try:
        return msgspec.convert(raw, DomainSpec)
    except msgspec.ValidationError as exc:
        raise RuleError(f"[{domain}]: {exc}") from None


def load(path: Path, domains: Mapping[str, Domain]) -> dict[str, MatchRules]:
    return parse(path.read_text(encoding="utf-8"), domains)


def text_of(domains: Mapping[str, Domain]) -> str:
    """The default rules of `domains` as one file: the header, then each descriptor's table."""
    return HEADER + "".join(f"\n[{name}]\n{d.match.strip()}\n" for name, d in domains.items())
