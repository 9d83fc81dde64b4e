"""Match rules as data, one table per domain (TOML): a Fellegi-Sunter model. Each
comparison reads some fields of two records, puts the pair in one of its levels, and the
level's m and u probabilities weigh it; the prior and the thresholds are probabilities.
Each descriptor declares its default table (`Domain.match`); a deployment's file
(MDM_MATCH_RULES) may override any of them. Versioned, so every decision can name the
rules that made it; a table is checked against its domain's descriptor when it is read, and
`mdm match impact` compares two rule sets before a change ships. Pure: descriptors are
passed in, never looked up here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from mdm.matching import normalize as n
from mdm.matching.levels import JOINED, Level, LevelError, level, turned

Record = dict[str, Any]
Values = tuple[str, ...]  # one comparison's normalized values of a record; () when it has none
Extract = Callable[[Record], Values]
# a record as scoring sees it: each comparison's values, in rule order; extracted once per
# record, however many pairs it is scored in
Features = tuple[Values, ...]
if TYPE_CHECKING:
    from mdm.domains.descriptor import Domain

ELSE = "else"
TF_MIN = 1e-6  # the smallest u a term frequency gives an exact match, unless a comparison says

# what a rules file says on top; `mdm match rules show` prints it before the tables
HEADER = """\
# Match rules: one table per domain, a Fellegi-Sunter model. Each comparison puts a pair of
# records in the first of its levels that holds (else in its last, implicit level "else")
# and adds that level's match weight, log2(m / u), to the prior's, log2(prior / (1 - prior)):
#   m  the probability of the level when the two records are one thing,
#   u  its probability when they are two (two records drawn at random).
# A comparison with no value on either side adds nothing (a thin record cannot score high by
# what it lacks). The score is the match probability 2^w / (1 + 2^w). A record at or above
# `auto_link` joins the golden record it matches; between `review` and `auto_link` it is made
# and queued for stewards.
#
#   prior       the probability that two records compared at random are one thing
#   [[<domain>.comparison]], one per compared thing:
#   name        what the explanation calls it
#   fields      record fields to read; every value of every field is compared with every
#               value of the other record, the best level counts. "name.family" reads a part;
#               in a list, "identifiers.duns" reads the value of each duns identifier,
#               "addresses.billing.line1" each billing address's line and
#               "addresses.*.postal_code" every address's postcode; "given_name+surname"
#               one value of both, joined by "|" in that order (for the level `swapped`)
#   normalize   fold, text, company_name, website, street, street_name, street_number,
#               postcode, city, email, family_name, given_name, phone, date, identifier,
#               tax_id (strips the record's country prefix)
#   levels      in order, strongest first: exact, levenshtein<=K, jaro_winkler>=T,
#               token_set>=T, initials, abbreviated, glued, prefix, digits<=K, nickname, initial,
#               date_swap, same_domain, same_site, same_street, phone_typo, switchboard,
#               swapped
#               (mdm/matching/levels.py says what each means)
#   m, u        one per level and one more for "else"; each list sums to 1
#   tf          true: an exact match on a value weighs by how common the value is (a match on
#               a common name is weaker evidence than one on a rare name), when the hub was
#               given the values' frequencies; `tf_min` is the smallest u it may give
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
    "street_name": _plain(n.street_name),
    "street_number": _plain(n.street_number),
    "postcode": _plain(n.postcode),
    "city": _plain(n.city),
    "email": _plain(n.email),
    "family_name": _plain(n.family_name),
    "given_name": _plain(n.given_name),
    "phone": _plain(n.phone),
    "date": lambda value, record: n.date(str(value)) if value is not None else None,
    "tax_id": lambda value, record: n.tax_id(value, record.get("country")) if isinstance(value, str) else None,
    "identifier": _plain(n.tax_id),
}


class RuleError(ValueError):
    """A rules file that cannot be used; the message names the place and the reason."""


# ---- the file's shape ---------------------------------------------------------------------------


class ComparisonSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str
    fields: list[str]
    normalize: str
    levels: list[str]
    m: list[float]
    u: list[float]
    tf: bool = False
    tf_min: float = TF_MIN


class DomainSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    version: int
    prior: float
    auto_link: float
    review: float
    comparison: list[ComparisonSpec]


# ---- what scoring uses ----------------------------------------------------------------------------


