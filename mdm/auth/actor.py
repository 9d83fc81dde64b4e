"""Who writes, as the service sees it: a principal, its roles and the policy it writes under."""

from dataclasses import dataclass

from mdm.policy.rules import Policy, subjects_of


@dataclass(slots=True)
class Actor:
    """Who writes, under which policy: the policy decides what they may touch and which
    source wins each field."""

    principal: str
    correlation_id: str | None
    policy: Policy
    roles: frozenset[str] = frozenset()

    @property
    def subjects(self) -> tuple[str, ...]:
        return subjects_of(self.principal, self.roles)
