"""Bulk upsert of one system's source records over HTTP (`POST .../sources/{system}/batch`).

Each item is decided on its own, in order, as a single upsert would be (the same policy,
audit, keys, advisory locks and matching: it is the same `service.ingest`), and later items
see what earlier ones made, so records of one batch match each other. Items are written
in chunks, each chunk its own transaction: what a chunk accepted stays committed when a
later chunk fails, and the failed chunk's items answer that failure (503 or 409) as
their own problem, so a client retries only those.
"""

import logging
from typing import Any

import msgspec
from litestar import Request
from sqlalchemy.exc import DBAPIError

from contracts import v1
from mdm.api.metrics import count_ingested
from mdm.api.problems import problem_of, problem_of_error, unreachable
from mdm.api.versions import ContractVersion
from mdm.auth.actor import Actor
from mdm.db.engine import Database
from mdm.errors import Invalid, MdmError
from mdm.records import service

log = logging.getLogger("mdm.api")
# items a transaction: a failure costs at most one chunk's work (answered per item); 100 a chunk
# reached 0.69 of the in-process rate, 500 0.91-0.93 (bench/writes.py)
CHUNK = 500


def _decoded(v: ContractVersion, system: str, item: v1.SourceBatchItem) -> service.SourceItem | MdmError:
    """The item as its version's source contract reads it (the same rules as a PUT body)."""
    try:
        data: Any = msgspec.convert(item.record, v.source)
    except msgspec.ValidationError as exc:
        return Invalid.from_validation(f"{v.domain.name} source record {system}/{item.source_id} is not valid", exc)
    return v.source_item(system, item.source_id, data)


def _failed(exc: Exception) -> v1.Problem:
    """A chunk that could not commit: each of its items answers why, as a PUT would."""
    if isinstance(exc, MdmError):
        return problem_of_error(exc)
    if unreachable(exc):
        return problem_of(503, "the database does not answer; retry this item")
    return problem_of(409, "the chunk lost a race with a concurrent change or could not commit; retry this item")


async def upsert_batch(request: Request[Any, Any, Any], v: ContractVersion, system: str,
                       batch: v1.SourceBatch) -> v1.SourceBatchResult:  # fmt: skip
    db: Database = request.app.state.db
    state = request.scope["state"]
    fuzzy = request.app.state.settings.match_on_ingest
    decoded = [_decoded(v, system, item) for item in batch.items]
    answers: list[v1.SourceBatchItemResult] = []
    for start in range(0, len(decoded), CHUNK):
        chunk = decoded[start : start + CHUNK]
        todo = [it for it in chunk if isinstance(it, service.SourceItem)]
        results: list[dict[str, Any] | MdmError] = []
        failure: v1.Problem | None = None
        try:
            async with db.transaction() as session:
                actor = Actor(state["principal"], state.get("correlation_id"),
                              await request.app.state.policies.for_write(session), state["roles"])  # fmt: skip
                results = await service.ingest(session, v.domain, todo, actor, fuzzy=fuzzy) if todo else []
        except Exception as exc:  # the chunk rolled back: its items answer why, the others stand
            if not (isinstance(exc, MdmError | DBAPIError) or unreachable(exc)):
                raise  # a defect, not the database: a 500 (chunks before it stay committed, as retries find)
            log.warning("batch chunk of %s/%s rolled back: %r", v.domain.name, system, exc)
            failure = _failed(exc)
        count_ingested(v.domain.name, [(system, r) for r in chunk if isinstance(r, MdmError)])  # refused as sent
        if failure is None:
            count_ingested(v.domain.name, [(system, r) for r in results])
        done = iter(results)
        for item, sent in zip(chunk, batch.items[start : start + CHUNK], strict=True):
            if isinstance(item, MdmError):
                answers.append(_problem(sent.source_id, v.renamed(item)))
            elif failure is not None:
                answers.append(v1.SourceBatchItemResult(source_id=sent.source_id, status=failure.status,
                                                        problem=failure))  # fmt: skip
            else:
                result = next(done)
                if isinstance(result, MdmError):
                    answers.append(_problem(sent.source_id, v.renamed(result)))
                elif result["outcome"] == "held":
                    answers.append(v1.SourceBatchItemResult(
                        source_id=sent.source_id, status=202, outcome="held", contributed=result["contributed"],
                        held=msgspec.convert(result["held"], v1.HeldInfo)))  # fmt: skip
                else:
                    match = v.view.match(result["match"]) if v.view is not None else result["match"]
                    answers.append(v1.SourceBatchItemResult(
                        source_id=sent.source_id, status=200, id=result["id"], outcome=result["outcome"],
                        version=result["version"], match=match, contributed=result["contributed"]))  # fmt: skip
    counts: dict[str, int] = {}
    for answer in answers:
        name = answer.outcome or str(answer.status)
        counts[name] = counts.get(name, 0) + 1
    return v1.SourceBatchResult(items=answers, counts=counts)


def _problem(source_id: str, exc: MdmError) -> v1.SourceBatchItemResult:
    return v1.SourceBatchItemResult(source_id=source_id, status=exc.status, problem=problem_of_error(exc))
