"""The policy in force, cached per worker, and how an admin changes it.

Every worker keeps the newest policy it has seen. Reads check the stored version about
once a second, in the background (one indexed query); writes check it inside their own
transaction, so a write never runs under a policy older than the one committed before
it began. A change therefore reaches every worker without a restart: at once for
writes, within about a second for reads. Decisions are memoized on the `Policy`
object, so adopting a new version drops them all at once.
"""

import asyncio
import difflib
import json
import logging
import time
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mdm import events
from mdm.auth.actor import Actor
from mdm.db import events as events_sql
from mdm.db import policies as store
from mdm.db import repository as repo
from mdm.db.engine import Database
from mdm.domains import DOMAINS
from mdm.errors import PreconditionFailed
from mdm.policy.dryrun import owner_changes, pages
from mdm.policy.rules import Policy
from mdm.records.validation import validate

log = logging.getLogger("mdm.policy")
READ_CHECK_SECONDS = 1.0


class PolicyMissing(RuntimeError):
    pass


async def load(session: AsyncSession) -> Policy:
    """The policy in force, read from the database."""
    number = await store.newest_version(session)
    row = await store.version(session, number) if number else None
    if row is None:
        raise PolicyMissing("the database holds no policy: run `mdm db upgrade`")
    return Policy(row.text, row.version)


class PolicyCache:
    def __init__(self, db: Database):
        self.db = db
        self.policy: Policy | None = None
        self.checked_at = 0.0
        self._lock = asyncio.Lock()
        self._checking: asyncio.Task[None] | None = None

    async def _refresh(self, session: AsyncSession) -> Policy:
        number = await store.newest_version(session)
        if self.policy is None or self.policy.version != number:
            self.policy = await load(session)
        return self.policy

    async def invalidate(self) -> None:
        """This worker just adopted a version: read it now."""
        await self._check()

    async def for_read(self) -> Policy:
        """The policy for a read: at most about a second old. Reads never wait for the
        check: a stale policy is answered while one background task looks for a newer one
        (under load, a blocking check stalled every reader behind it once a second)."""
        if self.policy is None:
            async with self._lock:
                if self.policy is None:
                    await self._check()
        elif time.monotonic() - self.checked_at >= READ_CHECK_SECONDS and self._checking is None:
            self._checking = asyncio.create_task(self._check_in_background())
        assert self.policy is not None
        return self.policy

    async def _check(self) -> None:
        try:
            async with self.db.sessionmaker(write=False)() as session:
                await self._refresh(session)
            self.checked_at = time.monotonic()
        finally:
            self._checking = None

    async def _check_in_background(self) -> None:
        """A background check that fails (the database does not answer) keeps the policy it
        has; the next read past the interval tries again."""
        try:
            await self._check()
        except Exception as exc:  # whatever the driver raised: logged, not lost in a task
            log.warning("policy check failed, keeping version %s: %r", getattr(self.policy, "version", None), exc)

    async def for_write(self, session: AsyncSession) -> Policy:
        """The policy for a write, checked inside the write's transaction."""
        return await self._refresh(session)


def _diff(before: str, after: str) -> dict[str, list[str]]:
    lines = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return {
        "added": [line[2:] for line in lines if line.startswith("+ ")],
        "removed": [line[2:] for line in lines if line.startswith("- ")],
    }


async def recompute_owned(session: AsyncSession, current: Policy, adopted: Policy, actor: Actor) -> int:
    """Recompute every golden record whose fields' owner priority changed, under the
    adopted policy, in the adopting transaction; answers how many records changed. A
    record the new values would make invalid fails the whole change (nothing adopted)."""
    changed_fields = owner_changes(current, adopted)
    recomputed = 0
    for domain in DOMAINS:
        if not any(c["domain"] == domain.name for c in changed_fields):
            continue
        async for ws, ids in pages(session, domain, actor, lock=True):
            for golden_id in ids:
                g = ws.goldens[golden_id]
                if not g.source_keys:  # no live source: its values are retained, owners decide nothing
                    g.dirty = False
                    continue
                lineage_before = g.lineage
                changed = ws.recompute(g)
                if changed:
                    await validate(ws, g, changed)
                    ws.commit_version(g, "policy")
                    recomputed += 1
                elif g.lineage == lineage_before:
                    g.dirty = False  # nothing to write for this one
            await ws.flush()
    return recomputed


async def adopt(
    session: AsyncSession,
    text: str,
    expected_version: int | None,
    principal: str,
    roles: frozenset[str],
    comment: str | None,
    correlation_id: str | None,
) -> tuple[Policy, int]:
    """Store a new version (PolicyError if the text is bad) and audit the change.

    `expected_version` is the version the admin edited (If-Match); None takes any.
    Answers the adopted policy and how many golden records its owners changed.
    """
    policy = Policy(text)  # parse and check before anything is written
    current = await load(session)
    if expected_version is not None and expected_version != current.version:
        stale = f"the policy is at version {current.version}, not {expected_version}"
        raise PreconditionFailed(stale, current_version=current.version)
    now = datetime.now(UTC)
    number = current.version + 1
    await store.add(session, number, text, principal, now, comment, correlation_id)
    adopted = Policy(policy.text, number)
    actor = Actor(principal, correlation_id, adopted, roles)
    recomputed = await recompute_owned(session, current, adopted, actor)
    detail = {
        "before_version": current.version,
        "after_version": number,
        "records_recomputed": recomputed,
        **_diff(current.text, text),
    }
    row = repo.audit_row(now, principal, roles, "policy_change", "adopted", record_id=f"policy/{number}", fields=[],
                         correlation_id=correlation_id, detail=json.dumps(detail))  # fmt: skip
    await repo.insert_audit(session, [row])
    changed = {"version": number, "before_version": current.version, "records_recomputed": recomputed,
               "comment": comment}  # fmt: skip
    await events_sql.insert_events(session, [events.row(events.POLICY_CHANGED, None, f"policy/{number}", changed,
                                                        actor, now)])  # fmt: skip
    return adopted, recomputed