def _collect(value: Any, steps: tuple[str, ...]) -> list[Any]:
    """Every value a path reaches: a key of an object; in a list, each element whose scheme
    or kind is the step ("*": every element), an identifier's `value` at the path's end."""
    if not steps:
        return [] if value is None or value == "" else [value]
    step, rest = steps[0], steps[1:]
    if isinstance(value, dict):
        return _collect(value.get(step), rest)
    if not isinstance(value, list):
        return []
    out = []
    for element in value:
        if not isinstance(element, dict) or (step != "*" and step not in (element.get("scheme"), element.get("kind"))):
            continue
        out += _collect(element.get("value"), ()) if "scheme" in element and not rest else _collect(element, rest)
    return out


def _steps(path: str) -> tuple[str, tuple[str, ...]]:
    top, _, part = path.partition(".")
    return top, tuple(part.split(".")) if part else ()


def _reader(paths: tuple[str, ...], normalizer: Callable[[Any, Record], str | None]) -> Extract:
    """Every value of `paths`, normalized, each once ("name.family" reads a part); a path of
    parts joined by "+" is one value, their first values joined by "|", when each has one
    ("given_name+surname": the name in its order, for a level that reads the order)."""
    steps = tuple(tuple(_steps(part) for part in path.split("+")) for path in paths)

    def first(record: Record, top: str, part: tuple[str, ...]) -> str | None:
        return next((v for raw in _collect(record.get(top), part) if (v := normalizer(raw, record)) is not None), None)

    def extract(record: Record) -> Values:
        found: dict[str, None] = {}
        for joined in steps:
            if len(joined) > 1:
                parts = [v for top, part in joined if (v := first(record, top, part))]
                if len(parts) == len(joined):
                    found[JOINED.join(parts)] = None
                continue
            top, part = joined[0]
            for raw in _collect(record.get(top), part):
                if (value := normalizer(raw, record)) is not None:
                    found[value] = None
        return tuple(found)

    return extract


@dataclass(frozen=True, slots=True)
class Comparison:
    """One compared thing: `extract` takes its normalized values out of a record; a pair
    falls in the first of `levels` that holds, else in the last level (`ELSE`)."""

    name: str
    extract: Extract
    levels: tuple[Level, ...]
    m: tuple[float, ...]  # per level, then else
    u: tuple[float, ...]
    tf: bool = False  # an exact match weighs by the value's frequency, when the rules have a table
    tf_min: float = TF_MIN
    fields: tuple[str, ...] = ()  # the record fields it reads (for read rights)
    joined: bool = False  # its values are a joined path's ("given_name+surname")
    weights: tuple[float, ...] = field(init=False)  # log2(m / u) per level
    exact: int | None = field(init=False)  # the index of the "exact" level, if there is one
    labels: tuple[str, ...] = field(init=False)  # the levels' names, then "else"
    predicates: tuple[Callable[[str, str], bool], ...] = field(init=False)  # each level's `holds`

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", tuple(math.log2(m / u) for m, u in zip(self.m, self.u, strict=True)))
        names = [lv.name for lv in self.levels]
        object.__setattr__(self, "exact", names.index("exact") if "exact" in names else None)
        object.__setattr__(self, "labels", (*names, ELSE))
        object.__setattr__(self, "predicates", tuple(lv.holds for lv in self.levels))

    @property
    def reads(self) -> tuple[str, ...]:
        return self.fields or (self.name,)

    def level_of(self, a: str, b: str) -> int:
        """The level of two present values: the first that holds, else the last."""
        i = 0
        for holds in self.predicates:
            if holds(a, b):
                return i
            i += 1
        return i


