"""Hours are kept exact from reading to verdict: a duration in minutes is that many sixtieths of an hour,
not a rounded decimal, so nine 20-minute talks and 27 hours are exactly 30 hours on every path."""
from __future__ import annotations

import json

from addin.importing.lenient import parse_hours
from addin.values import to_hours
from conftest import fill_workbook


def test_a_duration_in_minutes_is_read_exactly():
    assert to_hours("20 min") == 20 / 60 and parse_hours("20 min") == 20 / 60
    assert to_hours("1h20") == 1 + 20 / 60 and parse_hours("1:20") == 1 + 20 / 60


def test_nine_20_minute_talks_and_27_hours_are_30_hours(cpd, tmp_path):
    path = tmp_path / "talks.xlsx"
    assert cpd("new", path, "--year", "2025").exit_code == 0
    talks = [{"start_date": f"2025-{m:02d}-10", "title": f"Lunch talk {m}", "hours": "20 min",
              "category": "Training courses", "reflection": "Learnt about a new code of practice"} for m in range(1, 10)]
    course = {"start_date": "2025-11-03", "title": "Protection course", "hours": 27, "category": "Training courses",
              "reflection": "Used it on the next substation design"}
    fill_workbook(path, [*talks, course], header={"period_start": "2025-01-01", "period_end": "2025-12-31",
                                                  "registration": "CEng", "status": "Active"})
    result = json.loads(cpd("check", path, "--json").output)
    hours = next(c for c in result["criteria"] if c["id"] == "hours")
    assert result["counted_hours"] == 30 and hours["status"] == "pass", hours
