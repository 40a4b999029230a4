"""North Carolina credits some activities by the activity, not by the hour (21 NCAC 56 .1704-.1705): a
society's committee 2 PDH a year, a paper, article, book or patent 10 PDH each, an exam question used 2
PDH, a government board 2 PDH, teaching doubled the first time only. Each at its boundary, and the same on
every path that scores: the engine, `cpd check`, the add-in functions, the service, and the Summary's
native formulas recalculated in LibreOffice."""
from __future__ import annotations

import json

import openpyxl
import pytest

from addin import assess, load_profile
from addin import xlwings_udfs as udf
from addin.workbook.reader import read_workbook
from conftest import fill_workbook, make_record

NC = "us-nc"
COURSE = "Courses, seminars and workshops"
TEACHING = "Teaching or presenting, first time (PDH doubled)"
PAPER = "Published paper, article or book (10 PDH each)"
SOCIETY = "Society officer or committee (2 PDH a society a year)"
BOARD = "Government board or commission (2 PDH an entity a year)"
PATENT = "Patent (10 PDH each)"
QUESTION = "Exam question used (2 PDH each)"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = {"period_start": "2025-01-01", "period_end": "2025-12-31", "status": "Active"}


def act(day, title, hours, category, provider=None, end=None):
    a = {"start_date": day, "title": title, "hours": hours, "category": category}
    if provider:
        a["provider"] = provider
    if end:
        a["end_date"] = end
    return a


def nc(acts):
    profile = load_profile(NC)
    return assess(make_record(profile, acts, header=HEADER), profile)


def test_committee_work_counts_2_pdh_a_society_not_its_hours():
    """13 hours on a society's committee and a 2-hour course were READY; NC credits the committee 2 PDH."""
    result = nc([act("2025-02-01", "ASCE codes committee", 13, SOCIETY, "ASCE"),
                 act("2025-05-01", "Bridge seminar", 2, COURSE)])
    assert result.verdict == "not_ready" and result.counted_hours == 4
    hours = next(c for c in result.criteria if c.id == "hours")
    assert hours.reason == "4 of 15 PDH" and hours.hint.startswith("add 11 PDH")


@pytest.mark.parametrize("hours, counted", [(1.5, 1.5), (2, 2), (6, 2)])
def test_a_societys_credit_is_its_hours_up_to_2_pdh(hours, counted):
    assert nc([act("2025-02-01", "IEEE PES committee", hours, SOCIETY, "IEEE")]).totals.counted == counted


def test_two_societies_earn_2_pdh_each_but_one_society_twice_in_a_year_is_a_second_claim():
    two = nc([act("2025-02-01", "ASCE committee", 10, SOCIETY, "ASCE"),
              act("2025-03-01", "IEEE committee", 10, SOCIETY, "IEEE")])
    assert two.totals.counted == 4 and next(c for c in two.criteria if c.id == "society_once").status == "pass"
    twice = nc([act("2025-02-01", "ASCE committee", 10, SOCIETY, "ASCE"),
                act("2025-09-01", "ASCE committee again", 10, SOCIETY, "ASCE"),
                act("2025-04-01", "Seminars", 15, COURSE)])
    claim = next(c for c in twice.criteria if c.id == "society_once")
    assert claim.status == "fail" and claim.rows == (17,) and twice.verdict == "not_ready"
    assert "row 17 claims ASCE in 2025 again (row 16)" in claim.hint
    assert "keep one row for each provider and year" in claim.hint


def test_papers_patents_and_exam_questions_count_a_fixed_credit_in_the_year_they_end():
    result = nc([act("2025-02-01", "Paper on pile testing", 1, PAPER),
                 act("2025-03-01", "Patent granted", None, PATENT),
                 act("2025-04-01", "PE exam question", 0.5, QUESTION),
                 act("2025-12-20", "Book chapter", 40, PAPER, end="2026-01-05")])    # ends next year: not this one
    by = result.totals.by_category
    assert (by["writing"], by["patents"], by["exam_questions"]) == (10, 10, 2)
    assert result.counted_hours == 22 and result.verdict == "ready"
    profile = load_profile(NC)
    next_year = make_record(profile, [act("2025-12-20", "Book chapter", 40, PAPER, end="2026-01-05")],
                            header={**HEADER, "period_start": "2026-01-01", "period_end": "2026-12-31"})
    assert assess(next_year, profile).totals.by_category["writing"] == 10


def test_government_boards_count_2_pdh_an_entity():
    assert nc([act("2025-02-01", "County planning board", 12, BOARD, "Wake County")]).totals.counted == 2


def test_teaching_counts_double_the_first_time_only():
    first = nc([act("2025-02-01", "Seismic design short course", 4, TEACHING)])
    assert first.totals.counted == 8
    assert next(c for c in first.criteria if c.id == "teaching_once").status == "pass"
    again = nc([act("2024-10-01", "Seismic design short course", 4, TEACHING),
                act("2025-02-01", "Seismic Design Short Course", 4, TEACHING),
                act("2025-03-01", "Seminars", 15, COURSE)])
    claim = next(c for c in again.criteria if c.id == "teaching_once")
    assert claim.status == "fail" and claim.rows == (17,) and again.verdict == "not_ready"
    assert "row 17 repeats row 16 (1 Oct 2024)" in claim.hint and "first time only" in claim.hint
    assert "move the repeat to 'Other learning (not a PDH activity)'" in claim.hint


