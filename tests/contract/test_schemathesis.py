"""Property-based API testing: schemathesis runs every check (`--checks all`) on every
operation of each contract version's document (/schema/vN/openapi.json, as the export
writes them), fixed seed, MDM_SCHEMATHESIS_EXAMPLES examples per operation (default 100),
against the real server on this leg's database. None may fail: no server error, no
response outside its schema, no undocumented status, no schema-valid request refused
except for the semantic reasons below, no schema-violating request accepted.

Two passes per version: an admin key for every operation, and a source system's key for
the source operations with the path's `system` fixed to that system (otherwise every
generated request would be refused as another system's path and nothing behind it would
run). Each prints its cases and failures (pytest -s, or the summary in the CI log)."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mdm.contracts_export import documents
from tests.auth import AUTH

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VERSIONS = sorted(documents())
SEED = "20261122"
# more than one worker runs hypothesis in threads: CPython 3.11 then fails in ast.parse
# ("AST constructor recursion depth mismatch"), so one unless told otherwise
WORKERS = os.environ.get("MDM_SCHEMATHESIS_WORKERS", "1")

# Schema-valid requests the server refuses for reasons no JSON Schema can state: the
# positive_data_acceptance check expects 2xx (and its defaults: 3xx, 401, 403, 404, 409,
# 429) plus these, per operation id. 404 (a generated id names no record) and 409 (a
# unique key or an Idempotency-Key already used) are in schemathesis' defaults.
SEMANTIC: list[tuple[str, list[str], str]] = [
    (r"^list(?!Systems$|PolicyVersions$)[A-Za-z]+$|^listAudit$", ["422"],
     "cursor: an opaque token only a previous page hands out; any other string is refused"),
    (r"^(create|patch)[A-Za-z]+$|^upsert[A-Za-z]+Source$", ["422"],
     "a reference naming no record of the right domain, a cycle, an end before its start, "
     "a golden record still missing a required field after survivorship, overlapping rate cards"),
    (r"^patch[A-Za-z]+$", ["412"], "If-Match names a version that is not the record's current one"),
    (r"^merge[A-Za-z]+$|^unmerge[A-Za-z]+$", ["422"],
     "the survivor among the merged ids, records of another domain, a merge of another record"),
    (r"^bulkResolve$", ["422"], "a key names a domain this hub has not registered (MDM_DOMAIN_MODULES adds some)"),
    (r"^(changePolicy|dryRunPolicy)$", ["422"], "the text is not a policy (casbin lines naming known words)"),
    (r"^changePolicy$", ["412"], "If-Match is pinned to a version the policy never reaches (see PINNED)"),
    (r"^explainPolicy$", ["422"], "field: not a field of the domain asked about"),
]  # fmt: skip
# a missing If-Match is a 428 (Precondition Required), not one of schemathesis' 4xx defaults;
# a 409 comes first when the request also reuses an Idempotency-Key with another body
IF_MATCH_MISSING = ["400", "401", "403", "406", "415", "422", "428", "409"]
# PUT /v1/policy with its valid example would replace the policy the other tests rely on:
# its If-Match is pinned to a version never reached, so every change is refused (412)
PINNED = {"changePolicy": {"header.If-Match": '"999999999"'}}
POSITIVE_DEFAULTS = ["2xx", "3xx", "401", "403", "404", "409", "429"]


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def config(doc: dict, key: str, system: str | None = None) -> str:
    """The schemathesis configuration: the key, then per operation its semantic refusals."""
    lines = [f'headers = {{ Authorization = "Bearer {key}" }}']
    if system:
        lines.append(f'parameters = {{ "path.system" = "{system}" }}')
    ops = [op for item in doc["paths"].values() for op in item.values() if isinstance(op, dict) and "operationId" in op]
    for op in ops:
        op_id = op["operationId"]
        expected = [s for pattern, statuses, _ in SEMANTIC if re.search(pattern, op_id) for s in statuses]
        checks = []
        if expected:
            statuses = _toml_list(POSITIVE_DEFAULTS + sorted(set(expected)))
            checks.append(f"positive_data_acceptance = {{ expected-statuses = {statuses} }}")
        if "428" in op["responses"]:
            checks.append(f"missing_required_header = {{ expected-statuses = {_toml_list(IF_MATCH_MISSING)} }}")
        if not checks and op_id not in PINNED:
            continue
        lines += ["", "[[operations]]", f'include-operation-id = "{op_id}"']
        if checks:
            lines.append(f"checks = {{ {', '.join(checks)} }}")
        if op_id in PINNED:
            pinned = ", ".join(f'"{k}" = {_quoted(v)}' for k, v in PINNED[op_id].items())
            lines.append(f"parameters = {{ {pinned} }}")
    return "\n".join(lines) + "\n"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run(live_server: str, name: str, url: str, config_text: str, *extra: str) -> tuple[str, float]:
    ARTIFACTS.mkdir(exist_ok=True)
    config_file = ARTIFACTS / f"schemathesis-{name}.toml"
    config_file.write_text(config_text, encoding="utf-8")
    schemathesis = Path(sys.executable).with_name("schemathesis")
    examples = os.environ.get("MDM_SCHEMATHESIS_EXAMPLES", "100")
    started = time.monotonic()
    proc = subprocess.run(
        [str(schemathesis), "--config-file", str(config_file), "run", url, "--checks", "all", "--seed", SEED,
         "--max-examples", examples, "--workers", WORKERS, "--no-color", "--report", "junit", "--report-dir",
         str(ARTIFACTS), *extra],
        capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    took = time.monotonic() - started
    log = ARTIFACTS / f"schemathesis-{name}.txt"
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    failures = proc.stdout[proc.stdout.find("FAILURES") :] if "FAILURES" in proc.stdout else proc.stdout[-3000:]
    assert proc.returncode == 0, f"see {log}\n{failures[:8000]}"
    return proc.stdout, took


def _summary(out: str) -> str:
    cases = re.search(r"Test cases:\s*\n\s*(.+)", out)
    selected = re.search(r"Selected: (\d+)/(\d+)", out)
    failures = re.search(r"Failures:\s*\n((?:\s+.+\n)+)", out)
    return (
        f"operations {selected.group(1) if selected else '?'}, "
        f"cases: {cases.group(1).strip() if cases else '?'}; "
        f"failures: {failures.group(1).strip() if failures else 'none'}"
    )


@pytest.fixture
def policy_kept(live_server):
    """Whatever the run tries, the policy the rest of the suite relies on stays."""
    admin = {"Authorization": f"Bearer {AUTH.keys['user:admin']}"}
    before = httpx.get(f"{live_server}/v1/policy", headers=admin).json()
    yield
    after = httpx.get(f"{live_server}/v1/policy", headers=admin)
    if after.json()["text"] != before["text"]:
        body = {"text": before["text"], "comment": "put back after schemathesis"}
        httpx.put(f"{live_server}/v1/policy", json=body, headers={**admin, "If-Match": after.headers["ETag"]})
    assert after.json()["version"] == before["version"], "schemathesis changed the policy"


@pytest.mark.parametrize("principal", ["user:admin", "system:salesforce"])
@pytest.mark.parametrize("version", VERSIONS)
def test_every_check_passes_on_every_operation(live_server, backend, version, principal, policy_kept, capsys):
    doc = documents()[version]
    system = principal.split(":")[1] if principal.startswith("system:") else None
    extra: tuple[str, ...] = ("--include-path-regex", "/sources/") if system else ()
    name = f"{backend}-{version}-{principal.replace(':', '-')}"
    out, took = _run(live_server, name, f"{live_server}/schema/{version}/openapi.json",
                     config(doc, AUTH.keys[principal], system), *extra)  # fmt: skip
    with capsys.disabled():
        print(f"\nschemathesis {backend} {version} {principal}: {_summary(out)}; {took:.0f} s")
    selected = re.search(r"Selected: (\d+)/(\d+)", out)
    assert selected, out[-2000:]
    if not system:
        assert selected.group(1) == selected.group(2)  # every operation of the document was exercised
    else:
        assert int(selected.group(1)) == 12  # PUT and DELETE of sources, six domains
        # the system's key is accepted on its own source paths: no operation answered only 401
        # (403s on domains the policy lets salesforce neither create nor write are its answer)
        assert "401 Unauthorized (" not in out
