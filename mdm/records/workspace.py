"""A unit of work over golden records: load once, change in memory, flush once (the checks
on what it holds are mdm/records/validation.py's).

Every write (source upsert, hub create, steward patch, detach) goes through one
Workspace inside the request's transaction, so a batch of a thousand upserts costs a
handful of statements and a failed item leaves nothing behind.
"""

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from mdm import events
from mdm.auth.actor import Actor
from mdm.db import driver
from mdm.db import events as events_sql
from mdm.db import held as held_sql
from mdm.db import repository as repo
from mdm.db.convert import from_column, to_column, values_of
from mdm.db.merges import follow
from mdm.domains import BY_NAME, Domain, Key, domain_of_id
from mdm.domains.identifiers import link_keys
from mdm.matching.blocking import blocking_keys_of
from mdm.matching.ingest import FuzzyIndex
from mdm.records.survivorship import SourceView, survive
from mdm.records.values import Record

KeyRef = tuple[str, tuple[str, ...], tuple[Any, ...]]  # (domain, key fields, values)
IDENTIFIER = ("identifiers",)  # the key "fields" of an identifier link: values (scheme, country, value)


def identifier_links(domain: Domain, record: Record) -> list[tuple[str, str, str]]:
    """The (scheme, country, value) of a record's identifiers that link (mdm.domains.identifiers.LINKS)."""
    return [link for f in domain.list_fields if f.kind == "identifiers" for e in record.get(f.name) or ()
            if (link := link_keys(e)) is not None]  # fmt: skip


@dataclass(slots=True)
class SourceState:
    domain: str
    system: str
    source_id: str
    golden_id: str
    payload: Record
    payload_hash: str
    received_at: datetime
    correlation_id: str | None
    ended_at: datetime | None
    new: bool = False
    dirty: bool = False


@dataclass(slots=True)
class CrosswalkState:
    domain: str
    system: str
    source_id: str
    golden_id: str
    created_at: datetime
    ended_at: datetime | None
    new: bool = False
    dirty: bool = False


