"""Property-based API testing: schemathesis generates requests for every operation of the
app's own OpenAPI document (fixed seed) against the real server, and none may answer 5xx."""

import os
import re
import subprocess
import sys
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_no_operation_answers_a_server_error(live_server, backend):
    schemathesis = Path(sys.executable).with_name("schemathesis")
    examples = os.environ.get("MDM_SCHEMATHESIS_EXAMPLES", "25")
    ARTIFACTS.mkdir(exist_ok=True)
    proc = subprocess.run(
        [str(schemathesis), "run", f"{live_server}/schema/openapi.json", "--checks", "not_a_server_error",
         "--seed", "20261122", "--max-examples", examples, "--no-color",
         "--report", "junit", "--report-dir", str(ARTIFACTS)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    log = ARTIFACTS / f"schemathesis-{backend}.txt"
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    failures = proc.stdout[proc.stdout.find("FAILURES") :] if "FAILURES" in proc.stdout else proc.stdout[-3000:]
    assert proc.returncode == 0, f"see {log}\n{failures[:6000]}"
    selected = re.search(r"Selected: (\d+)/(\d+)", proc.stdout)
    assert selected, proc.stdout[-2000:]
    assert selected.group(1) == selected.group(2)  # every operation of the document was exercised
