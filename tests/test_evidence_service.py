"""Evidence in the service: kept content-addressed in the evidence store (a folder beside the database, and
S3-compatible object storage: moto's S3 server on loopback), the same tests for both; access as the
record's (owner and live mentors; 404 for everyone else); in the audit trail; gone when the member is
erased, unless another member's record names the same bytes."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import mentor_world
from certificates import PDH_ETHICS, write_pdf
from ports import free_port
from sync_service import create_app, db
from sync_service.blobs import S3Store
from sync_service.store.models import AuditEvent, Evidence


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["filesystem", "s3"])
def world(request, tmp_path, monkeypatch):
    config = {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'cpd.sqlite3'}", "SECRET_KEY": "test"}
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_server")
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_DEFAULT_REGION", "us-east-1")):
            monkeypatch.setenv(name, value)
        bucket = f"evidence-{tmp_path.name.lower().replace('_', '-')[-40:]}"
        S3Store(bucket, endpoint_url=endpoint).client.create_bucket(Bucket=bucket)
        config.update(EVIDENCE_URL=f"s3://{bucket}/cpd", EVIDENCE_S3_ENDPOINT=endpoint)
    else:
        config.update(EVIDENCE_URL=str(tmp_path / "evidence"))
    app = create_app(config)
    w = mentor_world.build(app)
    w.kind = request.param
    yield w
    app.extensions["cpd_engine"].dispose()


def store_of(world):
    from sync_service.context import evidence_store
    with world.app.app_context():
        return evidence_store()


def add(world, who, data, row=None, filename="certificate.pdf"):
    row = world.rows[0] if row is None else row
    return world.api(who, "POST", f"/api/v1/records/{world.record}/evidence?row={row}&filename={filename}", data=data)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> bytes:
    return write_pdf(PDH_ETHICS, tmp_path_factory.mktemp("cert") / "ethics.pdf").read_bytes()


def test_the_owner_adds_evidence_and_it_is_kept_by_its_sha256(world, certificate):
    res = add(world, "owner", certificate)
    assert res.status_code == 201, res.json
    body = res.json
    digest = hashlib.sha256(certificate).hexdigest()
    assert body["sha256"] == digest and body["kind"] == "pdf" and body["activity_row"] == world.rows[0]
    assert body["filename"] == "certificate.pdf" and body["size"] == len(certificate)
    assert store_of(world).get(digest) == certificate and store_of(world).exists(digest)
    again = add(world, "owner", certificate)
    assert again.status_code == 200 and again.json["id"] == body["id"]          # the same file once
    listed = world.api("owner", "GET", f"/api/v1/records/{world.record}/evidence").json["evidence"]
    assert [e["id"] for e in listed] == [body["id"]]


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("mentor", 200), ("revoked", 404), ("expired", 404),
                                             ("stranger", 404), ("admin", 404), ("anonymous", 401)])
def test_who_may_download_evidence(world, certificate, who, status):
    evidence_id = add(world, "owner", certificate).json["id"]
    res = world.api(who, "GET", f"/api/v1/records/{world.record}/evidence/{evidence_id}")
    assert res.status_code == status, res.data[:200]
    listing = world.api(who, "GET", f"/api/v1/records/{world.record}/evidence")
    assert listing.status_code == status
    if status == 200:
        assert res.data == certificate and res.mimetype == "application/pdf"
        assert res.headers["Content-Disposition"].startswith("attachment")
        assert res.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in res.headers["Content-Security-Policy"]
    elif status == 404:
        assert res.json["error"]["code"] == "not_found"
    # only the owner adds and removes
    if who != "owner":
        assert add(world, who, certificate).status_code in (403, 404, 401)
        assert world.api(who, "DELETE", f"/api/v1/records/{world.record}/evidence/{evidence_id}").status_code in (
            403, 404, 401)


def test_a_mentors_download_is_in_the_owners_audit_trail(world, certificate):
    evidence_id = add(world, "owner", certificate).json["id"]
    assert world.api("mentor", "GET", f"/api/v1/records/{world.record}/evidence/{evidence_id}").status_code == 200
    with world.app.app_context():
        actions = [e.action for e in db.session().query(AuditEvent).order_by(AuditEvent.id)]
    assert "evidence_added" in actions and actions[-1] == "evidence_viewed"


def test_a_file_whose_bytes_are_not_what_its_name_says_is_refused(world):
    res = add(world, "owner", b"<html><script>alert(1)</script></html>", filename="certificate.pdf")
    assert res.status_code == 400 and res.json["error"]["code"] == "evidence_type_refused"
    res = add(world, "owner", b"%PDF-1.4 whatever", row=3)
    assert res.status_code == 400 and res.json["error"]["code"] == "no_such_row"
    res = world.api("owner", "POST", f"/api/v1/records/{world.record}/evidence?row=x", data=b"%PDF-1.4")
    assert res.status_code == 400 and res.json["error"]["code"] == "bad_row"
    with world.app.app_context():
        assert db.session().query(Evidence).count() == 0


def test_the_size_limit_is_a_setting(world):
    world.app.config["EVIDENCE_MAX_BYTES"] = 1000
    res = add(world, "owner", b"%PDF-1.4\n" + b"0" * 2000)
    assert res.status_code == 413 and res.json["error"]["code"] == "evidence_too_large"


def test_removing_and_erasing_leave_no_file_behind_unless_another_record_names_it(world, certificate):
    photo = b"\xff\xd8\xff\xe0" + b"JFIF-photo" * 50
    first = add(world, "owner", certificate).json
    add(world, "owner", photo, filename="site photo.jpg")
    store = store_of(world)
    assert world.api("owner", "DELETE", f"/api/v1/records/{world.record}/evidence/{first['id']}").status_code == 204
    assert not store.exists(first["sha256"])
    add(world, "owner", certificate)
    # the mentor keeps the same certificate on a record of their own
    res = world.api("mentor", "POST", "/api/v1/records", data=mentor_world.EXAMPLE)
    theirs = res.json["id"]
    rows = [a["row"] for a in world.api("mentor", "GET", f"/api/v1/records/{theirs}").json["activities"]]
    assert world.api("mentor", "POST", f"/api/v1/records/{theirs}/evidence?row={rows[0]}",
                     data=certificate).status_code == 201
    client, token = world.browser("owner")
    res = client.post("/erase", data={"csrf": token, "confirm": "DELETE"})
    assert res.status_code == 200, res.data[:300]
    assert not store.exists(hashlib.sha256(photo).hexdigest())              # only the owner's: gone
    assert store.exists(first["sha256"])                                    # the mentor's record names it still
    if world.kind == "filesystem":
        left = [p for p in Path(world.app.config["EVIDENCE_URL"]).rglob("*") if p.is_file()]
        assert [p.name for p in left] == [first["sha256"]]


def test_the_record_page_links_each_activitys_evidence_for_the_owner_and_a_mentor(world, certificate):
    evidence_id = add(world, "owner", certificate, filename="ethics webinar.pdf").json["id"]
    for who in ("owner", "mentor"):
        client, _ = world.browser(who)
        page = client.get(f"/records/{world.record}").get_data(as_text=True)
        link = f"/records/{world.record}/evidence/{evidence_id}"
        assert f'href="{link}">Evidence: ethics webinar.pdf</a>' in page
        res = client.get(link)
        assert res.status_code == 200 and res.data == certificate
    client, _ = world.browser("stranger")
    assert client.get(f"/records/{world.record}/evidence/{evidence_id}").status_code == 404


def test_the_record_page_gives_the_audit_pack_with_the_evidence_the_service_keeps(world, certificate, tmp_path):
    import shutil
    import subprocess
    add(world, "owner", certificate)
    photo_row = world.rows[1]
    add(world, "owner", b"\xff\xd8\xff\xe0" + b"not really a photo" * 10, row=photo_row, filename="photo.jpg")
    for who in ("owner", "mentor"):
        client, _ = world.browser(who)
        page = client.get(f"/records/{world.record}").get_data(as_text=True)
        assert f'href="/records/{world.record}/audit-pack.pdf"' in page
        res = client.get(f"/records/{world.record}/audit-pack.pdf")
        assert res.status_code == 200 and res.mimetype == "application/pdf", res.data[:300]
        pack = tmp_path / f"{who}.pdf"
        pack.write_bytes(res.data)
        if shutil.which("pdftotext"):
            text = " ".join(subprocess.run(["pdftotext", str(pack), "-"], capture_output=True, text=True,
                                           check=True).stdout.split())
            assert f"SHA-256 {hashlib.sha256(certificate).hexdigest()}" in text
            assert "This certifies that" in text                           # the certificate's own page
            assert "an image that cannot be read" in text                  # the broken photo: listed, not placed
    client, _ = world.browser("stranger")
    assert client.get(f"/records/{world.record}/audit-pack.pdf").status_code == 404
    with world.app.app_context():
        actions = [e.action for e in db.session().query(AuditEvent).order_by(AuditEvent.id)]
    assert actions[-1] == "downloaded"                                      # the mentor's download of the pack
