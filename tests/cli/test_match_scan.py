"""`mdm match scan`: likely duplicate pairs into the candidate queue, once; shards split the work."""

import asyncio
import multiprocessing
import os
import random
import string
import subprocess
import sys
import time

import pytest

from mdm.db import repository as repo
from mdm.db.engine import Database
from mdm.domains import BY_NAME, RULES
from mdm.matching import service as matching
from mdm.matching.scan import in_shard, scan
from tests.auth import bearer
from tests.factory import near_addresses, unique


def _scan(url, shard=(0, 1)):
    async def run():
        async with Database.opened(url) as db:  # no model learnt: the suite's database is shared (test_match_learn)
            return await scan(db, BY_NAME["customer"], shard=shard, learn=False)

    return asyncio.run(run())


def _pending(url):
    async def run():
        async with Database.opened(url) as db, db.sessionmaker(write=False)() as session:
            return await repo.candidate_pairs(session, BY_NAME["customer"])

    return asyncio.run(run())


def _customer(client, body, source_id=None):
    r = client.put(f"/v1/customers/sources/salesforce/{source_id or unique('sf')}", json=body)
    assert r.status_code == 200, r.text
    return r.json()["id"]


def test_scan_queues_a_pair_ingestion_could_not_see_once(client, database_url):
    """A record renamed after it was made looks like another: only a scan can find that."""
    brand, other = ("".join(random.choices(string.ascii_lowercase, k=9)).capitalize() for _ in range(2))
    first = _customer(client, {"name": f"{brand} Consulting GmbH", "country": "DE"})
    renamed = unique("sf")
    second = _customer(client, {"name": f"{other} Shipping Lines", "country": "DE"}, renamed)
    assert _customer(client, {"name": f"{brand.upper()} CONSULTING", "country": "DE"}, renamed) == second
    found = _scan(database_url)
    assert found.queued >= 1
    pairs = {(p.left_id, p.right_id): p for p in _pending(database_url)}
    pair = pairs[tuple(sorted((first, second)))]
    assert (pair.status, pair.source, pair.rules_version) == ("pending", "scan", RULES["customer"].version)
    assert pair.score >= RULES["customer"].review
    assert {e["field"] for e in pair.explanation} >= {"name", "country"}
    again = _scan(database_url)
    assert again.queued == 0
    assert again.already_queued >= 1
    assert len(_pending(database_url)) == len(pairs)


def test_shards_split_the_blocks_between_them(database_url, client):
    assert client.put(f"/v1/customers/sources/salesforce/{unique('sf')}", json={"name": "Shardco"}).status_code == 200
    assert (
        client.put(f"/v1/customers/sources/salesforce/{unique('sf')}", json={"name": "Shardco Ltd"}).status_code == 200
    )
    whole = _scan(database_url)
    parts = [_scan(database_url, (i, 3)) for i in range(3)]
    assert sum(p.blocks for p in parts) == whole.blocks
    keys = [f"name:{i}" for i in range(100)]
    assert all(sum(in_shard(k, (i, 3)) for i in range(3)) == 1 for k in keys)


def test_the_cli_reports_what_it_did(database_url):
    done = subprocess.run([sys.executable, "-m", "mdm", "match", "scan", "customer", "--shard", "1/2"],
                          capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "MDM_DATABASE_URL": database_url})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "candidates queued" in " ".join((done.stdout + done.stderr).split())  # the console wraps lines
    bad = subprocess.run([sys.executable, "-m", "mdm", "match", "scan", "customer", "--shard", "2/2"],
                         capture_output=True, text=True, timeout=60,
                         env={**__import__("os").environ, "MDM_DATABASE_URL": database_url})  # fmt: skip
    assert bad.returncode == 2


