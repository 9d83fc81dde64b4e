"""The match rules in force: per domain, the newest version `mdm match train` (or the first
scan) wrote and an admin adopted (with the term frequencies it was trained with), else the
defaults (the descriptor's table, or MDM_MATCH_RULES'). Every worker follows an adoption
without a restart: it looks for a newer adopted version at most once a second, and reads a
version's text and terms once. Both are kept per database: a process that opens several
(tests, benchmarks) must not take one's adopted version for another's."""

import time

from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db import match_rules as store
from mdm.domains import RULES, Domain
from mdm.matching.rules import MatchRules, table, with_tf
from mdm.matching.rules import build as build_rules

CHECK_EVERY = 1.0  # seconds between two looks for a newer adopted version

# per database (a process may open several: tests, benchmarks, a restore)
_adopted: dict[str, dict[str, int]] = {}  # database -> domain -> the adopted version last seen
_built: dict[tuple[str, str, int], MatchRules] = {}  # (database, domain, version) -> its rules, terms attached
_checked_at: dict[str, float] = {}  # database -> when it was last looked at


def _database(session: AsyncSession) -> str:
    return str(session.get_bind().engine.url)


async def build(session: AsyncSession, domain: Domain, number: int) -> MatchRules:
    """A stored version as rules (its term frequencies attached), read once per process."""
    key = (_database(session), domain.name, number)
    if key not in _built:
        row = await store.version(session, domain.name, number)
        if row is None:
            raise LookupError(f"no match rules version {number} of {domain.name}")
        rules = build_rules(domain, table(domain.name, row.text))
        terms = await store.terms(session, domain.name, number)
        _built[key] = with_tf(rules, terms, dict(row.report.get("tf_total") or {})) if terms else rules
    return _built[key]


async def in_force(session: AsyncSession, domain: Domain) -> MatchRules:
    """The rules matching uses now for a domain."""
    database = _database(session)
    now = time.monotonic()
    if now - _checked_at.get(database, -CHECK_EVERY) >= CHECK_EVERY:
        _adopted[database] = await store.adopted(session)
        _checked_at[database] = now
    number = _adopted[database].get(domain.name)
    return RULES[domain.name] if number is None else await build(session, domain, number)


def forget() -> None:
    """Look again at the next call (after an adoption in this process, and in tests)."""
    _checked_at.clear()
    _adopted.clear()