@dataclass(frozen=True, slots=True, eq=False)  # one rule set is itself: hashed by identity, a cache key
class MatchRules:
    """A domain's model. `tf` holds, per comparison with `tf = true`, how many records hold
    each normalized value (and `tf_total` how many values were counted; by default their
    sum): given at load time, empty by default (no adjustment)."""

    domain: str
    version: int
    comparisons: tuple[Comparison, ...]
    prior: float
    auto_link: float
    review: float
    tf: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    tf_total: Mapping[str, int] = field(default_factory=dict)
    spec: DomainSpec | None = None  # the table these rules were built from (training writes it back)
    prior_weight: float = field(init=False)
    best: tuple[float, ...] = field(init=False)  # per comparison: the most a present pair can add
    totals: tuple[int, ...] = field(init=False)  # per comparison: its tf total (0: no table)
    # comparisons in the order a floor checks them: those that can move a score most for
    # the time they take first (a floor often knows the answer before the costly ones)
    order: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prior_weight", math.log2(self.prior / (1.0 - self.prior)))
        totals = tuple(
            (self.tf_total.get(c.name) or sum(self.tf[c.name].values())) if c.tf and self.tf.get(c.name) else 0
            for c in self.comparisons
        )
        object.__setattr__(self, "totals", totals)
        best = []
        for c, total in zip(self.comparisons, totals, strict=True):
            top = max(c.weights)
            if total and c.exact is not None:  # the rarest value: counted once, or tf_min
                top = max(top, math.log2(c.m[c.exact] / max(1.0 / total, c.tf_min)))
            best.append(top)
        object.__setattr__(self, "best", tuple(best))
        worth = [(top - min(c.weights)) / (0.2 + sum(lv.cost for lv in c.levels))
                 for top, c in zip(best, self.comparisons, strict=True)]  # fmt: skip
        object.__setattr__(self, "order", tuple(sorted(range(len(worth)), key=lambda k: -worth[k])))

    def features(self, record: Record) -> Features:
        return tuple(c.extract(record) for c in self.comparisons)

    def features_of(self, records: Iterable[Record]) -> Features:
        """The features of a record read through several (a golden record's values and each
        of its sources' payloads): every value any of them holds, per comparison; of a
        joined path's values, those it holds in both orders say nothing of the order (a
        person sent once as "jaiden|bloomfield", once the other way round) and are left out."""
        each = [self.features(r) for r in records]
        out = [tuple(dict.fromkeys(v for f in each for v in f[k])) for k in range(len(self.comparisons))]
        for k, values in enumerate(out):
            if self.comparisons[k].joined and len(values) > 1:
                out[k] = tuple(v for v in values if turned(v) not in values)
        return tuple(out)

    def tf_u(self, k: int, value: str) -> float | None:
        """The u of an exact match on `value` in comparison k, by the value's frequency (a
        value the table has not seen counts once); None without a table."""
        total = self.totals[k]
        if not total:
            return None
        c = self.comparisons[k]
        return max(max(self.tf[c.name].get(value, 0), 1) / total, c.tf_min)

    @property
    def fields(self) -> tuple[str, ...]:
        """The record fields these rules read, in rule order."""
        return tuple(dict.fromkeys(name for c in self.comparisons for name in c.reads))


def with_tf(
    rules: MatchRules, tf: Mapping[str, Mapping[str, int]], total: Mapping[str, int] | None = None
) -> MatchRules:
    """The rules with term frequencies (per comparison, value -> records holding it)."""
    return MatchRules(rules.domain, rules.version, rules.comparisons, rules.prior, rules.auto_link, rules.review,
                      tf, total or {}, rules.spec)  # fmt: skip


# ---- reading and checking a file --------------------------------------------------------------------


def _check_fields(where: str, descriptor: Domain, paths: list[str], normalize: str) -> tuple[str, ...]:
    if not paths:
        raise RuleError(f"{where}.fields: name at least one field")
    tops = []
    for path in paths:
        for part in path.split("+"):
            top = part.partition(".")[0]
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