def test_a_pair_marked_not_a_match_never_comes_back(client, database_url):
    brand = "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()
    here, near = near_addresses()  # postcodes a digit apart
    first = _customer(client, {"name": f"{brand} Consulting GmbH", "country": "DE", "billing_address": here})
    second = _customer(client, {"name": f"{brand} Consulting Partners", "country": "DE", "billing_address": near})
    pair = tuple(sorted((first, second)))
    assert {(p.left_id, p.right_id): p.status for p in _pending(database_url)}[pair] == "pending"  # ingestion queued it

    async def reject():
        async with Database.opened(database_url) as db, db.transaction() as session:
            await matching.reject(session, BY_NAME["customer"], second, first)

    asyncio.run(reject())
    report = _scan(database_url)
    assert report.already_queued >= 1
    rows = [p for p in _pending(database_url) if (p.left_id, p.right_id) == pair]
    assert [(r.status, r.source) for r in rows] == [("not_a_match", "ingest")]


def test_a_scan_that_keeps_few_features_finds_every_pair(client, database_url, monkeypatch):
    """Blocks read one at a time, one record's features kept between them (records read again
    once forgotten): nothing a whole scan would queue is left for it."""
    from mdm.matching import scan as scanning

    brand = "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()
    ids = [_customer(client, {"name": f"{brand} Logistik GmbH", "country": "DE"})]
    for form in ("Logistik", "LOGISTIK"):  # made as other firms, then renamed: only a scan sees them
        renamed, other = unique("sf"), "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()
        ids.append(_customer(client, {"name": f"{other} Shipping Lines", "country": "DE"}, renamed))
        assert _customer(client, {"name": f"{brand} {form}", "country": "DE"}, renamed) == ids[-1]
    assert len(set(ids)) == 3
    monkeypatch.setattr(scanning, "SCAN_CHUNK", 1)
    monkeypatch.setattr(scanning, "FEATURES_KEPT", 1)
    found = _scan(database_url)
    assert found.queued + found.already_queued >= 3
    queued = {(p.left_id, p.right_id) for p in _pending(database_url)}
    assert {tuple(sorted(pair)) for pair in [ids[:2], ids[1:], ids[::2]]} <= queued
    monkeypatch.undo()
    assert _scan(database_url).queued == 0

    async def block_read_with_one_known():
        async with Database.opened(database_url) as db:
            async with db.sessionmaker(write=False)() as session:
                every = await repo.blocks(session, BY_NAME["customer"])
                blocks = [(k, size) for k, size in every if k.startswith("name:") and brand.lower() in k]
            return [chunk async for chunk in scanning.read_blocks(db, BY_NAME["customer"], blocks, ("name",),
                                                                   known={ids[0]})]  # fmt: skip

    [[(_, size, records)]] = asyncio.run(block_read_with_one_known())
    assert size == 3
    members = dict(records)
    assert set(members) == set(ids)  # a known record is still a member, only not read again
    assert members[ids[0]] == []
    assert all(members[i][0]["name"].startswith(brand) for i in ids[1:])


def _look_alike(client):
    """Two golden records of one firm that ingestion could not link: the second was made as
    another firm and renamed into the first (its name, website and address), so only a scan
    meets the pair, at a score over `auto_link`. Answers (first, second, its source id, the firm)."""
    brand = "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()
    here, _ = near_addresses()
    firm = {"name": f"{brand} Consulting GmbH", "country": "DE", "website": f"https://www.{brand.lower()}.de",
            "billing_address": here}  # fmt: skip
    first = _customer(client, firm)
    renamed = unique("sf")
    other = "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()
    second = _customer(client, {"name": f"{other} Shipping Lines", "country": "DE"}, renamed)
    assert _customer(client, firm, renamed) == second  # the rename changed that record: no link
    assert first != second
    return first, second, renamed, firm


def test_a_pair_at_or_above_auto_link_is_merged_and_a_steward_can_undo_it(client, database_url):
    first, second, renamed, _ = _look_alike(client)
    report = _scan(database_url)
    assert report.linked >= 1
    resolved = client.get("/v1/customers/resolve", params={"system": "salesforce", "source_id": renamed}).json()
    assert resolved["id"] == first  # the older record survives
    assert client.get(f"/v1/customers/{second}", follow_redirects=False).status_code == 301
    [entry] = client.get(f"/v1/customers/{first}/merges").json()
    assert entry["merged_ids"] == [second]
    assert entry["principal"] == "system:mdm-scan"
    audit = client.get(
        "/v1/audit", params={"record_id": first, "action": "merge"}, headers=bearer("user:admin")
    ).json()["items"]
    assert any("match scan" in (row["detail"] or "") and "auto_link" in row["detail"] for row in audit)
    rows = [p for p in _all_pairs(database_url) if (p.left_id, p.right_id) == tuple(sorted((first, second)))]
    assert [(r.status, r.source) for r in rows] == [("merged", "scan")]  # why: its score and explanation
    assert rows[0].score >= RULES["customer"].auto_link

    undone = client.post(f"/v1/customers/{first}/unmerge", json={"merge_id": entry["merge_id"]})
    assert undone.status_code == 200, undone.text
    resolved = client.get("/v1/customers/resolve", params={"system": "salesforce", "source_id": renamed}).json()
    assert resolved["id"] == second
    assert _scan(database_url).linked == 0  # the pair was decided: a rerun does not merge it again