@dataclass(slots=True)
class GoldenState:
    domain: Domain
    id: str
    version: int
    created_at: datetime
    updated_at: datetime
    merged_into: str | None
    values: Record  # every field incl. status, builtins
    overrides: dict[str, dict[str, Any]]
    lineage: dict[str, dict[str, Any]]
    new: bool = False
    dirty: bool = False
    prev_version: int = 0
    source_keys: set[tuple[str, str]] = field(default_factory=set)
    # (system, source_id, payload hash) of its live source records as loaded: matching reads
    # every source's values, so a changed source re-indexes the record (see Workspace._reindex)
    indexed_sources: frozenset[tuple[str, str, str]] = frozenset()
    # its field values and merged_into at its last event (as loaded; None: new), which the
    # next version's event compares with (mdm.events.golden_event)
    before: Record | None = None
    before_merged: str | None = None

    def clone(self) -> "GoldenState":
        return dataclasses.replace(
            self,
            values=dict(self.values),
            overrides=dict(self.overrides),
            lineage=dict(self.lineage),
            source_keys=set(self.source_keys),
        )

    def read_view(self) -> Record:
        """The record as the API shows it (builtins)."""
        view: Record = {
            "id": self.id,
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
        view.update(self.values)
        view["overrides"] = sorted(self.overrides)
        return view


class Workspace:
    def __init__(self, session: AsyncSession, actor: Actor, now: datetime):
        self.session = session
        self.actor = actor
        self.now = now
        self.goldens: dict[str, GoldenState] = {}
        self.sources: dict[tuple[str, str, str], SourceState] = {}
        self.crosswalks: dict[tuple[str, str, str], CrosswalkState] = {}
        self.ref_cache: dict[str, str | None] = {}  # id -> merged_into ("" = missing)
        self.key_index: dict[KeyRef, set[str]] = {}  # key values of goldens held here
        self.db_keys: dict[KeyRef, set[str]] = {}  # key values read from the database
        self.db_keys_loaded: set[tuple[str, tuple[str, ...], Any]] = set()  # (domain, fields, first value)
        self.db_links_loaded: set[tuple[str, tuple[str, str, str]]] = set()  # (domain, identifier link)
        self.history: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []  # outbox rows, written with the rest (mdm.events)
        self.fuzzy: FuzzyIndex | None = None  # set by ingestion: match-before-create
        self.decisions: list[dict[str, Any]] = []  # why a source record was linked or queued
        self.candidates: list[dict[str, Any]] = []  # pairs queued for stewards
        # held source records (mdm.records.service): those of this batch's keys as loaded,
        # those to store (row, blocking keys), those released; and the blocking keys of the
        # golden records written, whose held neighbours are looked at again after a flush
        self.held: dict[tuple[str, str, str], Any] = {}
        self.holding: dict[tuple[str, str, str], tuple[dict[str, Any], frozenset[str]]] = {}
        self.reshown: dict[tuple[str, str, str], tuple[dict[str, Any], frozenset[str]]] = {}  # held, a new candidate
        self.unheld: set[tuple[str, str, str]] = set()
        self.reindexed: dict[str, set[str]] = {}  # domain -> keys
        self.releasing = False  # a release pass: what stays held is left as it was
        self.steward_creates = False  # a steward makes a golden record of a held one

    # ---- loading ------------------------------------------------------------------

    async def load(self, domain: Domain, ids: set[str], *, lock: bool = True) -> None:
        """Load (and on PostgreSQL lock) golden records with all their source records."""
        missing = [i for i in ids if i not in self.goldens]
        if not missing:
            return
        for row in await repo.goldens(self.session, domain, missing, lock=lock):
            g = self.goldens[row.id] = golden_from_row(domain, row)
            self.ref_cache[row.id] = row.merged_into or None
            self._index(g, add=True)
        refs: set[str] = set()
        for row in await repo.sources_of(self.session, domain, missing):
            s = self.sources[(domain.name, row.system, row.source_id)] = _source_from_row(domain, row)
            if row.golden_id in self.goldens and row.ended_at is None:
                self.goldens[row.golden_id].source_keys.add((row.system, row.source_id))
                refs |= {v for f in domain.references if isinstance(v := s.payload.get(f.name), str)}
        for gid in missing:
            if held := self.goldens.get(gid):
                held.indexed_sources = self._live_sources(held)
        for gid in missing:
            if held := self.goldens.get(gid):
                refs |= {o["value"] for n, o in held.overrides.items() if isinstance(o.get("value"), str)
                         and domain.has_field(n) and domain.field(n).kind == "ref"}  # fmt: skip
        await self.preload_refs(refs)  # so survivorship can follow references through merges

    async def load_crosswalks(self, domain: Domain, keys: list[tuple[str, str]]) -> None:
        wanted = [k for k in keys if (domain.name, *k) not in self.crosswalks]
        for row in (await repo.crosswalks_for(self.session, domain, wanted)).values():
            self.crosswalks[(domain.name, row.system, row.source_id)] = CrosswalkState(
                domain=domain.name,
                system=row.system,
                source_id=row.source_id,
                golden_id=row.golden_id,
                created_at=row.created_at,
                ended_at=row.ended_at,
            )
        # source rows whose golden we may not load (ended ones) still need to be known; a source
        # record is only written beside its crosswalk (never deleted), so a key without one has
        # none: a group of new keys skips the read
        unknown = [k for k in wanted if (domain.name, *k) in self.crosswalks and (domain.name, *k) not in self.sources]
        for row in await repo.source_rows(self.session, domain, unknown):
            self.sources[(domain.name, row.system, row.source_id)] = _source_from_row(domain, row)

    def live_ref(self, rid: str) -> str:
        """The record a reference ends at, following merges known here (preload_refs)."""
        found = follow(rid, lambda i: self.ref_cache.get(i) or None)
        return found[0] if found else rid

    async def merged_refs(self, domain: Domain, values: Record) -> list[tuple[str, str]]:
        """A write that names a merged-away record is refused (the field, and the survivor to
        use): references already held follow merges, new ones must name live records."""
        refs = {f: v for f in domain.references if isinstance(v := values.get(f.name), str)}
        await self.preload_refs(set(refs.values()))
        return [
            (f.name, f"{f.ref} '{rid}' was merged into {self.live_ref(rid)}; use the survivor")
            for f, rid in refs.items()
            if self.ref_cache.get(rid) and (target := domain_of_id(rid)) is not None and target.name == f.ref
        ]

    async def preload_refs(self, ids: set[str]) -> None:
        by_domain: dict[str, list[str]] = {}
        for rid in ids:
            if rid in self.ref_cache:
                continue
            target = domain_of_id(rid)
            if target is None:
                self.ref_cache[rid] = ""
                continue
            by_domain.setdefault(target.name, []).append(rid)
        for name, rids in by_domain.items():
            found = await repo.ref_targets(self.session, BY_NAME[name], rids)
            for rid in rids:
                self.ref_cache[rid] = found.get(rid, "")

    # ---- snapshots for per-item rollback in a batch --------------------------------

    def snapshot(self, golden_ids: list[str], source_keys: list[tuple[str, str, str]]) -> tuple[Any, ...]:
        """Copies of what one item may touch, so a rejected item can be undone in memory."""
        return (
            set(self.goldens),
            {gid: self.goldens[gid].clone() for gid in golden_ids if gid in self.goldens},
            {k: dataclasses.replace(self.sources[k]) for k in source_keys if k in self.sources},
            {k: dataclasses.replace(self.crosswalks[k]) for k in source_keys if k in self.crosswalks},
            set(source_keys) - set(self.sources),
            set(source_keys) - set(self.crosswalks),
            len(self.history),
            len(self.audit),
            len(self.decisions),
            len(self.candidates),
            len(self.events),
        )

    def restore(self, snap: tuple[Any, ...]) -> None:
        golden_ids, goldens, sources, crosswalks, new_sources, new_crosswalks, n_history, n_audit, n_dec, n_cand, \
            n_events = snap  # fmt: skip
        for gid in set(self.goldens) - golden_ids:
            self._index(self.goldens.pop(gid), add=False)
            self.ref_cache.pop(gid, None)
        for gid, g in goldens.items():
            self._index(self.goldens[gid], add=False)
            self._index(g, add=True)
        self.goldens.update(goldens)
        self.sources.update(sources)
        self.crosswalks.update(crosswalks)
        for k in new_sources:
            self.sources.pop(k, None)
        for k in new_crosswalks:
            self.crosswalks.pop(k, None)
        del self.history[n_history:]
        del self.audit[n_audit:]
        del self.decisions[n_dec:]
        del self.candidates[n_cand:]
        del self.events[n_events:]

    # ---- changing -----------------------------------------------------------------

    def new_golden(self, domain: Domain, golden_id: str | None = None) -> GoldenState:
        g = GoldenState(
            domain=domain,
            id=golden_id or domain.new_id(),
            version=0,
            created_at=self.now,
            updated_at=self.now,
            merged_into=None,
            values={},
            overrides={},
            lineage={},
            new=True,
        )
        self.goldens[g.id] = g
        self.ref_cache[g.id] = None
        return g

    def _live_sources(self, g: GoldenState) -> frozenset[tuple[str, str, str]]:
        return frozenset(
            (s.system, s.source_id, s.payload_hash)
            for key in g.source_keys
            if (s := self.sources[(g.domain.name, *key)]).ended_at is None
        )

    def match_records(self, g: GoldenState) -> list[Record]:
        """What matching compares of a golden record: its values, then every value each live
        source sent (a duplicate that drifted the survivor's name still meets the others)."""
        payloads = [v.payload for v in self.source_views(g)]
        return [g.values, *(p for i, p in enumerate(payloads) if p not in payloads[:i])]

    def _blocked(self, g: GoldenState) -> list[Record]:
        """The records a golden record's blocking keys come from: its sources' payloads, and
        its own values unless a payload holds the same blocking fields (one source, no override)."""
        records = self.match_records(g)
        reads = g.domain.blocking.reads
        if any(all(p.get(f) == g.values.get(f) for f in reads) for p in records[1:]):
            return records[1:]
        return records

    def source_views(self, g: GoldenState) -> list[SourceView]:
        """The live source records of a golden record, as survivorship reads them."""
        return [
            SourceView(s.system, s.source_id, s.received_at, s.payload)
            for key in sorted(g.source_keys)
            if (s := self.sources[(g.domain.name, *key)]).ended_at is None
        ]

    def recompute(self, g: GoldenState) -> list[str]:
        """Run survivorship; answer the fields whose values changed."""
        policy = self.actor.policy
        owners, fills = policy.owners_of(g.domain.name), policy.fills_of(g.domain.name)
        values, lineage = survive(g.domain, self.source_views(g), g.overrides, owners, fills)
        for f in g.domain.references:  # a reference to a merged-away record means its survivor
            ref = values.get(f.name)
            if isinstance(ref, str) and (survivor := self.live_ref(ref)) != ref:
                values[f.name] = survivor
                lineage[f.name] = {**lineage.get(f.name, {}), "merged_from": ref}
        changed = [n for n, v in values.items() if g.values.get(n) != v]
        g.lineage = lineage
        if changed or g.new:
            self._index(g, add=False)
            g.values = values
            self._index(g, add=True)
        g.dirty = True
        return changed

    # ---- key lookups: workspace state first, then what the database holds ----------

    def _index(self, g: GoldenState, *, add: bool) -> None:
        refs = [(g.domain.name, k.fields, v) for k in g.domain.keys if (v := k.values(g.values)) is not None]
        refs += [(g.domain.name, IDENTIFIER, link) for link in identifier_links(g.domain, g.values)]
        for ref in refs:
            if add:
                self.key_index.setdefault(ref, set()).add(g.id)
            else:
                self.key_index.get(ref, set()).discard(g.id)

    async def preload_keys(self, domain: Domain, records: list[Record], keys: tuple[Key, ...] | None = None) -> None:
        """Read the live golden records holding these records' key values, one query per key."""
        for key in keys if keys is not None else domain.keys:
            firsts = {
                v[0]
                for r in records
                if (v := key.values(r)) is not None and (domain.name, key.fields, v[0]) not in self.db_keys_loaded
            }
            if not firsts:
                continue
            for row in await repo.live_ids_by_first_key_field(self.session, domain, key.fields, list(firsts)):
                values = tuple(from_column(domain.field(n), getattr(row, n)) for n in key.fields)
                self.db_keys.setdefault((domain.name, key.fields, values), set()).add(row.id)
            self.db_keys_loaded.update((domain.name, key.fields, f) for f in firsts)

    async def preload_identifiers(self, domain: Domain, records: list[Record]) -> None:
        """Read the live golden records holding these records' linking identifiers, in one query."""
        links = {link for r in records for link in identifier_links(domain, r)} - {
            link for d, link in self.db_links_loaded if d == domain.name
        }
        if not links:
            return
        for link, ids in (await repo.ids_by_identifier(self.session, domain, sorted(links))).items():
            self.db_keys.setdefault((domain.name, IDENTIFIER, link), set()).update(ids)
        self.db_links_loaded.update((domain.name, link) for link in links)

    def key_lookup(self, domain: Domain, key: Key | None, values: tuple[Any, ...], exclude: str = "") -> str | None:
        """The oldest live golden record holding these key values, or with `key` None this
        identifier link (call preload_keys / preload_identifiers first)."""
        ref = (domain.name, key.fields if key is not None else IDENTIFIER, values)
        ids = {i for i in self.key_index.get(ref, ()) if self.goldens[i].merged_into is None}
        ids |= {i for i in self.db_keys.get(ref, ()) if i not in self.goldens}
        ids.discard(exclude)
        return min(ids) if ids else None

    def commit_version(self, g: GoldenState, action: str) -> None:
        """Bump the version and queue a history row for a golden record that changed."""
        g.version += 1
        g.updated_at = self.now
        g.dirty = True
        data = g.read_view()
        self.history.append(
            {
                "domain": g.domain.name,
                "golden_id": g.id,
                "version": g.version,
                "changed_at": self.now,
                "action": action,
                "principal": self.actor.principal,
                "correlation_id": self.actor.correlation_id,
                "data": data,
            }
        )
        kind, changed, named = events.golden_event(g.domain, action, g.before, g.before_merged, g.merged_into, data)
        self.emit(events.event_type(g.domain, kind), g.domain, g.id,
                  {"version": g.version, "action": action, "changed": changed, **named}, g.version)  # fmt: skip
        g.before, g.before_merged = dict(g.values), g.merged_into

    def emit(self, type_: str, domain: Domain, subject: str | None, data: Record, version: int | None = None) -> None:
        """Queue an event for the outbox: it is written by `flush`, with everything else."""
        self.events.append(events.row(type_, domain.name, subject, data, self.actor, self.now, version))

    def record_audit(
        self,
        action: str,
        domain: Domain,
        record_id: str | None,
        fields: list[str],
        outcome: str,
        detail: str | None = None,
    ) -> None:
        actor = self.actor
        row = repo.audit_row(self.now, actor.principal, actor.roles, action, outcome, domain=domain.name,
                             record_id=record_id, fields=fields, correlation_id=actor.correlation_id,
                             detail=detail)  # fmt: skip
        self.audit.append(row)

    # ---- flushing -----------------------------------------------------------------

    def _golden_row(self, g: GoldenState) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": g.id,
            "version": g.version,
            "status": g.values.get("status") or g.domain.status_default,
            "created_at": g.created_at,
            "updated_at": g.updated_at,
            "merged_into": g.merged_into,
            "overrides": g.overrides,
            "lineage": g.lineage,
        }
        for f in g.domain.fields:
            if f.name != "status":
                row[f.name] = to_column(f, g.values.get(f.name))
        return row

    async def _reindex(self, changed: list[GoldenState]) -> None:
        """Rewrite the blocking keys and linking identifiers of golden records whose values
        changed (a merged-away record keeps none), so matching sees what the records say now."""
        for domain in {g.domain for g in changed}:
            mine = [g for g in changed if g.domain is domain]
            old = await repo.match_keys_of(self.session, domain, [g.id for g in mine if not g.new])
            removed, added = [], []
            for g in mine:
                keys = frozenset() if g.merged_into else blocking_keys_of(domain.blocking, self._blocked(g))
                self.reindexed.setdefault(domain.name, set()).update(keys)
                g.indexed_sources = self._live_sources(g)
                before = old.get(g.id, set())
                removed += [(g.id, k) for k in before - keys]
                added += [(g.id, k) for k in keys - before]
            await repo.change_match_keys(self.session, domain, removed, added)
            if not domain.list_fields:
                continue
            stored = await repo.identifiers_of(self.session, domain, [g.id for g in mine if not g.new])
            gone: list[tuple[str, repo.Link]] = []
            new: list[tuple[str, repo.Link]] = []
            for g in mine:
                links: set[repo.Link] = set() if g.merged_into else set(identifier_links(domain, g.values))
                held = stored.get(g.id, set())
                gone += [(g.id, link) for link in held - links]
                new += [(g.id, link) for link in links - held]
            await repo.change_identifiers(self.session, domain, gone, new)

    async def flush(self) -> None:
        """Write everything that changed, a few executemany statements per table; the inserts
        together, at the end (`driver.together`)."""
        async with driver.together(self.session):
            await self._flush()

    async def _flush(self) -> None:
        by_domain: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        for g in self.goldens.values():
            if not g.dirty:
                continue
            inserts, updates = by_domain.setdefault(g.domain.name, ([], []))
            row = self._golden_row(g)
            if g.new:
                inserts.append(row)
            else:
                updates.append({**row, "prev_version": g.prev_version})
        for name, (inserts, updates) in by_domain.items():
            # updates first: a record may release a unique value that a new record takes
            await repo.update_goldens(self.session, BY_NAME[name], updates)
            await repo.insert_goldens(self.session, BY_NAME[name], inserts)
        await self._reindex(
            [
                g
                for g in self.goldens.values()
                if g.dirty and (g.new or g.version != g.prev_version or g.indexed_sources != self._live_sources(g))
            ]
        )
        self._crosswalk_events()
        new_x = [self._xw_row(x) for x in self.crosswalks.values() if x.new]
        await repo.insert_crosswalks(self.session, new_x)
        for name in {x.domain for x in self.crosswalks.values() if x.dirty and not x.new}:
            rows = [
                {"system": x.system, "source_id": x.source_id, "golden_id": x.golden_id, "ended_at": x.ended_at}
                for x in self.crosswalks.values()
                if x.dirty and not x.new and x.domain == name
            ]
            await repo.reopen_crosswalks(self.session, BY_NAME[name], rows)
        await repo.insert_sources(self.session, [self._source_row(s) for s in self.sources.values() if s.new])
        for name in {s.domain for s in self.sources.values() if s.dirty and not s.new}:
            rows = [
                {k: v for k, v in self._source_row(s).items() if k != "domain"}
                for s in self.sources.values()
                if s.dirty and not s.new and s.domain == name
            ]
            await repo.update_sources(self.session, BY_NAME[name], rows)
        await repo.insert_history(self.session, self.history)
        await repo.insert_audit(self.session, self.audit)
        await repo.insert_decisions(self.session, self.decisions)
        for queued in await repo.queue_candidates(self.session, self.candidates):
            self.events.append(events.candidate_queued(BY_NAME[queued.domain], queued, self.actor, self.now))
        self.holding = {**self.reshown, **self.holding}  # a candidate found on a second look: no event of its own
        for name in {k[0] for k in [*self.holding, *self.unheld]}:
            domain = BY_NAME[name]
            for _, system, source_id in sorted(k for k in self.unheld if k[0] == name):
                self.emit(events.event_type(domain, "released"), domain, None,
                          {"system": system, "source_id": source_id})  # fmt: skip
            for (held_in, system, source_id), (held, _keys) in self.holding.items():
                if held_in == name and (held_in, system, source_id) not in self.reshown:
                    self.emit(events.event_type(domain, "held"), domain, None,
                              {"system": system, "source_id": source_id, "reason": held["reason"]})  # fmt: skip
            await held_sql.drop_held(self.session, domain, [(k[1], k[2]) for k in self.unheld if k[0] == name])
            mine = {(k[1], k[2]): v for k, v in self.holding.items() if k[0] == name}
            await held_sql.put_held(self.session, domain, [row for row, _ in mine.values()],
                                {k: keys for k, (_, keys) in mine.items()})  # fmt: skip
        self.holding, self.reshown, self.unheld = {}, {}, set()
        await events_sql.insert_events(self.session, self.events)
        for g in self.goldens.values():
            g.new = g.dirty = False
            g.prev_version = g.version
        for x in self.crosswalks.values():
            x.new = x.dirty = False
        for s in self.sources.values():
            s.new = s.dirty = False
        self.history, self.audit, self.decisions, self.candidates, self.events = [], [], [], [], []

    def _crosswalk_events(self) -> None:
        """A source key that now maps to a golden record (new, or moved by a merge or an
        unmerge) is `linked`; one that ended is `unlinked`."""
        for x in self.crosswalks.values():
            if x.new or x.dirty:
                domain = BY_NAME[x.domain]
                what = "unlinked" if x.ended_at is not None else "linked"
                self.emit(events.event_type(domain, what), domain, x.golden_id,
                          {"system": x.system, "source_id": x.source_id, "golden_id": x.golden_id})  # fmt: skip

    @staticmethod
    def _xw_row(x: CrosswalkState) -> dict[str, Any]:
        return {
            "domain": x.domain,
            "system": x.system,
            "source_id": x.source_id,
            "golden_id": x.golden_id,
            "created_at": x.created_at,
            "ended_at": x.ended_at,
        }

    @staticmethod
    def _source_row(s: SourceState) -> dict[str, Any]:
        return {
            "domain": s.domain,
            "system": s.system,
            "source_id": s.source_id,
            "golden_id": s.golden_id,
            "payload": s.payload,
            "payload_hash": s.payload_hash,
            "received_at": s.received_at,
            "correlation_id": s.correlation_id,
            "ended_at": s.ended_at,
        }


def golden_from_row(domain: Domain, row: Row[Any]) -> GoldenState:
    """A stored golden row in its in-memory form (values as builtins)."""
    m = row._mapping
    values = values_of(domain, row)
    return GoldenState(
        domain=domain,
        id=m["id"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        merged_into=m["merged_into"],
        values=values,
        overrides=dict(m["overrides"] or {}),
        lineage=dict(m["lineage"] or {}),
        prev_version=m["version"],
        before=dict(values),
        before_merged=m["merged_into"],
    )


def _source_from_row(domain: Domain, row: Row[Any]) -> SourceState:
    return SourceState(
        domain=domain.name,
        system=row.system,
        source_id=row.source_id,
        golden_id=row.golden_id,
        payload=dict(row.payload),
        payload_hash=row.payload_hash,
        received_at=row.received_at,
        correlation_id=row.correlation_id,
        ended_at=row.ended_at,
    )
