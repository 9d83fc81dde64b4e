"""What a caller may read: the policy's readable fields, applied to every response that
carries field values (records, resolve, history, lineage), so a field the policy hides
cannot be read another way. Computed once per (caller, domain, policy version). This is
the request-bound part; the rule itself is in mdm.policy.visibility."""

from litestar import Request

from mdm.domains import Domain
from mdm.policy.visibility import readable_by


def caller_subjects(request: Request) -> tuple[str, ...]:
    subjects: tuple[str, ...] = request.scope["state"]["subjects"]
    return subjects


async def readable(request: Request, domain: Domain) -> frozenset[str]:
    """The fields of `domain` this caller may read; 403 if none."""
    policy = await request.app.state.policies.for_read()
    return readable_by(policy, caller_subjects(request), domain)
