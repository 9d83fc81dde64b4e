"""The first `mdm match scan` of a domain learns its model from the estate: adopted when EM's
duplicates are those the defaults see, and then it finds more of them; written and left for
an admin when EM took something else for a match. A pair queued under other rules that the
rules in force are sure of is merged; one a steward unmerged is not merged again.

Each test has a database of its own: a learnt model, once adopted, is what ingestion and
every later scan use."""

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from bench.accounts import Export, crm
from bench.pairwise import Key, end_state, pair, scores
from mdm.app import create_app
from mdm.db import match_rules as store
from mdm.db import repository as repo
from mdm.db.engine import Database
from mdm.db.migrate import upgrade
from mdm.domains import BY_NAME, RULES
from mdm.matching import training
from mdm.matching.rules import render, table
from mdm.matching.scan import SCANNER, scan
from mdm.settings import Settings
from tests.conftest import _keys, fresh_database
from tests.factory import near_addresses, unique

CUSTOMER = BY_NAME["customer"]


def _fresh(directory: Path, backend: str) -> Iterator[str]:
    with fresh_database(backend, directory) as url:
        upgrade(url)
        yield url


@pytest.fixture
def estate(tmp_path: Path, backend: str) -> Iterator[str]:
    yield from _fresh(tmp_path, backend)


@pytest.fixture
def other_estate(tmp_path: Path, backend: str) -> Iterator[str]:
    yield from _fresh(tmp_path, backend)


@pytest.fixture
def third_estate(tmp_path: Path, backend: str) -> Iterator[str]:
    yield from _fresh(tmp_path, backend)


