"""Migrations keep what was stored: submissions stored before the compact form (record and readiness
as JSON, a rebuilt workbook) come through 0005 with every value, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import inspect, text

from addin import assess, read_workbook, record_data
from addin.record_json import MEMBER_ADDED
from addin.export import activity_rows
from sync_service.store.database import make_engine, upgrade
from workbook_templates import example_path


def old_record(read) -> dict:
    """The record as the service stored it before 0005 (one object per activity)."""
    record, profile = read.record, read.profile
    m = record.member
    return {"member": {"name": m.name, "membership_number": m.membership_number, "grade": m.grade,
                       "status": m.status.value, "registration": m.registration},
            "period": {"start": record.period.start.isoformat(), "end": record.period.end.isoformat()},
            "profile": profile.id,
            "objectives": [{"ref": o.ref, "objective": o.objective, "status": o.status} for o in record.objectives],
            "activities": [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                            for k, v in row.items()} for row in activity_rows(record.activities, profile)]}


def test_0005_turns_old_submissions_into_documents_and_loses_nothing(database_url):
    database = database_url
    engine = make_engine(database)
    upgrade(engine, "0004")
    read = read_workbook(example_path("iet").read_bytes())
    readiness = assess(read.record, read.profile).to_dict()
    received = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO members (id, public_id, email, is_admin, created_at) "
                          "VALUES (1, 'm_old', 'old@example.org', false, :t)"), {"t": received})
        conn.execute(text(
            "INSERT INTO submissions (id, member_id, idempotency_key, digest, profile_id, period_start, period_end, "
            "verdict, score, readiness, record, workbook, status, received_at) VALUES ('sub_old', 1, 'k0000000', "
            "'d', 'iet', :ps, :pe, 'ready', 100, :readiness, :record, :workbook, 'delivered', :t)"),
            {"ps": read.record.period.start, "pe": read.record.period.end, "readiness": json.dumps(readiness),
             "record": json.dumps(old_record(read)), "workbook": b"PK\x03\x04 the old values-only copy", "t": received})
        conn.execute(text("INSERT INTO deliveries (submission_id, status, attempts, next_attempt_at, receipt_id, "
                          "delivered_at) VALUES ('sub_old', 'delivered', 1, :t, 'rcpt_kept', :t)"), {"t": received})
    upgrade(engine, "0012")
    columns = {c["name"] for c in inspect(engine).get_columns("submissions")}
    assert "body" in columns and not columns & {"record", "readiness", "workbook", "status"}
    assert "queued_at" in {c["name"] for c in inspect(engine).get_columns("deliveries")}
    upgrade(engine)                                                  # 0013: every delivery a job of the outbox
    tables = set(inspect(engine).get_table_names())
    assert "jobs" in tables and "deliveries" not in tables
    engine.dispose()

    from sync_service import create_app, db
    from sync_service.store.models import Submission
    from sync_service.store.submissions import document, receipt
    app = create_app({"DATABASE_URL": database, "SECRET_KEY": "x"})
    with app.app_context():
        sub = db.session().get(Submission, "sub_old")
        doc = document(sub)
        now = record_data(read.record, read.profile)
        # 0005 wrote the document as it was then: the member without what was added to it since,
        # the activities without their sheet row (added at the end later, as the protocol allows)
        assert doc["version"] == 2 and doc["id"] == "sub_old" and doc["received_at"] == "2026-11-20T09:30:00Z"
        assert doc["member"] == {k: v for k, v in now["member"].items() if k not in MEMBER_ADDED}
        assert doc["period"] == now["period"] and doc["profile"] == "iet"
        row_at = now["activities"]["columns"].index("row")          # what was added since comes after it
        assert doc["activities"]["columns"] == now["activities"]["columns"][:row_at]
        assert doc["activities"]["rows"] == [r[:row_at] for r in now["activities"]["rows"]]   # every value of every activity
        assert all(v is None for r in now["activities"]["rows"] for v in r[row_at + 1:])
        assert [r[0] for r in doc["objectives"]["rows"]] == [o.ref for o in read.record.objectives]
        assert doc["readiness"] == readiness
        assert receipt(sub)["status"] == "delivered" and receipt(sub)["receipt_id"] == "rcpt_kept"
    app.extensions["cpd_engine"].dispose()


def test_0008_makes_each_member_s_submissions_versions_of_their_records(database_url):
    """Existing submissions become records (one per member, period and profile) with one version per
    distinct record; every submission names its record; the submissions are untouched."""
    engine = make_engine(database_url)
    upgrade(engine, "0007")
    read = read_workbook(example_path("iet").read_bytes())
    ikt = read_workbook(example_path("ikt").read_bytes())
    from addin import pack
    from datetime import timedelta
    t0 = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)

    def doc(r, sub_id, title=None):
        data = record_data(r.record, r.profile)
        data["activities"]["columns"] = data["activities"]["columns"][:-1]      # as 0005..0007 stored it
        data["activities"]["rows"] = [row[:-1] for row in data["activities"]["rows"]]
        if title:
            data["activities"]["rows"][0][2] = title
        return pack({"type": "cpd.submission", "id": sub_id, "received_at": "x", **data,
                     "readiness": assess(r.record, r.profile).to_dict()})

    subs = [("sub_a1", 1, read, None, 0), ("sub_a2", 1, read, None, 1), ("sub_a3", 1, read, "Changed", 2),
            ("sub_a4", 1, ikt, None, 3), ("sub_b1", 2, read, None, 4)]
    with engine.begin() as conn:
        for mid in (1, 2):
            conn.execute(text("INSERT INTO members (id, public_id, email, is_admin, created_at) "
                              "VALUES (:id, :p, :e, false, :t)"), {"id": mid, "p": f"m_{mid}", "e": f"{mid}@x.org",
                                                                   "t": t0})
        for sub_id, mid, r, title, minutes in subs:
            conn.execute(text(
                "INSERT INTO submissions (id, member_id, idempotency_key, digest, profile_id, period_start, "
                "period_end, verdict, score, body, received_at) VALUES (:id, :m, :id, 'd', :p, :ps, :pe, 'ready', "
                "90, :body, :t)"), {"id": sub_id, "m": mid, "p": r.profile.id, "ps": r.record.period.start,
                                    "pe": r.record.period.end, "body": doc(r, sub_id, title),
                                    "t": t0 + timedelta(minutes=minutes)})
    upgrade(engine)
    with engine.connect() as conn:
        records = conn.execute(text("SELECT id, member_id, profile_id FROM records ORDER BY id")).all()
        assert [(m, p) for _, m, p in records] == [(1, "iet"), (1, "ikt"), (2, "iet")]
        versions = conn.execute(text("SELECT record_id, number FROM record_versions ORDER BY id")).all()
        assert versions == [(records[0][0], 1), (records[0][0], 2), (records[1][0], 1), (records[2][0], 1)]
        linked = dict(conn.execute(text("SELECT id, record_id FROM submissions")).all())
        assert linked == {"sub_a1": records[0][0], "sub_a2": records[0][0], "sub_a3": records[0][0],
                          "sub_a4": records[1][0], "sub_b1": records[2][0]}
        made_by, copy = conn.execute(text("SELECT submission_id, body FROM record_versions WHERE number = 2")).one()
        assert made_by == "sub_a3" and copy is None                # read from the submission: nothing stored twice
        latest = conn.execute(text("SELECT latest_version FROM records ORDER BY id")).scalars().all()
        assert latest == [2, 1, 1]
    engine.dispose()
    from sync_service import create_app, db
    from sync_service.store.models import RecordVersion
    from sync_service.store.records import contents
    from addin import record_from_data
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x"})
    with app.app_context():
        stored = contents(db.session().query(RecordVersion).filter_by(number=2).one())
    app.extensions["cpd_engine"].dispose()
    assert "verifications" not in stored["record"] and stored["readiness"]["verdict"] in ("ready", "not_ready")
    record, _ = record_from_data(stored["record"])                 # the stored record reads back
    assert record.activities[0].title == "Changed" and len(record.activities) == len(read.record.activities)
    assert [a.row for a in record.activities] == [a.row for a in read.record.activities]


def test_processes_starting_together_on_a_fresh_database_migrate_one_at_a_time(database_url):
    """`cpd serve` and `cpd worker`s started together on a fresh database each bring the schema to its newest
    (CPD_AUTO_MIGRATE, the default): one migrates, the others wait and find nothing to do; none fails. (On
    PostgreSQL, before: two created the same tables at once and one failed, in 5 of 5 starts of three.)"""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from processes import at_once
    from sync_service.store.database import MIGRATIONS

    def migrate() -> None:
        engine = make_engine(database_url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()

    assert at_once(migrate, 3, timeout=120) == [("ok", None)] * 3
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        assert current == ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert "submissions" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0017_stores_the_gzipped_bodies_as_they_are_on_postgresql(database_url):
    """On PostgreSQL the gzipped bodies are stored as they are from 0017 on (``STORAGE EXTERNAL``: no second
    compression tried on each insert; before, ``EXTENDED``), and a body written before it and one written after
    read back as written. SQLite's columns have no such setting: there 0017 changes nothing."""
    engine = make_engine(database_url)
    postgresql = engine.dialect.name == "postgresql"
    body = bytes(range(256)) * 64                         # 16 KB, as incompressible as gzip's output

    def storage() -> dict[str, str]:
        with engine.connect() as conn:
            return dict(conn.execute(text(
                "SELECT attrelid::regclass::text, attstorage FROM pg_attribute WHERE attname = 'body' AND "
                "attrelid IN ('submissions'::regclass, 'record_versions'::regclass)")).all())

    def submit(sub_id: str) -> None:
        with engine.begin() as conn:
            member = conn.execute(text("SELECT id FROM members")).scalar_one()
            conn.execute(text(
                "INSERT INTO submissions (id, member_id, idempotency_key, digest, profile_id, period_start, "
                "period_end, verdict, score, body, received_at) VALUES (:id, :m, :id, 'd', 'iet', '2025-01-01', "
                "'2025-12-31', 'ready', 90, :body, :now)"),
                {"id": sub_id, "m": member, "body": body, "now": datetime.now(timezone.utc)})

    try:
        upgrade(engine, "0016")
        if postgresql:
            assert storage() == {"submissions": "x", "record_versions": "x"}
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO members (email, public_id, created_at) VALUES ('m@example.org', 'm1', "
                              ":now)"), {"now": datetime.now(timezone.utc)})
        submit("sub_1")
        upgrade(engine)
        if postgresql:
            assert storage() == {"submissions": "e", "record_versions": "e"}
        submit("sub_2")
        with engine.connect() as conn:
            assert [bytes(b) for b in conn.execute(text("SELECT body FROM submissions ORDER BY id")).scalars()] \
                == [body, body]
    finally:
        engine.dispose()
