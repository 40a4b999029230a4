"""cpd import: the records members already keep, in their own layouts, without re-typing or losing anything."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import docx
import openpyxl
import pytest

import corpus
from addin.importing.lenient import parse_dates, parse_hours
from addin.values import BadValue
from addin.workbook.reader import load_record

IKT_HEADERS = ["Dates", "Description of development/learning activity",
               "Provided by (e.g. name of mentor/coach, course provider, research/relevant publication etc)",
               "What did you learn & how did/will you apply it?", "Any further action?"]
IKT_ROWS = [
    ["12-14 Mar 2025", "Knowledge transfer partnership workshop", "Innovate UK",
     "How KTP projects are scoped; used it to scope our university project", "Share notes with the team"],
    ["March 2025", "Reading: The Knowledge-Creating Company", "Nonaka & Takeuchi",
     "Tacit vs explicit knowledge; changed how we run project close-outs", "None"],
    ["02/06/2025", "Mentoring a new associate", "IKT mentoring scheme",
     "Listening before advising; applied in my own team meetings", ""],
]


@pytest.fixture
def ikt_xlsx(tmp_path):
    """The IKT tracker form, filled in as a spreadsheet laid out like the paper form."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "CPD Tracker"
    ws.append(["Continuing Professional Development Record"])
    ws.append(["NAME:", "Jo Bloggs"])
    ws.append(["MEMBERSHIP NUMBER:", "IKT-0042", "MEMBER", "x"])
    ws.append(["COVERING THE PERIOD FROM:", "01/01/2025", "TO:", "31/12/2025"])
    ws.append(["This record sheet is for your guidance only"])
    ws.append(IKT_HEADERS)
    for row in IKT_ROWS:
        ws.append(row)
    path = tmp_path / "ikt-form.xlsx"
    wb.save(path)
    return path


@pytest.fixture
def ikt_docx(tmp_path):
    """The IKT tracker form filled in as a Word document."""
    document = docx.Document()
    document.add_paragraph("Continuing Professional Development Record")
    document.add_paragraph("NAME: Jo Bloggs")
    document.add_paragraph("MEMBERSHIP NUMBER: IKT-0042   MEMBER ☐ ASSOCIATE ☒")
    document.add_paragraph("COVERING THE PERIOD FROM: 01/01/2025 TO: 31/12/2025")
    table = document.add_table(rows=1, cols=len(IKT_HEADERS))
    for cell, text in zip(table.rows[0].cells, IKT_HEADERS):
        cell.text = text
    for row in IKT_ROWS:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    path = tmp_path / "ikt-form.docx"
    document.save(path)
    return path


def check_ikt(record):
    assert record.member.name == "Jo Bloggs" and record.member.membership_number == "IKT-0042"
    assert (record.period.start, record.period.end) == (date(2025, 1, 1), date(2025, 12, 31))
    a = record.activities
    assert [(x.start_date, x.end_date) for x in a] == [(date(2025, 3, 12), date(2025, 3, 14)),
                                                        (date(2025, 3, 1), date(2025, 3, 31)),
                                                        (date(2025, 6, 2), date(2025, 6, 2))]
    assert a[0].provider == "Innovate UK" and a[1].further_action == "None"
    assert a[0].reflection.startswith("How KTP projects are scoped")


