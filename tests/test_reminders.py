"""Deadline reminders, on SQLite and PostgreSQL, with a clock the test moves and a real SMTP server on
loopback: each of 60, 30 and 7 days before a not-ready record's deadline is mailed once, with what is
still needed; none once the record is ready, none to a member who has not opted in or who stopped them."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from conftest import fill_workbook, mail_to, mailed_link, run_jobs
from mentor_world import EMAILS, build, csrf

REFLECTION = "Applied the method on the next design review and shared it with the team"


def short_record(cpd, path, hours: float):
    assert cpd("new", path, "--year", "2025", "--registration", "CEng").exit_code == 0
    fill_workbook(path, [{"start_date": "2025-03-01", "title": "Design code course", "hours": hours,
                          "category": "Training courses", "skill_type": "Personal technical", "competences": "B2",
                          "objective": "O1", "reflection": REFLECTION}],
                  objectives=[{"ref": "O1", "objective": "Grow", "target_date": "2025-12-31", "status": "In progress"}])
    return path.read_bytes()


def reminders_to(inbox, address):
    return [m for m in mail_to(inbox, address) if "days to your CPD deadline" in str(m["subject"])]


def test_each_reminder_is_sent_once_and_none_after_ready_or_stopped(service, smtp_server, cpd, tmp_path):
    url, inbox = smtp_server
    now = [datetime(2025, 10, 1, 9, tzinfo=timezone.utc)]
    service.config.update(SMTP_URL=url, PUBLIC_URL="https://cpd.example.org", CLOCK=lambda: now[0])
    world = build(service)
    data = short_record(cpd, tmp_path / "short.xlsx", 6)
    record = world.api("stranger", "POST", "/api/v1/records", data=data)
    assert record.status_code == 201 and record.json["readiness"]["verdict"] == "not_ready"
    client, token = world.browser("stranger")
    assert client.post("/settings/reminders", data={"csrf": token, "on": "1"}).status_code == 302

    run_jobs(service)                                        # 91 days before: nothing yet
    assert not reminders_to(inbox, EMAILS["stranger"])
    now[0] = datetime(2025, 11, 1, 9, tzinfo=timezone.utc)    # 60 days before
    run_jobs(service)
    run_jobs(service)                                        # a second worker pass sends nothing more
    sixty = reminders_to(inbox, EMAILS["stranger"])
    assert len(sixty) == 1 and str(sixty[0]["subject"]).startswith("60 days to your CPD deadline (31 Dec 2025)")
    body = sixty[0].get_body(("plain",)).get_content()
    assert "24 hours (Training courses) before 31 Dec 2025" in body          # what is still needed
    assert f"https://cpd.example.org/records/{record.json['id']}" in body
    assert not reminders_to(inbox, EMAILS["owner"])                          # not opted in: nothing

    now[0] = datetime(2025, 12, 24, 9, tzinfo=timezone.utc)   # past 30 (never sent) and at 7: only the 7
    run_jobs(service)
    sent = reminders_to(inbox, EMAILS["stranger"])
    assert len(sent) == 2 and str(sent[-1]["subject"]).startswith("7 days")
    run_jobs(service)
    assert len(reminders_to(inbox, EMAILS["stranger"])) == 2

    # stopped by the link in the mail
    stop = mailed_link(inbox, EMAILS["stranger"], "/reminders/stop/")
    browser = service.test_client()
    page = browser.get(stop)
    assert browser.post(stop, data={"csrf": csrf(page.data)}).status_code == 200
    assert b"Reminders stopped" in browser.post(stop, data={"csrf": csrf(page.data)}).data
    assert browser.post("/reminders/stop/m_nobody.0000", data={"csrf": csrf(page.data)}).status_code == 404


def test_no_reminder_once_the_record_is_ready(service, smtp_server, cpd, tmp_path):
    url, inbox = smtp_server
    now = [datetime(2025, 11, 1, 9, tzinfo=timezone.utc)]
    service.config.update(SMTP_URL=url, PUBLIC_URL="https://cpd.example.org", CLOCK=lambda: now[0])
    world = build(service)
    made = world.api("stranger", "POST", "/api/v1/records", data=short_record(cpd, tmp_path / "a.xlsx", 6))
    assert made.status_code == 201
    client, token = world.browser("stranger")
    client.post("/settings/reminders", data={"csrf": token, "on": "1"})
    short_record(cpd, tmp_path / "b.xlsx", 6)                   # then a version that is ready
    fill_workbook(tmp_path / "b.xlsx", [
        {"start_date": f"2025-0{m}-01", "title": f"Course {m}", "hours": 6, "category": c, "skill_type": s,
         "competences": "B2", "objective": "O1", "reflection": REFLECTION}
        for m, c, s in ((3, "Training courses", "Personal technical"), (4, "Work experience", "Soft skills"),
                        (5, "Academic study", "Personal technical"), (6, "Training courses", "Soft skills"),
                        (7, "Work experience", "Personal technical"))],
        objectives=[{"ref": "O1", "objective": "Grow", "target_date": "2025-12-31", "status": "In progress"}])
    again = world.api("stranger", "POST", "/api/v1/records", data=(tmp_path / "b.xlsx").read_bytes())
    assert again.json["readiness"]["verdict"] == "ready", again.json["readiness"]
    run_jobs(service)
    assert not reminders_to(inbox, EMAILS["stranger"])
    assert re.search("Deadline reminders", client.get("/settings").get_data(as_text=True))