def _mdm(url: str, *args: str) -> str:
    env = {**os.environ, "MDM_DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "mdm", *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return " ".join((done.stdout + done.stderr).split())


def _imported(url: str, data: Export, directory: Path) -> None:
    """The export as a CRM's connector would hand it over: one NDJSON line per account."""
    path = directory / f"{data.name.replace(' ', '_').replace(',', '')}.ndjson"
    path.write_text("".join(json.dumps({"source_id": sid, **payload}) + "\n" for (_, sid), payload in data.records))
    _mdm(url, "import", "customer", str(path), "--system", "salesforce")


def _outcome(said: str) -> tuple[int, ...]:
    """(queued, already in the queue, merged) from `mdm match scan`'s summary."""
    found = re.search(r"(\d+) candidates queued, (\d+) already in the queue; (\d+) at or above auto_link merged", said)
    assert found, said
    return tuple(int(n) for n in found.groups())


def _scan_versions(url: str) -> set[int]:
    """The rules versions of the pairs scans queued."""

    async def run() -> set[int]:
        async with Database.opened(url) as db, db.sessionmaker(write=False)() as session:
            return {p.rules_version for p in await repo.candidate_pairs(session, CUSTOMER) if p.source == "scan"}

    return asyncio.run(run())


def _state(url: str):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        async with Database.opened(url) as db:
            async with db.sessionmaker(write=False)() as session:
                listed = await store.versions(session, CUSTOMER.name)
                versions = [await store.version(session, CUSTOMER.name, v.version) for v in listed]
            return await end_state(db, CUSTOMER), versions

    return asyncio.run(run())


def test_the_first_scan_learns_the_estate_s_model_adopts_it_and_finds_more_duplicates(
    estate, other_estate, third_estate, tmp_path
):
    """One CRM export (an independent generator's hard level: names cut, glued, as initials)
    loaded into three hubs; one scanned with the shipped rules, one learning first, each in
    two processes, and one with the shipped rules in this one: the processes change nothing."""
    data = crm("hard", "en", True, 2_000, 3)
    for url in (estate, other_estate, third_estate):
        _imported(url, data, tmp_path)
    apart = _mdm(other_estate, "match", "scan", "customer", "--no-learn", "--workers", "2")
    here = _mdm(third_estate, "match", "scan", "customer", "--no-learn")
    assert "learnt" not in apart + here
    assert "in 2 process(es)" in apart
    assert "in 1 process(es)" in here  # 2,000 records: too few blocks to start workers by default
    assert _outcome(apart) == _outcome(here)  # the same pairs queued and merged
    again = _mdm(other_estate, "match", "scan", "customer", "--no-learn", "--workers", "2")
    assert (_outcome(again)[0], _outcome(again)[2]) == (0, 0)  # a rerun queues and merges nothing new
    said = _mdm(estate, "match", "scan", "customer", "--workers", "2")
    assert f"learnt customer rules version {RULES['customer'].version + 1} from its records, adopted" in said
    assert "EM:" in said  # what was learnt, as `mdm match train` reports it
    assert "sure:" in said

    shipped, none = _state(other_estate)
    here, _ = _state(third_estate)
    assert shipped.predicted() == here.predicted()  # the same merges, the same pairs queued
    assert sorted(c[2:] for c in shipped.candidates) == sorted(c[2:] for c in here.candidates)
    learnt, versions = _state(estate)
    assert none == []
    [version] = versions
    assert (version.adopted_by, version.created_by) == (SCANNER, SCANNER)
    assert _scan_versions(estate) == {version.version}  # the workers scored with the version the scan adopted
    assert table("customer", version.text).review == training.FIRST_REVIEW  # its probabilities are the estate's
    before, after = scores(shipped.predicted()[0], data.truth), scores(learnt.predicted()[0], data.truth)
    assert after.recall >= before.recall + 0.03  # the shipped rules miss what the estate's own model finds
    assert after.precision >= 0.95
    assert "learnt" not in _mdm(estate, "match", "scan", "customer")  # once: the domain has a model now


def test_a_model_whose_duplicates_the_defaults_do_not_see_is_written_not_adopted(estate, tmp_path):
    """An export without duplicates (one row per firm): EM still splits the blocked pairs in
    two, and calls a match what the defaults score low (a group's companies under one
    website), so the version is left for an admin to look at."""
    data = crm("hard", "en", True, 2_500, 4)
    kept: list[tuple[Key, dict[str, Any]]] = []
    for key, payload in data.records:  # the first row of each firm
        if not any(pair(key, other) in data.truth for other, _ in kept):
            kept.append((key, payload))
    clean = Export("clean", kept, set())
    _imported(estate, clean, tmp_path)
    assert "learnt" not in _mdm(estate, "match", "scan", "customer", "--queue-only")  # adopting would link at once
    said = _mdm(estate, "match", "scan", "customer")
    number = RULES["customer"].version + 1
    assert f"learnt customer rules version {number} from its records, not adopted: of the" in said
    assert "the defaults see only" in said
    _, versions = _state(estate)
    assert [(v.version, v.adopted_at) for v in versions] == [(number, None)]


def test_a_pending_pair_the_adopted_rules_are_sure_of_is_merged_once(estate):
    """Queued for review under the defaults, then a model is adopted that is sure of the pair:
    the next scan merges it, under the new rules' score; a steward who unmerges it has
    decided, and the scan after leaves it to them."""
    keys = _keys(estate)
    sales, steward = ({"Authorization": f"Bearer {keys[p]}"} for p in ("system:salesforce", "user:steward"))
    here, near = near_addresses()  # postcodes a digit apart
    with TestClient(create_app(Settings(database_url=estate, pool_size=2, webhooks=False))) as client:
        made = []
        for name, address in (("Brightwater Consulting GmbH", here), ("Brightwater Consulting Partners", near)):
            body = {"name": name, "country": "DE", "billing_address": address}
            r = client.put(f"/v1/customers/sources/salesforce/{unique('sf')}", json=body, headers=sales)
            assert r.status_code == 200, r.text
            made.append(r.json()["id"])
        first, second = sorted(made)
        [queued] = _pairs(estate)
        assert (queued.status, queued.rules_version) == ("pending", RULES["customer"].version)
        sure_of_it = _adopted_with_auto_link(estate, queued.score - 0.01)

        report = _scanned(estate)
        assert report.linked == 1
        [merged] = _pairs(estate)
        assert (merged.status, merged.rules_version) == ("merged", sure_of_it)
        assert client.get(f"/v1/customers/{second}", follow_redirects=False, headers=steward).status_code == 301

        [entry] = client.get(f"/v1/customers/{first}/merges", headers=steward).json()
        undone = client.post(f"/v1/customers/{first}/unmerge", json={"merge_id": entry["merge_id"]}, headers=steward)
        assert undone.status_code == 200, undone.text
        assert _scanned(estate).linked == 0
        [back] = _pairs(estate)
        assert (back.status, back.rules_version) == ("pending", sure_of_it)
        sure_again = _adopted_with_auto_link(estate, queued.score - 0.02, sure_of_it + 1)  # other rules, still sure
        again = _scanned(estate)
        assert again.linked == 0
        assert any("undid" in line for line in again.left_queued)
        [still] = _pairs(estate)
        assert (still.status, still.rules_version) == ("pending", sure_again)
        assert client.get(f"/v1/customers/{second}", follow_redirects=False, headers=steward).status_code == 200


def _pairs(url: str):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        async with Database.opened(url) as db, db.sessionmaker(write=False)() as session:
            return await repo.candidate_pairs(session, CUSTOMER)

    return asyncio.run(run())


def _adopted_with_auto_link(url: str, auto_link: float, number: int | None = None) -> int:
    """A rules version like the defaults but linking from `auto_link`, adopted: its number."""
    shipped = RULES["customer"]
    assert shipped.spec is not None
    number = number or shipped.version + 1
    text = render(msgspec.structs.replace(shipped.spec, version=number, auto_link=auto_link))

    async def run() -> None:
        async with Database.opened(url) as db:
            async with db.transaction() as session:
                await store.add(session, CUSTOMER.name, number, text, {}, "user:admin", datetime.now(UTC))
            assert await training.adopt(db, CUSTOMER, number, "user:admin")

    asyncio.run(run())
    return number


def _scanned(url: str):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        async with Database.opened(url) as db:
            return await scan(db, CUSTOMER)

    return asyncio.run(run())
