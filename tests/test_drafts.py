"""Drafts: an activity whose Status is Draft is shown with what it would add and counts nowhere until it is
confirmed; blank is confirmed, so a log kept before the column existed reads as before. One truth on every
path: the engine and cpd check, the Summary's native formulas (recalculated by LibreOffice), the worksheet
functions, Google Sheets values, the stored record the service keeps and delivers."""
from __future__ import annotations

import json

import openpyxl
import pytest

from addin import ValuesSource, assess, read_record, record_data, record_from_data
from addin import xlwings_udfs as udf
from addin.form.layout import TABLE_HEADER_ROW
from addin.workbook.reader import read_workbook
from addin.workbook.summary import SUMMARY_CELLS
from addin.workbook.template import record_workbook
from conftest import fill_workbook, libreoffice

IET_ROWS = [
    {"start_date": "2025-03-01", "title": "Webinar: bolted joints", "hours": 1.5, "category": "Training courses",
     "status": "Draft"},
    {"start_date": "2025-04-01", "end_date": "2025-04-03", "title": "Course: fatigue", "hours": 20,
     "category": "Training courses", "status": "Confirmed"},
    {"start_date": "2025-05-01", "title": "Reading: codes of practice", "hours": 2, "category": "Self-study"},
    {"start_date": "2025-06-01", "title": "Lunch and learn", "hours": 0.5, "category": "Events and seminars",
     "status": "draft"},
]
PERIOD = {"period_start": "2025-01-01", "period_end": "2025-12-31"}


@pytest.fixture
def iet_log(cpd, tmp_path):
    path = tmp_path / "log.xlsx"
    assert cpd("new", path, "--name", "Alex Morgan", "-p", "iet").exit_code == 0
    return fill_workbook(path, IET_ROWS, header=PERIOD)


def test_a_draft_counts_nowhere_and_is_shown_with_what_it_would_add(cpd, iet_log):
    read = read_workbook(iet_log)
    assert not read.problems
    assert [a.row for a in read.record.activities] == [11, 12]
    assert [a.row for a in read.record.drafts] == [10, 13]
    result = assess(read.record, read.profile)
    assert result.counted_hours == 22 and result.totals.by_category["events"] == 0
    assert result.drafts == (10, 13) and result.draft_hours == 2.0
    data = json.loads(cpd("check", iet_log, "--json").output)
    assert data["counted_hours"] == 22 and data["drafts"] == {"rows": [10, 13], "would_add": 2.0}
    text = cpd("check", iet_log).output
    assert "2 drafts not counted (would add 2 hours): confirm them in the Status column" in text
    assert "2 drafts (rows 10, 13) count nowhere until confirmed" in text


def test_confirmed_the_draft_counts_exactly_its_hours(iet_log):
    wb = openpyxl.load_workbook(iet_log)
    ws = wb["Record"]
    status = [c.column for c in ws[TABLE_HEADER_ROW] if c.value == "Status"][0]
    ws.cell(row=10, column=status, value="Confirmed")
    ws.cell(row=13, column=status).value = None
    wb.save(iet_log)
    read = read_workbook(iet_log)
    result = assess(read.record, read.profile)
    assert not read.record.drafts and result.counted_hours == 24.0 and result.drafts == ()


def test_a_status_that_is_neither_draft_nor_confirmed_names_its_cell(cpd, iet_log):
    wb = openpyxl.load_workbook(iet_log)
    ws = wb["Record"]
    status = [c for c in ws[TABLE_HEADER_ROW] if c.value == "Status"][0]
    ws.cell(row=11, column=status.column, value="maybe")
    wb.save(iet_log)
    res = cpd("check", iet_log)
    assert res.exit_code != 0
    assert (f"Record!{status.column_letter}11: status must be Draft or Confirmed (blank is confirmed); found "
            f"'maybe'") in res.output


