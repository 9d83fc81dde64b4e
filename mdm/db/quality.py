"""SQL of the data-quality report (mdm.records.quality): each figure one aggregate statement per
domain over its golden table or its source records, whatever the estate's size, and the
records behind a figure as a page of ids.

A figure is named by a code (`Figure`): what it counts, and on which field or system."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, Table, and_, case, cast, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from mdm.db.tables import GOLDEN, audit_log, golden_identifier, match_decision, source_record
from mdm.domains import BY_NAME, Domain, Field

JSON_KINDS = frozenset({"address", "rate_lines", "identifiers", "phones", "addresses", "person_name"})
# kinds whose source value and golden value compare as text (a money or a structured value
# is written in more than one way: left out of consistency)
COMPARABLE = frozenset({"text", "enum", "country", "currency", "email", "ref", "date"})


@dataclass(frozen=True, slots=True)
class Figure:
    """missing:<field>, broken:<field>, out_of_date:<field> (live records);
    disagree:<field>:<system>, unfilled:<field>:<system>, stale:<system> (source records);
    shared:<scheme> (identifiers on more than one live record)."""

    kind: str
    field: str | None = None
    system: str | None = None

    @classmethod
    def parse(cls, code: str) -> "Figure":
        kind, _, rest = code.partition(":")
        if kind == "stale":  # of a system, not of a field
            return cls(kind, None, rest or None)
        name, _, system = rest.partition(":")
        return cls(kind, name or None, system or None)

    @property
    def code(self) -> str:
        return ":".join(p for p in (self.kind, self.field, self.system) if p)


def _live(t: Any) -> ColumnElement[bool]:  # a golden table or an alias of one
    return t.c.merged_into.is_(None)


def _filled(t: Table, f: Field) -> ColumnElement[bool]:
    col = t.c[f.name]
    if f.kind in JSON_KINDS:
        return and_(col.is_not(None), cast(col, String).not_in(["[]", "{}", "null"]))
    return col.is_not(None)


def _count(test: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((test, 1), else_=0)), 0)


def _sent(field: str) -> Any:
    """A source record's value of a field, as text (null: not sent)."""
    return source_record.c.payload[field].as_string()


async def records(session: AsyncSession, d: Domain) -> tuple[int, int, dict[str, int]]:
    """(live records, merged-away records, live records by status)."""
    t = GOLDEN[d.name]
    rows = (await session.execute(select(t.c.status, t.c.merged_into.is_(None), func.count())
                                  .group_by(t.c.status, t.c.merged_into.is_(None)))).all()  # fmt: skip
    by_status: dict[str, int] = {}
    merged = 0
    for status, live, n in rows:
        if live:
            by_status[status] = by_status.get(status, 0) + n
        else:
            merged += n
    return sum(by_status.values()), merged, by_status


async def filled(session: AsyncSession, d: Domain) -> dict[str, int]:
    """Live records with a value, by field."""
    t = GOLDEN[d.name]
    fields = [f for f in d.fields if f.name != "status"]
    row = (await session.execute(select(*(_count(_filled(t, f)) for f in fields)).where(_live(t)))).one()
    return {f.name: int(n) for f, n in zip(fields, row, strict=True)}


async def sources(session: AsyncSession, d: Domain, stale_before: datetime) -> dict[str, dict[str, Any]]:
    """Per system: its current source records, those not refreshed since `stale_before`, and
    by field those that carry a value."""
    s = source_record.c
    fields = [f for f in d.fields if f.name != "status"]
    stmt = (select(s.system, func.count(), _count(s.received_at < stale_before),
                   *(_count(_sent(f.name).is_not(None)) for f in fields))
            .where(s.domain == d.name, s.ended_at.is_(None)).group_by(s.system))  # fmt: skip
    out = {}
    for system, n, stale, *sent in (await session.execute(stmt)).all():
        out[system] = {"records": n, "stale": int(stale),
                       "sent": {f.name: int(v) for f, v in zip(fields, sent, strict=True)}}  # fmt: skip
    return out


def _disagrees(t: Table, f: Field) -> ColumnElement[bool]:
    sent = _sent(f.name)
    return and_(sent.is_not(None), sent.is_distinct_from(cast(t.c[f.name], String)))


async def disagreements(session: AsyncSession, d: Domain) -> dict[str, dict[str, int]]:
    """Per system, by field: current source records of live golden records whose value for
    the field is not the golden value (a field compared as text: COMPARABLE)."""
    t, s = GOLDEN[d.name], source_record.c
    fields = [f for f in d.fields if f.kind in COMPARABLE and f.name != "status"]
    stmt = (select(s.system, *(_count(_disagrees(t, f)) for f in fields))
            .select_from(source_record.join(t, t.c.id == s.golden_id))
            .where(s.domain == d.name, s.ended_at.is_(None), _live(t)).group_by(s.system))  # fmt: skip
    return {system: {f.name: int(n) for f, n in zip(fields, counts, strict=True)}
            for system, *counts in (await session.execute(stmt)).all()}  # fmt: skip


def _window(target: Domain) -> tuple[str, str] | None:
    return target.date_ranges[0] if target.date_ranges else None


def _out_of_date(target: Any, window: tuple[str, str], today: date) -> ColumnElement[bool]:
    start, end = target.c[window[0]], target.c[window[1]]
    return (start > today) | (end < today)


