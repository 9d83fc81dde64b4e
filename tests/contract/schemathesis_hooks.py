"""A check schemathesis loads (SCHEMATHESIS_HOOKS) beside its own: a request the document
allows may be refused only for a reason no JSON Schema can state.

`positive_data_acceptance` is told to accept 412 and 422 (test_schemathesis.py), so that
a record that names no other record, or a stale ETag, is not reported as "valid input
rejected". This check then holds every such answer to a positive case to the refusals
listed here, by the message mdm's own validation gives; anything else, such as a length, a
pattern or an enum the document leaves out, fails as the document not telling the truth.
"""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import schemathesis

# (field, message) of each refusal a schema cannot state; both are regular expressions
SEMANTIC: list[tuple[str, str, str]] = [
    (r"cursor", r"^not a cursor (this API gave out|of this list)$", "an opaque token only a page hands out"),
    (r"after", r"^not a cursor this API gave out$", "a quality figure's page cursor, only a page hands out"),
    (r"figure", r"^is not a figure code of this domain's report$", "a figure names the domain's fields and systems"),
    (r".+", r"^'.*' is not an? [a-z_]+ id$", "a reference to a record of another domain"),
    (r".+", r"^[a-z_]+ '.*' (does not exist|was merged into .+; use the survivor)$", "a reference to no record"),
    (r".+", r"^must not point at the record itself$", "a reference to itself"),
    (r".+", r"^would make a cycle through .+$", "a hierarchy loop"),
    (r".+", r"^must not be before [a-z_]+ \(.+\)$", "an end before its start"),
    (r".+", r"^.+ already used by .+$", "a unique key another record holds"),
    (r".+", r"^overlaps [a-z_]+ .+ of the same scope \(.+\)$", "overlapping rate cards"),
    (r".+", r"^is required$", "a new golden record without a required field, after survivorship (source upserts)"),
    (r"survivor_id|merged_ids(\[[0-9]+\])?", r"^no [a-z_]+ with this id$", "a merge naming no record"),
    (r"merged_ids", r"^(must not hold the survivor|names a record twice)$", "a merge of a record into itself"),
    (r"picks\..+", r"^(not a field of [a-z_]+|must name the survivor or one of merged_ids)$", "a pick of no field"),
    (r"field", r"^not a field of [a-z_]+$", "explain: a field of another domain"),
    (r"line [0-9]+", r".+", "a policy text's line that is not a rule (casbin lines naming known words)"),
    (
        r"(domains|types)\[[0-9]+\]",
        r"^not (a domain|an event type) of this hub",
        "a subscription's domain or event type: the hub's own (a plugin adds domains), not the document's",
    ),
    (r"url", r"^a private address \(", "a receiver at a private address, refused by a deployment setting"),
    (
        r"identifiers\[[0-9]+\]\.value",
        r"^(not a valid [a-z_.]+ number: .+|a DUNS number is nine digits|must not be empty)$",
        "an identifier that fails its scheme's check digits or format (python-stdnum)",
    ),
    (
        r"identifiers\[[0-9]+\]\.country",
        r"^(a (VAT|GST) number needs its country|an [A-Z]+ is of [A-Z]{2})$",
        "an identifier without the country its scheme needs, or of another country than its scheme's",
    ),
    (
        r"phones\[[0-9]+\]\.number",
        r"^not a phone number",
        "a value with too few digits to be a phone number",
    ),
    (
        r"(identifiers|phones|addresses)\[[0-9]+\]",
        r"^a second .+ \(the first is .+\); one per slot$",
        "two elements of one slot (a scheme and country, a kind): which is meant is not the schema's to say",
    ),
]
STALE = re.compile(r" is at version [0-9]+, not [0-9]+$")  # 412: If-Match names another version


UNKNOWN = "is not a field of this contract"  # mdm's refusal of a body property the contract lacks
ROOT = Path(__file__).resolve().parents[2]


@cache
def _document(version: str) -> dict[str, Any]:
    """The document under test (the server serves the committed file: test_openapi.py checks it)."""
    return dict(json.loads((ROOT / "openapi" / f"{version}.json").read_text(encoding="utf-8")))


def _closed_body(case: Any) -> set[str] | None:
    """The body properties the operation's document allows when it admits no others, else None.
    The stateful phase may carry a property from one response into another operation's body
    (a positive case by its generation, not by the document): refusing it is the document's rule."""
    try:
        path = case.operation.path
        doc = _document(path.strip("/").split("/")[0])
        schema = doc["paths"][path][case.method.lower()]["requestBody"]["content"]["application/json"]["schema"]
        if "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    except (KeyError, OSError, ValueError, AttributeError, TypeError):
        return None
    return set(schema.get("properties", {})) if schema.get("additionalProperties") is False else None


def semantic(field: str, message: str) -> bool:
    return any(re.fullmatch(f, field) and re.search(m, message) for f, m, _ in SEMANTIC)


@schemathesis.check
def refusals_are_semantic(ctx, response, case) -> None:
    """A 412 or 422 to a request the document allows names a reason no schema states."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (412, 422):
        return
    try:
        problem = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} without a problem body") from None
    if response.status_code == 412:
        if not STALE.search(problem.get("detail", "")):
            raise AssertionError(f"412 that is not a stale If-Match: {problem.get('detail')}")
        return
    errors = problem.get("errors") or []
    closed = _closed_body(case)
    shape = [e for e in errors if not semantic(str(e.get("field")), str(e.get("message")))
             and not (closed is not None and e.get("message") == UNKNOWN and e.get("field") not in closed)]  # fmt: skip
    if not errors or shape:
        raise AssertionError(
            "the document allows what the server refuses (valid input rejected): "
            + json.dumps(shape or problem, ensure_ascii=False)[:500]
        )


@schemathesis.hook
def filter_failure(ctx, failure, case, response) -> bool:
    """Keep every failure but the server's refusal of a path holding U+FFFD (400, field
    "path"), which is by design: `%EF%BF%BD` and an escape that is not UTF-8 would name one
    record. A drawn value that holds it is filtered below; one schemathesis takes from its own
    pool of earlier responses' values skips that filter (a CI run met one, 1 in ~30,000)."""
    if response.status_code != 400:
        return True
    try:
        errors = json.loads(response.content).get("errors") or []
    except (ValueError, AttributeError):
        return True
    return not any(e.get("field") == "path" and "U+FFFD" in str(e.get("message")) for e in errors)


def _unsendable(value: object) -> bool:
    """U+FFFD, or a lone surrogate (or bytes that are not UTF-8), which no UTF-8 URL can
    carry: the client sends U+FFFD in its place."""
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
    return any(c == "\ufffd" or "\ud800" <= c <= "\udfff" for c in text + unquote(text))  # drawn or escaped


@schemathesis.hook
def filter_path_parameters(ctx, path_parameters) -> bool:
    """A path value holding U+FFFD breaks the document it was drawn from (every path pattern
    leaves it out: mdm.api.records.PATH_TEXT), so it is no positive case, nor is one holding a
    lone surrogate, which reaches the server as U+FFFD; seen once in ~30,000 cases a run (GET
    /v2/cost-centers/{record_id}/lineage, which the server refuses with a 400)."""
    return not any(_unsendable(value) for value in (path_parameters or {}).values())