@pytest.mark.parametrize("fixture", ["ikt_xlsx", "ikt_docx"])
def test_ikt_form_imports(cpd, request, tmp_path, fixture):
    source = request.getfixturevalue(fixture)
    out = tmp_path / "new.xlsx"
    res = cpd("import", source, out, "--profile", "ikt", "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["activities"] == 3 and report["problems"] == [] and report["unmapped"] == []
    assert [m["column"] for m in report["mapped"]] == [
        "Start date", "Description of development/learning activity", "Provided by",
        "What did you learn & how did/will you apply it?", "Any further action?"]
    record, profile = load_record(out)
    assert profile.id == "ikt"
    check_ikt(record)
    if fixture == "ikt_docx":
        assert record.member.grade == "Associate"
    assert cpd("check", out).exit_code in (0, 1)


def test_shuffled_renamed_headers_and_extra_columns_go_to_notes(cpd, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["My CPD log 2025"])
    ws.append([])
    ws.append(["Hrs", "Cost (£)", "Type", "Reflection", "Activity", "Date", "Location", "Organiser"])
    ws.append(["2h", 120, "T", "Learnt relay settings; applied them on site", "Protection course", date(2025, 5, 5),
               "Leeds", "Acme Training"])
    ws.append(["90 min", None, "Self-study", "Learnt about arc flash; updated our risk assessment", "Reading",
               "14/05/2025", "", "Self"])
    ws.append(["two", None, "Golf", "n/a", "Networking", "sometime", "London", ""])
    path = tmp_path / "mine.xlsx"
    wb.save(path)
    out = tmp_path / "new.xlsx"
    res = cpd("import", path, out, "--json")
    report = json.loads(res.output)
    assert res.exit_code == 0
    assert {m["source"]: m["column"] for m in report["mapped"]} == {
        "Hrs": "CPD hours", "Type": "Category", "Reflection": "What did you learn & how did/will you apply it?",
        "Activity": "Description of development/learning activity", "Date": "Start date", "Organiser": "Provided by"}
    assert report["unmapped"] == ["Cost (£)", "Location"]
    assert [(p["code"], p["message"].split(":")[0]) for p in report["problems"]] == [
        ("hours_not_number", "Sheet!A6"), ("category_unknown", "Sheet!C6"), ("date_invalid", "Sheet!F6")]
    wb2 = openpyxl.load_workbook(out)["Record"]
    notes = [wb2.cell(row=r, column=13).value for r in range(10, 13)]
    assert notes == ["Cost (£): 120; Location: Leeds", None,
                     "CPD hours: two; Category: Golf; Start date: sometime; Location: London"]
    hours = [wb2.cell(row=r, column=10).value for r in range(10, 13)]
    assert hours == [2, 1.5, None]
    cats = [wb2.cell(row=r, column=7).value for r in range(10, 13)]
    assert cats == ["Training courses", "Self-study", None]


def test_csv_import_with_semicolons_and_every_hours_form(cpd, tmp_path):
    forms = [("2", 2), ("2.5", 2.5), ("2h", 2), ("3 hrs", 3), ("90 min", 1.5), ("1 day", 7), ("1h30", 1.5),
             ("0,5", 0.5), ("half a day", 3.5)]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";")
    w.writerow(["Date", "Title", "Duration", "Category"])
    for i, (h, _) in enumerate(forms):
        w.writerow([f"2025-04-{i + 1:02d}", f"Item {i}", h, "Work experience"])
    path = tmp_path / "log.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    out = tmp_path / "new.xlsx"
    res = cpd("import", path, out)
    assert res.exit_code == 0 and "Imported 9 activities" in res.output
    record, _ = load_record(out)
    assert [a.hours for a in record.activities] == [h for _, h in forms]


