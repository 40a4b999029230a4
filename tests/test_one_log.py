"""One log for several bodies and several years: `cpd check --profile a --profile b`, a template that
names more than one body, `cpd export --profile`, `cpd check --period`, carry-over worked out from the
log, and `cpd new --from-previous`. Figures are worked out by hand in each test."""
from __future__ import annotations

import csv
import json
import subprocess

import openpyxl
import pytest

from addin import assess, load_profile
from addin.profile import COMMON_KINDS, list_profiles
from addin.workbook.reader import read_workbook
from conftest import fill_workbook, libreoffice, make_record

# An IET member who is also in Engineers Ireland. Hours: IET counts every row but the EI-only one
# (14 + 6 + 8 = 28); EI every row but the IET-only one (14 + 10 + 8 = 32).
LOG = [
    {"start_date": "2025-02-03", "title": "Protection course", "category": "Training courses",
     "skill_type": "Personal technical", "competences": "A1", "hours": 14, "reflection": "Learnt relay coordination"},
    {"start_date": "2025-04-10", "title": "Mentoring two graduates", "category": "Volunteering",
     "skill_type": "Soft skills", "competences": "E4", "hours": 10, "bodies": "EI", "reflection": "Gave feedback"},
    {"start_date": "2025-06-01", "title": "IET seminar on grids", "category": "Events and seminars",
     "skill_type": "Job-specific technical", "competences": "A2", "hours": 6, "bodies": "IET",
     "reflection": "Grid-forming inverters"},
    {"start_date": "2025-09-01", "title": "Reading standards", "category": "Self-study",
     "skill_type": "Job-specific technical", "competences": "B2", "hours": 8, "reflection": "Read the amendment"},
]
PERIOD = {"name": "Alex Morgan", "period_start": "2025-01-01", "period_end": "2025-12-31"}


@pytest.fixture
def two_body_log(cpd, tmp_path):
    made = cpd("new", tmp_path / "log.xlsx", "--profile", "iet", "--profile", "ei", "--year", "2025")
    assert made.exit_code == 0, made.output
    return fill_workbook(tmp_path / "log.xlsx", LOG, header=PERIOD)


def test_every_shipped_body_reads_every_other_bodys_categories():
    """A log kept for several bodies holds one body's category labels; each body reads them as its own."""
    for profile in list_profiles():
        held = {k for t in profile.categories for k in t.kinds}
        assert held == set(COMMON_KINDS), (profile.id, set(COMMON_KINDS) - held)
        for other in list_profiles():
            for term in other.categories:
                assert profile.lookup("categories", term.label) or profile.counterpart(term.label), \
                    (profile.id, term.label)


@pytest.mark.parametrize("body, label, expected", [
    ("ei", "Training courses", "courses"), ("ei", "Academic study", "further_education"),
    ("iet", "Private study", "self_study"), ("iet", "Informal: on-the-job learning", "work"),
    ("rics", "Events and seminars", "formal_course"), ("us-nc", "Work experience", "not_pdh"),
    ("ea", "Mentoring and coaching", "service")])
def test_a_category_means_the_same_in_the_other_bodys_terms(body, label, expected):
    profile = load_profile(body)
    found = profile.lookup("categories", label) or profile.counterpart(label)
    assert found.id == expected


def test_check_against_two_bodies_gives_a_section_each_with_its_own_hours(cpd, two_body_log):
    res = cpd("check", two_body_log)
    assert res.exit_code == 1                                          # IET 28 of 30, EI 32 of 35
    assert "== IET: The Institution of Engineering and Technology ==" in res.output
    assert "== EI: Engineers Ireland ==" in res.output
    assert "Hours: 28 counted of 30" in res.output and "Hours: 32 counted of 35" in res.output
    report = json.loads(cpd("check", two_body_log, "--json").output)
    assert [(b["profile"], b["counted_hours"]) for b in report["bodies"]] == [("iet", 28), ("ei", 32)]
    by_flag = json.loads(cpd("check", two_body_log, "-p", "ei", "-p", "iet", "--json").output)
    assert [b["profile"] for b in by_flag["bodies"]] == ["ei", "iet"]
    one = json.loads(cpd("check", two_body_log, "-p", "ei", "--json").output)
    assert one["profile"] == "ei" and one["counted_hours"] == 32


