"""`mdm policy check FILE`: a policy file is checked against the domains before anyone adopts it."""

import subprocess
import sys

from mdm.policy.rules import DEFAULT_TEXT


def _check(path):
    return subprocess.run([sys.executable, "-m", "mdm", "policy", "check", str(path)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_the_default_policy_file_passes(tmp_path):
    path = tmp_path / "policy.csv"
    path.write_text(DEFAULT_TEXT)
    done = _check(path)
    assert done.returncode == 0, done.stderr
    assert "no errors" in done.stdout


def test_errors_name_their_lines_and_exit_1(tmp_path):
    path = tmp_path / "policy.csv"
    path.write_text(
        DEFAULT_TEXT + "p, system:netsuite, customer, colour, write, allow\np, role:reader, *, *, peek, allow\n"
    )
    n = len(DEFAULT_TEXT.splitlines())
    done = _check(path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{path}: line {n + 1}: 'colour' is not a field of customer",
        f"{path}: line {n + 2}: unknown action 'peek' (one of create, write, read, merge, fill)",
    ]
