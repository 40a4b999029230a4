"""The planner: the fewest activities that close every body's gaps by each deadline (`cpd plan`), and
the deadlines as calendar events with a 30-day alarm (`--ics`)."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from conftest import fill_workbook

REFLECTION = "Applied the method on the next design review and shared it with the team"


def activity(day, title, hours, category, skill, competences, topics=None) -> dict:
    row = {"start_date": day, "title": title, "hours": hours, "category": category, "skill_type": skill,
           "competences": competences, "objective": "O1", "reflection": REFLECTION,
           "evidence": "certificate in my CPD folder"}
    if topics:
        row["topics"] = topics
    return row


ACTIVITIES = [
    activity("2023-05-10", "Ethics seminar", 2, "Training courses", "Soft skills", "E5",
             "Ethics and professional standards"),
    activity("2025-02-10", "Structural safety course", 4, "Training courses", "Technical", "E4, B2", "Health and safety"),
    activity("2025-04-10", "Design code course", 4, "Training courses", "Technical", "B2"),
    activity("2025-06-10", "Site work on bridge", 10, "Work experience", "Technical", "C1"),
    activity("2025-08-10", "Mentoring graduates", 8, "Volunteering", "Soft skills", "D1"),
]
OBJECTIVE = [{"ref": "O1", "objective": "Grow in bridge design", "target_date": "2025-12-31", "status": "In progress"}]


@pytest.fixture
def log(cpd, tmp_path):
    """A 2025 log kept for the IET, IStructE, Texas and RICS: IET 4 h short, IStructE safety 2 h short (and its
    total 4 h), Texas ethics 0 of 1, RICS formal 8 of 10."""
    path = tmp_path / "log.xlsx"
    made = cpd("new", path, "-p", "iet", "-p", "istructe", "-p", "us-tx", "-p", "rics", "--year", "2025",
               "--registration", "CEng", "--name", "Sam Taylor")
    assert made.exit_code == 0, made.output
    fill_workbook(path, ACTIVITIES, objectives=OBJECTIVE)
    return path


def verdicts(cpd, path) -> dict[str, str]:
    """Each body's verdict as `cpd check` gives it on 1 Oct 2025."""
    answer = json.loads(cpd("check", path, "--as-of", "2025-10-01", "--json").output)
    return {b["profile"]: b["verdict"] for b in answer["bodies"]}


def test_the_plan_closes_every_gap_of_every_body_in_at_most_four_activities(cpd, log):
    assert set(verdicts(cpd, log).values()) == {"not_ready"}
    res = cpd("plan", log, "--as-of", "2025-10-01", "--json")
    assert res.exit_code == 0, res.output
    plan = json.loads(res.output)
    actions = plan["actions"]
    assert 1 <= len(actions) <= 4
    closed = {(c["body"], c["criterion"]) for a in actions for c in a["closes"]}
    assert {("IET", "hours"), ("IStructE", "safety"), ("IStructE", "hours"), ("TX PE", "ethics"),
            ("RICS", "formal")} <= closed
    assert all(a["due"] == "2025-12-31" and a["hours"] > 0 for a in actions)
    text = cpd("plan", log, "--as-of", "2025-10-01").output
    assert "closes TX PE: at least 1 PDH of professional ethics" in text and "1 hour on" in text
    # doing what it says makes every body ready
    added = [activity("2025-10-15", f"Planned {n}", a["hours"], a["category"], "Technical", "B2", a["topic"])
             for n, a in enumerate(actions)]
    fill_workbook(log, [*ACTIVITIES, *added], objectives=OBJECTIVE)
    assert set(verdicts(cpd, log).values()) == {"ready"}
    assert "Nothing to do" in cpd("plan", log, "--as-of", "2025-10-01").output


def test_after_a_deadline_the_plan_says_the_period_has_ended(cpd, log):
    res = cpd("plan", log, "--as-of", "2026-01-05")
    assert res.exit_code == 0 and "IET: the period ended 31 Dec 2025" in res.output
    assert json.loads(cpd("plan", log, "--as-of", "2026-01-05", "--json").output)["actions"] == []


def test_the_deadlines_calendar_has_an_event_a_body_each_with_a_30_day_alarm(cpd, log, tmp_path):
    from icalendar import Calendar
    ics = tmp_path / "deadlines.ics"
    assert cpd("plan", log, "--as-of", "2025-10-01", "--ics", ics).exit_code == 0
    events = [c for c in Calendar.from_ical(ics.read_bytes()).walk("VEVENT")]
    summaries = [str(e["summary"]) for e in events]
    for body in ("IET", "IStructE", "TX PE", "RICS"):
        assert sum(s.startswith(f"CPD deadline: {body} (") for s in summaries) == 1, summaries
    assert any(s.startswith("CPD record due: RICS") for s in summaries)            # RICS: entered by 31 January
    for e in events:
        alarms = e.walk("VALARM")
        assert len(alarms) == 1 and alarms[0]["trigger"].dt == timedelta(days=-30)
    deadline = next(e for e in events if str(e["summary"]).startswith("CPD deadline: TX PE"))
    assert deadline["dtstart"].dt == date(2025, 12, 31) and "ethics" in str(deadline["description"]).lower()
    rics_due = next(e for e in events if str(e["summary"]).startswith("CPD record due: RICS"))
    assert rics_due["dtstart"].dt == date(2026, 1, 31)


def test_the_record_page_shows_the_same_plan(service, cpd, tmp_path):
    """The member's record page lists what `cpd plan` gives for the record, on the service's day."""
    import html
    from datetime import datetime, timezone

    from mentor_world import build
    world = build(service)
    service.config["CLOCK"] = lambda: datetime(2025, 10, 1, 9, tzinfo=timezone.utc)
    path = tmp_path / "short.xlsx"
    assert cpd("new", path, "--year", "2025", "--registration", "CEng").exit_code == 0
    fill_workbook(path, [activity("2025-03-01", "Design code course", 6, "Training courses", "Technical", "B2")],
                  objectives=OBJECTIVE)
    made = world.api("owner", "POST", "/api/v1/records", data=path.read_bytes())
    assert made.status_code == 201, made.json
    expected = json.loads(cpd("plan", path, "--as-of", "2025-10-01", "--json").output)["actions"]
    text = cpd("plan", path, "--as-of", "2025-10-01").output
    client, _ = world.browser("owner")
    page = html.unescape(client.get(f"/records/{made.json['id']}").get_data(as_text=True))
    assert "What to do, and by when" in page and expected
    for line in text.splitlines():
        if line.strip()[:2].rstrip(".").isdigit():
            assert line.strip().split(". ", 1)[1] in page, line