async def references(session: AsyncSession, d: Domain, today: date) -> dict[str, dict[str, int]]:
    """By reference field of the live records: missing (empty), broken (no live record of
    that id) and, where the referenced domain has a validity window (its first date range),
    out of date (an active record's reference to one whose window does not hold today)."""
    t = GOLDEN[d.name]
    out: dict[str, dict[str, int]] = {}
    for f in d.fields:
        if f.kind != "ref" or f.ref is None:
            continue
        target = GOLDEN[f.ref].alias("target")
        window = _window(BY_NAME[f.ref])
        joined = t.outerjoin(target, and_(target.c.id == t.c[f.name], _live(target)))
        counts = [_count(t.c[f.name].is_(None)), _count(and_(t.c[f.name].is_not(None), target.c.id.is_(None)))]
        if window is not None:
            counts.append(_count(and_(t.c.status == "active", _out_of_date(target, window, today))))
        row = (await session.execute(select(*counts).select_from(joined).where(_live(t)))).one()
        out[f.name] = {"missing": int(row[0]), "broken": int(row[1])}
        if window is not None:
            out[f.name]["out_of_date"] = int(row[2])
    return out


async def shared_identifiers(session: AsyncSession, d: Domain) -> dict[str, int]:
    """By scheme: identifier values that more than one live record carries."""
    g = golden_identifier.c
    per_value = (select(g.scheme).where(g.domain == d.name).group_by(g.scheme, g.country, g.value)
                 .having(func.count() > 1).subquery())  # fmt: skip
    rows = (await session.execute(select(per_value.c.scheme, func.count()).group_by(per_value.c.scheme))).all()
    return {scheme: int(n) for scheme, n in rows}


def behind(d: Domain, figure: Figure, today: date, stale_before: datetime) -> Select[Any] | None:
    """The ids (and, for a source figure, systems and source ids) behind a figure, ordered for
    paging by id; None for a code this domain has no figure for."""
    t, s = GOLDEN[d.name], source_record.c
    f = d.field(figure.field) if figure.field and d.has_field(figure.field) else None
    nothing = literal(None, String)
    if figure.kind in ("missing", "broken", "out_of_date") and f is not None and f.kind == "ref" and f.ref:
        target = GOLDEN[f.ref].alias("target")
        window = _window(BY_NAME[f.ref])
        test = {
            "missing": t.c[f.name].is_(None),
            "broken": and_(t.c[f.name].is_not(None), target.c.id.is_(None)),
            "out_of_date": and_(t.c.status == "active", _out_of_date(target, window, today)) if window else None,
        }[figure.kind]
        if test is None:
            return None
        joined = t.outerjoin(target, and_(target.c.id == t.c[f.name], _live(target)))
        return select(t.c.id, nothing, nothing).select_from(joined).where(_live(t), test)
    if figure.kind == "missing" and f is not None:
        return select(t.c.id, nothing, nothing).where(_live(t), ~_filled(t, f))
    if figure.kind in ("disagree", "unfilled") and f is not None and figure.system:
        base = select(s.golden_id, s.system, s.source_id).where(s.domain == d.name, s.system == figure.system,
                                                               s.ended_at.is_(None))  # fmt: skip
        if figure.kind == "unfilled":
            return base.where(_sent(f.name).is_(None))
        if f.kind not in COMPARABLE:
            return None
        return base.join(t, t.c.id == s.golden_id).where(_live(t), _disagrees(t, f))
    if figure.kind == "stale" and figure.system:
        return select(s.golden_id, s.system, s.source_id).where(
            s.domain == d.name, s.system == figure.system, s.ended_at.is_(None), s.received_at < stale_before
        )
    if figure.kind == "shared" and figure.field:
        g = golden_identifier.c
        values = (select(g.country, g.value).where(g.domain == d.name, g.scheme == figure.field)
                  .group_by(g.country, g.value).having(func.count() > 1).subquery())  # fmt: skip
        return (select(g.golden_id, g.country, g.value)
                .join(values, and_(values.c.country == g.country, values.c.value == g.value))
                .where(g.domain == d.name, g.scheme == figure.field))  # fmt: skip
    return None


async def page(session: AsyncSession, stmt: Select[Any], after: tuple[str, str, str] | None,
               limit: int) -> list[tuple[str, str | None, str | None]]:  # fmt: skip
    """One page of (id, system, source id) rows of a figure, after the last one seen."""
    key = [func.coalesce(c, "") for c in stmt.selected_columns]
    if after is not None:
        stmt = stmt.where(tuple_(*key) > tuple_(*(v or "" for v in after)))
    rows = (await session.execute(stmt.order_by(*key).limit(limit))).all()
    return [(r[0], r[1], r[2]) for r in rows]


async def writes(session: AsyncSession, d: Domain, since: datetime) -> dict[str, tuple[int, int]]:
    """Per system: its writes of the domain since then, and those refused (invalid or denied),
    from the audit log (every upsert is one row of it)."""
    a = audit_log.c
    refused = a.outcome.in_(("rejected", "denied"))
    stmt = (select(a.principal, func.count(), _count(refused))
            .where(a.domain == d.name, a.at >= since, a.principal.startswith("system:"),
                   a.action.in_(("upsert", "create"))).group_by(a.principal))  # fmt: skip
    return {p.removeprefix("system:"): (int(n), int(r)) for p, n, r in (await session.execute(stmt)).all()}


async def decisions_by_day(session: AsyncSession, since: datetime) -> dict[str, tuple[int, int]]:
    """Per day (ISO date) since then: source records matching linked by score, and queued."""
    m = match_decision.c
    day = func.substr(cast(m.at, String), 1, 10)
    stmt = (select(day, _count(m.outcome == "linked"), _count(m.outcome == "pending_review"))
            .where(m.at >= since).group_by(day))  # fmt: skip
    return {str(d): (int(linked), int(queued)) for d, linked, queued in (await session.execute(stmt)).all()}
