"""The steward workbench at /stewardship/: server-rendered pages (Jinja2, plain forms, no
build step) over the same services as the API.

Sign-in checks a steward's API key and opens a session on the server (8 hours); the
HttpOnly, SameSite=Strict cookie scoped to /stewardship holds only the session's random
token, never the key, and the server keeps only the token's hash. Every page looks the
session up with its key: signing out (here or everywhere), the session's end, or revoking
the key stops it at the next page. Every form carries a CSRF token: once signed in, one made
from the session's secret token (a form of another session, or a planted cookie, does not
pass); before, the sign-in form's, equal to a second HttpOnly cookie (double submit). A POST
without the right one is a 403. Only keys with the steward role sign in; five failed
sign-ins from one address within a minute make it wait out the minute (429).
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from mdm.api import provide_session
from mdm.api.records import SourceId, System
from mdm.auth.actor import Actor
from mdm.auth.keys import Caller, hash_key
from mdm.db import held as held_sql
from mdm.db import repository as repo
from mdm.db.backlog import AGES
from mdm.domains import BY_NAME, DOMAINS, Domain, domain_of_id
from mdm.errors import Forbidden, MdmError
from mdm.events import feed
from mdm.policy.visibility import shown
from mdm.records import quality, service
from stewardship import charts, queue
from stewardship import repository as srepo
from stewardship.display import display, key_fields, record_name, waited
from stewardship.merge import merge, unmerge

T = TypeVar("T")
PATH = "/stewardship"
PAGE = 50  # pairs a page of one domain's queue shows
FIRST = 10  # pairs of each domain the queue of every domain shows, best first
SESSION_COOKIE = "mdm_steward"
SESSION_HOURS = 8
CSRF_COOKIE = "mdm_csrf"
FAILURES_ALLOWED = 5  # failed sign-ins from one address ...
THROTTLE_SECONDS = 60.0  # ... within this window, then it waits the window out
Session = NamedDependency[AsyncSession]
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Name = Annotated[str, PathParameter(pattern=r"^[a-z_]+$", max_length=32)]
Id = Annotated[str, PathParameter(max_length=64, pattern=r"^[A-Za-z0-9_]+$")]
CandidateId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]  # the column is a 32-bit integer


class SignIn(MdmError):
    status = 401
    title = "Sign in"


def _cookie(name: str, value: str, request: Request, max_age: int | None = None) -> Cookie:
    return Cookie(key=name, value=value, path=PATH, httponly=True, samesite="strict",
                  secure=request.url.scheme == "https", max_age=max_age)  # fmt: skip


def session_csrf(token: str) -> str:
    """A session's CSRF token, made from its secret token: a form from another session, or
    a token planted in a cookie, does not pass."""
    return hashlib.sha256(b"mdm-csrf:" + token.encode()).hexdigest()


def csrf_token(request: Request) -> str:
    """The token a page's forms carry: the session's once signed in; before, the
    double-submit cookie's (the sign-in form)."""
    if session := request.cookies.get(SESSION_COOKIE):
        return session_csrf(session)
    return request.cookies.get(CSRF_COOKIE) or request.scope.setdefault("state", {}).setdefault(
        "csrf", secrets.token_urlsafe(32)
    )


def check_csrf(request: Request, form: dict[str, str]) -> None:
    session, sent = request.cookies.get(SESSION_COOKIE), form.get("csrf", "")
    expected = session_csrf(session) if session else request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, sent):
        raise Forbidden("this form was not sent from the workbench (its CSRF token is missing or wrong)")


