"""Property-based API testing: schemathesis generates requests for every operation of the
app's own OpenAPI document (fixed seed) against the real server, and none may answer 5xx.

Two passes: an admin key for every operation, and a source system's key for the source
operations with the path's `system` fixed to that system (otherwise every generated
request would be refused as another system's path and nothing behind it would run)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.auth import AUTH

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _run(live_server: str, name: str, config: str, *extra: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    config_file = ARTIFACTS / f"schemathesis-{name}.toml"
    config_file.write_text(config, encoding="utf-8")
    schemathesis = Path(sys.executable).with_name("schemathesis")
    examples = os.environ.get("MDM_SCHEMATHESIS_EXAMPLES", "25")
    proc = subprocess.run(
        [str(schemathesis), "--config-file", str(config_file), "run", f"{live_server}/schema/openapi.json",
         "--checks", "not_a_server_error", "--seed", "20261122", "--max-examples", examples, "--no-color",
         "--report", "junit", "--report-dir", str(ARTIFACTS), *extra],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    log = ARTIFACTS / f"schemathesis-{name}.txt"
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    failures = proc.stdout[proc.stdout.find("FAILURES") :] if "FAILURES" in proc.stdout else proc.stdout[-3000:]
    assert proc.returncode == 0, f"see {log}\n{failures[:6000]}"
    return proc.stdout


@pytest.mark.parametrize("principal", ["user:admin", "system:salesforce"])
def test_no_operation_answers_a_server_error(live_server, backend, principal):
    config = f'headers = {{ Authorization = "Bearer {AUTH.keys[principal]}" }}\n'
    extra: tuple[str, ...] = ()
    if principal.startswith("system:"):
        config += f'parameters = {{ "path.system" = "{principal.split(":")[1]}" }}\n'
        extra = ("--include-path-regex", "/sources/")
    out = _run(live_server, f"{backend}-{principal.replace(':', '-')}", config, *extra)
    selected = re.search(r"Selected: (\d+)/(\d+)", out)
    assert selected, out[-2000:]
    if not extra:
        assert selected.group(1) == selected.group(2)  # every operation of the document was exercised
    else:
        assert int(selected.group(1)) == 12  # PUT and DELETE of sources, six domains
    if extra:  # the system's key is accepted on its own source paths
        assert "returned only 401/403" not in out
