"""Delivery to the institution, on SQLite and PostgreSQL: signed, idempotent, retried, dead-lettered,
never lost; and the reference receiver that checks it."""
from __future__ import annotations

import gzip
import json
import os
import re
import threading
import time
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from fault_endpoint import FaultEndpoint
from ports import free_port, wait_for_port
from sync_service import db, signing
from sync_service.jobs.delivery import Endpoint, enable_endpoint, resend, run_once
from sync_service.store.models import Delivery, Submission, utcnow
from conftest import RECEIVER_SECRET
from sync_service.receiver import connect as receiver_connection, create_receiver, received, received_documents
from workbook_templates import example_path

EXAMPLE = example_path("iet").read_bytes()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECRET = RECEIVER_SECRET


def submit(service) -> str:
    res = service.test_client().post("/api/v1/submissions", data=EXAMPLE, headers={
        "Authorization": f"Bearer {service.config['TOKENS']['a']}", "Content-Type": XLSX})
    assert res.status_code == 201
    return res.get_json()["id"]


def state(service, sub_id):
    with service.app_context():
        session = db.session()
        d = session.get(Submission, sub_id).delivery
        return d.status, d.attempts, d.receipt_id, d.last_error, d.next_attempt_at


def make_due(service, sub_id):
    with service.app_context():
        session = db.session()
        session.get(Submission, sub_id).delivery.next_attempt_at = utcnow() - timedelta(seconds=1)
        session.commit()


def sessions(service):
    return service.extensions["cpd_sessions"]


def test_delivered_once_with_the_institutions_receipt(service, receiver_server):
    url, store = receiver_server
    sub_id = submit(service)
    assert run_once(sessions(service), Endpoint(url, (SECRET,))) == "delivered"
    status, attempts, receipt, *_ = state(service, sub_id)
    assert status == "delivered" and attempts == 1 and receipt.startswith("rcpt_")
    assert received(store) == [(sub_id, receipt)]
    doc = received_documents(store)[sub_id]          # the reference receiver stored the document it checked
    assert doc["id"] == sub_id and doc["version"] == 2 and len(doc["activities"]["rows"]) == 8
    assert run_once(sessions(service), Endpoint(url, (SECRET,))) is None          # nothing more is due
    res = service.test_client().get(f"/api/v1/submissions/{sub_id}",
                                    headers={"Authorization": f"Bearer {service.config['TOKENS']['a']}"})
    assert res.get_json()["status"] == "delivered" and res.get_json()["receipt_id"] == receipt


def test_the_payload_is_the_versioned_document_as_json_signed_as_sent(service):
    from addin import read_workbook
    from addin.record_json import ACTIVITY_FIELDS, OBJECTIVE_FIELDS
    ep = FaultEndpoint([("status", 200, {}, {"receipt_id": "R1"})])
    try:
        submit(service)
        run_once(sessions(service), Endpoint(ep.url, (SECRET,)))
        req = ep.requests[0]
        assert "content-encoding" not in req["headers"] and req["headers"]["content-type"] == "application/json"
        assert signing.verify([SECRET], req["headers"], req["body"]) == req["headers"]["idempotency-key"]
        body = json.loads(req["body"])
        assert body["type"] == "cpd.submission" and body["version"] == 2 and body["id"].startswith("sub_")
        assert body["member"]["name"] == "Alex Morgan" and body["profile"] == "iet"
        assert body["activities"]["columns"] == ACTIVITY_FIELDS and len(body["activities"]["rows"]) == 8
        assert body["objectives"]["columns"] == OBJECTIVE_FIELDS
        assert body["readiness"]["verdict"] == "ready" and "workbook" not in body
        read = read_workbook(EXAMPLE)                 # every value as read from the member's file, in its column
        first = dict(zip(ACTIVITY_FIELDS, body["activities"]["rows"][0]))
        assert first["title"] == read.record.activities[0].title
        assert first["hours"] == read.record.activities[0].hours
        assert first["start_date"] == read.record.activities[0].start_date.isoformat()
    finally:
        ep.close()


