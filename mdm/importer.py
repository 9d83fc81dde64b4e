"""Import a CSV or NDJSON file of one system's records through the ingestion path.

Rows go in batches, one transaction each, so every accepted row is committed with its
batch and a crash loses at most the batch in flight (which a rerun ingests again as
`unchanged` or applies afresh: no half-row is ever written). Rejected rows go to a
reject file with their line number and the reason, and never stop the import.
"""

import asyncio
import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import msgspec
from sqlalchemy.exc import DBAPIError

from mdm.auth.actor import Actor
from mdm.db.convert import JSON_KINDS
from mdm.db.engine import Database
from mdm.domains import Domain
from mdm.errors import Conflict, MdmError
from mdm.policy.store import load as load_policy
from mdm.records.service import SourceItem, decode_payload, ingest, source_item


@dataclass
class ImportReport:
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def _csv_rows(fh: IO[str], domain: Domain) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """CSV rows as dicts: empty cells dropped, `a.b` columns nested, list fields as JSON text;
    a row that cannot be read is answered as the reason why."""
    json_fields = {f.name for f in domain.fields if f.kind in JSON_KINDS}
    for line_no, raw in enumerate(csv.DictReader(fh), start=2):
        row: dict[str, Any] = {}
        problem = None
        for column, value in raw.items():
            if column is None or value is None or value == "":
                continue
            if "." in column:
                outer, inner = column.split(".", 1)
                row.setdefault(outer, {})[inner] = value
            elif column in json_fields:
                try:
                    row[column] = json.loads(value)
                except json.JSONDecodeError as exc:
                    problem = f"column {column} is not JSON: {exc}"
            else:
                row[column] = value
        yield line_no, problem or row