def test_queue_only_leaves_a_pair_at_or_above_auto_link_to_stewards(client, database_url):
    first, second, _, _ = _look_alike(client)
    report = asyncio.run(_scan_with(database_url, link=False))
    assert report.linked == 0
    pairs = {(p.left_id, p.right_id): p for p in _pending(database_url)}
    assert pairs[tuple(sorted((first, second)))].status == "pending"
    assert client.get(f"/v1/customers/{second}", follow_redirects=False).status_code == 200


def test_a_scan_does_not_merge_what_a_steward_set_apart_through_a_third_record(client, database_url):
    """ "Not a match" holds transitively: a and c set apart, b alike to both over auto_link;
    the scan merges b with one of them and leaves the other pair queued."""
    a, b, _, firm = _look_alike(client)
    source = unique("sf")
    c = _customer(client, {"name": "".join(random.choices(string.ascii_lowercase, k=9)).capitalize(), "country": "AT"},
                  source)  # fmt: skip
    assert _customer(client, firm, source) == c  # renamed into the same firm as well

    async def reject():
        async with Database.opened(database_url) as db, db.transaction() as session:
            await matching.reject(session, BY_NAME["customer"], a, c)

    asyncio.run(reject())
    report = _scan(database_url)
    assert report.linked == 1
    assert any("not a match" in line for line in report.left_queued)
    survivors = {client.get(f"/v1/customers/{i}").json()["id"] for i in (a, b, c)}
    assert len(survivors) == 2


async def _scan_with(url, **options):
    async with Database.opened(url) as db:
        return await scan(db, BY_NAME["customer"], learn=False, **options)


def _all_pairs(url):
    async def run():
        import sqlalchemy as sa

        from mdm.db.tables import match_candidate

        async with Database.opened(url) as db, db.sessionmaker(write=False)() as session:
            return (await session.execute(sa.select(match_candidate))).all()

    return asyncio.run(run())


def test_after_a_merge_the_survivor_is_compared_with_what_the_folded_record_was_queued_with(client, database_url):
    """b (renamed into a's firm, with a phone a lacks) is queued with d, the firm's initials on
    another line of that switchboard; the scan merges b into a, which closes the pair b / d,
    and compares a, holding b's values now, with d: the pair a / d is queued in the same run."""
    a, b, renamed, firm = _look_alike(client)
    line = f"+49 30 {random.randint(10000, 99999)}"
    v2 = {"name": firm["name"], "country": "DE", "website": firm["website"],
          "addresses": [{"kind": "billing", **firm["billing_address"]}],
          "phones": [{"kind": "main", "number": f"{line}10"}]}  # fmt: skip
    r = client.put(f"/v2/customers/sources/salesforce/{renamed}", json=v2)
    assert r.json()["id"] == b, r.text
    initials = "".join(word[0] for word in firm["name"].split()[:2]).upper()
    r = client.put(f"/v2/customers/sources/salesforce/{unique('sf')}",
                   json={"name": f"{initials} GmbH", "phones": [{"kind": "main", "number": f"{line}99"}]})  # fmt: skip
    d = r.json()["id"]
    assert r.json()["outcome"] == "pending_review", r.text
    assert tuple(sorted((b, d))) in {(p.left_id, p.right_id) for p in _pending(database_url)}  # ingestion queued it
    assert tuple(sorted((a, d))) not in {(p.left_id, p.right_id) for p in _all_pairs(database_url)}
    report = _scan(database_url)
    assert report.linked >= 1
    assert client.get(f"/v1/customers/{b}").json()["id"] == a
    pending = {(p.left_id, p.right_id) for p in _pending(database_url)}
    assert tuple(sorted((a, d))) in pending


