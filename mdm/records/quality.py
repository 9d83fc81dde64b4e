"""The data-quality report: what a data steward looks at to see where the estate is bad, per
domain, without writing SQL (GET /v2/quality). Every figure is an aggregate over the whole
estate, computed on request (mdm.db.quality: a few statements per domain, each one pass over
a table), and each one that counts records pages to them (`records_behind`).

Beyond Reltio's completeness and recency: validity (writes refused, per system), uniqueness
(identifiers on more than one record), consistency (sources whose value is not the golden
one, per field and system), connectedness (references that are missing, broken or out of
date) and the stewards' backlogs by age."""

import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.v2 import quality as q
from mdm.db import backlog
from mdm.db import quality as sql
from mdm.domains import DOMAINS, Domain
from mdm.errors import Invalid

Figure = sql.Figure
STALE_DAYS = (1, 3650)  # the stale_days a report takes (REST and GraphQL)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 1.0


def _backlog(ages: dict[str, int] | None) -> q.Backlog:
    by_age = {name: (ages or {}).get(name, 0) for name, _ in backlog.AGES}
    return q.Backlog(total=sum(by_age.values()), by_age=by_age)


async def report(session: AsyncSession, domains: list[Domain] | None = None, stale_days: int = 90) -> q.QualityReport:
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    stale_before = now - timedelta(days=stale_days)
    candidates, held = await backlog.open_candidates(session, now), await backlog.held(session, now)
    out = [await _domain(session, d, now, stale_before, candidates.get(d.name), held.get(d.name))
           for d in domains or DOMAINS]  # fmt: skip
    took = round((time.perf_counter() - t0) * 1000, 1)
    return q.QualityReport(at=now, stale_days=stale_days, took_ms=took, domains=out)


async def _domain(session: AsyncSession, d: Domain, now: datetime, stale_before: datetime,
                  candidates: dict[str, int] | None, held: dict[str, int] | None) -> q.DomainQuality:  # fmt: skip
    live, merged, by_status = await sql.records(session, d)
    filled = await sql.filled(session, d)
    fields = [q.FieldQuality(field=name, filled=n, completeness=_ratio(n, live),
                             missing_figure=Figure("missing", name).code) for name, n in filled.items()]  # fmt: skip
    sources = await sql.sources(session, d, stale_before)
    differ = await sql.disagreements(session, d)
    written = await sql.writes(session, d, stale_before)
    systems = []
    for system in sorted(set(sources) | set(written)):
        got = sources.get(system, {"records": 0, "stale": 0, "sent": {}})
        n, refused = written.get(system, (0, 0))
        per_field = []
        for name, sent in got["sent"].items():
            if not sent:
                continue  # a field this system never sends is not its gap
            disagree = differ.get(system, {}).get(name)
            per_field.append(q.SourceFieldQuality(
                field=name, sent=sent, completeness=_ratio(sent, got["records"]),
                unfilled_figure=Figure("unfilled", name, system).code, disagree=disagree,
                consistency=None if disagree is None else round(1 - disagree / sent, 4),
                disagree_figure=None if disagree is None else Figure("disagree", name, system).code))  # fmt: skip
        systems.append(q.SourceQuality(
            system=system, records=got["records"], stale=got["stale"],
            stale_figure=Figure("stale", None, system).code, rejected=refused,
            validity=_ratio(n - refused, n), fields=per_field))  # fmt: skip
    refs = []
    for name, counts in (await sql.references(session, d, now.date())).items():
        out_of_date = counts.get("out_of_date")
        refs.append(q.ReferenceQuality(
            field=name, target=d.field(name).ref or "", missing=counts["missing"], broken=counts["broken"],
            out_of_date=out_of_date, missing_figure=Figure("missing", name).code,
            broken_figure=Figure("broken", name).code,
            out_of_date_figure=None if out_of_date is None else Figure("out_of_date", name).code))  # fmt: skip
    unique = [q.UniqueQuality(scheme=scheme, shared_values=n, figure=Figure("shared", scheme).code)
              for scheme, n in sorted((await sql.shared_identifiers(session, d)).items())]  # fmt: skip
    return q.DomainQuality(
        domain=d.name, records=live, merged=merged, by_status=by_status, fields=fields, sources=systems,
        references=refs, uniqueness=unique, open_candidates=_backlog(candidates), held=_backlog(held),
        score=_score(live, fields, systems, refs))  # fmt: skip


def _score(live: int, fields: list[q.FieldQuality], systems: list[q.SourceQuality],
           refs: list[q.ReferenceQuality]) -> float:  # fmt: skip
    """The mean of four figures, each 0..1: completeness (over fields), validity (over
    systems), consistency (over the fields each system sends and is compared on) and
    connectedness (references neither broken nor out of date; a missing one counts in
    completeness already)."""
    parts = [sum(f.completeness for f in fields) / len(fields) if fields else 1.0]
    parts.append(sum(s.validity for s in systems) / len(systems) if systems else 1.0)
    compared = [f.consistency for s in systems for f in s.fields if f.consistency is not None]
    parts.append(sum(compared) / len(compared) if compared else 1.0)
    bad = sum(r.broken + (r.out_of_date or 0) for r in refs)
    parts.append(1 - bad / (live * len(refs)) if live and refs else 1.0)
    return round(sum(parts) / len(parts), 4)


def _cursor(row: tuple[str, str | None, str | None]) -> str:
    return base64.urlsafe_b64encode("\x1f".join(v or "" for v in row).encode()).decode()


def _after(cursor: str | None) -> tuple[str, str, str] | None:
    if cursor is None:
        return None
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("\x1f")
    except ValueError:
        parts = []
    if len(parts) != 3:
        raise Invalid("the cursor is not one this report gave", [("after", "not a cursor this API gave out")])
    return parts[0], parts[1], parts[2]


async def records_behind(session: AsyncSession, d: Domain, code: str, after: str | None, limit: int,
                         stale_days: int = 90) -> q.QualityRecords:  # fmt: skip
    """A page of the records a figure counts, in id order."""
    now = datetime.now(UTC)
    stmt = sql.behind(d, Figure.parse(code), now.date(), now - timedelta(days=stale_days))
    if stmt is None:
        raise Invalid(f"{d.name} has no figure '{code}'", [("figure", "is not a figure code of this domain's report")])
    rows = await sql.page(session, stmt, _after(after), limit + 1)
    items: list[Any] = [q.QualityRecord(id=r[0], system=r[1], source_id=r[2]) for r in rows[:limit]]
    return q.QualityRecords(figure=code, items=items, next=_cursor(rows[limit - 1]) if len(rows) > limit else None)


async def autolink_by_day(session: AsyncSession, days: int = 14) -> list[tuple[str, int, int, float | None]]:
    """The last `days` days, oldest first: (date, linked by score, queued for review, the
    auto-link rate: linked / both; None on a day nothing was scored)."""
    today = datetime.now(UTC).date()
    found = await sql.decisions_by_day(session, datetime.now(UTC) - timedelta(days=days))
    out = []
    for back in range(days - 1, -1, -1):
        day = (today - timedelta(days=back)).isoformat()
        linked, queued = found.get(day, (0, 0))
        out.append((day, linked, queued, round(linked / (linked + queued), 4) if linked + queued else None))
    return out
