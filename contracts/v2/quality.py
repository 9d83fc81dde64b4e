"""The data-quality report (v2 only): per domain, how complete, valid, unique, consistent and
connected the golden records and their sources are, and how old the backlogs. Every figure
that counts records names a `figure` code; `GET /v2/quality/{domain}/records?figure=<code>`
pages through the records behind it."""

from datetime import datetime

from msgspec import Struct


class FieldQuality(Struct, kw_only=True):
    """One field of the live golden records."""

    field: str
    filled: int  # live records with a value
    completeness: float  # filled / live records (1.0 when there are none)
    missing_figure: str  # the code of the records without one


class SourceFieldQuality(Struct, kw_only=True):
    """One field as one system sends it."""

    field: str
    sent: int  # the system's current source records that carry a value
    completeness: float  # sent / the system's source records
    unfilled_figure: str
    disagree: int | None = None  # of those, values that are not the golden value (None: not compared)
    consistency: float | None = None  # 1 - disagree / sent
    disagree_figure: str | None = None


class SourceQuality(Struct, kw_only=True):
    """One source system's current records of the domain."""

    system: str
    records: int
    stale: int  # not refreshed in `stale_days`
    stale_figure: str
    rejected: int  # writes of the last `stale_days` refused as invalid (or denied by the policy)
    validity: float  # 1 - rejected / (records written or refused in that time; 1.0 when none)
    fields: list[SourceFieldQuality]


class ReferenceQuality(Struct, kw_only=True):
    """One reference field of the live records."""

    field: str
    target: str  # the referenced domain
    missing: int  # empty
    broken: int  # naming no live record
    out_of_date: int | None = None  # an active record's reference to one outside its validity window today
    missing_figure: str
    broken_figure: str
    out_of_date_figure: str | None = None


class Backlog(Struct, kw_only=True):
    """Records waiting, by how long: at most a day, a week, 30 days, longer."""

    total: int
    by_age: dict[str, int]


class UniqueQuality(Struct, kw_only=True):
    """An identifier scheme: values that more than one live record carries."""

    scheme: str
    shared_values: int
    figure: str


class DomainQuality(Struct, kw_only=True):
    domain: str
    records: int  # live golden records
    merged: int  # merged-away records (kept for their ids)
    by_status: dict[str, int]
    fields: list[FieldQuality]
    sources: list[SourceQuality]
    references: list[ReferenceQuality]
    uniqueness: list[UniqueQuality]
    open_candidates: Backlog
    held: Backlog
    score: float  # the mean of completeness, validity, consistency and connectedness (0..1)


class QualityReport(Struct, kw_only=True):
    at: datetime
    stale_days: int
    took_ms: float
    domains: list[DomainQuality]


class QualityRecord(Struct, kw_only=True):
    """A record behind a figure: its golden id, and for a source figure the source key (for a
    shared identifier, its country and value)."""

    id: str
    system: str | None = None
    source_id: str | None = None


class QualityRecords(Struct, kw_only=True):
    figure: str
    items: list[QualityRecord]
    next: str | None  # the cursor of the next page (None: the last)
