def test_create_and_get_each_domain(client, factory):
    from mdm.domains import DOMAINS

    for d in DOMAINS:
        gid = factory.create(d.name)
        r = client.get(f"/v1/{d.path}/{gid}")
        assert r.status_code == 200, r.text
        assert r.json()["id"] == gid
        assert r.headers["etag"] == '"1"'
