"""Reads the GraphQL layer batches: many golden records, crosswalks and referrers at once,
as REST's views (mdm.records.service.view_of_row), one statement per level."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mdm.db import graph as sql
from mdm.db import held as held_sql
from mdm.db import repository as repo
from mdm.domains import Domain
from mdm.errors import Invalid
from mdm.policy.rules import Policy
from mdm.policy.visibility import shown
from mdm.records.service import as_utc, lineage_of, list_filters, view_of, view_of_row

Record = dict[str, Any]
MAX_MERGE_HOPS = 20  # a merge chain longer than this is broken data, not a chain to follow


async def views(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> dict[str, Record]:
    """The live record each id ends at (a merged-away id answers its survivor), keyed by
    the id asked for; ids that exist nowhere are absent. One statement per merge hop."""
    found: dict[str, Record] = {}
    pending = {i: i for i in ids}  # asked id -> id to read next
    for _ in range(MAX_MERGE_HOPS):
        if not pending:
            break
        rows = {r["id"]: r for r in await sql.golden_views(session, domain, list(set(pending.values())))}
        following: dict[str, str] = {}
        for asked, current in pending.items():
            row = rows.get(current)
            if row is None:
                continue
            if row["merged_into"]:
                following[asked] = row["merged_into"]
            else:
                found[asked] = view_of(domain, row)
        pending = following
    return found


async def crosswalks(session: AsyncSession, domain: Domain, ids: Sequence[str]) -> dict[str, list[Record]]:
    """The live source keys of each golden record."""
    out: dict[str, list[Record]] = {i: [] for i in ids}
    for golden_id, system, source_id in await sql.live_crosswalks(session, ids):
        out.setdefault(golden_id, []).append({"system": system, "source_id": source_id})
    return out


async def referrers(
    session: AsyncSession, domain: Domain, field: str, ids: Sequence[str], first: int
) -> dict[str, list[Record]]:
    """The first `first` live records of `domain` whose `field` names each id."""
    out: dict[str, list[Record]] = {i: [] for i in ids}
    for row in await sql.referrers(session, domain, field, ids, first):
        out.setdefault(row._mapping[field], []).append(view_of_row(domain, row))
    return out


async def lineages(
    session: AsyncSession, domain: Domain, ids: Sequence[str], policy: Policy, readable: frozenset[str]
) -> dict[str, list[Record]]:
    """The lineage of each live record (as REST's), only of the fields the caller may read:
    two statements for any number of records."""
    rows = [r for r in await sql.goldens_by_id(session, domain, ids, lineage=True) if not r.merged_into]
    sources: dict[str, list[Any]] = {}
    for r in await repo.sources_of(session, domain, [row.id for row in rows]):
        sources.setdefault(r.golden_id, []).append(r)
    out = {}
    for row in rows:
        entries = lineage_of(domain, row, sources.get(row.id, []), policy)
        out[row.id] = [e for e in entries if e["field"].split(".")[0] in readable]
    return out


async def histories(
    session: AsyncSession, domain: Domain, ids: Sequence[str], readable: frozenset[str]
) -> dict[str, list[Record]]:
    """Every version of each record, newest first, each version's data only of the fields
    the caller may read (as REST's history)."""
    out: dict[str, list[Record]] = {i: [] for i in ids}
    for r in await sql.histories(session, domain, ids):
        out.setdefault(r.golden_id, []).append({
            "version": r.version, "changed_at": r.changed_at, "action": r.action, "principal": r.principal,
            "correlation_id": r.correlation_id, "data": shown(domain, r.data, readable),
        })  # fmt: skip
    return out


async def count(
    session: AsyncSession,
    domain: Domain,
    *,
    q: str | None,
    status: str | None,
    updated_since: datetime | None,
    readable: frozenset[str],
    equals: Record | None = None,
    identifier: Record | None = None,
) -> int:
    """How many live records a list's filters select."""
    updated_since = as_utc(updated_since, "updated_since")
    link = list_filters(domain, status, equals, identifier, readable)
    return await repo.count_goldens(session, domain, q=q, status=status, updated_since=updated_since,
                                    readable=readable, equals=equals, identifier=link)  # fmt: skip


async def held_reasons(
    session: AsyncSession, domain: Domain, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """Why each of these source keys is held, for those that are."""
    return {(r.system, r.source_id): r.reason for r in await held_sql.held_rows(session, domain, keys)}


# ---- the estate at a past instant ----------------------------------------------------------------


async def views_at(session: AsyncSession, domain: Domain, ids: Sequence[str], at: datetime) -> dict[str, Record]:
    """Each record as it was at `at` (its version then), for those that existed then."""
    return {r.golden_id: dict(r.data) for r in await sql.versions_at(session, domain, ids, as_utc(at, "asOf") or at)}


async def crosswalks_at(session: AsyncSession, ids: Sequence[str], at: datetime) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = {i: [] for i in ids}
    for r in await sql.crosswalks_at(session, ids, as_utc(at, "asOf") or at):
        out.setdefault(r.golden_id, []).append({"system": r.system, "source_id": r.source_id})
    return out


def _filters_at(domain: Domain, status: str | None, equals: Record | None, identifier: Record | None,
                readable: frozenset[str]) -> None:  # fmt: skip
    list_filters(domain, status, equals, None, readable)
    if identifier is not None:
        raise Invalid("the identifier filter reads today's identifiers: not with asOf",
                      [("identifier", "not with asOf")])  # fmt: skip


async def page_at(
    session: AsyncSession, domain: Domain, at: datetime, *, limit: int, after_id: str | None, q: str | None,
    status: str | None, updated_since: datetime | None, readable: frozenset[str], equals: Record | None = None,
    identifier: Record | None = None,
) -> tuple[list[Record], bool]:  # fmt: skip
    """`service.list_page` of the estate as it was at `at`."""
    _filters_at(domain, status, equals, identifier, readable)
    rows = await sql.page_at(session, domain, as_utc(at, "asOf") or at, limit=limit + 1, after_id=after_id, q=q,
                             status=status, updated_since=as_utc(updated_since, "updated_since"), readable=readable,
                             equals=equals)  # fmt: skip
    return [dict(r.data) for r in rows[:limit]], len(rows) > limit


async def count_at(
    session: AsyncSession, domain: Domain, at: datetime, *, q: str | None, status: str | None,
    updated_since: datetime | None, readable: frozenset[str], equals: Record | None = None,
    identifier: Record | None = None,
) -> int:  # fmt: skip
    _filters_at(domain, status, equals, identifier, readable)
    return await sql.count_at(session, domain, as_utc(at, "asOf") or at, q=q, status=status,
                              updated_since=as_utc(updated_since, "updated_since"), readable=readable,
                              equals=equals)  # fmt: skip
