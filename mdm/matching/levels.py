"""Comparison levels: named predicates of two normalized values, each pure and symmetric.

A comparison in the rules lists its levels in order, strongest first; the first that holds
for a pair of values is the pair's level, and when none holds the pair falls in the
implicit last level, "else". A name is what the rules file says, parameters included:

  exact               equal
  levenshtein<=K      at most K single-character edits apart
  jaro_winkler>=T     Jaro-Winkler similarity at least T (0..1)
  token_set>=T        rapidfuzz token-set ratio at least T (0..1): word sets, order-free,
                      a set inside the other counts as alike
  initials            one side's letters are the other's word initials ("fs" ~ "first
                      solutions", "ibm" ~ "international business machines"), or word for
                      word equal but for words cut to their initial ("f solutions")
  abbreviated         names of two words or more, word for word alike but for words cut
                      short, each to two letters or more, in order or with the words sorted ("corn technologies" ~
                      "cornerstone technologies", "rhei treuhand" ~ "treuhand rheintal";
                      cut to one letter is `initials`)
  glued               equal once spaces are removed ("summitconsulting" ~ "summit
                      consulting"), or one side's words glued or split differently inside
                      the other's ("northwind" in "north wind consulting")
  prefix              a truncation: the shorter, at least 4 characters, begins the longer,
                      as written or glued (6 letters or more: "kristallkomm" ~ "kristall
                      kommunikation")
  digits<=K           codes of one length that differ in at most K places, each a digit
                      for a digit (a postcode or a house number mistyped)
  nickname            given names whose forms meet (normalize.given_name_forms: jon ~
                      jonathan, bill ~ william)
  initial             a single letter and a name it begins ("j" ~ "jonathan")
  date_swap           dates (yyyymmdd digits) with the day and the month transposed
  same_domain         e-mail addresses at one domain (two addresses of one firm)
  same_street         street lines of one house number on one street, its kind or a unit
                      written or not ("3250 w adams" ~ "3250 w adams st"; not "3250 w adams
                      ave", not another suite of one building)
  phone_typo          phone numbers with an area code (8 digits or more) that differ in one digit
  switchboard         phone numbers with an area code that differ only in their last two digits
                      (two lines of one switchboard); a local number (7 digits, as many firms
                      of one town share its first five) is neither
  swapped             joined values ("given_name+surname") whose parts are the other's in
                      the other order ("jaiden|bloomfield" ~ "bloomfield|jaiden")
  same_site           website domains of one name under two endings ("acme.co.uk" ~
                      "acme.com" ~ "shop.acme.de": one firm's sites in several countries)

Each level can also say, for every pair of a list of values at once (the scan's matrices),
where it holds (`mask`), or where it may hold (a superset, `exact_mask` False); a level
without a mask may hold anywhere, and the scan takes its weight as a bound.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import process
from rapidfuzz.distance import Hamming, Levenshtein

from mdm.matching.compare import MEASURES, PARALLEL
from mdm.matching.normalize import AREA_DIGITS, given_name_forms, site_name, street_core

Mask = NDArray[np.bool_]
Cache = dict[str, Any]  # per list of values: measures and codes computed once for all levels


@dataclass(frozen=True, slots=True)
class Level:
    """One named predicate: `holds(a, b)` for one pair of present values; `mask(values,
    cache)` for every pair of a list (n x n), equal to `holds` where `exact_mask`, else a
    superset of it (where it may hold); no `mask`: it may hold anywhere."""

    name: str
    holds: Callable[[str, str], bool]
    mask: Callable[[Sequence[str], Cache], Mask] | None = None
    exact_mask: bool = True
    cost: float = 1.0  # about how long `holds` takes, an exact comparison's time as 0.2


# ---- the predicates, one pair at a time --------------------------------------------------------


def exact(a: str, b: str) -> bool:
    return a == b


def initials(a: str, b: str) -> bool:
    """One side's letters are the other's word initials, or word for word equal but for
    words cut to their initial; never two equal values (that is `exact`)."""
    return a != b and (_initials_of(a, b) or _initials_of(b, a))


def _initials_of(short: str, long: str) -> bool:
    words, letters = long.split(), short.replace(" ", "")
    if len(words) >= 2 and len(letters) == len(words) and letters == "".join(w[0] for w in words):
        return True  # an acronym: "fs", "f s"
    mine = short.split()
    if len(mine) != len(words) or len(words) < 2:
        return False
    cut = False
    for x, y in zip(mine, words, strict=True):
        if x == y:
            continue
        if len(x) == 1 and y[0] == x:
            cut = True
        else:
            return False
    return cut


def abbreviated(a: str, b: str) -> bool:
    left, right = a.split(), b.split()  # one word cut short is `prefix`'s
    return (a != b and len(left) == len(right) >= 2
            and (_cut_short(left, right) or _cut_short(sorted(left), sorted(right))))  # fmt: skip


def _cut_short(left: list[str], right: list[str]) -> bool:
    """Word for word, each equal or one the other cut to two letters or more (in the order
    given, or in both sorted: "rhei treuhand" ~ "treuhand rheintal")."""
    for x, y in zip(left, right, strict=True):
        short, long = (x, y) if len(x) <= len(y) else (y, x)
        if x != y and (len(short) < 2 or not long.startswith(short)):
            return False
    return True


@lru_cache(maxsize=100_000)
def _glued(text: str) -> tuple[str, frozenset[int]]:
    """The text without spaces, and where its words start and end in that text."""
    cuts, at = {0}, 0
    for word in text.split():
        at += len(word)
        cuts.add(at)
    return text.replace(" ", ""), frozenset(cuts)


def glued(a: str, b: str) -> bool:
    """Equal without spaces; or the shorter, glued (at least 6 letters), inside the longer
    from one of its word boundaries to another, with its words cut elsewhere."""
    (ga, ca), (gb, cb) = _glued(a), _glued(b)
    if ga == gb:
        return True
    (gs, cs), (gl, cl) = sorted(((ga, ca), (gb, cb)), key=lambda t: (len(t[0]), t[0]))
    if len(gs) < 6:
        return False
    inner = {c for c in cs if 0 < c < len(gs)}
    start = gl.find(gs)
    while start >= 0:
        end = start + len(gs)
        if start in cl and end in cl and {c - start for c in cl if start < c < end} != inner:
            return True
        start = gl.find(gs, start + 1)
    return False


def prefix(a: str, b: str) -> bool:
    """A value cut short: the shorter (at least 4 characters) begins the longer; or, glued,
    a glued name cut short ("kristallkomm" ~ "kristall kommunikation", at least 6 letters)."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 4 and long.startswith(short):
        return True
    short, long = short.replace(" ", ""), long.replace(" ", "")
    return len(short) >= 6 and long.startswith(short)