class Throttle:
    """Failed sign-ins per client address: FAILURES_ALLOWED within THROTTLE_SECONDS, then
    every sign-in from that address waits the window out (429), a right key included, so
    keys cannot be guessed at speed. Per worker, in memory."""

    def __init__(self) -> None:
        self.failures: dict[str, list[float]] = {}

    def wait(self, address: str, now: float) -> float:
        """Seconds this address must still wait (0: it may try)."""
        recent = [t for t in self.failures.get(address, ()) if now - t < THROTTLE_SECONDS]
        self.failures[address] = recent
        return THROTTLE_SECONDS - (now - recent[0]) if len(recent) >= FAILURES_ALLOWED else 0.0

    def failed(self, address: str, now: float) -> None:
        self.failures.setdefault(address, []).append(now)
        if len(self.failures) > 10_000:  # forget the quietest addresses first
            for stale in sorted(self.failures, key=lambda a: max(self.failures[a], default=0.0))[:5_000]:
                del self.failures[stale]


async def caller_of(request: Request, db_session: AsyncSession) -> Caller | None:
    """The steward whose open session the cookie names, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 100:
        return None
    row = await srepo.session_key(db_session, hash_key(token), datetime.now(UTC))
    return None if row is None else Caller(principal=row.principal, roles=frozenset(row.roles), key_id=row.id)


async def provide_steward(request: Request, db_session: Session) -> Actor:
    """The signed-in steward under the policy in force; to the sign-in page otherwise."""
    caller = await caller_of(request, db_session)
    if caller is None:
        raise SignIn("sign in with a steward's API key")
    return Actor(
        principal=caller.principal,
        correlation_id=request.scope.get("state", {}).get("correlation_id"),
        policy=await request.app.state.policies.for_write(db_session),
        roles=caller.roles,
    )


Steward = NamedDependency[Actor]


def page(request: Request, name: str, status: int = 200, **context: Any) -> Template:
    """A page, with the CSRF cookie set the first time."""
    token = csrf_token(request)
    cookies = [] if request.cookies.get(CSRF_COOKIE) == token else [_cookie(CSRF_COOKIE, token, request)]
    return Template(template_name=name, context={"csrf": token, "path": PATH, **context}, status_code=status,
                    cookies=cookies)  # fmt: skip


def _readable(actor: Actor, domain: Domain) -> frozenset[str]:
    return actor.policy.readable(actor.subjects, domain.name)


def _domains(actor: Actor) -> list[str]:
    return [d.name for d in DOMAINS if _readable(actor, d)]


async def _names(db_session: AsyncSession, steward: Actor, ids: set[str]) -> dict[str, str]:
    """What a person calls each record among `ids` (references held by the records a page
    shows): one query per domain, and only of domains the steward may read."""
    by_domain: dict[str, list[str]] = {}
    for rid in ids:
        if (domain := domain_of_id(rid)) is not None and _readable(steward, domain):
            by_domain.setdefault(domain.name, []).append(rid)
    names: dict[str, str] = {}
    for name, rids in by_domain.items():
        domain = BY_NAME[name]
        for rid, view in (await queue.records(db_session, domain, rids, _readable(steward, domain))).items():
            names[rid] = record_name(domain, view)
    return names


def _refs(domain: Domain, views: list[dict[str, Any] | None], fields: tuple[str, ...] | None = None) -> set[str]:
    """The ids the reference fields (of `fields`, or all) of these records hold."""
    wanted = [f for f in domain.references if fields is None or f.name in fields]
    return {v for view in views if view for f in wanted if isinstance(v := view.get(f.name), str)}


# ---- signing in and out ---------------------------------------------------------------


@get("/sign-in", sync_to_thread=False)
def sign_in_page(request: Request) -> Template:
    return page(request, "sign_in.html", error=None)


async def _audit(
    request: Request, db_session: AsyncSession, action: str, caller: Caller | None, outcome: str, detail: str
) -> None:
    """Sign-ins (refused ones too, never the key tried) and sign-outs, beside the writes."""
    correlation_id = request.scope.get("state", {}).get("correlation_id")
    row = repo.audit_row(datetime.now(UTC), caller.principal if caller else "anonymous",
                         caller.roles if caller else (), action, outcome,
                         correlation_id=correlation_id, detail=detail)  # fmt: skip
    await repo.insert_audit(db_session, [row])


@post("/sign-in")
async def sign_in(request: Request, db_session: Session, data: Form) -> Response[Any]:
    """A steward's key opens a session (the steward role: an admin key without it does not).
    Failed attempts from one address are throttled (Throttle)."""
    check_csrf(request, data)
    throttle: Throttle = request.app.state.setdefault("workbench_throttle", Throttle())
    address, clock = request.client.host if request.client else "unknown", time.monotonic()
    if wait := throttle.wait(address, clock):
        await _audit(request, db_session, "sign_in", None, "refused", "workbench: throttled after failed sign-ins")
        template = page(request, "sign_in.html", status=429,
                        error=f"Too many failed sign-ins from here; try again in {int(wait) + 1} s.")  # fmt: skip
        template.headers["Retry-After"] = str(int(wait) + 1)
        return template
    key = data.get("api_key", "").strip()
    caller = await request.app.state.api_keys.caller_for_header(f"Bearer {key}".encode()) if key else None
    if caller is None or "steward" not in caller.roles:
        error = "That key is unknown, revoked, or not a steward's." if key else "Enter your API key."
        if key:
            throttle.failed(address, clock)
            why = "unknown or revoked key" if caller is None else "not a steward's key"
            await _audit(request, db_session, "sign_in", caller, "refused", f"workbench: {why}")
        return page(request, "sign_in.html", status=401, error=error)
    token, now = secrets.token_urlsafe(32), datetime.now(UTC)
    await srepo.open_session(db_session, hash_key(token), caller.key_id, now, now + timedelta(hours=SESSION_HOURS))
    await _audit(request, db_session, "sign_in", caller, "signed_in", f"workbench session for {SESSION_HOURS} h")
    response: Response[Any] = Redirect(f"{PATH}/queue", status_code=303)
    response.cookies.append(_cookie(SESSION_COOKIE, token, request, max_age=SESSION_HOURS * 3600))
    response.cookies.append(_cookie(CSRF_COOKIE, session_csrf(token), request))  # the session's own from now
    return response


@post("/sign-out")
async def sign_out(request: Request, db_session: Session, data: Form) -> Redirect:
    """End this session, or with `everywhere` every session of the same key (a lost laptop)."""
    check_csrf(request, data)
    if token := request.cookies.get(SESSION_COOKIE):
        caller = await caller_of(request, db_session)
        everywhere = "everywhere" in data
        ended = await srepo.end_sessions(db_session, hash_key(token), datetime.now(UTC), everywhere=everywhere)
        if caller is not None:
            where = f"everywhere: {ended} session(s)" if everywhere else "this session"
            await _audit(request, db_session, "sign_out", caller, "signed_out", f"workbench, {where}")
    response = Redirect(f"{PATH}/sign-in", status_code=303)
    response.cookies.append(_cookie(SESSION_COOKIE, "", request, max_age=0))
    return response


# ---- the queue, the dashboard ---------------------------------------------------------


@get("/")
async def dashboard(request: Request, db_session: Session, steward: Steward) -> Template:
    domains = _domains(steward)
    rows = [r for r in await srepo.queue_counts(db_session) if r[0] in domains]
    open_by_domain = {d: (n, oldest) for d, status, n, oldest in rows if status == "pending"}
    held = await held_sql.count_held(db_session)
    summary = [{"domain": d, "open": open_by_domain.get(d, (0, None))[0], "held": held.get(d, 0),
                "oldest": waited(open_by_domain.get(d, (0, None))[1])} for d in domains]  # fmt: skip
    return page(request, "dashboard.html", steward=steward.principal, summary=summary)


@get("/quality")
async def quality_page(
    request: Request,
    db_session: Session,
    steward: Steward,
    domain: Annotated[str | None, QueryParameter(pattern=r"^[a-z_]*$", max_length=32)] = None,
) -> Template:
    """The data-quality report as charts, each with its numbers as a table: completeness by
    field of one domain, the queue's and held records' age, the auto-link rate by day, the
    consumers' lag."""
    names = _domains(steward)
    chosen = domain if domain in names else (names[0] if names else None)
    report = await quality.report(db_session, [BY_NAME[n] for n in names])
    by_name = {d.domain: d for d in report.domains}
    ages = [name for name, _ in AGES]
    mine = by_name.get(chosen) if chosen else None
    days = await quality.autolink_by_day(db_session)
    lags = await feed.lags(db_session, datetime.now(UTC))
    figures = {
        "completeness": charts.bars("completeness", f"Completeness of {chosen} fields",
                                    [(f.field, f.completeness) for f in mine.fields] if mine else []),
        "backlog": charts.stacked("backlog", "Open candidates and held records by age",
                                  [(f"{d.domain} {what}", [getattr(d, what).by_age[a] for a in ages])
                                   for d in report.domains for what in ("open_candidates", "held")],
                                  [f"up to {a}" if a != "older" else "older" for a in ages]),
        "autolink": charts.columns("autolink", "Auto-link rate by day (linked by score / scored)",
                                   [(day[5:], rate) for day, _, _, rate in days]),
        "lag": charts.bars("lag", "Events each consumer has not delivered",
                           [(lag["name"], lag["behind_events"]) for lag in lags],
                           maximum=max((lag["behind_events"] for lag in lags), default=0) or 1, percent=False),
    }  # fmt: skip
    return page(request, "quality.html", steward=steward.principal, report=report, chosen=chosen, names=names,
                mine=mine, ages=ages, days=days, lags=lags, charts=figures)  # fmt: skip


