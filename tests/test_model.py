"""The model's value types (msgspec Structs): equal by value, fixed once made, changed only by making a new one;
activities out of the collector's way."""
from __future__ import annotations

import gc
from datetime import date

import pytest
from msgspec.structs import replace

from addin.model import Activity, Member, Period, Record
from addin.readiness import assess
from conftest import make_record

YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))


def activity(row: int, **kw) -> Activity:
    return Activity(row, date(2025, 3, 1), date(2025, 3, 1), title="Course", hours=2.0, **kw)


def test_records_are_equal_by_what_they_hold_and_not_by_what_a_reader_noted():
    one = Record(Member(name="A"), YEAR, (activity(10),), meta={"file": "a.xlsx"})
    other_file = Record(Member(name="A"), YEAR, (activity(10),), meta={"file": "b.xlsx", "notes": ["x"]})
    assert one == other_file and not one != other_file
    assert one != Record(Member(name="A"), YEAR, (activity(11),), meta={"file": "a.xlsx"})
    assert one != Record(Member(name="B"), YEAR, (activity(10),))
    assert one != Record(Member(name="A"), YEAR, (activity(10),), drafts=(activity(12),))
    assert one.__eq__("a record") is NotImplemented
    with pytest.raises(TypeError):
        hash(one)                                # it holds a dict (meta)


def test_values_are_fixed_once_made_and_replace_makes_a_new_one():
    a = activity(10, competences=("A1",))
    with pytest.raises(AttributeError):
        a.hours = 3.0
    with pytest.raises(AttributeError):
        YEAR.start = date(2024, 1, 1)
    b = replace(a, hours=3.0)
    assert (a.hours, b.hours, b.row, b.competences) == (2.0, 3.0, 10, ("A1",))
    assert a == activity(10, competences=("A1",)) and hash(a) == hash(activity(10, competences=("A1",)))
    assert repr(YEAR) == "Period(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31))"


def test_activities_are_left_out_of_the_collectors_passes(iet):
    record = make_record(iet, [{"start_date": date(2025, 2, 1), "title": f"Course {i}", "hours": 1,
                                "category": "Training courses"} for i in range(50)])
    assert len(record.activities) == 50
    assert not any(gc.is_tracked(a) for a in record.activities)
    assert gc.is_tracked(record)                 # what holds them is still tracked
    assert assess(record, iet).totals.hours == 50