@pytest.mark.parametrize("step,retry_after", [
    (("status", 500, {}, {"error": "boom"}), None),
    (("status", 503, {"Retry-After": "120"}, {}), 120),
    (("status", 429, {"Retry-After": "90"}, {}), 90),
    (("status", 408, {}, {}), None),
    (("hang", 3), None),
    (("reset",), None),
])
def test_transient_failures_are_retried_with_the_same_key(service, step, retry_after):
    ep = FaultEndpoint([step, ("status", 200, {}, {"receipt_id": "R-OK"})])
    try:
        sub_id = submit(service)
        endpoint = Endpoint(ep.url, (SECRET,), timeout=1.0)
        before = utcnow()
        assert run_once(sessions(service), endpoint) == "retry"
        status, attempts, receipt, error, next_at = state(service, sub_id)
        assert status == "retrying" and attempts == 1 and receipt is None and error
        if next_at.tzinfo is None:
            next_at = next_at.replace(tzinfo=before.tzinfo)
        assert next_at >= before + timedelta(seconds=retry_after or 8)          # 10 s schedule, jitter 0.8-1.2
        time.sleep(1.1)                                                          # a fresh timestamp second
        make_due(service, sub_id)
        assert run_once(sessions(service), endpoint) == "delivered"
        assert state(service, sub_id)[:3] == ("delivered", 2, "R-OK")
        keys = [r["headers"]["idempotency-key"] for r in ep.requests]
        assert keys == [sub_id, sub_id]
        stamps = [int(r["headers"]["webhook-timestamp"]) for r in ep.requests]
        assert stamps[1] > stamps[0]
    finally:
        ep.close()


def test_endpoint_down_then_up(service, receiver_server):
    dead_port = free_port()                           # nothing listens there
    sub_id = submit(service)
    assert run_once(sessions(service), Endpoint(f"http://127.0.0.1:{dead_port}/x", (SECRET,))) == "retry"
    assert "ConnectionRefused" in state(service, sub_id)[3] or "refused" in state(service, sub_id)[3].lower()
    make_due(service, sub_id)
    assert run_once(sessions(service), Endpoint(receiver_server[0], (SECRET,))) == "delivered"


def test_a_4xx_fails_with_its_reason_and_is_not_retried(service):
    ep = FaultEndpoint([("status", 400, {}, {"error": "period missing"})])
    try:
        sub_id = submit(service)
        assert run_once(sessions(service), Endpoint(ep.url, (SECRET,))) == "failed"
        status, attempts, _, error, _ = state(service, sub_id)
        assert status == "failed" and attempts == 1 and error.startswith("400") and "period missing" in error
        make_due(service, sub_id)
        assert run_once(sessions(service), Endpoint(ep.url, (SECRET,))) is None and len(ep.requests) == 1
    finally:
        ep.close()


def test_410_disables_the_endpoint_and_nothing_is_lost(service, receiver_server):
    ep = FaultEndpoint([("status", 410, {}, {"error": "moved"})])
    try:
        first, second = submit(service), None
        assert run_once(sessions(service), Endpoint(ep.url, (SECRET,))) == "gone"
        assert state(service, first)[0] == "queued"
        assert run_once(sessions(service), Endpoint(ep.url, (SECRET,))) is None      # disabled: no more tries
        assert len(ep.requests) == 1
        with service.app_context():
            enable_endpoint(db.session())
        assert run_once(sessions(service), Endpoint(receiver_server[0], (SECRET,))) == "delivered"
        assert second is None and state(service, first)[0] == "delivered"
    finally:
        ep.close()


def test_dead_letter_after_the_last_try_then_resend(service, receiver_server):
    ep = FaultEndpoint([("status", 503, {}, {})])
    try:
        sub_id = submit(service)
        endpoint = Endpoint(ep.url, (SECRET,), schedule=(0, 0))
        for _ in range(3):
            make_due(service, sub_id)
            run_once(sessions(service), endpoint)
        status, attempts, _, error, _ = state(service, sub_id)
        assert status == "dead" and attempts == 3 and "gave up after 3 tries" in error
        with service.app_context():
            assert resend(db.session(), sub_id)
        assert run_once(sessions(service), Endpoint(receiver_server[0], (SECRET,))) == "delivered"
        assert {r["headers"]["idempotency-key"] for r in ep.requests} == {sub_id}
    finally:
        ep.close()


