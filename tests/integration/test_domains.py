"""Domains as data: the one generic router serves all six domains the same way."""

import pytest

from mdm.domains import DOMAINS
from tests.factory import Factory, contract_fields, creator, unique


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("domain", DOMAINS, ids=lambda d: d.name)
def test_every_domain_has_the_whole_lifecycle(client, domain, version):
    factory = Factory(client, version)
    path = f"/{version}/{domain.path}"
    payload = factory.payload(domain.name)
    created = client.post(path, json=payload)
    assert created.status_code == 201, created.text
    gid = created.json()["id"]
    assert gid.startswith(domain.prefix + "_")
    assert created.json()["status"] == domain.status_default
    sid, system = unique("src-"), creator(domain.name)  # the system that may create this domain's records
    upsert = client.put(f"{path}/sources/{system}/{sid}", json=factory.payload(domain.name, system))
    assert upsert.status_code == 200, upsert.text
    assert upsert.json()["outcome"] == "created"
    resolved = client.get(f"{path}/resolve", params={"system": system, "source_id": sid}).json()
    assert resolved["id"] == upsert.json()["id"]
    assert resolved["record"] == client.get(f"{path}/{resolved['id']}").json()
    listed = client.get(path, params={"limit": 500}).json()
    assert listed["items"]
    assert all(item["id"].startswith(domain.prefix + "_") for item in listed["items"])
    status = domain.statuses[-1]
    patched = client.patch(f"{path}/{gid}", json={"status": status}, headers={"If-Match": '"1"'})
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == status
    assert [h["version"] for h in client.get(f"{path}/{gid}/history").json()] == [2, 1]
    lineage = {e["field"]: e for e in client.get(f"{path}/{gid}/lineage").json()}
    # a list field's lineage is per element (`identifiers.duns`): the hub chose each from its own owners
    assert {name.split(".")[0] for name in lineage} == {f.name for f, _ in contract_fields(domain, version)}
    assert lineage["status"]["rule"] == "override"
    assert [(x["system"], x["source_id"]) for x in client.get(f"{path}/{gid}/crosswalks").json()] == [("mdm", gid)]
