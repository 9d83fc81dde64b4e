"""Change events: every change the hub commits, as a CloudEvents 1.0 event written to the
outbox (table `outbox_event`) in the same transaction, so a rolled-back write emits nothing
and a committed one always emits.

Types are `mdm.<domain>.<what>` (see TYPES) and `mdm.policy.changed`. A golden record's event
names the version it made; the feed (mdm.events.feed) adds that version's record from the
history, shaped per caller in the caller's contract version with only the fields the caller
may read."""

from datetime import datetime
from typing import Any

from ulid import ULID

from mdm.auth.actor import Actor
from mdm.domains import Domain

SOURCE = "/mdm"  # CloudEvents `source`: this hub
SPEC_VERSION = "1.0"

# what happened to a golden record, by the history action that recorded it (see `golden_event`)
GOLDEN = ("created", "updated", "merged", "unmerged", "retired")
TYPES = (*GOLDEN, "linked", "unlinked", "held", "released", "candidate_queued", "candidate_decided")
POLICY_CHANGED = "mdm.policy.changed"

Record = dict[str, Any]


def event_type(domain: Domain | str, what: str) -> str:
    return f"mdm.{domain if isinstance(domain, str) else domain.name}.{what}"


def row(type_: str, domain: str | None, subject: str | None, data: Record, actor: Actor | None,
        now: datetime, version: int | None = None) -> Record:  # fmt: skip
    """An outbox row: the event's id (evt_ + a ULID), its type, subject and time, who made
    it and under which correlation id, and its data; for a golden record's event, the
    version it made (the feed adds that version's record from the history)."""
    return {
        "event_id": f"evt_{ULID()}",
        "type": type_,
        "domain": domain,
        "subject": subject,
        "version": version,
        "time": now,
        "principal": actor.principal if actor else None,
        "correlation_id": actor.correlation_id if actor else None,
        "data": data,
    }


def golden_event(domain: Domain, action: str, before: Record | None, before_merged: str | None,
                 merged_into: str | None, view: Record) -> tuple[str, list[str], Record]:  # fmt: skip
    """What a new version of a golden record is to a consumer: its event kind, the fields it
    changed (against the version before; every field it holds when new), and what the kind
    adds to the data (a merge or unmerge names the other record)."""
    values = {k: v for k, v in view.items() if domain.has_field(k)}
    if before is None:
        return "created", sorted(k for k, v in values.items() if v is not None), {}
    changed = sorted(k for k in values.keys() | before.keys() if values.get(k) != before.get(k))
    if merged_into and merged_into != before_merged:
        return "merged", changed, {"survivor_id": merged_into}
    if before_merged and not merged_into:
        return "unmerged", changed, {"survivor_id": before_merged}
    status = values.get("status")
    if "status" in changed and status in domain.retired_statuses:
        return "retired", changed, {}
    return "updated", changed, {}


def candidate_queued(domain: Domain, queued: Any, actor: Actor | None, now: datetime) -> Record:
    """A pair queued for stewards, newly or again (an unmerge reopens what its merge closed);
    `queued`: its id, left_id, right_id and score."""
    data = {"candidate_id": queued.id, "left_id": queued.left_id, "right_id": queued.right_id,
            "score": queued.score}  # fmt: skip
    return row(event_type(domain, "candidate_queued"), domain.name, queued.left_id, data, actor, now)


def candidate_decided(domain: Domain, candidate_id: int, left_id: str, right_id: str, decision: str,
                      actor: Actor | None, now: datetime) -> Record:  # fmt: skip
    """A queued pair a steward decided: merged, not_a_match, or closed (a merge took one side)."""
    data = {"candidate_id": candidate_id, "left_id": left_id, "right_id": right_id, "decision": decision}
    return row(event_type(domain, "candidate_decided"), domain.name, left_id, data, actor, now)
