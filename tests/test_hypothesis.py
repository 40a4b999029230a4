"""Properties of the readiness engine over generated records."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from addin.intake import build_record
from addin.model import Status
from addin.profile import list_profiles
from addin.readiness import assess

PROFILES = list_profiles()
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))
SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def activity(draw, profile, in_period: bool = False):
    lo, hi = (PERIOD if in_period else (date(2024, 10, 1), date(2026, 3, 31)))
    start = draw(st.dates(min_value=lo, max_value=hi))
    row = {"start_date": start, "title": draw(st.sampled_from(["Course", "Reading", "Talk"])),
           "hours": draw(st.one_of(st.none(), st.floats(min_value=0, max_value=60, allow_nan=False).map(
               lambda x: round(x, 2))))}
    if draw(st.booleans()):
        end = start + timedelta(days=draw(st.integers(0, 90)))
        row["end_date"] = min(end, PERIOD[1]) if in_period else end
    row["category"] = draw(st.one_of(st.none(), st.sampled_from([t.label for t in profile.categories])))
    if profile.skill_types:
        row["skill_type"] = draw(st.one_of(st.none(), st.sampled_from([t.label for t in profile.skill_types])))
    if profile.topics:
        row["topics"] = draw(st.one_of(st.none(), st.sampled_from([t.label for t in profile.topics])))
    if profile.competence_framework != "none":
        row["competences"] = draw(st.sampled_from([None, "E4", "A1, B2", "D1"]))
    row["reflection"] = draw(st.sampled_from([None, "short", "Learnt how to do this and applied it at work"]))
    row["further_action"] = draw(st.sampled_from([None, "Read more"]))
    row["objective"] = draw(st.sampled_from([None, "O1"]))
    return row


@st.composite
def record_case(draw):
    profile = draw(st.sampled_from(PROFILES))
    rows = draw(st.lists(activity(profile), max_size=25))
    status = draw(st.sampled_from(["Active", "Partially active", "Not professionally active"]))
    objectives = draw(st.sampled_from([[], [{"ref": "O1", "objective": "Grow"}]]))
    return profile, rows, status, objectives


def build(profile, rows, status, objectives, numbering=None):
    numbering = numbering or list(range(len(rows)))
    header = {"status": status, "period_start": PERIOD[0], "period_end": PERIOD[1], "leave_days": 10,
              "carried_over": 5}
    objs = [(5, o) for o in objectives]
    acts = [(100 + numbering[i], r) for i, r in enumerate(rows)]
    record, problems = build_record(header, objs, acts, profile)
    bad = [p for p in problems if p.code != "objective_unknown"]
    assert not bad, bad
    return record


@SETTINGS
@given(record_case(), st.randoms(use_true_random=False))
def test_reordering_activities_changes_nothing(case, rnd):
    profile, rows, status, objectives = case
    if not objectives:
        rows = [{**r, "objective": None} for r in rows]
    numbering = list(range(len(rows)))
    before = assess(build(profile, rows, status, objectives), profile, as_of=date(2025, 6, 1)).to_dict()
    paired = list(zip(numbering, rows))
    rnd.shuffle(paired)
    shuffled = build(profile, [r for _, r in paired], status, objectives, [n for n, _ in paired])
    after = assess(shuffled, profile, as_of=date(2025, 6, 1)).to_dict()
    assert after == before


@SETTINGS
@given(record_case(), st.data())
def test_adding_an_in_period_activity_never_lowers_the_hours(case, data):
    profile, rows, status, objectives = case
    if not objectives:
        rows = [{**r, "objective": None} for r in rows]
    extra = data.draw(activity(profile, in_period=True))
    if not objectives:
        extra["objective"] = None
    before = assess(build(profile, rows, status, objectives), profile)
    after = assess(build(profile, rows + [extra], status, objectives), profile)
    assert after.totals.hours >= before.totals.hours - 1e-9
    assert after.counted_hours >= before.counted_hours - 1e-9
    for cid, h in before.totals.by_category.items():
        assert after.totals.by_category.get(cid, 0.0) >= h - 1e-9


@SETTINGS
@given(record_case())
def test_every_criterion_that_is_not_met_has_a_hint(case):
    profile, rows, status, objectives = case
    if not objectives:
        rows = [{**r, "objective": None} for r in rows]
    result = assess(build(profile, rows, status, objectives), profile)
    for c in result.criteria:
        assert c.status in ("pass", "warn", "fail")
        if c.status != "pass":
            assert c.hint and len(c.hint) > 10, (c.id, c.status, c.reason)
    exempt = status == "Not professionally active" and Status.NOT_PROFESSIONALLY_ACTIVE in profile.exempt_statuses
    assert (result.verdict == "not_ready") == (not exempt and any(c.status == "fail" for c in result.criteria))


@SETTINGS
@given(record_case())
def test_hours_in_period_never_exceed_the_hours_recorded(case):
    profile, rows, status, objectives = case
    rows = [{**r, "objective": None} for r in rows]
    result = assess(build(profile, rows, status, []), profile)
    credited = {t.label: t for t in profile.categories if t.credited}

    def most(r):           # what a row can count: its hours, or its category's credit (North Carolina)
        term = credited.get(r.get("category") or "")
        if term is None:
            return r["hours"] or 0
        if term.credit_each is not None:
            return term.credit_each
        return (r["hours"] or 0) * (term.credit_factor or 1)
    recorded = sum(most(r) for r in rows)
    assert 0 <= result.totals.hours <= recorded + 1e-9
