"""Hours are kept exact from reading to verdict, and every path reads a text duration or date the same.

A duration in minutes is that many sixtieths of an hour, so nine 20-minute talks and 27 hours are exactly
30 hours. In the template, whose Summary's formulas add the Hours and date columns themselves, a duration or
date typed as text cannot be added by them (#VALUE!), so `cpd check`, the add-in functions and the service
refuse it alike, naming the cell and the value to type; `cpd import` turns such files into numbers."""
from __future__ import annotations

import csv
import json

import openpyxl

from addin import xlwings_udfs as udf
from addin.importing.lenient import parse_hours
from addin.values import to_hours
from conftest import fill_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = {"period_start": "2025-01-01", "period_end": "2025-12-31", "registration": "CEng", "status": "Active"}


def talks(hours):
    return [{"start_date": f"2025-{m:02d}-10", "title": f"Lunch talk {m}", "hours": hours,
             "category": "Training courses", "reflection": "Learnt about a new code of practice"} for m in range(1, 10)]


COURSE = {"start_date": "2025-11-03", "title": "Protection course", "hours": 27, "category": "Training courses",
          "reflection": "Used it on the next substation design"}


def test_a_duration_in_minutes_is_read_exactly():
    assert to_hours("20 min") == 20 / 60 and parse_hours("20 min") == 20 / 60
    assert to_hours("1h20") == 1 + 20 / 60 and parse_hours("1:20") == 1 + 20 / 60


def test_nine_20_minute_talks_and_27_hours_imported_are_30_hours(cpd, tmp_path):
    """A log kept elsewhere with '20 min' durations: `cpd import` writes the exact hours, and the check says
    30 of 30 hours, pass."""
    src = tmp_path / "log.csv"
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Date", "Activity", "Hours", "Category", "Reflection"])
        for t in [*talks("20 min"), COURSE]:
            w.writerow([t["start_date"], t["title"], t["hours"], t["category"], t["reflection"]])
    out = tmp_path / "log.xlsx"
    assert cpd("import", src, out).exit_code == 0
    result = json.loads(cpd("check", out, "--json", "--period", "2025").output)
    hours = next(c for c in result["criteria"] if c["id"] == "hours")
    assert result["counted_hours"] == 30 and hours["status"] == "pass" and hours["reason"] == "30 of 30 hours", hours


def test_hours_as_the_check_shows_them_reach_the_target(cpd, tmp_path):
    """0.333333 typed nine times and 27 more read as 30 hours: the check compares as it shows, never
    'FAIL 30 of 30 hours, add 0 hours'."""
    path = tmp_path / "typed.xlsx"
    assert cpd("new", path, "--year", "2025").exit_code == 0
    fill_workbook(path, [*talks(0.333333), COURSE], header=HEADER)
    result = json.loads(cpd("check", path, "--json").output)
    hours = next(c for c in result["criteria"] if c["id"] == "hours")
    assert hours["status"] == "pass" and hours["reason"] == "30 of 30 hours", hours


def test_a_duration_typed_as_text_in_the_template_is_refused_on_every_path(cpd, tmp_path, service):
    """The Summary cannot add '20 min' (LibreOffice shows #VALUE!), so the check, the add-in functions and
    the service refuse it too, naming the cell and the number to type."""
    path = tmp_path / "text.xlsx"
    assert cpd("new", path, "--year", "2025").exit_code == 0
    fill_workbook(path, [*talks("20 min"), COURSE], header=HEADER)
    checked = cpd("check", path)
    assert checked.exit_code == 2, checked.output
    assert ("Record!J10: hours are text ('20 min'), which the Summary's formulas cannot add: enter the number of "
            "hours (0.333333)") in checked.output
    assert checked.output.count("hours are text") == 9
    ws = openpyxl.load_workbook(path)["Record"]
    acts = [[c.value for c in row] for row in ws["A9:Q30"]]
    got = udf.CPD_HOURS(acts, "2025-01-01", "2025-12-31")
    assert isinstance(got, str) and "hours are text ('20 min')" in got and "0.333333" in got
    client, token = service.test_client(), service.config["TOKENS"]["a"]
    res = client.post("/api/v1/submissions", data=path.read_bytes(),
                      headers={"Authorization": f"Bearer {token}", "Content-Type": XLSX})
    assert res.status_code == 422, res.get_json()
    problems = res.get_json()["error"]["problems"]
    assert {(p["code"], p["cell"]) for p in problems} >= {("hours_is_text", "J10")}


def test_a_date_typed_as_text_in_the_template_is_refused_naming_the_date(cpd, tmp_path):
    path = tmp_path / "date.xlsx"
    assert cpd("new", path, "--year", "2026").exit_code == 0
    fill_workbook(path, [{**COURSE, "start_date": "14/03/2026"}],
                  header={**HEADER, "period_start": "2026-01-01", "period_end": "2026-12-31"})
    checked = cpd("check", path)
    assert checked.exit_code == 2
    assert ("Record!A10: start date is text ('14/03/2026'), which the Summary's formulas cannot count: enter it as a "
            "date (2026-03-14)") in checked.output


def test_a_plain_table_of_ones_own_still_reads_text_durations(cpd, tmp_path):
    """A spreadsheet of the member's own has no Summary to disagree with: its text durations are read."""
    path = tmp_path / "mine.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Date", "Activity", "Hours", "Category", "Reflection"])
    for t in [*talks("20 min"), COURSE]:
        ws.append([t["start_date"], t["title"], t["hours"], t["category"], t["reflection"]])
    wb.save(path)
    result = json.loads(cpd("check", path, "--json").output)
    assert result["counted_hours"] == 30

