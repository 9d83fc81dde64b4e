"""The registry of domains: every generic component loops over `DOMAINS`.

Built-in descriptors come first; `MDM_DOMAIN_MODULES` (comma-separated module paths, each
with a module-level `DOMAIN` or `DOMAINS`) adds a firm's own, or replaces a built-in of the
same name (a wider descriptor of it). Every descriptor is checked here, so a missing part
fails at import, naming the domain. `RULES` holds the match rules in force:
each descriptor's defaults, overridden per domain by the tables of `MDM_MATCH_RULES` (a
rules file) when it is set.
"""

import importlib
import os
from pathlib import Path

from mdm.domains.checks import DescriptorError, check
from mdm.domains.cost_center import COST_CENTER
from mdm.domains.customer import CUSTOMER
from mdm.domains.descriptor import CONTRACT_VERSIONS, LATEST, Domain, ExclusiveRange, Field, Key
from mdm.domains.employee import EMPLOYEE
from mdm.domains.legal_entity import LEGAL_ENTITY
from mdm.domains.project import PROJECT
from mdm.domains.rate_card import RATE_CARD
from mdm.matching.rules import MatchRules, RuleError, build, load, table

BUILT_IN: tuple[Domain, ...] = (CUSTOMER, LEGAL_ENTITY, PROJECT, EMPLOYEE, COST_CENTER, RATE_CARD)


def _registered(spec: str) -> tuple[Domain, ...]:
    by_name = {d.name: d for d in BUILT_IN}
    for name in filter(None, (part.strip() for part in spec.split(","))):
        module = importlib.import_module(name)
        found = getattr(module, "DOMAINS", None) or (getattr(module, "DOMAIN", None),)
        descriptors = [d for d in found if isinstance(d, Domain)]
        if not descriptors or len(descriptors) < len(found):
            raise DescriptorError(f"MDM_DOMAIN_MODULES: module {name} has no DOMAIN (or DOMAINS) descriptor")
        by_name.update({d.name: d for d in descriptors})
    return tuple(by_name.values())


DOMAINS: tuple[Domain, ...] = _registered(os.environ.get("MDM_DOMAIN_MODULES", ""))
check(DOMAINS)
BY_NAME: dict[str, Domain] = {d.name: d for d in DOMAINS}
BY_PREFIX: dict[str, Domain] = {d.prefix: d for d in DOMAINS}


def _overrides() -> dict[str, MatchRules]:
    if not (path := os.environ.get("MDM_MATCH_RULES")):
        return {}
    try:
        return load(Path(path), BY_NAME)
    except RuleError as exc:
        raise RuleError(f"MDM_MATCH_RULES {path}: {exc}") from None


_OVERRIDES = _overrides()
OVERRIDDEN: frozenset[str] = frozenset(_OVERRIDES)  # the domains whose defaults MDM_MATCH_RULES replaces
RULES: dict[str, MatchRules] = {d.name: build(d, table(d.name, d.match)) for d in DOMAINS} | _OVERRIDES


def domain_of_id(golden_id: str) -> Domain | None:
    """The domain a canonical id belongs to, from its prefix."""
    prefix, _, _ = golden_id.partition("_")
    return BY_PREFIX.get(prefix)


__all__ = [
    "BY_NAME",
    "BY_PREFIX",
    "CONTRACT_VERSIONS",
    "DOMAINS",
    "LATEST",
    "OVERRIDDEN",
    "RULES",
    "Domain",
    "ExclusiveRange",
    "Field",
    "Key",
    "domain_of_id",
]
