"""One history, one answer: the hours a period passes to the next are worked out one way, whether the
next period is checked in the same log (`cpd check --period P`) or in the workbook `cpd new
--from-previous` makes from period P-1 (hours carried in are used in the period they are carried to,
and never carried twice). The issue's North Carolina case through the commands, and a property test
over random multi-year logs for every profile that carries hours over."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from addin import list_profiles, load_profile
from addin.next_period import hours_passed_on
from addin.readiness.engine import assess
from conftest import fill_workbook, make_record

CARRYING = [p.id for p in list_profiles() if p.hours is not None and p.hours.carry_over_max]
COURSE = "Courses, seminars and workshops"


def counting(profile) -> list[str]:
    """The categories whose activities count (credited ones too), as a member would pick them."""
    return [t.label for t in profile.categories if t.max_hours != 0]


def test_the_profiles_that_carry_hours_over_are_the_us_boards_that_allow_it():
    assert CARRYING == ["rics", "us-nc", "us-sc", "us-tx"]


def test_a_north_carolina_log_gives_one_answer_for_2025(cpd, tmp_path):
    """30 / 20 / 5 PDH over 2023-25: 2024 uses the 15 carried from 2023 and passes 15 of its own 20 on, so
    2025 counts 5 + 15 = 20 whichever way it is checked (it used to carry 5 one way and 15 the other)."""
    log = tmp_path / "log.xlsx"
    assert cpd("new", log, "--profile", "us-nc", "--year", "2025").exit_code == 0
    fill_workbook(log, [{"start_date": date(y, 3, 1), "title": f"Course {y}", "hours": h, "category": COURSE}
                        for y, h in ((2023, 30), (2024, 20), (2025, 5))], profile_id="us-nc")
    by_log = json.loads(cpd("check", log, "--period", "2025", "--json").output)
    assert (by_log["counted_hours"], by_log["verdict"]) == (20, "ready")

    y2023, y2024, y2025 = (tmp_path / f"{y}.xlsx" for y in (2023, 2024, 2025))
    assert cpd("new", y2023, "--profile", "us-nc", "--year", "2023").exit_code == 0
    fill_workbook(y2023, [{"start_date": date(2023, 3, 1), "title": "Course 2023", "hours": 30, "category": COURSE}],
                  profile_id="us-nc")
    assert cpd("new", y2024, "--from-previous", y2023).exit_code == 0
    fill_workbook(y2024, [{"start_date": date(2024, 3, 1), "title": "Course 2024", "hours": 20, "category": COURSE}],
                  profile_id="us-nc")
    made = cpd("new", y2025, "--from-previous", y2024)
    assert made.exit_code == 0 and "15 PDH carried over" in made.output
    fill_workbook(y2025, [{"start_date": date(2025, 3, 1), "title": "Course 2025", "hours": 5, "category": COURSE}],
                  profile_id="us-nc")
    by_workbook = json.loads(cpd("check", y2025, "--json").output)
    assert (by_workbook["counted_hours"], by_workbook["verdict"]) == (20, "ready")


@pytest.mark.parametrize("pid", CARRYING)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_one_history_gives_one_answer(pid, data):
    """200 random multi-year logs a body that carries hours over: for each period, the log checked for
    that period equals the workbook `cpd new --from-previous` makes from the period before, with the
    period's own activities."""
    profile = load_profile(pid)
    years = data.draw(st.integers(min_value=2, max_value=5), label="periods")
    header = {"period_start": "2021-01-01", "period_end": "2021-12-31"}
    if profile.id == "us-sc":
        header = {"period_start": "2020-07-01", "period_end": "2022-06-30"}
    base = make_record(profile, [], header=header)
    chain = [base.period]
    while len(chain) < years:
        chain.append(profile.default_period(start=chain[-1].end + timedelta(days=1)))
    acts = []
    for i, period in enumerate(chain):
        for j in range(data.draw(st.integers(min_value=0, max_value=4), label=f"activities in period {i}")):
            span = (period.end - period.start).days
            day = period.start + timedelta(days=data.draw(st.integers(min_value=0, max_value=span)))
            hours = data.draw(st.integers(min_value=1, max_value=60), label="half hours") / 2
            category = data.draw(st.sampled_from(counting(profile)), label="category")
            acts.append({"start_date": day, "title": f"Course {i}.{j}", "hours": hours, "category": category})
    log = make_record(profile, acts, header={"period_start": chain[-1].start, "period_end": chain[-1].end})
    carried = 0.0
    for i, period in enumerate(chain):
        own = [a for a in acts if period.start <= a["start_date"] <= period.end]
        workbook = make_record(profile, own, header={"period_start": period.start, "period_end": period.end,
                                                     "carried_over": round(carried, 2)})
        by_workbook = assess(workbook, profile)
        by_log = assess(replace(log, period=period), profile)
        assert abs(by_log.counted_hours - by_workbook.counted_hours) < 0.011, (i, by_log.notes, by_workbook.notes)
        assert (by_log.verdict, by_log.score) == (by_workbook.verdict, by_workbook.score), i
        carried = hours_passed_on(workbook, profile) or 0.0


def test_the_summarys_native_carry_over_follows_the_whole_log(tmp_path):
    """The Summary works the chain out too (a cell per earlier period): 30 random multi-year logs of the
    boards that carry hours over, recalculated in LibreOffice, carry in what the engine carries in."""
    import random

    import openpyxl

    from addin.workbook.summary import SUMMARY_CELLS
    from addin.workbook.template import build_workbook
    from test_template import _recalculate, load_record
    rng = random.Random(20261202)
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    files = []
    for i in range(30):
        pid = CARRYING[i % len(CARRYING)]
        profile = load_profile(pid)
        last = profile.default_period(year=2026 if pid != "us-sc" else 2024)
        chain = [last]
        for _ in range(rng.randint(2, 5)):
            chain.insert(0, profile.previous_period(chain[0]))
        acts = []
        for k, period in enumerate(chain):
            for j in range(rng.randint(0, 3)):
                day = period.start + timedelta(days=rng.randint(0, (period.end - period.start).days))
                acts.append({"start_date": day, "title": f"Course {k}.{j}", "hours": rng.randint(1, 60) / 2,
                             "category": rng.choice(counting(profile))})
        path = src / f"log-{i:02d}-{pid}.xlsx"
        build_workbook(profile).save(path)
        fill_workbook(path, acts, header={"period_start": last.start, "period_end": last.end, "status": "Active"},
                      profile_id=pid)
        files.append(path)
    _recalculate(files, out)
    wrong = []
    for path in files:
        record, profile = load_record(path)
        expected = assess(record, profile)
        carried = openpyxl.load_workbook(out / path.name, data_only=True)["Summary"][SUMMARY_CELLS["carried"]].value
        if abs((expected.counted_hours - expected.totals.counted) - (carried or 0)) > 1e-6:
            wrong.append((path.name, expected.counted_hours - expected.totals.counted, carried))
    assert not wrong, wrong
