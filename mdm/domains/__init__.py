"""The registry of domains: every generic component loops over `DOMAINS`."""

from mdm.domains.cost_center import COST_CENTER
from mdm.domains.customer import CUSTOMER
from mdm.domains.descriptor import Domain, ExclusiveRange, Field, Key
from mdm.domains.employee import EMPLOYEE
from mdm.domains.legal_entity import LEGAL_ENTITY
from mdm.domains.project import PROJECT
from mdm.domains.rate_card import RATE_CARD

DOMAINS: tuple[Domain, ...] = (CUSTOMER, LEGAL_ENTITY, PROJECT, EMPLOYEE, COST_CENTER, RATE_CARD)
BY_NAME: dict[str, Domain] = {d.name: d for d in DOMAINS}
BY_PREFIX: dict[str, Domain] = {d.prefix: d for d in DOMAINS}


def domain_of_id(golden_id: str) -> Domain | None:
    """The domain a canonical id belongs to, from its prefix."""
    prefix, _, _ = golden_id.partition("_")
    return BY_PREFIX.get(prefix)


__all__ = ["BY_NAME", "BY_PREFIX", "DOMAINS", "Domain", "ExclusiveRange", "Field", "Key", "domain_of_id"]
