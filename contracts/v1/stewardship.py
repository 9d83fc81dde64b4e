"""Stewardship: the review queue, merges and their exact undo, and match quality."""

from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from contracts.v1.matching import MatchField

Id = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]
FieldName = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]
QueueStatus = Literal["open", "merged", "rejected", "closed"]


class MergeRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Fold `merged_ids` into `survivor_id`. `picks` names, per field, the record whose
    value wins; it becomes an override of the survivor (clear it like any override)."""

    survivor_id: Id
    merged_ids: Annotated[list[Id], Meta(min_length=1, max_length=50)]
    picks: dict[FieldName, Id] = {}


class MergeResult(Struct, kw_only=True):
    merge_id: str  # give it to unmerge
    survivor_id: str
    merged_ids: list[str]
    record: dict[str, Any]  # the survivor after the merge, as the caller may read it
    references_moved: dict[str, list[str]]  # domain -> records whose references followed the merge
    candidates_closed: int


class UnmergeRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    merge_id: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^mrg_[0-9A-Z]+$")]


class UnmergeResult(Struct, kw_only=True):
    merge_id: str
    survivor_id: str
    restored_ids: list[str]
    record: dict[str, Any]


class MergeEntry(Struct, kw_only=True):
    """A merge into a record, as its history shows it (with the id to undo it by)."""

    merge_id: str
    survivor_id: str
    merged_ids: list[str]
    picks: dict[str, str]
    principal: str
    created_at: datetime
    undone_at: datetime | None = None
    undone_by: str | None = None


class QueueEntry(Struct, kw_only=True):
    id: int
    domain: str
    left_id: str
    right_id: str
    score: float
    status: QueueStatus
    source: str  # scan or ingest
    rules_version: int
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None


class QueuePage(Struct, kw_only=True):
    items: list[QueueEntry]  # best score first
    next_cursor: str | None = None


class SideBySide(Struct, kw_only=True):
    """One field of a candidate pair: both records' values, and the level and match weight
    the rules gave the comparison that reads it."""

    field: str
    left: Any = None
    right: Any = None
    same: bool
    level: str | None = None  # from the match explanation, where the rules compare it
    weight: float | None = None
    similarity: float | None = None  # what rules before the Fellegi-Sunter model gave it


class CandidateDetail(Struct, kw_only=True):
    candidate: QueueEntry
    left: dict[str, Any] | None  # None: the record is gone (merged away)
    right: dict[str, Any] | None
    fields: list[SideBySide]
    explanation: list[MatchField]


class RejectResult(Struct, kw_only=True):
    candidate: QueueEntry


class BulkDecision(Struct, kw_only=True, forbid_unknown_fields=True):
    """Merge (the survivor is `survivor`: left or right) or reject one queued pair."""

    candidate_id: Annotated[int, Meta(ge=1, le=2**31 - 1)]
    action: Literal["merge", "reject"]
    survivor: Literal["left", "right"] = "left"


class BulkRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    items: Annotated[list[BulkDecision], Meta(min_length=1, max_length=200)]


class BulkItemResult(Struct, kw_only=True, omit_defaults=True):
    candidate_id: int
    status: int  # the HTTP status this decision alone would have had
    merge_id: str | None = None
    problem: dict[str, Any] | None = None


class BulkResult(Struct, kw_only=True):
    items: list[BulkItemResult]  # in request order


class QualityBand(Struct, kw_only=True):
    low: float
    high: float
    merged: int
    rejected: int
    open: int
    precision: float | None  # merged / (merged + rejected); None without decisions


class DomainQuality(Struct, kw_only=True):
    domain: str
    bands: list[QualityBand]
    auto_links: int  # source records linked by score
    queued: int  # source records made and queued beside a candidate
    auto_link_rate: float | None  # auto_links / (auto_links + queued)
    open: int
    oldest_open: datetime | None
    median_open_age_hours: float | None


class Quality(Struct, kw_only=True):
    domains: list[DomainQuality]
