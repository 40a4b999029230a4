"""Migrations keep what was stored: submissions stored before the compact form (record and readiness
as JSON, a rebuilt workbook) come through 0005 with every value, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import inspect, text

from addin import assess, read_workbook, record_data
from addin.export import activity_values
from sync_service.db import make_engine, upgrade
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
                            for k, v in activity_values(a, profile).items()} for a in record.activities]}


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
    upgrade(engine)

    columns = {c["name"] for c in inspect(engine).get_columns("submissions")}
    assert "body" in columns and not columns & {"record", "readiness", "workbook", "status"}
    assert "queued_at" in {c["name"] for c in inspect(engine).get_columns("deliveries")}
    engine.dispose()

    from sync_service import create_app, db
    from sync_service.models import Submission
    from sync_service.submissions import document, receipt
    app = create_app({"DATABASE_URL": database, "SECRET_KEY": "x"})
    with app.app_context():
        sub = db.session().get(Submission, "sub_old")
        doc = document(sub)
        now = record_data(read.record, read.profile)
        assert doc["version"] == 2 and doc["id"] == "sub_old" and doc["received_at"] == "2026-11-20T09:30:00Z"
        assert doc["member"] == now["member"] and doc["period"] == now["period"] and doc["profile"] == "iet"
        assert doc["activities"] == now["activities"]                      # every value of every activity
        assert [r[0] for r in doc["objectives"]["rows"]] == [o.ref for o in read.record.objectives]
        assert doc["readiness"] == readiness
        assert receipt(sub)["status"] == "delivered" and receipt(sub)["receipt_id"] == "rcpt_kept"
    app.extensions["cpd_engine"].dispose()