def test_rotation_signs_with_both_secrets(service, tmp_path):
    new = signing.new_secret()
    app = create_receiver({"SIGNING_SECRETS": [new], "RECEIVER_DATABASE": str(tmp_path / "r.sqlite3")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        submit(service)
        url = f"http://127.0.0.1:{server.server_port}/cpd/submissions"
        assert run_once(sessions(service), Endpoint(url, (SECRET, new))) == "delivered"
    finally:
        server.shutdown()


def test_receiver_refuses_tampering_stale_and_mismatched_keys(tmp_path):
    app = create_receiver({"SIGNING_SECRETS": [SECRET], "RECEIVER_DATABASE": str(tmp_path / "r.sqlite3")})
    client = app.test_client()
    document = b'{"type":"cpd.submission","version":2,"id":"sub_1"}'
    body = gzip.compress(document)                 # sent gzipped, signed over the JSON
    good = {**signing.headers([SECRET], "sub_1", document), "Idempotency-Key": "sub_1", "Content-Encoding": "gzip"}
    first = client.post("/cpd/submissions", data=body, headers=good)
    assert first.status_code == 200
    assert client.post("/cpd/submissions", data=body, headers=good).get_json() == first.get_json()    # deduped
    tampered = client.post("/cpd/submissions", data=gzip.compress(b'{"id":"sub_2"}'), headers=good)
    assert tampered.status_code == 401 and tampered.get_json()["error"]["code"] == "bad_signature"
    old = {**signing.headers([SECRET], "sub_1", body, timestamp=int(time.time()) - 600), "Idempotency-Key": "sub_1"}
    assert client.post("/cpd/submissions", data=document, headers={**good, "Content-Encoding": "identity"}
                       ).status_code == 200                                    # the same JSON, not gzipped
    stale = client.post("/cpd/submissions", data=body, headers=old)
    assert stale.status_code == 400 and stale.get_json()["error"]["code"] == "stale_timestamp"
    wrong_key = client.post("/cpd/submissions", data=body, headers={**good, "Idempotency-Key": "other"})
    assert wrong_key.get_json()["error"]["code"] == "bad_idempotency_key"
    assert client.post("/cpd/submissions", data=body).get_json()["error"]["code"] == "missing_headers"
    for bad, encoding in ((b'{"type":"cpd.submission","version":1}', None), (b"not json", None),
                          (b'[{"type":"cpd.submission","version":2}]', None), (b'"cpd.submission"', None),
                          (b'{"type":"cpd.submission","version":[2]}', None),
                          (b'{"type":"cpd.submission","version":"2"}', None), (b'{"version":2}', None),
                          (b'{"type":"cpd.submission","version":2', None),
                          (b'{"type":"cpd.submission","version":2} {}', None),
                          (b'{"type":"cpd.submission","version":2,"title":"\xff"}', None),
                          (b"\x1f\x8bnot gzip", "gzip"), (gzip.compress(b" " * (300 * 1024 * 1024)), "gzip")):
        headers = {**signing.headers([SECRET], "sub_9", bad), "Idempotency-Key": "sub_9"}
        answer = client.post("/cpd/submissions", data=bad, headers={**headers, **({"Content-Encoding": encoding}
                                                                                  if encoding else {})})
        assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_body", bad[:20]
    assert len(received(str(tmp_path / "r.sqlite3"))) == 1


def test_a_receiver_starting_on_a_new_store_while_another_process_writes_waits_for_it(tmp_path):
    """The receiver's processes start together on a new store, each switching it to WAL: SQLite refuses that
    switch at once while another writes (rollback mode, before WAL), so each waits for the other instead."""
    import sqlite3
    from processes import writing_meanwhile
    path = str(tmp_path / "r.sqlite3")
    with writing_meanwhile(path, "CREATE TABLE started (x INTEGER)", 0.3):   # another process making the store
        app = create_receiver({"SIGNING_SECRETS": [SECRET], "RECEIVER_DATABASE": path})
    document = b'{"type":"cpd.submission","version":2,"id":"sub_1"}'
    answer = app.test_client().post("/cpd/submissions", data=document, headers={
        **signing.headers([SECRET], "sub_1", document), "Idempotency-Key": "sub_1"})
    assert answer.status_code == 200 and len(received(path)) == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_store_made_before_v2_is_upgraded_once_by_receivers_starting_together(tmp_path):
    """A store made before version 2 lacks the content_encoding column: a receiver starting adds it, and one
    starting while another process is adding it waits for that and adds nothing (it failed 'duplicate column
    name' when both looked before either had added it)."""
    import sqlite3
    from processes import writing_meanwhile
    path = str(tmp_path / "r.sqlite3")
    with sqlite3.connect(path) as old:
        old.execute("PRAGMA journal_mode=WAL")
        old.execute("CREATE TABLE received (idempotency_key TEXT PRIMARY KEY, receipt_id TEXT NOT NULL, "
                    "received_at TEXT NOT NULL, body BLOB NOT NULL)")
        old.execute("INSERT INTO received VALUES ('sub_0', 'rcpt_0', '2026-01-01T00:00:00+00:00', x'7b7d')")
    with writing_meanwhile(path, "ALTER TABLE received ADD COLUMN content_encoding TEXT", 0.3):   # another
        app = create_receiver({"SIGNING_SECRETS": [SECRET], "RECEIVER_DATABASE": path})     # receiver upgrading it
    document = b'{"type":"cpd.submission","version":2,"id":"sub_1"}'
    body = gzip.compress(document)
    answer = app.test_client().post("/cpd/submissions", data=body, headers={
        **signing.headers([SECRET], "sub_1", document), "Idempotency-Key": "sub_1", "Content-Encoding": "gzip"})
    assert answer.status_code == 200 and [k for k, _ in received(path)] == ["sub_0", "sub_1"]   # rows kept
    with sqlite3.connect(path) as conn:                  # the column once
        assert [r[1] for r in conn.execute("PRAGMA table_info(received)")].count("content_encoding") == 1
        assert conn.execute("PRAGMA page_size").fetchone() == (4096,)     # its pages as they were


def test_a_new_store_has_larger_pages_and_keeps_documents_whole(tmp_path):
    """A new store is made with pages of ``PAGE_SIZE`` (a real document in a few pages, not a dozen), and what
    it keeps is read back as sent, however many pages a document spans."""
    import sqlite3
    from sync_service.receiver import PAGE_SIZE
    path = str(tmp_path / "r.sqlite3")
    client = create_receiver({"SIGNING_SECRETS": [SECRET], "RECEIVER_DATABASE": path}).test_client()
    sent = {}
    for i, size in enumerate((10, PAGE_SIZE - 100, 3 * PAGE_SIZE + 7)):
        key = f"sub_{i}"
        document = json.dumps({"type": "cpd.submission", "version": 2, "id": key, "pad": "x" * size}).encode()
        answer = client.post("/cpd/submissions", data=document, headers={
            **signing.headers([SECRET], key, document), "Idempotency-Key": key})
        assert answer.status_code == 200, answer.get_json()
        sent[key] = json.loads(document)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA page_size").fetchone() == (PAGE_SIZE,) and PAGE_SIZE > 4096
    assert received_documents(path) == sent


def _posted_together(client, store, keys: list[str]) -> list:
    """Each key's document POSTed from a thread of its own while the receiver's store is busy writing (as another
    thread would be), so that all wait; the write ended once every one waits. The answers, in the keys' order."""
    answers: list = [None] * len(keys)

    def post(i: int, key: str) -> None:
        document = json.dumps({"type": "cpd.submission", "version": 2, "id": key}).encode()
        answers[i] = client.post("/cpd/submissions", data=document,
                                 headers={**signing.headers([SECRET], key, document), "Idempotency-Key": key})

    with store.changed:
        store.writing = True
    threads = [threading.Thread(target=post, args=(i, key)) for i, key in enumerate(keys)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(store.waiting) < len(keys) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(store.waiting) == len(keys)
    with store.changed:
        store.writing = False
        store.changed.notify_all()
    for t in threads:
        t.join(10)
    return answers


def test_deliveries_arriving_together_are_kept_by_one_commit_each_with_its_receipt(tmp_path):
    """The reference receiver writes the deliveries waiting for its store in one transaction: one commit (and
    one flush to disk) for all, a receipt for each only after it, a key sent twice kept once; and when that
    transaction fails every one of them is answered 500 and none is kept, so each is tried again."""
    import sqlite3
    path = str(tmp_path / "r.sqlite3")
    app = create_receiver({"SIGNING_SECRETS": [SECRET], "RECEIVER_DATABASE": path})
    store, client = app.extensions["cpd_receiver_store"], app.test_client()
    commits: list[str] = []
    store.conn = receiver_connection(path)              # the store's own connection, its commits counted
    store.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)

    keys = ["sub_1", "sub_2", "sub_3", "sub_2", "sub_4", "sub_5"]
    answers = _posted_together(client, store, keys)
    assert [a.status_code for a in answers] == [200] * 6 and len(commits) == 1
    receipts = [a.get_json()["receipt_id"] for a in answers]
    assert receipts[1] == receipts[3] and len(set(receipts)) == 5
    assert dict(received(path)) == {key: receipt for key, receipt in zip(keys, receipts)}
    again = _posted_together(client, store, ["sub_3"])          # a repeat later: the receipt it got first
    assert again[0].get_json()["receipt_id"] == receipts[2]

    with sqlite3.connect(path) as other:
        other.execute("CREATE TRIGGER refuse BEFORE INSERT ON received BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    failed = _posted_together(client, store, ["sub_6", "sub_7", "sub_1"])
    assert [a.status_code for a in failed] == [500] * 3
    with sqlite3.connect(path) as other:
        other.execute("DROP TRIGGER refuse")
    assert sorted(k for k, _ in received(path)) == ["sub_1", "sub_2", "sub_3", "sub_4", "sub_5"]
    retried = _posted_together(client, store, ["sub_6", "sub_7"])
    assert [a.status_code for a in retried] == [200, 200] and len(received(path)) == 7


def test_several_workers_at_once_deliver_each_submission_once(service, receiver_server):
    """Three workers racing over twelve submissions (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
    url, store = receiver_server
    assert len(set(_variants(service, 12))) == 12
    endpoint = Endpoint(url, (SECRET,))
    done: list[str] = []
    start = threading.Barrier(3)

    def work():
        start.wait()
        while (outcome := run_once(sessions(service), endpoint)) is not None:
            done.append(outcome)
    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert done == ["delivered"] * 12
    got = received(store)
    assert len(got) == 12 and len({key for key, _ in got}) == 12
    with service.app_context():
        from sqlalchemy import select
        attempts = db.session().scalars(select(Delivery.attempts)).all()
    assert attempts == [1] * 12


@pytest.mark.parametrize("value", ["99999999999", "inf", "nan", "-5", "soon", "Wed, 21 Oct 5195 07:28:00 GMT"])
def test_an_institutions_retry_after_is_capped(service, value):
    """A Retry-After beyond the cap, or not a time at all, waits the cap: never the year 5195, never a crash."""
    ep = FaultEndpoint([("status", 503, {"Retry-After": value}, {})])
    try:
        sub_id = submit(service)
        before = utcnow()
        assert run_once(sessions(service), Endpoint(ep.url, (SECRET,), retry_after_max=600)) == "retry"
        status, attempts, _, _, next_at = state(service, sub_id)
        next_at = next_at if next_at.tzinfo else next_at.replace(tzinfo=before.tzinfo)
        assert status == "retrying" and attempts == 1
        assert before + timedelta(seconds=599) <= next_at <= utcnow() + timedelta(seconds=600)
    finally:
        ep.close()


def test_a_delivery_waiting_past_the_schedules_end_is_a_dead_letter_and_resendable(service, receiver_server):
    ep = FaultEndpoint([("status", 503, {"Retry-After": "60"}, {})])
    try:
        sub_id = submit(service)
        with service.app_context():                   # queued two hours ago: the workers were down
            d = db.session().get(Submission, sub_id).delivery
            d.queued_at = utcnow() - timedelta(hours=2)
            db.session().commit()
        endpoint = Endpoint(ep.url, (SECRET,), schedule=(10, 30), retry_after_max=60)   # ends 108 s after queueing
        assert run_once(sessions(service), endpoint) == "retry"
        status, attempts, _, error, _ = state(service, sub_id)
        assert status == "dead" and attempts == 1 and "after the retry schedule's end" in error
        with service.app_context():
            assert resend(db.session(), sub_id)       # queued again: its schedule starts now
        assert run_once(sessions(service), Endpoint(receiver_server[0], (SECRET,))) == "delivered"
    finally:
        ep.close()


def _variants(service, n: int) -> list[str]:
    import io
    import openpyxl
    ids = []
    for i in range(n):
        wb = openpyxl.load_workbook(io.BytesIO(EXAMPLE))
        wb["Record"]["C10"] = f"Batch course {i}"
        buf = io.BytesIO()
        wb.save(buf)
        res = service.test_client().post("/api/v1/submissions", data=buf.getvalue(), headers={
            "Authorization": f"Bearer {service.config['TOKENS']['a']}", "Content-Type": XLSX})
        ids.append(res.get_json()["id"])
    return ids


def test_a_batch_is_leased_together_sent_in_order_and_stops_at_410(service):
    from sync_service.jobs.delivery import deliver
    ep = FaultEndpoint([("status", 200, {}, {"receipt_id": "R1"}), ("status", 503, {}, {}),
                        ("status", 410, {}, {"error": "moved"}), ("status", 200, {}, {"receipt_id": "never"})])
    try:
        ids = _variants(service, 4)
        kinds = deliver(sessions(service), Endpoint(ep.url, (SECRET,)), limit=4)
        assert kinds == ["delivered", "retry", "gone"]
        sent = [r["headers"]["idempotency-key"] for r in ep.requests]
        assert len(sent) == 3 and set(sent) < set(ids)
        by_id = {i: state(service, i)[:2] for i in ids}
        assert by_id[sent[0]] == ("delivered", 1) and by_id[sent[1]] == ("retrying", 1)
        assert by_id[sent[2]] == ("queued", 0)                     # 410: the endpoint's fault, not counted
        unsent = (set(ids) - set(sent)).pop()
        assert by_id[unsent] == ("queued", 0)                       # never sent: back in the queue, uncounted
        assert deliver(sessions(service), Endpoint(ep.url, (SECRET,)), limit=4) == []     # the endpoint is off
    finally:
        ep.close()


@pytest.mark.parametrize("connections, count", [(1, 5), (4, 8)])
def test_each_connection_is_kept_alive_for_a_batch(service, tmp_path, connections, count):
    """Against ``cpd receiver`` (gunicorn, which keeps connections alive): a batch sent over one connection (a
    ``Sender``) or over four at once (``Lanes``), one connection opened for each, every delivery received once."""
    import subprocess
    import sys
    from sync_service.jobs.delivery import Lanes, deliver
    port = free_port()
    store = str(tmp_path / "inst.sqlite3")
    proc = subprocess.Popen([sys.executable, "-m", "addin.cli", "receiver", "--port", str(port), "--secret", SECRET,
                             "--database", store], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        ids = _variants(service, count)
        endpoint = Endpoint(f"http://127.0.0.1:{port}/cpd/submissions", (SECRET,))
        lanes = Lanes(endpoint, connections)
        connects = []
        for sender in lanes.senders:
            sender._connect = (lambda original: lambda: connects.append(1) or original())(sender._connect)
        try:
            given = lanes.senders[0] if connections == 1 else lanes
            assert deliver(sessions(service), endpoint, given, limit=count) == ["delivered"] * count
        finally:
            lanes.close()
        assert len(connects) == connections and sorted(key for key, _ in received(store)) == sorted(ids)
    finally:
        proc.terminate()
        proc.wait(10)



def test_a_batch_is_sent_over_several_connections_at_once(service):
    """``Lanes``: the worker's batch is sent four at a time, each lane over its own connection; the endpoint
    answers only once four requests wait at the same time (sent one after another, each would be answered 503
    after 5 s, and retried)."""
    from sync_service.jobs.delivery import Lanes, deliver
    ep = FaultEndpoint([("together", 4, 200, {}, {"receipt_id": "R"})])
    endpoint = Endpoint(ep.url, (SECRET,))
    lanes = Lanes(endpoint, 4)
    try:
        ids = _variants(service, 8)
        assert deliver(sessions(service), endpoint, lanes, limit=8) == ["delivered"] * 8
        assert sorted(r["headers"]["idempotency-key"] for r in ep.requests) == sorted(ids)
        assert all(state(service, i)[:2] == ("delivered", 1) for i in ids)
    finally:
        lanes.close()
        ep.close()


def test_several_connections_stop_starting_deliveries_at_410(service):
    """A 410 Gone answered on one lane: no lane starts another delivery; the four sent at once are each
    answered 410, not counted, and the four never sent go back to the queue uncounted."""
    from sync_service.jobs.delivery import Lanes, deliver
    ep = FaultEndpoint([("together", 4, 410, {}, {"error": "moved"})])
    endpoint = Endpoint(ep.url, (SECRET,))
    lanes = Lanes(endpoint, 4)
    try:
        ids = _variants(service, 8)
        assert deliver(sessions(service), endpoint, lanes, limit=8) == ["gone"] * 4
        assert len(ep.requests) == 4
        assert all(state(service, i)[:2] == ("queued", 0) for i in ids)
        assert deliver(sessions(service), endpoint, lanes, limit=8) == []        # the endpoint is off
    finally:
        lanes.close()
        ep.close()



class _MarksDone:
    """A kind of job for the worker loop: it leases the outbox's "mail" jobs, at most ``batch`` a turn, and
    records each as done (what every kind does around its own work), noting when each turn came and how many
    it found, and stops the loop once the outbox has none left."""
    kind = "mail"

    def __init__(self, stop: threading.Event, batch: int = 200):
        self.stop, self.batch, self.done, self.turns = stop, batch, 0, []

    def work(self, sessions) -> int:
        from sync_service.store.outbox import Outcome, Schedule, claim, record
        with sessions() as session:
            claimed = claim(session, ("mail",), timedelta(seconds=60), limit=self.batch)
            if claimed:
                record(session, [(c, Outcome("done")) for c in claimed], Schedule(waits=(1.0,)))
        self.turns.append((time.monotonic(), len(claimed)))
        if not claimed:
            self.stop.set()
        self.done += len(claimed)
        return len(claimed)

    def close(self) -> None:
        pass


def test_a_kind_that_empties_its_queue_is_asked_again_only_after_poll(service):
    """After a whole batch the worker asks the kind again at once; after less than one (its queue emptied) only
    ``poll`` seconds later, so that the jobs queued meanwhile go in one lease, not one a lease."""
    from sync_service.jobs import worker
    _queue_mail_jobs(service, 19)
    stop = threading.Event()
    kind = _MarksDone(stop, batch=8)
    worker.run(sessions(service), [kind], stop, poll=2.0, reclaim_every=3600)
    gaps = [later - earlier for (earlier, _), (later, _) in zip(kind.turns, kind.turns[1:])]
    assert [found for _, found in kind.turns] == [8, 8, 3, 0]
    assert gaps[0] < 1.5 and gaps[1] < 1.5            # whole batches: at once
    assert gaps[2] >= 1.9                             # three of eight: the queue was emptied, poll's wait


def _queue_mail_jobs(service, n: int) -> None:
    from sync_service.store.database import writing
    from sync_service.store.outbox import enqueue
    with sessions(service)() as session:
        conn = writing(session).connection()
        for i in range(n):
            enqueue(conn, "mail", payload={"n": i})
        session.commit()


def _work_off(service, reclaim_every: float) -> int:
    """The real worker loop over the queued jobs until none is left: how many it did."""
    from sync_service.jobs import worker
    stop = threading.Event()
    kind = _MarksDone(stop)
    worker.run(sessions(service), [kind], stop, poll=0.01, reclaim_every=reclaim_every)
    return kind.done


def _lease_buffers(service) -> int:
    """The shared buffers the workers' lease query touches now, reading the queue's index (EXPLAIN ANALYZE)."""
    from sqlalchemy import text
    with sessions(service)() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = session.execute(text(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM jobs WHERE status IN ('queued', 'retrying', 'sending') "
            "AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 8")).scalars().all()
    line = next(line for line in plan if "Buffers:" in line)
    return sum(int(n) for n in re.findall(r"=(\d+)", line))


@pytest.mark.serial          # a vacuum cannot reclaim rows another test's open transaction may still see: alone
def test_the_worker_reclaims_the_outboxs_dead_rows_so_a_lease_stays_cheap(service):
    """Each job done leaves two dead row versions (leased, then done) in the queue's index; on PostgreSQL the
    worker vacuums the table while it works (autovacuum may be off, as on this machine's server, or not yet
    due), so a lease does not walk every job ever done. SQLite has nothing to reclaim."""
    from sqlalchemy import func, select
    from sync_service.store.models import Job
    from sync_service.store.outbox import reclaim
    postgres = service.extensions["cpd_engine"].dialect.name == "postgresql"
    with sessions(service)() as session:
        assert reclaim(session) is postgres
    _queue_mail_jobs(service, 3000)
    assert _work_off(service, reclaim_every=3600) == 3000          # no vacuum in the loop's first hour
    if postgres:
        walked = _lease_buffers(service)
        _queue_mail_jobs(service, 3000)
        assert _work_off(service, reclaim_every=0.0) == 3000       # a vacuum after each turn that did jobs
        after = _lease_buffers(service)
        assert walked > 5 * after, (walked, after)
    with sessions(service)() as session:
        statuses = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    assert statuses == [("delivered", 6000 if postgres else 3000)]


def _plans_reported(engine) -> list[str]:
    """Every plan the engine's connections run from now on, as PostgreSQL's auto_explain reports it to the
    client: the statement's text, then the plan it was run with."""
    from sqlalchemy import event
    plans: list[str] = []

    def report(dbapi_connection, _record) -> None:
        dbapi_connection.add_notice_handler(lambda diag: plans.append(diag.message_primary or ""))
        with dbapi_connection.cursor() as cur:
            cur.execute("LOAD 'auto_explain'")
            cur.execute("SET auto_explain.log_min_duration = 0")
            cur.execute("SET client_min_messages = log")
        dbapi_connection.commit()

    try:                                  # auto_explain ships with PostgreSQL (contrib); a build may lack it
        with engine.connect() as conn:
            conn.exec_driver_sql("LOAD 'auto_explain'")
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL's auto_explain is required in CI: {exc}")
        pytest.skip(f"this PostgreSQL server has no auto_explain module: {type(exc).__name__}")
    event.listen(engine, "connect", report)
    engine.dispose()                      # the pool's connections made from now on report
    return plans


def _copies(service, first: str, n: int, queued: bool) -> None:
    """n more submissions, copies of ``first``'s row under new ids (each with its delivery queued when
    ``queued``): the table grown as a busy day grows it, without reading n workbooks."""
    import secrets
    from sqlalchemy import insert, select
    from sync_service.store.database import writing
    from sync_service.store.outbox import enqueue
    table = Submission.__table__
    with sessions(service)() as session:
        conn = writing(session).connection()
        row = dict(conn.execute(select(table).where(table.c.id == first)).mappings().one())
        copies = [{**row, "id": f"sub_{secrets.token_hex(8)}", "idempotency_key": secrets.token_hex(12)}
                  for _ in range(n)]
        conn.execute(insert(table), copies)
        for copy in copies if queued else ():
            enqueue(conn, "delivery", submission_id=copy["id"])
        session.commit()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)   # PostgreSQL's own plan cache
def test_the_worker_reads_the_documents_by_key_however_the_table_has_grown(service, receiver_server):
    """The delivery worker reads each batch's documents by the submissions' keys, on PostgreSQL, after the
    table has grown from a few rows to thousands on the same connection: never a scan of the whole table (a
    prepared statement's plan, made while the table was small and cached on the connection, was one, and stayed
    one as the table grew: 6-15 ms a batch at 15,000 submissions)."""
    from sync_service.jobs.delivery import deliver
    endpoint = Endpoint(receiver_server[0], (SECRET,))
    plans = _plans_reported(service.extensions["cpd_engine"])
    first = submit(service)
    _copies(service, first, 8 * 12 - 1, queued=True)
    for _ in range(12):                   # batches of 8, as the worker leases them: the statement is prepared
        assert deliver(sessions(service), endpoint, limit=8) == ["delivered"] * 8
    _copies(service, first, 4000, queued=False)
    _copies(service, first, 8, queued=True)
    del plans[:]
    assert deliver(sessions(service), endpoint, limit=8) == ["delivered"] * 8
    read = [p for p in plans if "submissions.body" in p]
    assert len(read) == 1 and "Index" in read[0] and "Seq Scan" not in read[0], read
