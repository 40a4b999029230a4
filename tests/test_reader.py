"""Reading a filled template back: by header names, with every bad value addressed to its cell."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from addin.errors import CpdError, InvalidRecord
from addin.form.limits import Limits
from addin.workbook.reader import load_record, read_workbook
from conftest import fill_workbook

HEADER = {"name": "Sam Lee", "membership_number": "0042", "period_start": date(2025, 1, 1),
          "period_end": date(2025, 12, 31), "registration": "EngTech"}
ROW = {"start_date": date(2025, 3, 1), "title": "Course", "hours": 3, "category": "Training courses",
       "skill_type": "Soft skills", "reflection": "Learnt a great deal and applied it"}


@pytest.fixture
def blank(cpd, tmp_path):
    path = tmp_path / "r.xlsx"
    assert cpd("new", path, "--year", "2025").exit_code == 0
    return path


def codes_at(read):
    return {(p.code, f"{p.sheet}!{p.cell}") for p in read.problems}


def test_the_example_reads_without_problems(example_iet):
    record, profile = load_record(example_iet)
    assert profile.id == "iet" and record.member.name == "Alex Morgan"
    assert record.member.membership_number == "00123456"          # leading zeros kept: a text cell
    assert len(record.activities) == 8 and len(record.objectives) == 4
    crossing = next(a for a in record.activities if a.end_date.year == 2026)
    assert crossing.start_date == date(2025, 12, 15) and crossing.hours == 6.2


def test_every_bad_value_is_addressed_to_its_cell(blank):
    rows = [dict(ROW, hours="two"),                                   # row 10
            dict(ROW, start_date="yesterday"),                        # row 11
            dict(ROW, category="Golf"),                               # row 12
            dict(ROW, competences="B3, Z9"),                          # row 13: EngTech has no B3
            dict(ROW, end_date=date(2025, 2, 1)),                     # row 14: before start
            dict(ROW, objective="O9"),                                # row 15: not in the plan
            dict(ROW, skill_type="Juggling", hours=-2),               # row 16
            dict(ROW, start_date=None)]                               # row 17
    fill_workbook(blank, rows, {**HEADER, "status": "Retired-ish"}, [{"objective": "Aim", "target_date": "soon"}])
    read = read_workbook(blank)
    got = codes_at(read)
    assert got == {("hours_not_number", "Record!J10"), ("date_invalid", "Record!A11"),
                   ("category_unknown", "Record!G12"), ("competence_unknown", "Record!I13"),
                   ("end_before_start", "Record!B14"), ("objective_unknown", "Record!K15"),
                   ("skill_type_unknown", "Record!H16"), ("hours_negative", "Record!J16"),
                   ("date_missing", "Record!A17"), ("status_unknown", "Record!B7"),
                   ("date_invalid", "Plan!E5")}
    messages = {str(p) for p in read.problems}
    assert "Record!J10: hours must be a number, found 'two'" in messages
    assert any(m.startswith("Record!I13: B3, Z9 are not UK-SPEC 4th edition competence codes for EngTech")
               for m in messages)
    with pytest.raises(InvalidRecord) as err:
        read.require()
    assert len(err.value.problems) == 11


def test_missing_period_is_addressed_to_the_header_cell(blank):
    fill_workbook(blank, [ROW], {"period_start": None, "period_end": "2025-12-31"})
    wb = openpyxl.load_workbook(blank)
    wb["Record"]["F3"] = None
    wb.save(blank)
    read = read_workbook(blank)
    assert codes_at(read) == {("period_missing", "Record!F3")}
    assert read.record is None


def test_formula_in_an_input_cell_is_never_trusted(blank):
    fill_workbook(blank, [ROW, ROW], HEADER)
    wb = openpyxl.load_workbook(blank)
    wb["Record"]["J10"] = "=1+2"
    wb.save(blank)
    read = read_workbook(blank)
    assert codes_at(read) == {("formula_not_allowed", "Record!J10")}


def test_formula_in_a_header_value_is_never_trusted(blank):
    fill_workbook(blank, [ROW], HEADER)
    wb = openpyxl.load_workbook(blank)
    wb["Record"]["B3"] = '=UPPER("a member")'         # the value right of "Name:"
    wb.save(blank)
    read = read_workbook(blank)
    assert codes_at(read) == {("formula_not_allowed", "Record!B3")}
    assert read.record.member.name is None


def test_text_that_looks_like_a_formula_stays_text(blank):
    fill_workbook(blank, [dict(ROW, title="=HYPERLINK(\"http://x\")", reflection="+learnt things well today")],
                  HEADER)
    record, _ = load_record(blank)
    assert record.activities[0].title == '=HYPERLINK("http://x")'
    assert record.activities[0].reflection == "+learnt things well today"


def test_columns_are_found_by_header_name_in_any_order(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "My CPD"
    ws.append(["Name:", "Kim"])
    ws.append(["Covering the period from:", date(2025, 1, 1), "To:", date(2025, 12, 31)])
    ws.append([])
    ws.append(["Hours", "Reflection", "Type", "Activity", "Date", "Unrelated column"])
    ws.append([2, "Learnt about relays and applied it", "Self-study", "Reading", date(2025, 5, 5), "x"])
    ws.append([None, None, None, None, None, None])
    ws.append([3.5, None, "Training courses", "Course", "2025-06-01", None])
    path = tmp_path / "mine.xlsx"
    wb.save(path)
    record, profile = load_record(path)
    assert profile.id == "iet" and record.member.name == "Kim"
    assert [(a.row, a.hours, a.category, a.start_date) for a in record.activities] == [
        (5, 2.0, "self_study", date(2025, 5, 5)), (7, 3.5, "training", date(2025, 6, 1))]


def test_profile_named_in_the_workbook_is_used_and_checked(blank):
    fill_workbook(blank, [ROW], {**HEADER, "profile": "IKT"})
    assert read_workbook(blank).profile.id == "ikt"
    fill_workbook(blank, [ROW], {**HEADER, "profile": "Nowhere Institute"})
    with pytest.raises(CpdError) as err:
        read_workbook(blank)
    assert err.value.code == "profile_unknown" and f"{err.value.sheet}!{err.value.cell}" == "Record!F5"


def test_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("name,hours\nA,2\n")
    with pytest.raises(CpdError) as err:
        read_workbook(path)
    assert err.value.code == "not_xlsx"
    with pytest.raises(CpdError) as err:
        read_workbook(tmp_path / "missing.xlsx")
    assert err.value.code == "file_not_found"


def test_no_activity_table(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["just", "some", "words"])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    with pytest.raises(CpdError) as err:
        read_workbook(path)
    assert err.value.code == "no_record_sheet"


def test_too_many_rows_is_refused_before_reading(blank):
    fill_workbook(blank, [ROW] * 6, HEADER)
    with pytest.raises(CpdError) as err:
        read_workbook(blank, limits=Limits(max_rows=12))
    # the scan stops at the first cell past the limit, and names it
    assert err.value.code == "too_many_rows" and (err.value.sheet, err.value.cell) == ("Record", "A13")
    assert "rows down to at least 13" in err.value.message


def test_understated_dimension_still_gives_every_row(blank):
    import zipfile
    fill_workbook(blank, [ROW] * 3, HEADER)
    data = {}
    with zipfile.ZipFile(blank) as z:
        for n in z.namelist():
            data[n] = z.read(n)
    sheet = data["xl/worksheets/sheet1.xml"].decode()
    import re
    data["xl/worksheets/sheet1.xml"] = re.sub(r'<dimension ref="[^"]+"/>', '<dimension ref="A1:B2"/>', sheet).encode()
    with zipfile.ZipFile(blank, "w") as z:
        for n, b in data.items():
            z.writestr(n, b)
    record, _ = load_record(blank)
    assert len(record.activities) == 3


def test_bad_header_fields_are_addressed_to_their_cells(cpd, tmp_path):
    path = tmp_path / "r.xlsx"
    assert cpd("new", path, "--year", "2025", "--profile", "us-pe").exit_code == 0
    fill_workbook(path, [dict(ROW, category="Courses and seminars", skill_type=None)],
                  {"registration": "Wizard", "carried_over": "lots", "leave_days": -3}, profile_id="us-pe")
    got = codes_at(read_workbook(path))
    assert got == {("carried_over_not_number", "Record!F6"), ("leave_days_invalid", "Record!F7")}
    fill_workbook(path, [], {"registration": "Wizard", "carried_over": 2, "leave_days": 0}, profile_id="us-pe")
    assert codes_at(read_workbook(path)) == set()          # US PE has no competence framework: title is free text
    iet = tmp_path / "i.xlsx"
    cpd("new", iet, "--year", "2025")
    fill_workbook(iet, [ROW], {"registration": "Wizard", "leave_days": 400})
    assert codes_at(read_workbook(iet)) == {("registration_unknown", "Record!B6"), ("leave_days_invalid", "Record!F7")}


def test_reading_leaves_the_garbage_collector_as_it_found_it():
    import gc

    import corpus
    assert gc.isenabled()
    read_workbook(corpus.valid_workbook())
    assert gc.isenabled()
    with pytest.raises(CpdError):
        read_workbook(corpus.malformed_sheet_xml())
    assert gc.isenabled()
    gc.disable()
    try:
        read_workbook(corpus.valid_workbook())
        assert not gc.isenabled()
    finally:
        gc.enable()
