"""`mdm match rules check` and `mdm match impact`: a rule change's blast radius before it ships."""

import json
import os
import random
import string
import subprocess
import sys

from mdm.domains import BY_NAME, RULES
from mdm.matching.rules import text_of
from tests.factory import near_addresses, unique

DEFAULT_TEXT = text_of(BY_NAME)


def _brand() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=9)).capitalize()


def _put(client, body):
    r = client.put(f"/v1/customers/sources/salesforce/{unique('sf')}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _mdm(database_url, *args):
    env = {**os.environ, "MDM_DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "mdm", *args], env=env, capture_output=True, text=True, timeout=120)


def _rules(tmp_path, auto_link, review):
    rules = RULES["customer"]
    head = f"auto_link = {rules.auto_link}\nreview = {rules.review}"
    assert head in DEFAULT_TEXT
    text = DEFAULT_TEXT.replace(head, f"auto_link = {auto_link}\nreview = {review}", 1)
    text = text.replace(f"[customer]\nversion = {rules.version}", f"[customer]\nversion = {rules.version + 1}", 1)
    assert text.count(f"version = {rules.version + 1}") >= 1
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_lower_thresholds_show_the_pairs_that_would_newly_link_and_be_queued(client, database_url, tmp_path):
    brand = _brand()
    here, near = near_addresses()  # postcodes a digit apart
    first = _put(client, {"name": f"{brand} Consulting GmbH", "country": "DE", "billing_address": here})
    second = _put(client, {"name": f"{brand} Consulting Partners", "country": "DE", "billing_address": near})
    assert second["outcome"] == "pending_review"
    queued_at = second["match"]["score"]
    other = _put(client, {"name": f"{brand} Consultancy Partners Holding", "country": "DE"})
    pair = sorted((first["id"], second["id"]))
    proc = _mdm(database_url, "match", "impact", "customer", "--rules", str(_rules(tmp_path, 0.25, 0.05)), "--json")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    linked = {(p["left_id"], p["right_id"]): p for p in found["newly_linked"]}
    assert queued_at >= 0.25
    assert linked[tuple(pair)]["old_score"] == linked[tuple(pair)]["new_score"] == queued_at
    ids = {first["id"], second["id"], other["id"]}
    old = RULES["customer"]
    assert all(p["new_score"] >= 0.25 and p["old_score"] < old.auto_link for p in found["newly_linked"])
    assert all(0.05 <= p["new_score"] < 0.25 and p["old_score"] < old.review for p in found["newly_queued"])
    assert any({p["left_id"], p["right_id"]} <= ids for p in found["newly_linked"] + found["newly_queued"])


def test_a_higher_auto_link_lists_the_links_it_would_not_make(client, database_url, tmp_path):
    brand = _brand()
    while brand[3] == brand[4]:  # the swap below must make a typo
        brand = _brand()
    site = f"https://{brand.lower()}.example"
    first = _put(client, {"name": f"{brand} Advisory AG", "country": "CH", "website": site})
    typo = brand[:3] + brand[4] + brand[3] + brand[5:]
    linked = _put(client, {"name": f"{typo} Advisory", "country": "CH", "website": site})
    assert (linked["outcome"], linked["id"]) == ("linked", first["id"])
    assert linked["match"]["score"] < 0.9999
    proc = _mdm(database_url, "match", "impact", "customer", "--rules", str(_rules(tmp_path, 0.9999, 0.2)), "--json")
    assert proc.returncode == 0, proc.stderr
    gone = [link for link in json.loads(proc.stdout)["no_longer_linked"] if link["golden_id"] == first["id"]]
    assert len(gone) == 1
    assert gone[0]["old_score"] == linked["match"]["score"]
    assert gone[0]["new_score"] < 0.9999
    rules = RULES["customer"]
    same = _mdm(database_url, "match", "impact", "customer", "--rules",
                str(_rules(tmp_path, rules.auto_link, rules.review)), "--json")  # fmt: skip
    unchanged = json.loads(same.stdout)
    assert [link for link in unchanged["no_longer_linked"] if link["golden_id"] == first["id"]] == []


def test_the_report_is_readable_and_a_bad_file_is_refused(database_url, tmp_path):
    proc = _mdm(database_url, "match", "impact", "customer", "--rules", str(_rules(tmp_path, 0.9, 0.7)))
    assert proc.returncode == 0, proc.stderr
    said = " ".join((proc.stderr + proc.stdout).split())  # the console wraps long lines
    rules = RULES["customer"]
    assert (f"rules v{rules.version} (auto_link {rules.auto_link}, review {rules.review}) -> v{rules.version + 1} "
            "(auto_link 0.9, review 0.7)") in said  # fmt: skip
    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT_TEXT.replace('fields = ["website"]', 'fields = ["webside"]'), encoding="utf-8")
    checked = _mdm(database_url, "match", "rules", "check", str(bad))
    assert checked.returncode == 1
    assert "customer has no field 'webside'" in " ".join((checked.stdout + checked.stderr).split())
    refused = _mdm(database_url, "match", "impact", "customer", "--rules", str(bad))
    assert refused.returncode == 1
    good = _mdm(database_url, "match", "rules", "check", str(_rules(tmp_path, 0.9, 0.7)))
    assert good.returncode == 0
    assert f"customer: version {rules.version + 1}" in good.stdout + good.stderr
    shown = _mdm(database_url, "match", "rules", "show")
    assert shown.stdout == DEFAULT_TEXT
