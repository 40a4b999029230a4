"""Rules as the institutions publish them, each at its boundary."""
from __future__ import annotations

import pytest

from addin import assess, load_profile
from conftest import make_record


def istructe_year(safety_hours: float, other_hours: float):
    profile = load_profile("istructe")
    acts = [{"start_date": "2025-03-01", "title": "Safety course", "hours": safety_hours,
             "category": "Courses and seminars", "topics": "Health and safety", "reflection": "a b c d e f"},
            {"start_date": "2025-04-01", "title": "Design work", "hours": other_hours,
             "category": "Courses and seminars", "reflection": "a b c d e f"}]
    record = make_record(profile, acts, header={"period_start": "2025-01-01", "period_end": "2025-12-31"})
    return {c.id: c for c in assess(record, profile).criteria}


@pytest.mark.parametrize("safety, other, status", [(6, 54, "pass"), (5.9, 54.1, "fail"), (6, 24, "pass")])
def test_istructe_asks_for_six_hours_of_safety_a_year_not_a_fifth_of_all_hours(safety, other, status):
    """60 hours with 6 of them on safety passes (a share of all hours would have asked for 12)."""
    found = istructe_year(safety, other)["safety"]
    assert found.status == status, found.reason
    assert found.reason.startswith(f"{safety:g} of 6 hours")


def test_istructe_names_its_source_beside_the_rule():
    (safety,) = [c for c in load_profile("istructe").criteria if c.id == "safety"]
    assert "istructe.org" in safety.source


def test_iet_says_its_30_hours_are_a_recommendation():
    profile = load_profile("iet")
    record = make_record(profile, [{"start_date": "2025-03-01", "title": "Course", "hours": 12,
                                    "category": "Training courses", "reflection": "a b c d e f"}])
    hours = {c.id: c for c in assess(record, profile).criteria}["hours"]
    assert hours.status == "fail" and hours.reason == "12 of 30 hours"
    assert "30 hours is IET's recommendation, and its review gives feedback on a shortfall" in hours.hint


def test_a_workbook_made_for_icttech_is_one_cpd_check_reads(cpd, tmp_path):
    made = cpd("new", tmp_path / "ict.xlsx", "--registration", "ICTTech", "--year", "2025")
    assert made.exit_code == 0, made.output
    checked = cpd("check", tmp_path / "ict.xlsx")
    assert checked.exit_code == 1 and "registration_unknown" not in checked.output     # not ready, but read
    profile = load_profile("iet")
    record = make_record(profile, [{"start_date": "2025-03-01", "title": "Course", "hours": 2,
                                    "competences": "B3, C4"}], header={"registration": "ICTTech"})
    assert record.member.registration == "ICTTech" and record.activities[0].competences == ("B3", "C4")


def rics_record(year: int, topics: list[str], status: str = "Active"):
    profile = load_profile("rics")
    acts = [{"start_date": f"{year}-03-01", "title": "Course", "hours": 20, "category": "Formal: course or conference",
             "topics": ", ".join(topics), "reflection": "a b c d e f"}]
    record = make_record(profile, acts, header={"period_start": f"{year}-01-01", "period_end": f"{year}-12-31",
                                                "status": status})
    return assess(record, profile)


def test_rics_2026_asks_for_sustainability_ai_and_data_within_three_years():
    only_ethics = rics_record(2026, ["Ethics and professional standards"])
    failing = {c.id for c in only_ethics.criteria if c.status == "fail"}
    assert only_ethics.verdict == "not_ready" and failing == {"sustainability", "ai", "data_technology"}
    every_one = rics_record(2026, ["Ethics and professional standards", "Sustainability", "Artificial intelligence",
                                   "Data and technology"])
    assert every_one.verdict == "ready", [(c.id, c.reason) for c in every_one.criteria if c.status != "pass"]
    before = rics_record(2025, ["Ethics and professional standards"])            # not asked for before 2026
    assert before.verdict == "ready" and {c.id: c.reason for c in before.criteria}["ai"].endswith("from 2026")


def test_rics_does_not_exempt_a_member_by_status():
    result = rics_record(2025, ["Ethics and professional standards"], status="Not professionally active")
    assert result.verdict != "exempt"