def digits(k: int) -> Callable[[str, str], bool]:
    def holds(a: str, b: str) -> bool:
        if len(a) != len(b):
            return False
        wrong = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        return len(wrong) <= k and all(x.isdigit() and y.isdigit() for x, y in wrong)

    return holds


_one_digit_apart = digits(1)


def nickname(a: str, b: str) -> bool:
    return bool(given_name_forms(a) & given_name_forms(b))


def initial(a: str, b: str) -> bool:
    return (len(a) == 1 or len(b) == 1) and a[0] == b[0]


def _swapped(date: str) -> str | None:
    return date[:4] + date[6:8] + date[4:6] if len(date) == 8 and date.isdigit() else None


def date_swap(a: str, b: str) -> bool:
    return a != b and _swapped(a) == b


def _domain(address: str) -> str | None:
    user, at, domain = address.rpartition("@")
    return domain if at and user and domain else None


def same_domain(a: str, b: str) -> bool:
    return _domain(a) is not None and _domain(a) == _domain(b)


def phone_typo(a: str, b: str) -> bool:
    return len(a) >= AREA_DIGITS and a != b and _one_digit_apart(a, b)


def switchboard(a: str, b: str) -> bool:
    return len(a) >= AREA_DIGITS and len(a) == len(b) and a[:-2] == b[:-2] and a != b


def same_street(a: str, b: str) -> bool:
    left, right = street_core(a), street_core(b)
    if a == b or left is None or right is None or left[0] != right[0]:
        return False
    kinds = not left[1] or not right[1] or left[1] == right[1]  # "Adams" is "Adams St", not "Adams Ave"
    return kinds and (not left[2] or not right[2] or left[2] == right[2])  # "Suite 100" is not "Suite 900"


JOINED = "|"  # between the parts of a joined path's value: "given_name+surname" -> "jaiden|bloomfield"


def turned(value: str) -> str:
    """A joined value's parts the other way round."""
    return JOINED.join(reversed(value.split(JOINED)))


def swapped(a: str, b: str) -> bool:
    return a != b and JOINED in a and turned(a) == b


def same_site(a: str, b: str) -> bool:
    return site_name(a) is not None and site_name(a) == site_name(b)


# ---- every pair of a list at once ----------------------------------------------------------------


