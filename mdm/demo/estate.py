"""The demo estate as data: source records as each system sends them, in the steps that load them."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A record as one source system knows it; the loader turns it into a canonical id."""

    domain: str
    system: str
    source_id: str


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One system's record: the payload is create-contract builtins, references as `SourceRef`s."""

    domain: str
    system: str
    source_id: str
    payload: dict[str, Any]

    @property
    def ref(self) -> SourceRef:
        return SourceRef(self.domain, self.system, self.source_id)


@dataclass(frozen=True, slots=True)
class Step:
    """Records of one domain and system that only reference records of earlier steps."""

    domain: str
    system: str
    label: str
    records: tuple[SourceRecord, ...]


@dataclass(frozen=True, slots=True)
class DemoEstate:
    """Steps to ingest in order, what they should make, and the planted duplicates as ground truth."""

    seed: int
    scale: float
    steps: tuple[Step, ...]
    expected: dict[str, int]  # golden records per domain once every step is ingested
    customer_duplicates: tuple[tuple[SourceRef, SourceRef], ...]  # (company's account, planted near-duplicate)
    employee_duplicates: tuple[tuple[SourceRef, SourceRef], ...]  # (worker, same person under another number)

    def records(self, domain: str) -> list[SourceRecord]:
        return [r for s in self.steps if s.domain == domain for r in s.records]

    def record_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.steps:
            counts[s.domain] = counts.get(s.domain, 0) + len(s.records)
        return counts
