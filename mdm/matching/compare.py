"""Field comparators: two normalized values in, a similarity in [0, 1] out.

Each is symmetric. A missing value on either side is not compared at all (the scorer
leaves it out), so comparators only see two present values.
"""

from collections.abc import Callable

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from mdm.matching.normalize import given_name_forms

Comparator = Callable[[str, str], float]


def exact(a: str, b: str) -> float:
    """Identifiers, codes, countries, e-mails: equal or not."""
    return 1.0 if a == b else 0.0


def token_set(a: str, b: str) -> float:
    """Word sets: order-free, and forgiving of one side having extra words; for names of
    companies and streets. Blended with token-sort so that "acme" is not equal to
    "acme global holdings" just because one set contains the other."""
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 200.0


def jaro_winkler(a: str, b: str) -> float:
    """Short strings with typos, especially near the end: person names."""
    return float(JaroWinkler.similarity(a, b))


def partial(a: str, b: str) -> float:
    """The shorter inside the longer: "acme" in "acme consulting"."""
    return fuzz.partial_ratio(a, b) / 100.0


def given_name(a: str, b: str) -> float:
    """Nicknames agree ("jon" and "jonathan"), an initial agrees with its name at 0.7 (so
    an initial alone never links automatically), and otherwise Jaro-Winkler."""
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:  # "a." stands for Anthony, and so for Tony
        initials = {f[0] for f in given_name_forms(a) | given_name_forms(b) if len(f) > 1} | {a[0]} & {b[0]}
        return 0.7 if (a if len(a) == 1 else b)[0] in initials else 0.0
    if given_name_forms(a) & given_name_forms(b):
        return 0.95
    return jaro_winkler(a, b)


COMPARATORS: dict[str, Comparator] = {
    "exact": exact,
    "token_set": token_set,
    "jaro_winkler": jaro_winkler,
    "partial": partial,
    "given_name": given_name,
}