def test_a_later_scan_does_not_merge_into_a_record_what_a_steward_set_apart_from_one_merged_into_it(
    client, database_url
):
    """b was merged into a by one scan; a steward then set b and e apart; e, renamed into the
    same firm, is alike to a over auto_link, and the next scan leaves the pair queued."""
    a, b, _, firm = _look_alike(client)
    assert _scan(database_url).linked >= 1
    source = unique("sf")
    e = _customer(client, {"name": "".join(random.choices(string.ascii_lowercase, k=9)).capitalize(), "country": "AT"},
                  source)  # fmt: skip
    assert _customer(client, firm, source) == e

    async def reject():
        async with Database.opened(database_url) as db, db.transaction() as session:
            await matching.reject(session, BY_NAME["customer"], b, e)

    asyncio.run(reject())
    report = _scan(database_url)
    assert any(line.startswith(f"{a} / {e}") and "not a match" in line for line in report.left_queued)
    assert client.get(f"/v1/customers/{e}", follow_redirects=False).status_code == 200
    assert tuple(sorted((a, e))) in {(p.left_id, p.right_id) for p in _pending(database_url)}


def test_the_cli_queues_only_when_told(client, database_url):
    """`--queue-only` leaves a pair at or above auto_link to stewards, and a later scan does
    not merge a pair it finds already queued: a steward has it."""
    first, second, _, _ = _look_alike(client)
    env = {**__import__("os").environ, "MDM_DATABASE_URL": database_url}
    for options in (["--queue-only"], []):
        done = subprocess.run([sys.executable, "-m", "mdm", "match", "scan", "customer", "--no-learn", *options],
                              capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "0 at or above auto_link merged" in " ".join((done.stdout + done.stderr).split())
        pairs = {(p.left_id, p.right_id): p.status for p in _pending(database_url)}
        assert pairs[tuple(sorted((first, second)))] == "pending"
        assert client.get(f"/v1/customers/{second}", follow_redirects=False).status_code == 200


def test_a_scan_starts_workers_only_where_they_can_help_and_can_open_the_database():
    from mdm.matching.scan import MAX_WORKERS, PARALLEL_FROM, default_workers, in_memory

    assert default_workers(PARALLEL_FROM - 1) == 1  # starting processes would cost more than they save
    assert default_workers(PARALLEL_FROM, (1, 4)) == 1  # shards run side by side already
    assert default_workers(PARALLEL_FROM) == min(len(os.sched_getaffinity(0)), MAX_WORKERS)
    assert all(in_memory(u) for u in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:",
                                      "sqlite+aiosqlite:///file:x?mode=memory&uri=true"))  # fmt: skip
    assert not any(in_memory(u) for u in ("sqlite+aiosqlite:////tmp/hub.db", "postgresql+asyncpg://h/db"))


def test_a_scan_whose_queue_write_fails_stops_its_workers_and_says_why(client, database_url, monkeypatch):
    """Workers compare, this process writes: a write that fails ends the scan with its error
    (no hang, no worker left comparing, no later segment written)."""
    from mdm.matching import scan as scanning

    brand = "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()
    _customer(client, {"name": f"{brand} Consulting GmbH", "country": "DE"})
    _customer(client, {"name": f"{brand} Consulting", "country": "DE"})
    calls = []

    async def failing(session, rows):
        calls.append(len(rows))
        raise RuntimeError("disk full")

    monkeypatch.setattr(scanning.repo, "queue_candidates", failing)

    async def run():
        async with Database.opened(database_url) as db:
            return await asyncio.wait_for(scan(db, BY_NAME["customer"], learn=False, workers=2), 120)

    with pytest.raises(RuntimeError, match="disk full"):
        asyncio.run(run())
    assert len(calls) == 1  # the first segment's write failed; nothing after it was written
    deadline = time.monotonic() + 60
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not multiprocessing.active_children()  # each worker ended with the segment it had begun
