"""Records and mentors over time, on SQLite and PostgreSQL: versions, checks, invitations that make
accounts, e-mail notifications (to a local SMTP server), the audit trail, and erasure of a member
or of a mentor."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from conftest import fill_workbook, mailed_link, run_jobs
from mentor_world import EMAILS, EXAMPLE, build
from ports import free_port
from sync_service import db
from sync_service.store.models import (Annotation, AuditEvent, CpdRecord, Member, MentorGrant, RecordVersion,
                                 Submission)


def blank(path):
    """A copy of the IET template to fill in."""
    from addin import template_path
    path.write_bytes(template_path("iet").read_bytes())
    return path


def count(app, model, **where) -> int:
    with app.app_context():
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return db.session().scalar(q)


def test_each_upload_that_changes_the_record_is_a_new_version(service, tmp_path):
    world = build(service)
    same = world.api("owner", "POST", "/api/v1/records", data=EXAMPLE)
    assert same.status_code == 200 and same.json["id"] == world.record and same.json["version"] == 1
    changed = tmp_path / "changed.xlsx"
    changed.write_bytes(EXAMPLE)
    import openpyxl
    wb = openpyxl.load_workbook(changed)
    wb["Record"].cell(10, 3).value = "Power electronics course, with the lab day"
    wb.save(changed)
    res = world.api("owner", "POST", "/api/v1/records", data=changed.read_bytes())
    assert res.status_code == 201 and res.json["id"] == world.record and res.json["version"] == 2
    assert res.json["readiness"]["verdict"] in ("ready", "not_ready")
    checked = world.api("owner", "POST", f"/api/v1/records/{world.record}/check")
    assert checked.status_code == 200 and checked.json["readiness"]["score"] == res.json["readiness"]["score"]
    assert count(service, Submission) == 0                            # checking sends nothing
    other_year = fill_workbook(blank(tmp_path / "2026.xlsx"), [{"start_date": "2026-02-01", "title": "Course",
                                                          "hours": 10, "category": "Training courses"}],
                               header={"period_start": "2026-01-01", "period_end": "2026-12-31"})
    new = world.api("owner", "POST", "/api/v1/records", data=other_year.read_bytes())
    assert new.status_code == 201 and new.json["id"] != world.record
    listed = world.api("owner", "GET", "/api/v1/records").json["records"]
    assert [r["period"]["start"] for r in listed] == ["2026-01-01", "2025-01-01"]


def test_a_record_that_cannot_be_read_is_refused_with_its_cells(service, tmp_path):
    world = build(service)
    bad = fill_workbook(blank(tmp_path / "bad.xlsx"), [{"start_date": "not a date", "title": "Course", "hours": 2}],
                        header={"period_start": "2025-01-01", "period_end": "2025-12-31"})
    res = world.api("owner", "POST", "/api/v1/records", data=bad.read_bytes())
    assert res.status_code == 422 and res.json["error"]["cell"] == "A10"
    assert world.api("owner", "POST", "/api/v1/records", data=b"").json["error"]["code"] == "empty_body"


def test_submitting_a_record_and_the_same_again_is_one_submission_until_a_mentor_verifies(service):
    world = build(service)
    first = world.api("owner", "POST", f"/api/v1/records/{world.record}/submit")
    again = world.api("owner", "POST", f"/api/v1/records/{world.record}/submit")
    assert first.status_code == 201 and again.status_code == 200 and again.json["id"] == first.json["id"]
    world.annotate(verified=True)
    third = world.api("owner", "POST", f"/api/v1/records/{world.record}/submit")
    assert third.status_code == 201 and third.json["id"] != first.json["id"]
    with service.app_context():
        s = db.session()
        assert {x.record_id for x in s.scalars(select(Submission))} == {
            s.scalar(select(CpdRecord.id).where(CpdRecord.public_id == world.record))}


def test_an_invitation_is_mailed_only_to_its_address_and_makes_the_mentors_account_once(service, smtp_server):
    url, inbox = smtp_server
    service.config.update(SMTP_URL=url, PUBLIC_URL="https://cpd.example.org")
    world = build(service)
    res = world.api("owner", "POST", f"/api/v1/records/{world.record}/mentors", json={"email": "New.Mentor@Example.org"})
    assert res.status_code == 201 and res.json["state"] == "invited" and res.json["email"] == "new.mentor@example.org"
    assert "inv_" not in res.get_data(as_text=True) and "invitation_url" not in res.json   # the answer holds no link
    run_jobs(service)
    path = mailed_link(inbox, "new.mentor@example.org", "/invitations/")
    client = service.test_client()
    page = client.get(path)
    assert page.status_code == 200 and b"owner@example.org asks you to mentor" in page.data
    token = re.search(rb'name="csrf" value="([^"]+)"', page.data).group(1).decode()
    made = client.post(path, data={"csrf": token, "name": "Jo Mentor"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    assert b"Your account is made" in made.data
    assert client.get(f"/records/{world.record}").status_code == 200          # signed in, as the mentor
    with service.app_context():
        mentor = db.session().scalar(select(Member).where(Member.email == "new.mentor@example.org"))
        assert mentor.name == "Jo Mentor" and mentor.email_verified_at is not None     # the link proved it
    assert service.test_client().get(path).status_code == 404             # used: gone
    trail = world.api("owner", "GET", "/api/v1/audit").json["events"]
    assert [e["action"] for e in trail[:3]] == ["viewed", "accepted", "invited"]
    assert trail[0]["who"] == "Jo Mentor" and trail[1]["mentor"] == "new.mentor@example.org"


def test_a_revoked_invitation_cannot_be_accepted(service, smtp_server):
    url, inbox = smtp_server
    service.config.update(SMTP_URL=url, PUBLIC_URL="https://cpd.example.org")
    world = build(service)
    res = world.api("owner", "POST", "/api/v1/mentors", json={"email": "late@example.org"})
    world.api("owner", "DELETE", f"/api/v1/mentors/{res.json['id']}")
    run_jobs(service)
    path = mailed_link(inbox, "late@example.org", "/invitations/")
    assert service.test_client().get(path).status_code == 404
    assert service.test_client().get("/invitations/inv_madeup").status_code == 404


def test_members_and_mentors_are_emailed_and_the_logs_name_no_one(service, smtp_server, caplog):
    url, inbox = smtp_server
    service.config["SMTP_URL"] = url
    service.config["PUBLIC_URL"] = "https://cpd.example.org"
    caplog.set_level("INFO", logger="cpd")
    world = build(service)
    assert not inbox.messages                                      # queued with the change, sent by a worker
    assert run_jobs(service)["mail"] >= 1
    to_mentor = [m for m in inbox.messages if m[0] == [EMAILS["mentor"]]]
    assert len(to_mentor) == 1 and "owner@example.org shared their CPD record with you" in to_mentor[0][1]
    assert "https://cpd.example.org/mentees" in to_mentor[0][1]
    invited = world.api("owner", "POST", "/api/v1/mentors", json={"email": "fresh@example.org"})
    assert invited.json["notified"] is True and "invitation_url" not in invited.json
    run_jobs(service)
    assert mailed_link(inbox, "fresh@example.org", "/invitations/").startswith("/invitations/inv_")
    world.annotate(verified=True, comment="Seen the certificate")
    run_jobs(service)
    to_owner = [m for m in inbox.messages if m[0] == [EMAILS["owner"]]]
    assert len(to_owner) == 1 and "verified an activity and left a comment" in to_owner[0][1]
    assert "Seen the certificate" not in to_owner[0][1]                # the comment is read on the page
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert '"event":"mail_sent"' in logged
    assert "@example.org" not in logged and "Seen the certificate" not in logged


def test_mail_that_cannot_be_sent_never_fails_the_request(service, caplog):
    from sync_service.store.models import Job
    service.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"      # nothing listens there
    world = build(service)
    made = world.api("mentor", "POST", f"/api/v1/records/{world.record}/annotations",
                     json={"activity_row": world.rows[0], "comment": "ok"})
    assert made.status_code == 201 and made.json["notified"] is True     # queued with the annotation
    assert run_jobs(service)["mail"] >= 1
    assert '"event":"mail_failed"' in caplog.text and "@example.org" not in caplog.text
    with service.app_context():                                         # kept, and tried again later
        mail = db.session().scalars(select(Job).where(Job.kind == "mail")).all()
        assert mail and {j.status for j in mail} == {"retrying"} and {j.attempts for j in mail} == {1}


def test_erasing_a_member_erases_their_records_grants_and_the_annotations_on_them(service):
    world = build(service)
    world.annotate(verified=True)
    world.api("owner", "POST", f"/api/v1/records/{world.record}/submit")
    client, token = world.browser("owner")
    assert client.post("/erase", data={"csrf": token, "confirm": "DELETE"}).status_code == 200
    for model in (CpdRecord, RecordVersion, MentorGrant, Annotation, AuditEvent, Submission):
        assert count(service, model) == 0, model.__name__
    assert world.api("mentor", "GET", "/api/v1/mentees").json["mentees"] == []


def test_a_mentors_erasure_ends_their_grants_and_keeps_their_comments_unattributed(service):
    world = build(service)
    world.annotate(comment="Keep going")
    client, token = world.browser("mentor")
    assert client.post("/erase", data={"csrf": token, "confirm": "DELETE"}).status_code == 200
    assert count(service, Member, email=EMAILS["mentor"]) == 0
    assert count(service, MentorGrant, email=EMAILS["mentor"]) == 0
    notes = world.api("owner", "GET", f"/api/v1/records/{world.record}/annotations").json["annotations"]
    assert [(n["author"], n["comment"]) for n in notes] == [("a former mentor", "Keep going")]
    trail = world.api("owner", "GET", "/api/v1/audit").json["events"]
    assert {e["who"] for e in trail if e["action"] in ("commented", "viewed")} == {"a former mentor"}
    assert not any(e["mentor"] == EMAILS["mentor"] for e in trail)
    page = world.browser("owner")[0].get(f"/records/{world.record}").data.decode()
    assert "a former mentor" in page and EMAILS["mentor"] not in page


def test_the_data_export_holds_records_versions_annotations_grants_and_the_audit_trail(service):
    import json
    world = build(service)
    world.annotate(verified=True, comment="Checked")
    mine = json.loads(world.browser("owner")[0].get("/export").data)
    assert [r["id"] for r in mine["records"]] == [world.record]
    version = mine["records"][0]["versions"][0]
    assert version["number"] == 1 and version["readiness"]["verdict"] == "ready"
    assert len(version["record"]["activities"]["rows"]) == len(world.rows)
    assert [(a["comment"], a["verified"]) for a in mine["records"][0]["annotations"]] == [("Checked", True)]
    assert {g["email"] for g in mine["mentors"]} == {EMAILS[w] for w in ("mentor", "revoked", "expired")}
    assert mine["audit"] and mine["annotations_written"] == []
    theirs = json.loads(world.browser("mentor")[0].get("/export").data)
    assert [a["comment"] for a in theirs["annotations_written"]] == ["Checked"] and theirs["records"] == []


def test_a_submission_keeps_its_workbook_as_a_version_of_its_record_stored_once(service):
    """An upload to /api/v1/submissions is also the newest version of its record, read from the
    submission's own document (the data is not stored twice)."""
    world = build(service)
    other = world.api("stranger", "POST", "/api/v1/submissions", data=EXAMPLE)
    assert other.status_code == 201
    (rec,) = world.api("stranger", "GET", "/api/v1/records").json["records"]
    detail = world.api("stranger", "GET", f"/api/v1/records/{rec['id']}").json
    assert detail["version"] == 1 and len(detail["activities"]) == len(world.rows)
    assert detail["readiness"]["verdict"] == "ready"
    assert world.api("stranger", "POST", f"/api/v1/records/{rec['id']}/check").json["readiness"]["score"] == 100
    with service.app_context():
        version = db.session().scalar(select(RecordVersion).where(RecordVersion.submission_id == other.json["id"]))
        assert version is not None and version.body is None