def test_a_body_with_another_kind_of_period_is_checked_over_its_own(cpd, two_body_log):
    """Engineers Australia reviews three years: checked beside the IET's 2025, it sees 2023 to 2025."""
    res = cpd("check", two_body_log, "-p", "iet", "-p", "ea", "--json")
    ea = json.loads(res.output)["bodies"][1]
    assert ea["period"] == {"start": "2023-01-01", "end": "2025-12-31"}
    assert any("EA reviews 1 Jan 2023 to 31 Dec 2025" in n for n in ea["notes"])


def test_the_two_body_template_has_a_for_column_and_its_summary_shows_each_body(two_body_log, tmp_path):
    out = tmp_path / "out"
    libreoffice(["--convert-to", "xlsx", "--outdir", str(out), str(two_body_log)], tmp_path / "lo", timeout=180)
    wb = openpyxl.load_workbook(out / two_body_log.name, data_only=True)
    assert wb["Record"]["F5"].value == "IET, EI"
    headers = [c.value for c in wb["Record"][9]]
    assert "For" in headers
    summary = wb["Summary"]
    assert summary["B8"].value == 28                                   # IET's hours: the EI-only row left out
    rows = {r[0].value: [c.value for c in r[1:4]] for r in summary.iter_rows(min_row=1, max_row=60) if r[0].value}
    assert rows["EI: Engineers Ireland"] == [35, 32, 3]


def test_export_for_one_body_writes_its_columns_labels_and_activities(cpd, two_body_log, tmp_path):
    res = cpd("export", two_body_log, tmp_path / "ei.csv", "--profile", "ei")
    assert res.exit_code == 0 and "Wrote 3 activities for EI" in res.output
    rows = list(csv.DictReader(open(tmp_path / "ei.csv", encoding="utf-8")))
    assert [r["Description of development/learning activity"] for r in rows] == [
        "Protection course", "Mentoring two graduates", "Reading standards"]
    assert [r["Category"] for r in rows] == ["Courses, seminars and conferences", "Professional body activities",
                                            "Self-directed learning"]
    assert "Skill type" not in rows[0] and "Competences" not in rows[0]     # EI asks for neither


def test_a_for_cell_naming_an_unknown_body_says_which_are_known(tmp_path, cpd, two_body_log):
    wb = openpyxl.load_workbook(two_body_log)
    ws = wb["Record"]
    col = [c.value for c in ws[9]].index("For") + 1
    ws.cell(row=10, column=col, value="IETT")
    wb.save(two_body_log)
    res = cpd("check", two_body_log)
    assert res.exit_code == 2
    assert "found 'IETT' (did you mean \"IET\"?)" in res.output


# ---------------------------------------------------------------- several years in one log

def nc_log():
    """A North Carolina PE's log over two years: 25 PDH in 2024 (10 over the 15), 5 PDH in 2025."""
    profile = load_profile("us-nc")
    acts = [{"start_date": "2024-03-01", "title": "Seismic course", "hours": 25,
             "category": "Courses, seminars and workshops"},
            {"start_date": "2025-05-01", "title": "Code update", "hours": 5,
             "category": "Courses, seminars and workshops"}]
    return profile, make_record(profile, acts, header={"period_start": "2025-01-01", "period_end": "2025-12-31"})


def test_carry_over_is_worked_out_from_the_logs_previous_year():
    profile, record = nc_log()
    result = assess(record, profile)
    assert result.counted_hours == 15 and result.verdict == "ready"        # 5 + the 10 carried from 2024
    assert any("10 PDH carried over, worked out from the log's activities in 1 Jan 2024 to 31 Dec 2024" in n
               for n in result.notes)


