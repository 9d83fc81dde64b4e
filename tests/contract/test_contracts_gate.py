"""The breaking-change gate: each published document (openapi/vN.json, openapi/schema.graphql) is compared with the
same file at the previous commit (HEAD~1, the first parent: on main, the state before the
last merge or commit). A breaking change fails unless openapi/accepted-breaking.txt accepts
it or the document's info.version changes major. A version new in this commit has nothing
to break. It sees one commit's change only: a push of several commits is judged by its last.
MDM_CONTRACTS_BASE names another base revision (say, origin/main for a branch)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from mdm.contracts_diff import DocumentError, git_show, judge, parse_accepted, render_text

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([*(ROOT / "openapi").glob("v*.json"), ROOT / "openapi" / "schema.graphql"])
ACCEPTED = ROOT / "openapi" / "accepted-breaking.txt"


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def _base() -> str:
    base = os.environ.get("MDM_CONTRACTS_BASE", "HEAD~1")
    if _git("rev-parse", "--git-dir").returncode != 0:
        pytest.fail(
            f"{ROOT} is not a git checkout: the gate compares openapi/ with the previous commit's", pytrace=False
        )
    if base == "HEAD~1" and _git("rev-parse", "--verify", "--quiet", "HEAD~1^{commit}").returncode != 0:
        if _git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
            pytest.fail(
                "this clone is shallow and lacks HEAD~1: clone with history (or `git fetch --deepen=1`)", pytrace=False
            )
        pytest.skip("HEAD is the first commit: nothing was published before it")
    return base


def test_there_are_documents_to_guard():
    assert DOCUMENTS, f"no openapi/v*.json under {ROOT}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.stem)
def test_no_unaccepted_breaking_change_since_the_previous_commit(document: Path):
    base = _base()
    try:
        published = git_show(base, f"./{document.relative_to(ROOT).as_posix()}", cwd=ROOT)
    except DocumentError as error:
        pytest.fail(f"cannot read {document.name} at {base}: {error}", pytrace=False)
    if published is None:
        pytest.skip(f"{document.name} is new since {base}: no published version to break")
    accepted = parse_accepted(ACCEPTED.read_text(encoding="utf-8"))
    now = document.read_text(encoding="utf-8")
    if document.suffix == ".graphql":  # SDL, compared as GraphQL schemas
        report = judge(published, now, accepted)
    else:
        report = judge(json.loads(published), json.loads(now), accepted)
    if report.failed:
        pytest.fail(
            f"{document.name} breaks clients of the version published at {base}:\n{render_text(report)}\n"
            f"Accept a change on purpose in {ACCEPTED.relative_to(ROOT)} (with a reason), "
            "or change info.version's major.",
            pytrace=False,
        )


def test_the_accepted_list_reads():
    """A typo in the list fails here, not as a silently unmatched entry."""
    parse_accepted(ACCEPTED.read_text(encoding="utf-8"))
