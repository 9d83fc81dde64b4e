"""Fuzzy matching: candidates for a record, each with its score and why."""

from datetime import datetime
from typing import Any, Literal

from msgspec import Struct


class MatchField(Struct, kw_only=True, omit_defaults=True):
    """One comparison of the rules (the normalized values it compared, the level they fell
    in, that level's m and u and its match weight), or, as field "*", the total: the prior's
    weight, the sum and the match probability."""

    field: str
    left: Any = None  # the record sent
    right: Any = None  # the golden record
    level: str | None = None  # the first of the comparison's levels that held, "else", or "missing"
    m: float | None = None  # the level's probability among records of one thing
    u: float | None = None  # ... and among two records drawn at random
    tf: float | None = None  # the value's frequency, in u's place for an exact match on it
    weight: float | None = None  # log2(m / u), 0 when a side has no value
    prior_weight: float | None = None  # field "*": log2(prior / (1 - prior))
    total_weight: float | None = None  # field "*": the prior's weight and every comparison's
    probability: float | None = None  # field "*": 2^w / (1 + 2^w)
    cap: float | None = None
    note: str | None = None
    hidden: bool = False  # the caller may not read this field: values left out
    # what rules before the Fellegi-Sunter model wrote (decisions they made keep them)
    similarity: float | None = None
    contribution: float | None = None
    evidence: str | None = None
    floor: float | None = None


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