def test_the_carry_over_typed_by_hand_gives_way_to_the_log():
    profile = load_profile("us-nc")
    acts = [{"start_date": "2024-03-01", "title": "Seismic course", "hours": 17, "category": "Courses"},
            {"start_date": "2025-05-01", "title": "Code update", "hours": 5, "category": "Courses"}]
    record = make_record(profile, acts, header={"carried_over": 12})
    result = assess(record, profile)
    assert result.counted_hours == 7                                      # 5 + 2 (17 - 15), not 5 + 12
    assert any("the 12 typed in the header is not used" in n for n in result.notes)


def test_check_period_picks_another_year_of_the_log(cpd, tmp_path):
    path = tmp_path / "years.xlsx"
    assert cpd("new", path, "--year", "2025").exit_code == 0
    fill_workbook(path, [{"start_date": "2024-09-01", "title": "Old course", "hours": 31, "category": "Training courses"},
                         {"start_date": "2025-03-01", "title": "New course", "hours": 4, "category": "Training courses"}],
                  header=PERIOD)
    this_year = json.loads(cpd("check", path, "--json").output)
    last_year = json.loads(cpd("check", path, "--period", "2024", "--json").output)
    assert (this_year["counted_hours"], last_year["counted_hours"]) == (4, 31)
    assert last_year["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    custom = json.loads(cpd("check", path, "--period", "2024-07-01..2025-06-30", "--json").output)
    assert custom["counted_hours"] == 35
    bad = cpd("check", path, "--period", "last year")
    assert bad.exit_code == 2 and "give a year (2025) or two dates" in bad.output


def test_new_from_previous_carries_the_member_open_objectives_and_the_hours(cpd, tmp_path):
    last = tmp_path / "2024.xlsx"
    assert cpd("new", last, "--profile", "us-nc", "--year", "2024").exit_code == 0
    fill_workbook(last, [{"start_date": "2024-03-01", "title": "Seismic course", "hours": 22,
                          "category": "Courses, seminars and workshops"}],
                  header={"name": "Sam Lee", "membership_number": "PE-0412", "period_start": "2024-01-01",
                          "period_end": "2024-12-31"},
                  objectives=[{"ref": "O1", "objective": "Learn seismic design", "status": "Achieved"},
                              {"ref": "O2", "objective": "Lead a design review", "status": "In progress"},
                              {"ref": "O3", "objective": "Pass the SE exam", "status": "Planned"}])
    res = cpd("new", tmp_path / "2025.xlsx", "--from-previous", last)
    assert res.exit_code == 0, res.output
    assert "2 open objectives carried into the plan; 7 PDH carried over" in res.output
    read = read_workbook(tmp_path / "2025.xlsx")
    record = read.require()
    assert read.profile.id == "us-nc" and record.member.name == "Sam Lee"
    assert (record.period.start.isoformat(), record.period.end.isoformat()) == ("2025-01-01", "2025-12-31")
    assert [o.ref for o in record.objectives] == ["O2", "O3"] and record.member.carried_over == 7


def test_report_on_a_log_for_two_bodies_has_a_section_for_each(cpd, two_body_log, tmp_path):
    """`cpd report` covers every body the log is kept for: a section each, on pages of its own, each with its
    own hours and verdict (pdftotext reads them)."""
    import shutil
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    res = cpd("report", two_body_log, "--pdf", tmp_path / "r.pdf", "--html", tmp_path / "r.html")
    assert res.exit_code == 0, res.output
    assert "NOT READY (" in res.stdout and " for IET, " in res.stdout and " for EI, " in res.stdout
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")
    iet = next(i for i, p in enumerate(pages) if "For The Institution of Engineering and Technology" in p)
    ei = next(i for i, p in enumerate(pages) if "For Engineers Ireland" in p)
    assert iet < ei and "28 hours counted of 30" in " ".join(pages[iet:ei])
    assert "32 hours counted of 35" in " ".join(pages[ei:])
    assert "Mentoring two graduates" not in " ".join(pages[iet:ei])       # EI only: not in the IET section
    html = (tmp_path / "r.html").read_text()
    assert html.count('class="body-section"') == 2
