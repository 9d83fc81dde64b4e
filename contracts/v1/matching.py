"""Fuzzy matching: candidates for a record, each with its score and why."""

from datetime import datetime
from typing import Any, Literal

from msgspec import Struct


class MatchField(Struct, kw_only=True, omit_defaults=True):
    """One compared field (normalized values), or one piece of strong evidence."""

    field: str
    left: Any = None  # the record sent
    right: Any = None  # the golden record
    similarity: float | None = None
    weight: float | None = None
    contribution: float | None = None  # similarity x weight / total weight compared
    evidence: str | None = None  # "same" or "different" identifier
    floor: float | None = None
    cap: float | None = None
    note: str | None = None
    hidden: bool = False  # the caller may not read this field: values left out


class MatchCandidate(Struct, kw_only=True):
    id: str
    score: float
    explanation: list[MatchField]


class MatchResult(Struct, kw_only=True):
    items: list[MatchCandidate]  # best first
    rules_version: int
    auto_link: float
    review: float
    capped_blocks: list[str]  # blocking keys with more candidates than were read


class MatchDecision(Struct, kw_only=True):
    """Why a source record joined a golden record by score, or was queued beside one."""

    id: int
    golden_id: str  # the record the source record joined or made
    system: str
    source_id: str
    outcome: Literal["linked", "pending_review"]
    candidate_id: str  # the best-scoring golden record
    score: float
    threshold: float  # auto_link for linked, review for pending_review
    rules_version: int
    explanation: list[MatchField]
    at: datetime
    correlation_id: str | None = None
