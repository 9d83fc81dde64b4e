"""The SQL of stewardship: the merge log, records that reference merged ones, and the
review queue. Like mdm.db.repository, functions take the request's session and never
commit."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db.tables import GOLDEN, api_key, crosswalk, match_candidate, match_decision
from mdm.domains import Domain, Field
from stewardship.tables import merge_log, steward_session

OPEN = "pending"


async def referencing(session: AsyncSession, domain: Domain, field: Field, ids: Sequence[str]) -> list[str]:
    """Live records of `domain` whose reference `field` holds one of `ids`."""
    table = GOLDEN[domain.name]
    column = table.c[field.name]
    stmt = select(table.c.id).where(column.in_(list(ids)), table.c.merged_into.is_(None)).order_by(table.c.id)
    return list((await session.execute(stmt)).scalars())


async def insert_merge(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(merge_log.insert(), [row])


async def merge_row(session: AsyncSession, merge_id: str, *, lock: bool = False) -> Row[Any] | None:
    stmt = select(merge_log).where(merge_log.c.id == merge_id)
    return (await session.execute(stmt.with_for_update() if lock else stmt)).first()


async def merges_of(session: AsyncSession, domain: Domain, survivor_id: str) -> list[Row[Any]]:
    """The merges into a record, newest first."""
    stmt = (
        select(merge_log)
        .where(merge_log.c.domain == domain.name, merge_log.c.survivor_id == survivor_id)
        .order_by(merge_log.c.created_at.desc(), merge_log.c.id.desc())
    )
    return list((await session.execute(stmt)).all())


async def undone_between(session: AsyncSession, domain: Domain, survivor_id: str, merged_ids: Sequence[str]) -> str:
    """One of `merged_ids` that a merge undone since was a merge of with `survivor_id`, in
    either direction ("" if none)."""
    ids = {survivor_id, *merged_ids}
    m = merge_log.c
    stmt = select(m.survivor_id, m.merged_ids).where(
        m.domain == domain.name, m.survivor_id.in_(sorted(ids)), m.undone_at.is_not(None)
    )
    for into, folded in (await session.execute(stmt)).all():
        pair = {into, *folded}
        if survivor_id in pair and (found := next((i for i in merged_ids if i in pair and i != survivor_id), None)):
            return found
    return ""


async def mark_undone(session: AsyncSession, merge_id: str, at: datetime, by: str) -> None:
    await session.execute(update(merge_log).where(merge_log.c.id == merge_id).values(undone_at=at, undone_by=by))


async def open_pairs_of(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> list[Row[Any]]:
    """Pending candidate pairs with either side among `ids`."""
    wanted = list(ids)
    stmt = select(match_candidate).where(
        match_candidate.c.domain == domain.name,
        match_candidate.c.status == OPEN,
        or_(match_candidate.c.left_id.in_(wanted), match_candidate.c.right_id.in_(wanted)),
    )
    return list((await session.execute(stmt.order_by(match_candidate.c.id))).all())


async def set_statuses(session: AsyncSession, changes: list[dict[str, Any]]) -> None:
    """Set candidate statuses: {id, status, decided_by, decided_at} each."""
    if changes:
        stmt = (
            update(match_candidate)
            .where(match_candidate.c.id == bindparam("b_id"))
            .values(status=bindparam("b_status"), decided_by=bindparam("b_by"), decided_at=bindparam("b_at"))
        )
        params = [{"b_id": c["id"], "b_status": c["status"], "b_by": c["decided_by"], "b_at": c["decided_at"]}
                  for c in changes]  # fmt: skip
        await session.execute(stmt, params)


async def restore_statuses(session: AsyncSession, changes: list[tuple[int, str, str]]) -> list[Any]:
    """Put (id, before, after) entries back to `before` where they still hold `after`; answers
    the pairs put back (id, left_id, right_id, score), by id."""
    if not changes:
        return []
    c = match_candidate.c
    wanted = {i: (before, after) for i, before, after in changes}
    pairs = select(c.id, c.left_id, c.right_id, c.score, c.status).where(c.id.in_(list(wanted))).with_for_update()
    back = [r for r in (await session.execute(pairs)).all() if r.status == wanted[r.id][1]]
    if back:
        stmt = (
            update(match_candidate)
            .where(c.id == bindparam("b_id"), c.status == bindparam("b_after"))
            .values(status=bindparam("b_before"), decided_by=None, decided_at=None)
        )
        await session.execute(stmt, [{"b_id": r.id, "b_before": wanted[r.id][0], "b_after": r.status} for r in back])
    return sorted(back, key=lambda r: r.id)


async def candidate(session: AsyncSession, cid: int, *, lock: bool = False) -> Row[Any] | None:
    stmt = select(match_candidate).where(match_candidate.c.id == cid)
    return (await session.execute(stmt.with_for_update() if lock else stmt)).first()


def _queue_conditions(
    *,
    domains: list[str],
    status: str | None,
    min_score: float | None,
    max_score: float | None,
    system: str | None,
    record: str | None,
) -> list[Any]:
    """The queue's filters: with `system`, pairs where either record has a live source from
    that system; with `record`, pairs that name that record."""
    c = match_candidate.c
    conds: list[Any] = [c.domain.in_(domains)]
    if status:
        conds.append(c.status == status)
    if min_score is not None:
        conds.append(c.score >= min_score)
    if max_score is not None:
        conds.append(c.score <= max_score)
    if system:
        x = crosswalk.c
        linked = select(x.golden_id).where(x.domain == c.domain, x.system == system, x.ended_at.is_(None))
        conds.append(or_(c.left_id.in_(linked.where(x.golden_id == c.left_id)),
                         c.right_id.in_(linked.where(x.golden_id == c.right_id))))  # fmt: skip
    if record:
        conds.append(or_(c.left_id == record, c.right_id == record))
    return conds


async def candidates_page(
    session: AsyncSession,
    *,
    domains: list[str],
    status: str | None,
    min_score: float | None,
    max_score: float | None,
    system: str | None,
    record: str | None = None,
    after: tuple[float, int] | None,
    limit: int,
) -> list[Row[Any]]:
    """A page of the queue, best score first (ties: oldest first), after a (score, id)
    cursor, under the filters of `_queue_conditions`."""
    c = match_candidate.c
    conds = _queue_conditions(domains=domains, status=status, min_score=min_score, max_score=max_score,
                              system=system, record=record)  # fmt: skip
    if after is not None:
        score, cid = after
        conds.append(or_(c.score < score, and_(c.score == score, c.id > cid)))
    stmt = select(match_candidate).where(*conds).order_by(c.score.desc(), c.id).limit(limit)
    return list((await session.execute(stmt)).all())


async def candidate_counts(
    session: AsyncSession,
    *,
    domains: list[str],
    status: str | None,
    min_score: float | None,
    max_score: float | None,
    system: str | None,
    record: str | None = None,
) -> dict[str, int]:
    """domain -> how many queued pairs pass the filters of `_queue_conditions`."""
    c = match_candidate.c
    conds = _queue_conditions(domains=domains, status=status, min_score=min_score, max_score=max_score,
                              system=system, record=record)  # fmt: skip
    stmt = select(c.domain, func.count()).where(*conds).group_by(c.domain)
    return {d: int(n) for d, n in (await session.execute(stmt)).all()}


async def band_counts(session: AsyncSession, bands: list[float]) -> dict[tuple[str, int, str], int]:
    """(domain, band index, status) -> how many queued pairs; band i is [bands[i], bands[i+1])."""
    c = match_candidate.c
    band = case(*((c.score >= low, i) for i, low in reversed(list(enumerate(bands[:-1])))), else_=-1)
    stmt = select(c.domain, band, c.status, func.count()).group_by(c.domain, band, c.status)
    return {(d, int(b), s): int(n) for d, b, s, n in (await session.execute(stmt)).all() if b >= 0}


async def decision_counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """(domain, outcome) -> how many source records were linked by score or queued."""
    d = match_decision.c
    stmt = select(d.domain, d.outcome, func.count()).group_by(d.domain, d.outcome)
    return {(domain, outcome): int(n) for domain, outcome, n in (await session.execute(stmt)).all()}


async def open_ages(session: AsyncSession, domain: str) -> tuple[int, datetime | None, datetime | None]:
    """How many pairs of a domain wait, since when the oldest, and the median's created_at."""
    c = match_candidate.c
    where = (c.domain == domain, c.status == OPEN)
    count, oldest = (await session.execute(select(func.count(), func.min(c.created_at)).where(*where))).one()
    if not count:
        return 0, None, None
    middle = select(c.created_at).where(*where).order_by(c.created_at).offset(count // 2).limit(1)
    return int(count), oldest, (await session.execute(middle)).scalar_one()


async def queue_counts(session: AsyncSession) -> list[tuple[str, str, int, datetime | None]]:
    """(domain, status, count, oldest created_at) over the whole queue."""
    c = match_candidate.c
    stmt = select(c.domain, c.status, func.count(), func.min(c.created_at)).group_by(c.domain, c.status)
    return [(d, s, int(n), at) for d, s, n, at in (await session.execute(stmt.order_by(c.domain, c.status))).all()]


# ---- workbench sessions ------------------------------------------------------------------


async def open_session(session: AsyncSession, token_hash: str, key_id: str, at: datetime, until: datetime) -> None:
    """A new session; sessions over for 30 days go (the table stays the size of a month)."""
    over = at - timedelta(days=30)
    await session.execute(delete(steward_session).where(or_(steward_session.c.expires_at < over,
                                                            steward_session.c.ended_at < over)))  # fmt: skip
    values = {"id": token_hash, "key_id": key_id, "created_at": at, "expires_at": until}
    await session.execute(steward_session.insert(), [values])


async def session_key(session: AsyncSession, token_hash: str, at: datetime) -> Row[Any, Any, Any] | None:
    """(key id, principal, roles) of a session that is neither ended nor expired, and whose
    key is not revoked."""
    stmt = (
        select(api_key.c.id, api_key.c.principal, api_key.c.roles)
        .join(steward_session, steward_session.c.key_id == api_key.c.id)
        .where(
            steward_session.c.id == token_hash,
            steward_session.c.ended_at.is_(None),
            steward_session.c.expires_at > at,
            api_key.c.revoked_at.is_(None),
        )
    )
    return (await session.execute(stmt)).first()


async def end_sessions(session: AsyncSession, token_hash: str, at: datetime, *, everywhere: bool) -> int:
    """End one session, or with `everywhere` every open session of its key; answers how many."""
    mine = steward_session.c.id == token_hash
    if everywhere:
        key_id = select(steward_session.c.key_id).where(mine).scalar_subquery()
        mine = steward_session.c.key_id == key_id
    stmt = update(steward_session).where(mine, steward_session.c.ended_at.is_(None)).values(ended_at=at)
    return len((await session.execute(stmt.returning(steward_session.c.id))).all())
