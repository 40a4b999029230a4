"""One reading of values for `cpd check`, the add-in and `cpd import`: each case here was seen to differ
(hours as durations, a member's own reflection header, competences with spaces, a table with no
period, an .ods file, impossible dates, misspelt categories)."""
from __future__ import annotations

import json

import openpyxl
import pytest

from addin import read_workbook, template_path
from conftest import fill_workbook


def template_copy(path):
    path.write_bytes(template_path("iet").read_bytes())
    return path


def own_layout(path):
    """A member's own layout: their headers, durations as text, competences with spaces, no period."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "My CPD"
    ws.append(["Date", "Activity", "Hours", "Type", "What I learnt / how applied", "Competences", "Notes"])
    ws.append(["03/02/2025", "Course on EMC", "3 hrs", "Training course",
               "Learnt about shielding and applied it to the new enclosure design", "C1 C2", "booked via work"])
    ws.append(["10/03/2025", "Reading standards", "1h30", "Self study",
               "Read the new wiring regulations chapter and updated our checklist", "B2", ""])
    ws.append(["11/04/2025", "Webinar on cables", "90 min", "Events and seminars",
               "Cable derating factors, which I now use in sizing", "C1", ""])
    wb.save(path)
    return path


@pytest.mark.parametrize("typed, hours", [("1h30", 1.5), ("3 hrs", 3.0), ("90 min", 1.5), ("1:30", 1.5),
                                          ("2h", 2.0), ("2,5", 2.5)])
def test_check_reads_hours_written_as_durations(tmp_path, typed, hours):
    """In a table of the member's own, a duration is read; in the template, whose Summary adds the column
    itself and cannot add text, it is refused with the number to type."""
    wb = openpyxl.Workbook()
    wb.active.append(["Date", "Activity", "Hours"])
    wb.active.append(["2025-03-01", "Course", typed])
    wb.save(tmp_path / "mine.xlsx")
    assert read_workbook(tmp_path / "mine.xlsx").require().activities[0].hours == hours
    path = fill_workbook(template_copy(tmp_path / "r.xlsx"), [{"start_date": "2025-03-01", "title": "Course",
                                                               "hours": typed}],
                         header={"period_start": "2025-01-01", "period_end": "2025-12-31"})
    (problem,) = read_workbook(path).problems
    assert problem.code == "hours_is_text" and problem.cell == "J10" and f"({hours:g})" in problem.message


def test_a_members_own_layout_checks_as_it_imports(cpd, tmp_path):
    mine = own_layout(tmp_path / "mine.xlsx")
    res = cpd("check", mine, "--json")
    assert res.exit_code in (0, 1), res.output
    report = json.loads(res.stdout)
    assert report["totals"]["hours"] == 6.0                                  # 3 + 1.5 + 1.5, hand-computed
    assert report["period"] == {"start": "2025-01-01", "end": "2025-12-31"}
    assert any("does not say its period" in n for n in report["notes"])
    criteria = {c["id"]: c["status"] for c in report["criteria"]}
    assert criteria["reflection"] == "pass"                                   # the reflection column was found
    read = read_workbook(mine)
    assert read.record.activities[0].competences == ("C1", "C2")
    assert read.record.activities[0].reflection.startswith("Learnt about shielding")

    imported = tmp_path / "imported.xlsx"
    res = cpd("import", mine, imported)
    assert res.exit_code == 0 and "What I learnt / how applied  ->  What did you learn" in res.output
    again = cpd("check", imported, "--json")
    assert again.exit_code in (0, 1), again.output                           # never a workbook check cannot read
    assert json.loads(again.stdout)["totals"]["hours"] == 6.0
    assert read_workbook(imported).record.activities[0].competences == ("C1", "C2")


def test_a_plain_table_with_no_period_is_checked_against_the_profiles_period_with_a_note(cpd, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["Date", "Activity", "Hours"])
    wb.active.append(["2026-05-02", "Site visit briefing", 2])
    wb.save(tmp_path / "plain.xlsx")
    res = cpd("check", tmp_path / "plain.xlsx")
    assert res.exit_code == 1 and "F3" not in res.output
    assert "Note: Sheet does not say its period: checked against 1 Jan 2026 to 31 Dec 2026" in res.output


def test_a_template_with_its_period_left_blank_still_asks_for_it(tmp_path):
    path = fill_workbook(template_copy(tmp_path / "r.xlsx"), [{"start_date": "2025-03-01", "title": "Course",
                                                               "hours": 2}])
    read = read_workbook(path)
    assert [p.code for p in read.problems][:1] == ["period_missing"] and not read.notes


def test_an_ods_file_is_named_as_one(tmp_path):
    import zipfile
    path = tmp_path / "record.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    from addin import CpdError
    with pytest.raises(CpdError) as err:
        read_workbook(path)
    assert err.value.code == "opendocument_not_supported" and "Save As" in err.value.message


@pytest.mark.parametrize("typed, why", [("31/02/2026", "February 2026 has 28 days"),
                                        ("2024-02-30", "February 2024 has 29 days"),
                                        ("12/13/2025", "there is no month 13; is it month first?")])
def test_a_date_that_does_not_exist_says_why(tmp_path, typed, why):
    path = fill_workbook(template_copy(tmp_path / "r.xlsx"), [{"start_date": typed, "title": "Course", "hours": 2}],
                         header={"period_start": "2025-01-01", "period_end": "2025-12-31"})
    (problem,) = [p for p in read_workbook(path).problems if p.code == "date_invalid"]
    assert why in problem.message and typed in problem.message


def test_a_misspelt_category_gets_a_did_you_mean(tmp_path):
    path = fill_workbook(template_copy(tmp_path / "r.xlsx"), [{"start_date": "2025-03-01", "title": "Course",
                                                               "hours": 2, "category": "Trainng courses"}],
                         header={"period_start": "2025-01-01", "period_end": "2025-12-31"})
    (problem,) = [p for p in read_workbook(path).problems if p.code == "category_unknown"]
    assert problem.message.endswith('(did you mean "Training courses"?)')


def test_a_csv_from_another_tool_imports_and_checks_with_the_hand_computed_hours(cpd, tmp_path):
    """An export from another CPD app: its own headers, durations in words, learning outcomes, a day's
    course; imported, then checked with the hours added up by hand."""
    source = tmp_path / "cpd-export.csv"
    source.write_text(
        "Date,Title,Duration,Type,Learning outcomes,Competencies,Evidence\n"
        "2025-02-04,Earthing and bonding webinar,1h30,Events and seminars,"
        "Learnt the new bonding rules and applied them to the site checklist,C1 E2,webinar.pdf\n"
        "2025-05-19,Site safety refresher,1 day,Training courses,"
        "Refreshed permit-to-work steps and briefed my team on them,E2,certificate.pdf\n"
        "2025-09-30,Reading: IET Wiring Matters,45 min,Self-study,"
        "Read the autumn issue and updated two of our design notes,A1,\n", encoding="utf-8")
    out = tmp_path / "imported.xlsx"
    res = cpd("import", source, out, "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["activities"] == 3 and report["problems"] == []
    assert {m["source"]: m["column"] for m in report["mapped"]}["Learning outcomes"] == \
        "What did you learn & how did/will you apply it?"
    checked = cpd("check", out, "--json")
    assert checked.exit_code in (0, 1), checked.output
    result = json.loads(checked.stdout)
    assert result["totals"]["hours"] == 1.5 + 7 + 0.75                    # a day is 7 hours
    assert {c["id"]: c["status"] for c in result["criteria"]}["reflection"] == "pass"
    assert read_workbook(out).record.activities[0].competences == ("C1", "E2")