def _codes(keys: Sequence[Any]) -> NDArray[np.int64]:
    """Each key as an integer, equal keys alike; None as -1 (never equal to anything)."""
    seen: dict[Any, int] = {}
    return np.array([-1 if k is None else seen.setdefault(k, len(seen)) for k in keys], dtype=np.int64)


def _equal(keys: Sequence[Any]) -> Mask:
    codes = _codes(keys)
    equal: Mask = (codes[:, None] == codes[None, :]) & (codes[:, None] >= 0)
    return equal


def _cached(cache: Cache, key: str, make: Callable[[], Any]) -> Any:
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _exact_mask(values: Sequence[str], cache: Cache) -> Mask:
    found: Mask = _cached(cache, "exact", lambda: _equal(values))
    return found


def _measure_mask(measure: str, at_least: bool, threshold: float) -> Callable[[Sequence[str], Cache], Mask]:
    """Where a measure passes a threshold (in the scorer's unit, as `holds` compares it)."""

    def mask(values: Sequence[str], cache: Cache) -> Mask:
        matrix = _cached(cache, measure, lambda: MEASURES[measure].raw_matrix(values))
        found: Mask = matrix >= threshold if at_least else matrix <= threshold
        return found

    return mask


def _nickname_mask(values: Sequence[str], cache: Cache) -> Mask:
    forms = [given_name_forms(v) for v in values]
    index = {f: i for i, f in enumerate(sorted(set().union(*forms)))}
    incidence = np.zeros((len(values), max(len(index), 1)), dtype=np.float32)
    for row, found in enumerate(forms):
        incidence[row, [index[f] for f in found]] = 1.0
    meet: Mask = (incidence @ incidence.T) > 0
    return meet


def _initial_mask(values: Sequence[str], cache: Cache) -> Mask:
    single = np.array([len(v) == 1 for v in values])
    first: Mask = _cached(cache, "first", lambda: _equal([v[0] for v in values]))
    found: Mask = first & (single[:, None] | single[None, :])
    return found


def _first_mask(values: Sequence[str], cache: Cache) -> Mask:
    """Where `initials` may hold: both begin with one letter."""
    found: Mask = _cached(cache, "first", lambda: _equal([v[0] for v in values]))
    return found


def _prefix_mask(values: Sequence[str], cache: Cache) -> Mask:
    """Where `prefix` may hold: the first four characters agree, as written or glued."""
    glued = [v.replace(" ", "") for v in values]
    found: Mask = _equal([v[:4] if len(v) >= 4 else None for v in values]) | _equal(
        [g[:4] if len(g) >= 6 else None for g in glued]
    )
    return found


def _abbreviated_mask(values: Sequence[str], cache: Cache) -> Mask:
    """Where `abbreviated` may hold: the first letters agree, as written or with the words sorted."""
    found: Mask = _first_mask(values, cache) | _equal([min(v.split(), default=" ")[0] for v in values])
    return found


def _glued_mask(values: Sequence[str], cache: Cache) -> Mask:
    """Where `glued` may hold: equal without spaces, or a shorter glued form of 6 or more."""
    glued_forms = [_glued(v)[0] for v in values]
    lengths = np.array([len(g) for g in glued_forms])
    found: Mask = _equal(glued_forms) | ((np.minimum(lengths[:, None], lengths[None, :]) >= 6) &
                                           (lengths[:, None] != lengths[None, :]))  # fmt: skip
    return found


def _digits_mask(k: int) -> Callable[[Sequence[str], Cache], Mask]:
    def mask(values: Sequence[str], cache: Cache) -> Mask:  # a superset: any characters may differ
        lengths = np.array([len(v) for v in values])
        workers = -1 if len(values) >= PARALLEL else 1
        apart = process.cdist(values, values, scorer=Hamming.distance, dtype=np.int32, workers=workers,
                              scorer_kwargs={"pad": True})  # fmt: skip
        found: Mask = (lengths[:, None] == lengths[None, :]) & (apart <= k)
        return found

    return mask


def _date_swap_mask(values: Sequence[str], cache: Cache) -> Mask:
    keys = [*values, *(_swapped(v) for v in values)]
    codes = _codes(keys)
    n = len(values)
    plain, swapped = codes[:n], codes[n:]
    found: Mask = (swapped[:, None] == plain[None, :]) & (swapped[:, None] >= 0) & (plain[:, None] != plain[None, :])
    return found | found.T


def _same_domain_mask(values: Sequence[str], cache: Cache) -> Mask:
    return _equal([_domain(v) for v in values])