def test_every_rule_names_the_board_rule_it_comes_from():
    profile = load_profile(NC)
    for cid in ("teaching_once", "society_once", "board_once"):
        spec = next(c for c in profile.criteria if c.id == cid)
        assert "21 NCAC 56 .170" in spec.source and "read 2026-12-02" in spec.source


def test_every_path_credits_the_same(cpd, tmp_path, service):
    """One NC workbook: `cpd check`, CPD.HOURS, the service and the Summary recalculated in LibreOffice all
    count 2 + 1.5 + 10 + 8 + 2 + 3 = 26.5 PDH where the hours typed add up to 81."""
    from test_template import _native, _recalculate
    path = tmp_path / "nc.xlsx"
    assert cpd("new", path, "-p", NC, "--year", "2025").exit_code == 0
    acts = [act("2025-02-01", "ASCE committee", 13, SOCIETY, "ASCE"),
            act("2025-02-15", "IEEE committee", 1.5, SOCIETY, "IEEE"),
            act("2025-03-01", "Paper on pile testing", 30, PAPER),
            act("2025-04-01", "Taught: seismic design", 4, TEACHING),
            act("2025-05-01", "Wake County board", 20, BOARD, "Wake County"),
            act("2025-06-01", "Webinar", 3, COURSE),
            act("2025-12-20", "Book chapter", 9.5, PAPER, end="2026-01-05")]
    fill_workbook(path, acts, header=HEADER, profile_id=NC)
    read = read_workbook(path)
    engine = assess(read.require(), read.profile)
    assert engine.totals.counted == 2 + 1.5 + 10 + 8 + 2 + 3 and engine.totals.hours == engine.totals.counted

    checked = json.loads(cpd("check", path, "--json").output)
    assert checked["counted_hours"] == 26.5 and checked["verdict"] == "ready"

    ws = openpyxl.load_workbook(path)["Record"]
    ranges = [[c.value for c in row] for row in ws["A9:S30"]]
    assert udf.CPD_HOURS(ranges, "2025-01-01", "2025-12-31", None, None, NC) == 26.5
    assert udf.CPD_HOURS(ranges, "2025-01-01", "2025-12-31", PAPER, None, NC) == 10

    res = service.test_client().post("/api/v1/submissions", data=path.read_bytes(),
                                     headers={"Authorization": f"Bearer {service.config['TOKENS']['a']}",
                                              "Content-Type": XLSX})
    assert res.status_code == 201 and res.get_json()["verdict"] == "ready", res.get_json()

    out = tmp_path / "out"
    _recalculate([path], out)
    native = _native(out / path.name, read.profile)
    assert native["hours"] == pytest.approx(26.5) and native["counted"] == pytest.approx(26.5)
    assert native["remaining"] == 0
    for term in read.profile.categories:
        assert native["by_category"][term.id] == pytest.approx(engine.totals.by_category.get(term.id, 0.0)), term.id


# ---------------------------------------------------------------- New York

def test_new_york_credits_an_hour_for_50_minutes_of_a_course(cpd, tmp_path):
    """8 NYCRR 68.14(h): 'a minimum of 50 minutes shall equal one continuing education hour'. A duration in
    minutes is read in New York's hours wherever durations are read: a table of one's own, `cpd import`,
    and the value the template's refusal asks for."""
    import csv

    from addin.values import to_hours
    assert to_hours("50 min", load_profile("us-ny").minutes_per_hour) == 1 and to_hours("50 min") == 50 / 60
    src = tmp_path / "log.csv"
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Date", "Activity", "Hours", "Category"])
        w.writerow(["2025-03-01", "Webinar", "50 min", "Courses, seminars and workshops"])
        w.writerow(["2025-04-01", "Seminar", "100 min", "Courses, seminars and workshops"])
    out = tmp_path / "ny.xlsx"
    assert cpd("import", src, out, "-p", "us-ny").exit_code == 0
    assert [a.hours for a in read_workbook(out).require().activities] == [1, 2]
    path = tmp_path / "typed.xlsx"
    assert cpd("new", path, "-p", "us-ny", "--from", "2024-01-01", "--to", "2026-12-31").exit_code == 0
    fill_workbook(path, [act("2025-03-01", "Webinar", "50 min", COURSE)], profile_id="us-ny",
                  header={"period_start": "2024-01-01", "period_end": "2026-12-31"})
    checked = cpd("check", path)
    assert checked.exit_code == 2 and "enter the number of hours (1)" in checked.output, checked.output


def test_new_york_credits_government_committee_service_an_hour_for_two_at_most_9():
    profile = load_profile("us-ny")
    committee = "Government committee or task force (an hour for every two, at most 9)"

    def counted(hours):
        record = make_record(profile, [act("2025-03-01", "State code task force", hours, committee)],
                             header={"period_start": "2024-01-01", "period_end": "2026-12-31"})
        return assess(record, profile).totals.counted
    assert counted(10) == 5 and counted(18) == 9 and counted(30) == 9