def test_the_summarys_formulas_leave_drafts_out_and_say_what_they_would_add(cpd, iet_log, tmp_path):
    nc = tmp_path / "nc.xlsx"
    assert cpd("new", nc, "-p", "us-nc").exit_code == 0
    fill_workbook(nc, [
        {"start_date": "2026-02-01", "title": "Geotech course", "hours": 6, "category": "Courses, seminars and "
         "workshops"},
        {"start_date": "2026-03-01", "title": "ASCE committee", "hours": 7,
         "category": "Society officer or committee (2 PDH a society a year)", "status": "Draft"},
        {"start_date": "2026-04-01", "title": "Paper on piles", "hours": 3,
         "category": "Published paper, article or book (10 PDH each)", "status": "Draft"},
        {"start_date": "2026-05-01", "title": "Taught a seminar", "hours": 2,
         "category": "Teaching or presenting, first time (PDH doubled)"},
    ], header={"period_start": "2026-01-01", "period_end": "2026-12-31"})
    out = tmp_path / "out"
    libreoffice(["--convert-to", "xlsx", "--outdir", str(out), str(iet_log), str(nc)], tmp_path / "lo", timeout=180)
    for path in (iet_log, nc):
        read = read_workbook(path)
        result = assess(read.record, read.profile)
        summary = openpyxl.load_workbook(out / path.name, data_only=True)["Summary"]
        assert summary[SUMMARY_CELLS["hours"]].value == pytest.approx(result.totals.counted)
        assert summary[SUMMARY_CELLS["activities"]].value == len(result.totals.activities)
        assert summary[SUMMARY_CELLS["drafts"]].value == len(result.drafts) == 2
        assert summary[SUMMARY_CELLS["draft_hours"]].value == pytest.approx(result.draft_hours)
    assert result.counted_hours == 10 and result.draft_hours == 12      # NC: 6 + 2 x 2; drafts 2 (capped) + 10


def test_the_functions_and_sheets_values_give_the_same(iet_log):
    read = read_workbook(iet_log)
    result = assess(read.record, read.profile)
    ws = openpyxl.load_workbook(iet_log)["Record"]
    rec = [[c.value for c in row] for row in ws["A3:F7"]]
    acts = [[c.value for c in row] for row in ws["A9:Q5009"]]
    assert udf.CPD_HOURS(acts, rec[0][5], rec[1][5]) == result.totals.hours == 22
    criteria = udf.CPD_CRITERIA(rec, acts, None)
    assert criteria[-1][:2] == ["Drafts (not counted)", "NOTE"] and "would add 2 hours" in criteria[-1][2]
    values = [[c.value for c in row] for row in ws.iter_rows(max_row=20)]
    sheets = read_record(ValuesSource("a Google sheet", {"Record": values}, unread=["Summary"]))
    assert [a.row for a in sheets.record.drafts] == [10, 13]
    assert assess(sheets.record, sheets.profile).counted_hours == 22


def test_the_stored_record_keeps_drafts_apart_and_reads_them_back(iet_log, tmp_path):
    read = read_workbook(iet_log)
    data = record_data(read.record, read.profile)
    assert [r[data["activities"]["columns"].index("title")] for r in data["activities"]["rows"]] == [
        "Course: fatigue", "Reading: codes of practice"]            # what a receiver counts: confirmed only
    assert [r[data["drafts"]["columns"].index("row")] for r in data["drafts"]["rows"]] == [10, 13]
    back, profile = record_from_data(data)
    assert back.drafts == read.record.drafts and back.activities == read.record.activities
    assert "drafts" not in record_data(back.__class__(member=back.member, period=back.period,
                                                      activities=back.activities), profile)
    written = tmp_path / "written.xlsx"                              # cpd sheets pull writes the drafts back
    written.write_bytes(record_workbook(back, profile))
    again = read_workbook(written)
    assert [a.title for a in again.record.drafts] == ["Webinar: bolted joints", "Lunch and learn"]
    assert assess(again.record, again.profile).counted_hours == 22


def test_the_service_keeps_drafts_out_of_what_it_delivers_and_shows_them(service, iet_log):
    from test_pages import sign_in
    from sync_service import db
    from sync_service.store.models import Submission
    from addin import unpack
    client, token = service.test_client(), service.config["TOKENS"]["a"]
    res = client.post("/api/v1/submissions", data=iet_log.read_bytes(),
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.openxmlformats-"
                               "officedocument.spreadsheetml.sheet"})
    assert res.status_code == 201
    with service.app_context():
        doc = unpack(db.session().get(Submission, res.get_json()["id"]).body)      # what the institution gets
    assert len(doc["activities"]["rows"]) == 2 and len(doc["drafts"]["rows"]) == 2
    records = client.get("/api/v1/records", headers={"Authorization": f"Bearer {token}"}).get_json()["records"]
    detail = client.get(f"/api/v1/records/{records[0]['id']}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [d["title"] for d in detail["drafts"]] == ["Webinar: bolted joints", "Lunch and learn"]
    assert detail["readiness"]["counted_hours"] == 22 and detail["readiness"]["drafts"]["would_add"] == 2
    sign_in(client, token)
    page = client.get(f"/records/{records[0]['id']}").get_data(as_text=True)
    assert 'id="drafts"' in page and "Lunch and learn" in page.split('id="drafts"')[1]
