"""`mdm match scan`: likely duplicate pairs into the candidate queue, once; shards split the work."""

import asyncio
import random
import string
import subprocess
import sys

from mdm.db import repository as repo
from mdm.db.engine import Database
from mdm.domains import BY_NAME, RULES
from mdm.matching import service as matching
from mdm.matching.scan import in_shard, scan
from tests.factory import near_addresses, unique


def _scan(url, shard=(0, 1)):
    async def run():
        async with Database.opened(url) as db:
            return await scan(db, BY_NAME["customer"], shard=shard)

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
    assert "candidates queued" in done.stdout + done.stderr
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