@get("/queue")
async def queue_page(
    request: Request,
    db_session: Session,
    steward: Steward,
    domain: Annotated[str | None, QueryParameter(pattern=r"^[a-z_]*$", max_length=32)] = None,
    status: Annotated[str, QueryParameter(pattern=r"^(open|merged|rejected|closed)$")] = "open",
    min_score: Annotated[str, QueryParameter(pattern=r"^(0(\.\d*)?|1(\.0*)?|\.\d+)?$")] = "",  # a form sends ""
    record: Annotated[str | None, QueryParameter(max_length=64, pattern=r"^[A-Za-z0-9_]*$")] = None,
    cursor: Annotated[str | None, QueryParameter(max_length=200, pattern=r"^[A-Za-z0-9_-]*$")] = None,
) -> Template:
    """The queue grouped by domain: per domain how many pairs pass the filters and the best
    of them, each with both records' names and key fields. Every domain shows its first
    few; one domain pages through all of its pairs."""
    domains = _domains(steward)
    one = domain in domains
    chosen = [domain] if one and domain else domains
    floor = float(min_score) if min_score else None
    filters = {"domain": domain or "", "status": status, "min_score": min_score, "record": record or ""}
    where: dict[str, Any] = {"status": status, "min_score": floor, "max_score": None, "system": None,
                             "record": record or None}  # fmt: skip
    counts = await queue.counts(db_session, chosen, **where)
    sections, refs = [], set()
    for name in (n for n in chosen if counts.get(n)):
        d = BY_NAME[name]
        found = await queue.page(db_session, [name], cursor=(cursor or None) if one else None,
                                 limit=PAGE if one else FIRST, **where)  # fmt: skip
        items = found["items"]
        views = await queue.records(db_session, d, [i for c in items for i in (c["left_id"], c["right_id"])],
                                    _readable(steward, d))  # fmt: skip
        refs |= _refs(d, list(views.values()), key_fields(d))
        if one:
            more = found["next_cursor"] and f"{PATH}/queue?{urlencode({**filters, 'cursor': found['next_cursor']})}"
        else:
            more = counts[name] > len(items) and f"{PATH}/queue?{urlencode({**filters, 'domain': name})}"
        sections.append({"domain": name, "count": counts[name], "items": items, "views": views, "more": more or None})
    names = await _names(db_session, steward, refs)
    for section in sections:
        d, views = BY_NAME[section["domain"]], section.pop("views")
        section["pairs"] = [_pair(d, c, views.get(c["left_id"]), views.get(c["right_id"]), names)
                            for c in section.pop("items")]  # fmt: skip
    rejected = request.query_params.get("rejected")
    return page(request, "queue.html", steward=steward.principal, sections=sections, domains=domains,
                counts={n: counts.get(n, 0) for n in chosen}, filters=filters,
                notice=f"Pair {rejected} marked not a match." if rejected else None)  # fmt: skip