def _phone_typo_mask(values: Sequence[str], cache: Cache) -> Mask:  # a superset, as `digits`'
    long = np.array([len(v) >= AREA_DIGITS for v in values])
    found: Mask = _digits_mask(1)(values, cache) & long[:, None] & ~_exact_mask(values, cache)
    return found


def _switchboard_mask(values: Sequence[str], cache: Cache) -> Mask:
    found: Mask = _equal([v[:-2] if len(v) >= AREA_DIGITS else None for v in values])
    return found & ~_exact_mask(values, cache)


def _same_street_mask(values: Sequence[str], cache: Cache) -> Mask:  # a superset: the kinds unread
    found: Mask = _equal([core[0] if (core := street_core(v)) else None for v in values])
    return found & ~_exact_mask(values, cache)


def _swapped_mask(values: Sequence[str], cache: Cache) -> Mask:
    codes = _codes([*values, *(turned(v) if JOINED in v else None for v in values)])
    plain, other_way = codes[: len(values)], codes[len(values) :]
    found: Mask = (other_way[:, None] == plain[None, :]) & (other_way[:, None] >= 0) & ~_exact_mask(values, cache)
    return found


def _same_site_mask(values: Sequence[str], cache: Cache) -> Mask:
    return _equal([site_name(v) for v in values])


# ---- names -----------------------------------------------------------------------------------------

_PLAIN: dict[str, Level] = {
    "exact": Level("exact", exact, _exact_mask, cost=0.2),
    "initials": Level("initials", initials, _first_mask, exact_mask=False, cost=2.0),
    "abbreviated": Level("abbreviated", abbreviated, _abbreviated_mask, exact_mask=False, cost=1.0),
    "glued": Level("glued", glued, _glued_mask, exact_mask=False, cost=2.0),
    "prefix": Level("prefix", prefix, _prefix_mask, exact_mask=False, cost=0.5),
    "nickname": Level("nickname", nickname, _nickname_mask, cost=0.5),
    "initial": Level("initial", initial, _initial_mask, cost=0.3),
    "date_swap": Level("date_swap", date_swap, _date_swap_mask, cost=0.5),
    "same_domain": Level("same_domain", same_domain, _same_domain_mask, cost=0.5),
    "same_site": Level("same_site", same_site, _same_site_mask, cost=0.5),
    "swapped": Level("swapped", swapped, _swapped_mask, cost=0.3),
    "same_street": Level("same_street", same_street, _same_street_mask, exact_mask=False, cost=0.5),
    "phone_typo": Level("phone_typo", phone_typo, _phone_typo_mask, exact_mask=False, cost=0.5),
    "switchboard": Level("switchboard", switchboard, _switchboard_mask, cost=0.3),
}
_PARAMETER = re.compile(r"^(?P<name>[a-z_]+)(?P<op><=|>=)(?P<value>\d+(\.\d+)?)$")
# measures with a threshold: (measure, comparison), integers for the counts
_THRESHOLDS = {"jaro_winkler": ">=", "token_set": ">=", "levenshtein": "<=", "digits": "<="}
NAMES = (*_PLAIN, *(f"{name}{op}N" for name, op in _THRESHOLDS.items()))


class LevelError(ValueError):
    """A level name that names no predicate."""


@cache
def level(name: str) -> Level:
    """The level a rules file names ("exact", "jaro_winkler>=0.92", "levenshtein<=1", ...)."""
    if name in _PLAIN:
        return _PLAIN[name]
    found = _PARAMETER.match(name.replace(" ", ""))
    if found is None or found["name"] not in _THRESHOLDS:
        raise LevelError(f"unknown level '{name}' (one of {', '.join(NAMES)})")
    kind, op, text = found["name"], found["op"], found["value"]
    if op != _THRESHOLDS[kind]:
        raise LevelError(f"level '{name}': {kind} takes {_THRESHOLDS[kind]}")
    value = float(text)
    if kind in ("levenshtein", "digits"):
        if not value.is_integer():
            raise LevelError(f"level '{name}': {kind} counts edits, a whole number")
        k = int(value)
        if kind == "digits":
            return Level(name, digits(k), _digits_mask(k), exact_mask=False, cost=0.5)
        return Level(name, lambda a, b: Levenshtein.distance(a, b, score_cutoff=k) <= k,
                     _measure_mask("levenshtein", False, k))  # fmt: skip
    if not 0.0 < value <= 1.0:
        raise LevelError(f"level '{name}': {kind} is a similarity, above 0 and at most 1")
    scorer, raw = MEASURES[kind].scorer, MEASURES[kind].raw(value)
    return Level(name, lambda a, b: scorer(a, b) >= raw, _measure_mask(kind, True, raw))