def test_prose_is_kept_as_typed_and_a_version_differing_only_in_its_spacing_changes_no_activity(service, tmp_path):
    import openpyxl
    from sync_service.store.records import snapshot
    from sync_service.store.versions import history
    world = build(service)

    def upload(reflection: str):
        path = tmp_path / "log.xlsx"
        path.write_bytes(EXAMPLE)
        wb = openpyxl.load_workbook(path)
        wb["Record"]["E10"] = reflection
        wb.save(path)
        return world.api("owner", "POST", "/api/v1/records", data=path.read_bytes())

    def versions():
        with service.app_context():
            s = db.session()
            rec = s.scalar(select(CpdRecord).where(CpdRecord.public_id == world.record))
            table = snapshot(s, rec).data["activities"]
            row = next(r for r in table["rows"] if r[table["columns"].index("row")] == 10)
            return row[table["columns"].index("reflection")], history(s, rec)

    typed = "Learnt converter topologies.  Now applied to the charger,\tfirst on the bench."
    assert upload(f"  {typed} ").status_code == 201
    kept, shown = versions()
    assert kept == typed                                     # as typed, trimmed: its double space and tab kept
    title = shown[0]["changed"]
    assert len(title) == 1                                   # the first activity's reflection changed
    respaced = upload(" ".join(typed.split()))
    assert respaced.status_code == 201                       # other text: a new version ...
    kept, shown = versions()
    assert kept == " ".join(typed.split()) and shown[0]["changed"] == []    # ... that changes no activity
    reworded = upload(typed.replace("bench", "test rig"))
    assert reworded.status_code == 201
    assert versions()[1][0]["changed"] == title
