"""The submission API on SQLite and PostgreSQL: stored, scored, idempotent, owned, never a 500."""
from __future__ import annotations

import hashlib
import io
import json
import threading
import urllib.request

import openpyxl
import pytest
from sqlalchemy import func, select

import corpus
from addin.readiness import assess
from addin import read_workbook, unpack
from sync_service import db
from sync_service.store.accounts import hash_token, revoke
from sync_service.store.models import ApiToken, Delivery, Member, Submission
from workbook_templates import example_path

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXAMPLE = example_path("iet").read_bytes()


def post(client, data, token, key=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": XLSX}
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/submissions", data=data, headers=headers)


def count(app, model):
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


def variant(n: int) -> bytes:
    """The example with one title changed: a different file, so a different submission."""
    wb = openpyxl.load_workbook(io.BytesIO(EXAMPLE))
    wb["Record"]["C10"] = f"Power electronics design course, part {n}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_submission_is_scored_stored_and_queued(service):
    client, token = service.test_client(), service.config["TOKENS"]["a"]
    res = post(client, EXAMPLE, token)
    assert res.status_code == 201
    body = res.get_json()
    assert body["status"] == "queued" and body["verdict"] == "ready" and body["score"] == 100
    assert body["id"].startswith("sub_") and body["receipt_id"] is None
    with service.app_context():
        sub = db.session().get(Submission, body["id"])
        assert sub.digest == hashlib.sha256(EXAMPLE).hexdigest()
        assert sub.delivery.status == "queued" and sub.delivery.attempts == 0
        doc = unpack(sub.body)                         # stored as the delivery document, nothing else
        assert doc["member"]["name"] == "Alex Morgan" and len(doc["activities"]["rows"]) == 8
        read = read_workbook(EXAMPLE)
        assert doc["readiness"] == assess(read.record, read.profile).to_dict()
        assert doc["readiness"]["verdict"] == "ready" and doc["id"] == sub.id
    assert client.get(f"/api/v1/submissions/{body['id']}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()["id"] == body["id"]


def test_a_repeat_is_the_same_submission(service):
    client, token = service.test_client(), service.config["TOKENS"]["a"]
    first = post(client, EXAMPLE, token).get_json()
    again = post(client, EXAMPLE, token)
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    keyed = post(client, EXAMPLE, token, key="client-key-0001")
    assert keyed.status_code == 201 and keyed.get_json()["id"] != first["id"]
    assert post(client, EXAMPLE, token, key="client-key-0001").get_json()["id"] == keyed.get_json()["id"]
    assert count(service, Submission) == 2 and count(service, Delivery) == 2


def test_the_same_key_with_another_file_is_refused_409(service):
    client, token = service.test_client(), service.config["TOKENS"]["a"]
    first = post(client, EXAMPLE, token, key="client-key-0002")
    assert first.status_code == 201
    other = post(client, variant(1), token, key="client-key-0002")
    assert other.status_code == 409, other.get_json()
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert other.get_json()["error"]["submission"] == first.get_json()["id"]
    assert count(service, Submission) == 1
    assert post(client, EXAMPLE, token, key="client-key-0002").status_code == 200       # the same file: the same one


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(service, scheme):
    client, token = service.test_client(), service.config["TOKENS"]["a"]
    res = client.post("/api/v1/submissions", data=EXAMPLE, headers={"Authorization": f"{scheme} {token}",
                                                                      "Content-Type": XLSX})
    assert res.status_code == 201, res.get_json()


def test_another_members_submission_is_not_found(service):
    client, tokens = service.test_client(), service.config["TOKENS"]
    sub_id = post(client, EXAMPLE, tokens["a"]).get_json()["id"]
    res = client.get(f"/api/v1/submissions/{sub_id}", headers={"Authorization": f"Bearer {tokens['b']}"})
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "not_found"
    again = post(client, EXAMPLE, tokens["b"])          # the same file from member B is B's own submission
    assert again.status_code == 201 and again.get_json()["id"] != sub_id


def test_tokens_are_hashed_checked_and_revocable(service):
    client, token = service.test_client(), service.config["TOKENS"]["a"]
    assert post(client, EXAMPLE, "").status_code == 401
    res = client.post("/api/v1/submissions", data=EXAMPLE)
    assert res.status_code == 401 and res.get_json()["error"]["code"] == "unauthorized"
    assert post(client, EXAMPLE, token + "x").status_code == 401
    with service.app_context():
        session = db.session()
        stored = session.scalars(select(ApiToken.token_hash)).all()
        assert hash_token(token) in stored and token not in stored
        assert post(client, EXAMPLE, token).status_code == 201
        assert session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).last_used_at
    with service.app_context():
        session = db.session()
        assert revoke(session, token)
        session.commit()
    res = post(client, EXAMPLE, token)
    assert res.status_code == 401 and "revoked" in res.get_json()["error"]["message"]


@pytest.mark.parametrize("make,status,code,where", [
    (corpus.forged_cached_formula, 422, "invalid_record", ("Record", "J10")),
    (corpus.billion_laughs, 400, "dtd_not_allowed", (None, None)),
    (corpus.xlsm, 400, "macros_not_allowed", (None, None)),
    (corpus.far_cell, 400, "too_many_rows", ("Record", "XFD1048576")),
    (corpus.csv_renamed, 400, "not_xlsx", (None, None)),
    (lambda: b"", 400, "empty_body", (None, None)),
])
def test_bad_uploads_are_4xx_with_a_code_and_nothing_is_stored(service, make, status, code, where):
    client, token = service.test_client(), service.config["TOKENS"]["a"]
    res = post(client, make(), token)
    assert res.status_code == status
    err = res.get_json()["error"]
    assert err["code"] == code and (err.get("sheet"), err.get("cell")) == where
    assert count(service, Submission) == 0


def test_oversize_upload_is_a_json_413(service):
    res = post(service.test_client(), b"PK\x03\x04" + b"\0" * (21 * 1024 * 1024), service.config["TOKENS"]["a"])
    assert res.status_code == 413 and res.get_json()["error"]["code"] == "too_large"


def test_rate_limit_answers_429_with_retry_after(service):
    service.config["SUBMISSIONS_PER_MINUTE"] = 2
    client, token = service.test_client(), service.config["TOKENS"]["a"]
    files = [variant(i) for i in range(4)]      # made once: openpyxl stamps the save time into a file
    assert [post(client, files[i], token).status_code for i in range(3)] == [201, 201, 429]
    res = post(client, files[3], token)
    assert res.headers["Retry-After"] == "60" and res.get_json()["error"]["code"] == "rate_limited"
    assert post(client, files[0], token).status_code == 200     # a repeat is still answered


def _race(url: str, token: str, bodies: list[bytes]) -> list[tuple[int, dict]]:
    results: list = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def one(i):
        req = urllib.request.Request(url, data=bodies[i], method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": XLSX})
        start.wait()
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                results[i] = (resp.status, json.loads(resp.read()))
        except urllib.error.HTTPError as err:
            results[i] = (err.code, json.loads(err.read()))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return results


@pytest.fixture
def live_service(served_service):
    app, base = served_service
    return app, base + "/api/v1/submissions"


def test_eight_identical_racing_uploads_are_one_submission(live_service):
    app, url = live_service
    results = _race(url, app.config["TOKENS"]["a"], [EXAMPLE] * 8)
    assert sorted(s for s, _ in results) == [200] * 7 + [201]
    assert len({body["id"] for _, body in results}) == 1
    assert count(app, Submission) == 1 and count(app, Delivery) == 1


def test_eight_different_uploads_from_one_member_are_all_stored(live_service):
    app, url = live_service
    results = _race(url, app.config["TOKENS"]["a"], [variant(i) for i in range(8)])
    assert [s for s, _ in results] == [201] * 8, results
    assert count(app, Submission) == 8 and count(app, Delivery) == 8


def test_cpd_submit_end_to_end(live_service, cpd, tmp_path, monkeypatch):
    app, url = live_service
    monkeypatch.setenv("CPD_CONFIG", str(tmp_path / "config.toml"))
    assert cpd("login", "--url", url.rsplit("/api/", 1)[0], "--token", app.config["TOKENS"]["b"]).exit_code == 0
    res = cpd("submit", example_path("iet"), "--json")
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)                  # (the in-process server's request log goes to stderr)
    with app.app_context():
        session = db.session()
        sub = session.get(Submission, body["id"])
        assert sub.delivery.status == "queued"
        assert session.get(Member, sub.member_id).email == "b@example.org"
    assert cpd("submit", example_path("iet"), "--json").stdout == res.stdout     # the same receipt again


@pytest.fixture(scope="module")
def large_workbook() -> bytes:
    """A record of 20,000 activities (about 700 KB as .xlsx)."""
    import random
    from datetime import date
    from addin import load_profile
    from gen import random_rows
    from addin.workbook.template import build_workbook
    profile = load_profile("iet")
    header = {"name": "Large Record", "period_start": date(2025, 1, 1), "period_end": date(2025, 12, 31),
              "status": "Active", "registration": "CEng"}
    rows = random_rows(random.Random(20000), profile, header, 20000)
    for r in rows:
        r["competences"] = "E4, B2"
        r.pop("objective", None)
    buf = io.BytesIO()
    build_workbook(profile, header, [{"ref": "O1", "objective": "Grow"}], rows).save(buf)
    return buf.getvalue()


def test_a_20000_activity_workbook_is_stored_and_delivered_within_twice_its_size(service, large_workbook):
    import gzip
    from fault_endpoint import FaultEndpoint
    from sync_service import signing
    from sync_service.jobs.delivery import Endpoint, run_once
    res = post(service.test_client(), large_workbook, service.config["TOKENS"]["a"])
    assert res.status_code == 201, res.get_json()
    with service.app_context():
        stored = db.session().get(Submission, res.get_json()["id"]).body
    assert len(stored) <= 2 * len(large_workbook), (len(stored), len(large_workbook))
    ep = FaultEndpoint([("status", 200, {}, {"receipt_id": "R-LARGE"})])
    try:                              # to an endpoint that takes gzip (the default is plain JSON)
        assert run_once(service.extensions["cpd_sessions"],
                        Endpoint(ep.url, (signing.new_secret(),), gzip=True)) == "delivered"
        sent = ep.requests[0]["body"]
    finally:
        ep.close()
    assert len(sent) <= 2 * len(large_workbook), (len(sent), len(large_workbook))
    doc = json.loads(gzip.decompress(sent))
    assert len(doc["activities"]["rows"]) == 20000 and doc["member"]["name"] == "Large Record"