def _unit(where: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise RuleError(f"{where}: {value} is not between 0 and 1")


def _probabilities(where: str, name: str, values: list[float], expected: int) -> tuple[float, ...]:
    if len(values) != expected:
        raise RuleError(
            f"{where}.{name}: {len(values)} values for {expected - 1} levels and else ({expected} expected)"
        )
    for i, value in enumerate(values):
        if not 0.0 < value <= 1.0:
            raise RuleError(f"{where}.{name}[{i}]: {value} is not above 0 and at most 1")
    if abs(sum(values) - 1.0) > 0.01:
        raise RuleError(f"{where}.{name}: sums to {sum(values):.4f}, not 1")
    return tuple(values)


def _comparison(where: str, descriptor: Domain, c: ComparisonSpec) -> Comparison:
    levels = []
    for i, name in enumerate(c.levels):
        try:
            levels.append(level(name))
        except LevelError as exc:
            raise RuleError(f"{where}.levels[{i}]: {exc}") from None
    if len({lv.name for lv in levels}) < len(levels):
        raise RuleError(f"{where}.levels: a level is named twice")
    m = _probabilities(where, "m", c.m, len(levels) + 1)
    u = _probabilities(where, "u", c.u, len(levels) + 1)
    if c.tf and "exact" not in c.levels:
        raise RuleError(f"{where}.tf: term frequencies weigh an exact match; add the level 'exact'")
    if not 0.0 < c.tf_min < 1.0:
        raise RuleError(f"{where}.tf_min: {c.tf_min} is not between 0 and 1")
    fields = _check_fields(where, descriptor, c.fields, c.normalize)
    extract = _reader(tuple(c.fields), _check_normalizer(where, c.normalize))
    joined = any("+" in path for path in c.fields)
    return Comparison(c.name, extract, tuple(levels), m, u, c.tf, c.tf_min, fields, joined)


def build(descriptor: Domain, spec: DomainSpec) -> MatchRules:
    """MatchRules from one domain's table, checked against the domain's descriptor."""
    where = f"[{descriptor.name}]"
    for name, value in (("auto_link", spec.auto_link), ("review", spec.review)):
        _unit(f"{where}.{name}", value)
    if not 0.0 < spec.prior < 1.0:
        raise RuleError(f"{where}.prior: {spec.prior} is not between 0 and 1")
    if spec.review > spec.auto_link:
        raise RuleError(f"{where}.review: {spec.review} is above auto_link {spec.auto_link}")
    if not spec.comparison:
        raise RuleError(f"{where}.comparison: name at least one comparison")
    comparisons = tuple(
        _comparison(f"{where}.comparison[{i}] ({c.name})", descriptor, c) for i, c in enumerate(spec.comparison)
    )
    if len({c.name for c in comparisons}) < len(comparisons):
        raise RuleError(f"{where}.comparison: two comparisons have one name")
    return MatchRules(descriptor.name, spec.version, comparisons, spec.prior, spec.auto_link, spec.review, spec=spec)


def table(domain: str, text: str) -> DomainSpec:
    """One domain's table from its TOML body (what a descriptor declares as `match`)."""
    try:
        raw = msgspec.toml.decode(text.encode(), type=dict[str, Any])
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise RuleError(f"[{domain}]: not valid TOML: {exc}") from None
    return _spec(domain, raw)


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


def qualified(domain: str, body: str) -> str:
    """A table's body as part of a rules file: `[domain]`, and each `[[comparison]]` as
    `[[domain.comparison]]`."""
    lines = [f"[[{domain}.comparison]]" if line.strip() == "[[comparison]]" else line for line in body.splitlines()]
    return f"[{domain}]\n" + "\n".join(lines).strip() + "\n"


def text_of(domains: Mapping[str, Domain]) -> str:
    """The default rules of `domains` as one file: the header, then each descriptor's table."""
    return HEADER + "".join(f"\n{qualified(name, d.match.strip())}" for name, d in domains.items())


def _number(value: float) -> str:
    """A probability as the rules write it: enough digits to read it back, no more."""
    return f"{value:.6g}"


def render(spec: DomainSpec, *, note: str = "") -> str:
    """A table's body as TOML, each comparison's levels, m and u aligned in columns (the
    last column of m and u is "else")."""
    head = f"version = {spec.version}" + (f"  # {note}" if note else "")
    out = [head, f"prior = {_number(spec.prior)}", f"auto_link = {spec.auto_link}", f"review = {spec.review}"]
    for c in spec.comparison:
        labels = [msgspec.json.encode(name).decode() for name in c.levels]
        ms, us = [_number(v) for v in c.m], [_number(v) for v in c.u]
        widths = [max(len(a), len(b), len(c_)) for a, b, c_ in zip([*labels, ""], ms, us, strict=True)]

        def row(cells: list[str], widths: list[int] = widths) -> str:
            padded = [cell + ("," if i < len(cells) - 1 else "") for i, cell in enumerate(cells)]
            return "[" + " ".join(p.ljust(w + 1) for p, w in zip(padded, widths, strict=False)).rstrip() + "]"

        out += ["", "[[comparison]]", f"name = {msgspec.json.encode(c.name).decode()}",
                f"fields = {', '.join(msgspec.json.encode(f).decode() for f in c.fields).join('[]')}",
                f"normalize = {msgspec.json.encode(c.normalize).decode()}"]  # fmt: skip
        if c.tf:
            out.append("tf = true")
        if c.tf_min != TF_MIN:
            out.append(f"tf_min = {_number(c.tf_min)}")
        out += [f"levels = {row(labels)}  # then else", f"m      = {row(ms)}", f"u      = {row(us)}"]
    return "\n".join(out) + "\n"