def _ndjson_rows(fh: IO[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for line_no, line in enumerate(fh, start=1):
        if line.strip():
            try:
                row = msgspec.json.decode(line)
            except msgspec.DecodeError as exc:
                yield line_no, f"not valid JSON: {exc}"
                continue
            yield line_no, row if isinstance(row, dict) else "not a JSON object"


def read_rows(path: Path, domain: Domain, fh: IO[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    if path.suffix.lower() == ".csv":
        yield from _csv_rows(fh, domain)
    else:
        yield from _ndjson_rows(fh)


Row = tuple[int, str, dict[str, Any]]  # (line number, source id, the row's fields)


@dataclass
class Rejects:
    """The reject file (NDJSON: line, source id, detail, errors) and the report it counts in."""

    out: IO[str]
    report: ImportReport

    def add(self, line_no: int, source_id: str | None, detail: str, errors: list[dict[str, Any]]) -> None:
        self.report.rejected += 1
        entry = {"line": line_no, "source_id": source_id, "detail": detail, "errors": errors}
        self.out.write(msgspec.json.encode(entry).decode() + "\n")

    def error(self, line_no: int, source_id: str | None, exc: MdmError) -> None:
        self.add(line_no, source_id, exc.detail, [{"field": f, "message": m} for f, m in exc.errors])


def batches(
    path: Path, domain: Domain, fh: IO[str], id_column: str, size: int, rejects: Rejects
) -> Iterator[list[Row]]:
    """The file's rows in batches of at most `size`, never one source id twice in a batch (a
    later row of the same record goes in the next one, after the earlier is applied); a row
    that cannot be read, or has no source id, goes to the rejects."""
    batch: list[Row] = []
    seen: set[str] = set()
    for line_no, row in read_rows(path, domain, fh):
        rejects.report.rows += 1
        if isinstance(row, str):
            rejects.add(line_no, None, row, [{"field": "line", "message": row}])
            continue
        source_id = row.pop(id_column, None)
        if source_id in (None, ""):
            rejects.add(line_no, None, f"no {id_column}", [{"field": id_column, "message": "is required"}])
            continue
        if str(source_id) in seen or len(batch) >= size:
            yield batch
            batch, seen = [], set()
        seen.add(str(source_id))
        batch.append((line_no, str(source_id), row))
    if batch:
        yield batch


def _accepted(report: ImportReport, outcome: str) -> None:
    report.accepted += 1
    report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1


async def import_file(
    db: Database,
    domain: Domain,
    path: Path,
    system: str,
    *,
    id_column: str = "source_id",
    reject_path: Path | None = None,
    batch_size: int = 500,
    actor: Actor | None = None,
    fuzzy: bool = True,
    on_progress: Callable[[int], None] | None = None,
    version: str | None = None,
) -> ImportReport:
    """Ingest every row of `path` as `system`'s record, in a contract version's shape (the
    canonical model's unless named); rejects go to `reject_path` as NDJSON."""
    if actor is None:  # a file is imported as its system: the policy decides what it may write
        async with db.sessionmaker(write=False)() as session:
            policy = await load_policy(session)
        actor = Actor(principal=f"system:{system}", correlation_id=f"import:{path.name}", policy=policy)
    reject_path = reject_path or path.with_name(path.name + ".rejects.ndjson")
    report = ImportReport()

    async def apply(items: list[SourceItem]) -> list[dict[str, Any] | MdmError]:
        async with db.transaction() as session:
            return await ingest(session, domain, items, actor, fuzzy=fuzzy)

    with path.open(encoding="utf-8", newline="") as fh, reject_path.open("w", encoding="utf-8") as out:
        rejects = Rejects(out, report)
        for rows in batches(path, domain, fh, id_column, batch_size, rejects):
            batch: list[tuple[int, SourceItem]] = []
            for line_no, source_id, row in rows:
                try:
                    batch.append((line_no, source_item(domain, version, system, source_id,
                                                       decode_payload(domain, row, version))))  # fmt: skip
                except MdmError as exc:
                    rejects.error(line_no, source_id, exc)
            if not batch:
                continue
            try:
                results = await apply([item for _, item in batch])
            except DBAPIError:  # a conflict inside the batch: find the row that causes it, keep the rest
                results = []
                for _, item in batch:
                    try:
                        results += await apply([item])
                    except DBAPIError as exc:
                        results.append(Conflict(f"the database refused this row: {exc.orig}"))
            for (line_no, item), result in zip(batch, results, strict=True):
                if isinstance(result, MdmError):
                    rejects.error(line_no, item.source_id, result)
                else:
                    _accepted(report, result["outcome"])
            out.flush()
            if on_progress:
                on_progress(len(batch))
    return report


async def import_remote(
    url: str,
    key: str,
    domain: Domain,
    path: Path,
    system: str,
    *,
    id_column: str = "source_id",
    reject_path: Path | None = None,
    batch_size: int = 500,
    on_progress: Callable[[int], None] | None = None,
    version: str = "v2",
) -> ImportReport:
    """Send every row of `path` to a hub at `url` through its bulk endpoint
    (`POST /{version}/{domain}/sources/{system}/batch`), as `system` with its API key. Each
    batch carries an Idempotency-Key made from the file's bytes and the batch's place, so a
    rerun after a crash is answered, not applied twice. The server decides every row (the
    contract, the policy); rejects go to `reject_path` as NDJSON, as a local import's do."""
    import hashlib

    import httpx

    reject_path = reject_path or path.with_name(path.name + ".rejects.ndjson")
    endpoint = f"{url.rstrip('/')}/{version}/{domain.path}/sources/{system}/batch"
    digest = hashlib.sha256(await asyncio.to_thread(path.read_bytes)).hexdigest()[:32]
    report = ImportReport()
    headers = {"Authorization": f"Bearer {key}", "User-Agent": "mdm-import"}
    async with httpx.AsyncClient(timeout=300, headers=headers) as client:
        with path.open(encoding="utf-8", newline="") as fh, reject_path.open("w", encoding="utf-8") as out:
            rejects = Rejects(out, report)
            for sent, rows in enumerate(batches(path, domain, fh, id_column, batch_size, rejects)):
                body = {"items": [{"source_id": sid, "record": row} for _, sid, row in rows]}
                answer = await client.post(endpoint, json=body, headers={"Idempotency-Key": f"import-{digest}-{sent}"})
                if answer.status_code != 200:  # the whole call was refused (a key, a path, a limit)
                    problem = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
                    raise RemoteRefused(answer.status_code, problem.get("detail") or answer.text[:300])
                for (line_no, source_id, _), item in zip(rows, answer.json()["items"], strict=True):
                    if item["status"] == 200:
                        _accepted(report, item["outcome"])
                    else:
                        problem = item["problem"]
                        rejects.add(line_no, source_id, problem.get("detail", ""), problem.get("errors") or [])
                out.flush()
                if on_progress:
                    on_progress(len(rows))
    return report


class RemoteRefused(Exception):
    """The hub refused a whole bulk call (401, 403, 413 ...): the import stops there."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail
