"""Property-based API testing: schemathesis runs every check (`--checks all`, ours in
schemathesis_hooks.py too) on every operation of each contract version's document
(/schema/vN/openapi.json, the same the export writes), fixed seed, at least
MDM_SCHEMATHESIS_EXAMPLES examples per operation (100), against the real server on this
leg's database. None may fail: no server error, no response outside its schema, no
undocumented status, no schema-valid request refused but for the reasons that
schemathesis_hooks.SEMANTIC names, no schema-violating request accepted.

Per version, the operations are shared out to several schemathesis processes at once (one
a core; schemathesis' own `--workers` are threads, and hypothesis spends its time in
Python): an admin key for every operation but the source writes, in shards, and a source
system's key for the source writes with the path's `system` fixed to it (any other system's
path is refused before anything behind it runs). Without hypothesis' example database
(`--generation-database none`) a run replays nothing from an earlier one, and hypothesis
keeps no Pareto front of its targets, which took half of the generator's time.

The log prints, per version, the cases run and the failures of each process and in all."""

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mdm.api.openapi import operations
from mdm.contracts_export import documents
from tests.auth import AUTH

ARTIFACTS = Path(os.environ.get("MDM_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
VERSIONS = sorted(documents())
SEED = "20261122"
EXAMPLES = os.environ.get("MDM_SCHEMATHESIS_EXAMPLES", "100")
# one more than the cores: the server's own share of the CPU comes and goes
PROCESSES = int(os.environ.get("MDM_SCHEMATHESIS_PROCESSES", str((os.cpu_count() or 2) + 1)))
SOURCE_WRITE = re.compile(r"^/v[0-9]+/[a-z-]+/sources/\{system\}/")
SYSTEM = "system:salesforce"
ADMIN = "user:admin"

# what schemathesis accepts for a request the document allows (its defaults), and 412 and
# 422, which the hooks' check then holds to the refusals no schema can state
POSITIVE = ["2xx", "3xx", "401", "403", "404", "409", "429", "412", "422"]
# a missing If-Match is a 428, not one of schemathesis' 4xx defaults; a 409 comes first
# when the request also reuses an Idempotency-Key with another body
IF_MATCH_MISSING = ["400", "401", "403", "406", "415", "422", "428", "409"]
# PUT /vN/policy with a valid body would replace the policy the other tests rely on: its
# If-Match is pinned to a version never reached, so every change is refused (412)
PINNED = {"header.If-Match": '"999999999"'}


@dataclass
class Run:
    name: str
    principal: str
    operation_ids: list[str]


@dataclass
class Outcome:
    run: Run
    code: int
    out: str
    seconds: float

    def count(self, pattern: str) -> int:
        found = re.search(pattern, self.out)
        return int(found.group(1)) if found else -1

    @property
    def cases(self) -> int:
        return self.count(r"Test cases:\s*\n\s*(\d+) generated")

    @property
    def selected(self) -> int:
        return self.count(r"Selected: (\d+)/")

    @property
    def failures(self) -> str:
        found = re.search(r"Test cases:\s*\n\s*(.+)", self.out)
        summary = found.group(1).strip() if found else "no summary"
        return "none" if self.code == 0 else f"{summary}; see {self.log}"

    @property
    def log(self) -> Path:
        return ARTIFACTS / f"schemathesis-{self.run.name}.txt"


def runs(version: str, doc: dict[str, Any], backend: str) -> list[Run]:
    """The processes of one version, all at once: the source writes with a system's key,
    and the admin's other operations in shards of about equal work (an operation with a
    body makes about three times the cases of one without)."""
    ops = sorted((path, op["operationId"], 3 if "requestBody" in op else 1) for path, _, op in operations(doc))
    sources = [op_id for path, op_id, _ in ops if SOURCE_WRITE.match(path)]
    shards: list[list[str]] = [[] for _ in range(max(1, PROCESSES - 1))]
    work = [0] * len(shards)
    for _, op_id, weight in sorted((op for op in ops if op[1] not in sources), key=lambda op: -op[2]):
        lightest = work.index(min(work))
        shards[lightest].append(op_id)
        work[lightest] += weight
    made = [Run(f"{backend}-{version}-admin-{i + 1}", ADMIN, shard) for i, shard in enumerate(shards) if shard]
    made.append(Run(f"{backend}-{version}-{SYSTEM.replace(':', '-')}", SYSTEM, sources))
    return sorted(made, key=lambda run: -len(run.operation_ids))


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def config(doc: dict[str, Any], run: Run) -> str:
    """The schemathesis configuration of one process: its key, then per operation what
    differs from the defaults."""
    lines = [f"headers = {{ Authorization = {_quoted('Bearer ' + AUTH.keys[run.principal])} }}"]
    if run.principal.startswith("system:"):
        lines.append(f'parameters = {{ "path.system" = {_quoted(run.principal.split(":", 1)[1])} }}')
    lines += ["", "[checks]", f"positive_data_acceptance = {{ expected-statuses = {_toml_list(POSITIVE)} }}"]
    for path, method, op in operations(doc):
        if op["operationId"] not in run.operation_ids:
            continue
        block = []
        if "428" in op["responses"]:
            missing = f"missing_required_header = {{ expected-statuses = {_toml_list(IF_MATCH_MISSING)} }}"
            block.append(f"checks = {{ {missing} }}")
        if method == "PUT" and re.fullmatch(r"/v[0-9]+/policy", path):
            pinned = ", ".join(f"{_quoted(k)} = {_quoted(v)}" for k, v in PINNED.items())
            block.append(f"parameters = {{ {pinned} }}")
        if block:
            lines += ["", "[[operations]]", f"include-operation-id = {_quoted(op['operationId'])}", *block]
    return "\n".join(lines) + "\n"


def execute(live_server: str, version: str, doc: dict[str, Any], run: Run) -> Outcome:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    config_file = ARTIFACTS / f"schemathesis-{run.name}.toml"
    config_file.write_text(config(doc, run), encoding="utf-8")
    only = "^(" + "|".join(re.escape(op_id) for op_id in run.operation_ids) + ")$"
    started = time.monotonic()
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config_file), "run",
         f"{live_server}/schema/{version}/openapi.json", "--include-operation-id-regex", only,
         "--checks", "all", "--seed", SEED, "--max-examples", EXAMPLES, "--generation-database", "none",
         "--workers", "1", "--no-color", "--report", "junit",
         "--report-junit-path", str(ARTIFACTS / f"schemathesis-{run.name}.xml")],
        capture_output=True, text=True, timeout=1800, env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)},
    )  # fmt: skip
    outcome = Outcome(run, proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started)
    outcome.log.write_text(outcome.out, encoding="utf-8")
    return outcome


@pytest.fixture
def policy_kept(live_server):
    """Whatever the run tries, the policy the rest of the suite relies on stays."""
    admin = {"Authorization": f"Bearer {AUTH.keys[ADMIN]}"}
    before = httpx.get(f"{live_server}/v1/policy", headers=admin).json()
    yield
    after = httpx.get(f"{live_server}/v1/policy", headers=admin)
    if after.json()["text"] != before["text"]:
        body = {"text": before["text"], "comment": "put back after schemathesis"}
        httpx.put(f"{live_server}/v1/policy", json=body, headers={**admin, "If-Match": after.headers["ETag"]})
    assert after.json()["version"] == before["version"], "schemathesis changed the policy"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_check_passes_on_every_operation(live_server, backend, version, policy_kept, capsys):
    doc = documents()[version]
    planned = runs(version, doc, backend)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=PROCESSES) as pool:
        outcomes = list(pool.map(lambda run: execute(live_server, version, doc, run), planned))
    took = time.monotonic() - started
    with capsys.disabled():
        print(f"\nschemathesis {backend} {version}: {len(planned)} processes, {EXAMPLES} examples per operation")
        for o in outcomes:
            print(f"  {o.run.name} ({o.run.principal}): operations {o.selected}, cases {o.cases}, "
                  f"failures: {o.failures}; {o.seconds:.0f} s")  # fmt: skip
        failed = [o for o in outcomes if o.code != 0]
        print(f"  {version} in all: operations {sum(o.selected for o in outcomes)}, "
              f"cases {sum(o.cases for o in outcomes)}, failed processes {len(failed)}; {took:.0f} s")  # fmt: skip
    for o in failed:
        text = o.out[o.out.find("FAILURES") :] if "FAILURES" in o.out else o.out[-3000:]
        pytest.fail(f"schemathesis {o.run.name}: see {o.log}\n{text[:8000]}", pytrace=False)
    assert sum(o.selected for o in outcomes) == len(list(operations(doc)))  # every operation, once
    assert all(o.cases >= o.selected for o in outcomes), [o.out[-2000:] for o in outcomes]
    (system,) = [o for o in outcomes if o.run.principal == SYSTEM]
    # the system's key is accepted on its own source paths: no operation answered only 401
    # (403s on domains the policy lets it neither create nor write are its answer)
    assert "401 Unauthorized (" not in system.out


GRAPHQL_HOOKS = Path(__file__).with_name("schemathesis_graphql_hooks.py")


def test_graphql_answers_every_generated_query_without_a_server_error(live_server, backend, capsys):
    """schemathesis in its GraphQL mode on /graphql (the schema by introspection, a steward's
    key): every root field, MDM_SCHEMATHESIS_EXAMPLES queries each, fixed seed. Its own
    `not_a_server_error` would count every refusal on a field (not found, not readable) as
    a failure; schemathesis_graphql_hooks.py's check fails on a 5xx, a masked internal error,
    or a field error that is not a typed refusal; and answers must conform to the schema."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = f"{backend}-graphql"
    config_file = ARTIFACTS / f"schemathesis-{name}.toml"
    config_file.write_text(f"headers = {{ Authorization = {_quoted('Bearer ' + AUTH.keys['user:steward'])} }}\n")
    started = time.monotonic()
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config_file), "run",
         f"{live_server}/graphql", "--checks", "graphql_refusals_are_typed,response_schema_conformance",
         "--seed", SEED, "--max-examples", EXAMPLES, "--generation-database", "none", "--workers", "1",
         "--no-color"],
        capture_output=True, text=True, timeout=1800, env={**os.environ, "SCHEMATHESIS_HOOKS": str(GRAPHQL_HOOKS)},
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    (ARTIFACTS / f"schemathesis-{name}.txt").write_text(out, encoding="utf-8")
    cases = re.search(r"Test cases:\s*\n\s*(\d+) generated", out)
    with capsys.disabled():
        print(f"\nschemathesis {name}: cases {cases.group(1) if cases else '?'}, exit {proc.returncode}; "
              f"{time.monotonic() - started:.0f} s")  # fmt: skip
    assert proc.returncode == 0, out[out.find("FAILURES") :][:8000] if "FAILURES" in out else out[-4000:]
    selected = re.search(r"Selected: (\d+)/\1", out)
    assert selected, out[-2000:]  # every root field was run
    assert cases is not None
    assert int(cases.group(1)) >= 10 * int(selected.group(1))


@pytest.mark.parametrize(
    ("field", "message", "semantic"),
    [
        ("cursor", "not a cursor this API gave out", True),
        ("parent_id", "'cus_01M80JHKNPXXGD152RZD5KESWS' is not a legal_entity id", True),
        ("customer_id", "customer 'cus_01M80JHKNPXXGD152RZD5KESWS' does not exist", True),
        ("end_date", "must not be before start_date (2026-11-22)", True),
        ("merged_ids", "must not hold the survivor", True),
        ("line 1", "a rule starts with 'p' (got 'Senior Consultant')", True),
        ("merged_ids[0]", "Expected `str` of length >= 1", False),
        ("tax_id", "Expected `str` of length <= 100", False),
        ("keys.domain", "'x' is not a domain", False),
        ("country", "'XX' is not an ISO 3166-1 alpha-2 country code", False),
        ("email", "not a valid e-mail address: The part after the @-sign is not valid.", False),
        ("contract_value", "must not be negative", False),
        ("picks", "Expected `str` matching regex '^[a-z_]+$'", False),
    ],
)
def test_only_what_no_schema_can_state_passes_as_a_refusal(field, message, semantic):
    from tests.contract.schemathesis_hooks import semantic as is_semantic

    assert is_semantic(field, message) is semantic