def _pair(domain: Domain, c: dict[str, Any], left: dict[str, Any] | None, right: dict[str, Any] | None,
          names: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """A queue row: the entry, and each record's name and key fields (a reference by the
    name of what it names), a key field marked where the two records differ."""

    def text(f: str, view: dict[str, Any] | None) -> str:
        value = (view or {}).get(f)
        return names.get(value, value) if isinstance(value, str) and domain.field(f).kind == "ref" else display(value)

    # the key fields either record has (and the caller may read), in both columns alike
    fields = [
        f for f in key_fields(domain) if (left or {}).get(f) not in (None, []) or (right or {}).get(f) not in (None, [])
    ]

    def side(record_id: str, view: dict[str, Any] | None) -> dict[str, Any]:
        keys = [{"field": f, "value": text(f, view), "differs": (left or {}).get(f) != (right or {}).get(f)}
                for f in fields]  # fmt: skip
        return {"id": record_id, "name": record_name(domain, view) or record_id, "fields": keys,
                "merged_into": (view or {}).get("merged_into")}  # fmt: skip

    return {**c, "left": side(c["left_id"], left), "right": side(c["right_id"], right)}


async def _attempt(db_session: AsyncSession, work: Awaitable[T], back: str) -> T | Redirect:
    """The work's result; if the service refuses it, the transaction rolls back (a merge
    flushes as it goes) and the steward is sent back to `back` with the reason."""
    try:
        return await work
    except MdmError as exc:
        await db_session.rollback()
        return Redirect(f"{back}?{urlencode({'error': exc.detail})}", status_code=303)


def _to_record(name: str, record_id: str, notice: str) -> Redirect:
    return Redirect(f"{PATH}/records/{name}/{record_id}?{urlencode({'notice': notice})}", status_code=303)


# ---- a pair: compare, merge, reject ---------------------------------------------------


@get("/candidates/{candidate_id:int}")
async def compare(request: Request, db_session: Session, steward: Steward, candidate_id: CandidateId) -> Template:
    row = await srepo.candidate(db_session, candidate_id)
    if row is None or row.domain not in BY_NAME:
        return page(request, "message.html", status=404, steward=steward.principal, title="Not found",
                    message=f"There is no queued pair {candidate_id}.")  # fmt: skip
    domain = BY_NAME[row.domain]
    found = await queue.detail(db_session, candidate_id, _readable(steward, domain))
    names = await _names(db_session, steward, _refs(domain, [found["left"], found["right"]]))
    for f in found["fields"]:
        f["ref"] = domain.field(f["field"]).ref
    return page(request, "compare.html", steward=steward.principal, domain=domain.name, pair=found, names=names,
                left_name=record_name(domain, found["left"]) or row.left_id,
                right_name=record_name(domain, found["right"]) or row.right_id,
                error=request.query_params.get("error"))  # fmt: skip


@post("/candidates/{candidate_id:int}/merge")
async def merge_pair(
    request: Request, db_session: Session, steward: Steward, candidate_id: CandidateId, data: Form
) -> Response[Any]:
    check_csrf(request, data)
    row = await srepo.candidate(db_session, candidate_id)
    if row is None or row.domain not in BY_NAME:
        return Redirect(f"{PATH}/queue", status_code=303)
    domain = BY_NAME[row.domain]
    keep, fold = (row.left_id, row.right_id) if data.get("survivor") != "right" else (row.right_id, row.left_id)
    sides = {"left": row.left_id, "right": row.right_id}
    picks = {k.removeprefix("pick_"): sides[v] for k, v in data.items() if k.startswith("pick_") and v in sides}
    picks = {k: v for k, v in picks.items() if domain.has_field(k)}
    done = await _attempt(db_session, merge(db_session, domain, keep, [fold], picks, steward),
                          f"{PATH}/candidates/{candidate_id}")  # fmt: skip
    if isinstance(done, Redirect):
        return done
    return Redirect(f"{PATH}/records/{domain.name}/{done['survivor_id']}?merged={done['merge_id']}", status_code=303)


@post("/candidates/{candidate_id:int}/reject")
async def reject_pair(
    request: Request, db_session: Session, steward: Steward, candidate_id: CandidateId, data: Form
) -> Response[Any]:
    check_csrf(request, data)
    refused = await _attempt(db_session, queue.reject(db_session, candidate_id, steward),
                             f"{PATH}/candidates/{candidate_id}")  # fmt: skip
    if isinstance(refused, Redirect):
        return refused
    return Redirect(f"{PATH}/queue?{urlencode({'rejected': candidate_id})}", status_code=303)


# ---- held source records: link to a candidate, or make a golden record ------------------

HELD_PAGE = 200


@get("/held")
async def held_page(request: Request, db_session: Session, steward: Steward) -> Template:
    """Every readable domain's held records (the oldest 200 each), the record as sent (its
    readable fields), why, and its candidates to link to."""
    groups = []
    for name in _domains(steward):
        domain = BY_NAME[name]
        rows = await held_sql.list_held(db_session, domain, None, HELD_PAGE)
        if rows:
            fields = _readable(steward, domain)
            items = []
            for r in rows:
                seen = shown(domain, dict(r.payload), fields)
                items.append({"system": r.system, "source_id": r.source_id, "reason": r.reason, "detail": r.detail,
                              "candidates": r.candidates, "received_at": r.received_at,
                              "values": [(f.name, display(seen[f.name])) for f in domain.fields
                                         if seen.get(f.name) is not None]})  # fmt: skip
            groups.append({"domain": name, "items": items})
    return page(request, "held.html", steward=steward.principal, groups=groups,
                notice=request.query_params.get("notice"), error=request.query_params.get("error"))  # fmt: skip


@post("/held/{name:str}/{system:str}/{source_id:str}")
async def decide_held(
    request: Request,
    db_session: Session,
    steward: Steward,
    name: Name,
    system: System,
    source_id: SourceId,
    data: Form,
) -> Response[Any]:
    """Link a held record to the golden record named in the form (`link`), or make one of it (`create`)."""
    check_csrf(request, data)
    domain = BY_NAME.get(name)
    if domain is None or not _readable(steward, domain):
        return Redirect(f"{PATH}/held", status_code=303)
    target = data.get("link", "")
    work = (service.link_held(db_session, domain, system, source_id, target, steward) if target
            else service.create_from_held(db_session, domain, system, source_id, steward))  # fmt: skip
    done = await _attempt(db_session, work, f"{PATH}/held")
    if isinstance(done, Redirect):
        return done
    return _to_record(name, done["id"], f"{system}/{source_id} {done['outcome']}")


# ---- records: search, one record, unmerge, clear an override --------------------------


@get("/search")
async def search(
    request: Request,
    db_session: Session,
    steward: Steward,
    q: Annotated[str, QueryParameter(max_length=200, pattern=r"^[^\x00]*$")] = "",
) -> Template:
    hits = []
    if q.strip():
        for name in _domains(steward):
            domain = BY_NAME[name]
            items, _ = await service.list_page(db_session, domain, limit=10, after_id=None, q=q.strip(), status=None,
                                               updated_since=None, readable=_readable(steward, domain))  # fmt: skip
            hits += [{"domain": name, "id": v["id"], "label": record_name(domain, v)} for v in items]
    return page(request, "search.html", steward=steward.principal, q=q, hits=hits)


@get("/records/{name:str}/{record_id:str}")
async def record(request: Request, db_session: Session, steward: Steward, name: Name, record_id: Id) -> Template:
    domain = BY_NAME.get(name)
    if domain is None or not _readable(steward, domain):
        return page(request, "message.html", status=404, steward=steward.principal, title="Not found",
                    message=f"There is no domain {name} you may read.")  # fmt: skip
    fields = _readable(steward, domain)
    try:
        view = await service.get(db_session, domain, record_id, None)
    except MdmError as exc:
        if exc.status == 301:
            return Redirect(f"{PATH}/records/{name}/{exc.survivor_id}", status_code=303)  # type: ignore[attr-defined, return-value]
        return page(request, "message.html", status=exc.status, steward=steward.principal, title=exc.title,
                    message=exc.detail)  # fmt: skip
    values = [{"field": f.name, "value": view.get(f.name), "override": f.name in view["overrides"], "ref": f.ref}
              for f in domain.fields if f.name in fields]  # fmt: skip
    seen = shown(domain, view, fields)
    found = await service.lineage(db_session, domain, record_id, steward.policy)
    lineage = [{**e, "ref": domain.field(head).ref} for e in found
               if (head := e["field"].partition(".")[0]) in fields]  # fmt: skip  # a list field's slots too
    history = await service.history(db_session, domain, record_id)
    merges = await srepo.merges_of(db_session, domain, record_id)
    names = await _names(db_session, steward, _refs(domain, [seen]))
    return page(request, "record.html", steward=steward.principal, domain=name, view=view, values=values,
                title=record_name(domain, seen) or record_id, names=names,
                crosswalks=await service.crosswalks(db_session, domain, record_id), lineage=lineage,
                history=[{k: h[k] for k in ("version", "changed_at", "action", "principal")} for h in history],
                merges=merges, notice=request.query_params.get("merged") or request.query_params.get("notice"),
                error=request.query_params.get("error"))  # fmt: skip


@post("/records/{name:str}/{record_id:str}/unmerge")
async def unmerge_record(
    request: Request, db_session: Session, steward: Steward, name: Name, record_id: Id, data: Form
) -> Response[Any]:
    check_csrf(request, data)
    domain = BY_NAME.get(name)
    if domain is None:
        return Redirect(f"{PATH}/", status_code=303)
    work = unmerge(db_session, domain, record_id, data.get("merge_id", ""), steward)
    refused = await _attempt(db_session, work, f"{PATH}/records/{name}/{record_id}")
    return (
        refused
        if isinstance(refused, Redirect)
        else _to_record(name, record_id, f"Merge {data.get('merge_id')} undone.")
    )


@post("/records/{name:str}/{record_id:str}/clear-override")
async def clear_override(
    request: Request, db_session: Session, steward: Steward, name: Name, record_id: Id, data: Form
) -> Response[Any]:
    check_csrf(request, data)
    domain = BY_NAME.get(name)
    if domain is None:
        return Redirect(f"{PATH}/", status_code=303)
    work = service.patch(db_session, domain, record_id, {}, [data.get("field", "")], None, steward)
    refused = await _attempt(db_session, work, f"{PATH}/records/{name}/{record_id}")
    return (
        refused
        if isinstance(refused, Redirect)
        else _to_record(name, record_id, f"Override of {data.get('field')} cleared.")
    )


def on_sign_in_needed(request: Request, exc: SignIn) -> Response[Any]:
    return Redirect(f"{PATH}/sign-in", status_code=303)


def on_refused(request: Request, exc: Forbidden) -> Template:
    return page(request, "message.html", status=403, steward=None, title="Refused", message=exc.detail)


workbench_router = Router(
    path=PATH,
    route_handlers=[
        sign_in_page,
        sign_in,
        sign_out,
        dashboard,
        quality_page,
        queue_page,
        held_page,
        decide_held,
        compare,
        merge_pair,
        reject_pair,
        search,
        record,
        unmerge_record,
        clear_override,
    ],
    dependencies={"db_session": Provide(provide_session), "steward": Provide(provide_steward)},
    exception_handlers={SignIn: on_sign_in_needed, Forbidden: on_refused},
    include_in_schema=False,
)