def test_hours_per_day_option(cpd, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("Date,Activity,Time spent\n2025-04-01,Course,1 day\n")
    out = tmp_path / "new.xlsx"
    assert cpd("import", path, out, "--hours-per-day", "7.5").exit_code == 0
    assert load_record(out)[0].activities[0].hours == 7.5


@pytest.mark.parametrize("raw,month_first,expected", [
    (45728, False, (date(2025, 3, 12), None)), (datetime(2025, 3, 12), False, (date(2025, 3, 12), None)),
    ("12/03/2025", False, (date(2025, 3, 12), None)), ("12/03/2025", True, (date(2025, 12, 3), None)),
    ("2025-03-12", False, (date(2025, 3, 12), None)), ("March 2025", False, (date(2025, 3, 1), date(2025, 3, 31))),
    ("Feb 2024", False, (date(2024, 2, 1), date(2024, 2, 29))),
    ("12-14 Mar 2025", False, (date(2025, 3, 12), date(2025, 3, 14))),
    ("12 – 14 March 2025", False, (date(2025, 3, 12), date(2025, 3, 14))),
    ("28 Feb - 2 Mar 2025", False, (date(2025, 2, 28), date(2025, 3, 2))),
    ("12/03/2025 - 14/03/2025", False, (date(2025, 3, 12), date(2025, 3, 14))),
    ("12/03/2025-14/03/2025", False, (date(2025, 3, 12), date(2025, 3, 14))),
    ("1 to 3 May 2025", False, (date(2025, 5, 1), date(2025, 5, 3))),
])
def test_date_forms(raw, month_first, expected):
    assert parse_dates(raw, month_first=month_first) == expected


@pytest.mark.parametrize("raw", ["soon", "31-33 Mar 2025", "Smarch 2025"])
def test_unreadable_dates(raw):
    with pytest.raises(BadValue):
        parse_dates(raw)


@pytest.mark.parametrize("raw", ["two", "-3", "lots", "1e9"])
def test_unreadable_hours(raw):
    with pytest.raises(BadValue):
        parse_hours(raw)


def test_month_first_flag_on_import(cpd, tmp_path):
    path = tmp_path / "us.csv"
    path.write_text("Date,Activity,Hours\n03/12/2025,Course,2\n")
    out = tmp_path / "new.xlsx"
    assert cpd("import", path, out, "--month-first").exit_code == 0
    assert load_record(out)[0].activities[0].start_date == date(2025, 3, 12)


def test_formula_cells_in_the_source_are_not_imported(cpd, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Date", "Activity", "Hours"])
    ws.append([date(2025, 2, 2), "Course", "=1+2"])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    out = tmp_path / "new.xlsx"
    report = json.loads(cpd("import", path, out, "--json").output)
    assert [p["code"] for p in report["problems"]] == ["formula_not_allowed"]
    record, _ = load_record(out)
    assert record.activities[0].hours is None
    assert record.activities[0].description == "CPD hours: (formula not imported)"


def test_hostile_sources_are_refused(cpd, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(corpus.billion_laughs())
    res = cpd("import", bomb, tmp_path / "a.xlsx")
    assert res.exit_code == 2 and "dtd_not_allowed" in res.output
    document = docx.Document()
    document.add_table(rows=1, cols=1)
    buf = io.BytesIO()
    document.save(buf)
    parts = corpus.parts_of(buf.getvalue())
    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    evil = tmp_path / "evil.docx"
    evil.write_bytes(corpus.pack([(n, dtd + corpus.body(b) if n == "word/document.xml" else b) for n, b in parts]))
    res = cpd("import", evil, tmp_path / "b.xlsx")
    assert res.exit_code == 2 and "dtd_not_allowed" in res.output
    macro = tmp_path / "m.docx"
    macro.write_bytes(corpus.pack(parts + [("word/vbaProject.bin", b"\0" * 32)]))
    assert "macros_not_allowed" in cpd("import", macro, tmp_path / "c.xlsx").output
    odd = tmp_path / "notes.pdf"
    odd.write_bytes(b"%PDF-1.4")
    assert "unsupported_format" in cpd("import", odd, tmp_path / "d.xlsx").output


def test_import_refuses_to_overwrite(cpd, tmp_path, ikt_xlsx):
    out = tmp_path / "new.xlsx"
    out.write_bytes(b"x")
    res = cpd("import", ikt_xlsx, out)
    assert res.exit_code == 2 and "--force" in res.output


def test_export_csv_guards_formula_text(cpd, tmp_path):
    data = corpus.injection_strings()
    src = tmp_path / "inj.xlsx"
    src.write_bytes(data)
    out = tmp_path / "out.csv"
    assert cpd("export", src, out).exit_code == 0
    rows = list(csv.reader(out.open(encoding="utf-8")))
    titles = [r[2] for r in rows[1:]]
    assert titles[:4] == ["'=cmd|' /C calc'!A0", "'+SUM(1,2)", "'-2+3", "'@SUM(A1)"]
    assert all(not t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in titles)


def test_export_guards_every_formula_trigger_the_writer_does():
    from addin.export import COLUMNS, safe_text
    from addin.values import FORMULA_TRIGGERS
    from addin.form.layout import ACTIVITY_COLUMNS
    assert all(safe_text(t + "x") == "'" + t + "x" for t in FORMULA_TRIGGERS) and "\0" in FORMULA_TRIGGERS
    assert [h for _, h in COLUMNS] == [c.header for c in ACTIVITY_COLUMNS]
