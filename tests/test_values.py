"""Cell values as spreadsheets deliver them."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from addin.values import BadValue, split_list, text, to_date, to_hours


@pytest.mark.parametrize("raw,expected", [
    (datetime(2025, 3, 12, 0, 0), date(2025, 3, 12)), (date(2025, 3, 12), date(2025, 3, 12)),
    (45728, date(2025, 3, 12)), (45728.0, date(2025, 3, 12)), ("2025-03-12", date(2025, 3, 12)),
    ("12/03/2025", date(2025, 3, 12)), ("12.03.2025", date(2025, 3, 12)), (" 12 Mar 2025 ", date(2025, 3, 12)),
    ("12 March 2025", date(2025, 3, 12)), ("12/03/25", date(2025, 3, 12)), (None, None), ("  ", None),
])
def test_dates(raw, expected):
    assert to_date(raw) == expected


def test_month_first_dates():
    assert to_date("03/12/2025", month_first=True) == date(2025, 3, 12)


@pytest.mark.parametrize("raw", ["yesterday", "31/02/2025", "2025-13-01", True, -5, 1e9])
def test_bad_dates_say_why(raw):
    with pytest.raises(BadValue) as err:
        to_date(raw)
    assert err.value.code == "date_invalid"


@pytest.mark.parametrize("raw,expected", [(2, 2.0), (2.5, 2.5), ("2.5", 2.5), (" 3 ", 3.0), ("2,5", 2.5),
                                          (None, None), ("", None), (0, 0.0)])
def test_hours(raw, expected):
    assert to_hours(raw) == expected


@pytest.mark.parametrize("raw,code", [("two", "hours_not_number"), (-1, "hours_negative"),
                                      (10_000, "hours_too_large"), (float("nan"), "hours_not_number"),
                                      (True, "hours_not_number"), ("inf", "hours_not_number")])
def test_bad_hours(raw, code):
    with pytest.raises(BadValue) as err:
        to_hours(raw)
    assert err.value.code == code


def test_hours_message_quotes_the_value():
    with pytest.raises(BadValue) as err:
        to_hours("two")
    assert err.value.message == "hours must be a number, found 'two'"


def test_text_and_lists():
    assert text(12345.0) == "12345" and text("  Alex   Morgan ") == "Alex Morgan" and text("") is None
    assert split_list("B2, c1; E4 /A1") == ("B2", "c1", "E4", "A1")


def test_counts_are_said_in_one_place():
    from addin.values import count, plural
    assert [count(n, "value") for n in (0, 1, 2, 1000)] == ["0 values", "1 value", "2 values", "1,000 values"]
    assert count(1, "criterion") == "1 criterion" and count(3, "criterion") == "3 criteria"
    assert plural(1, "it") == "it" and plural(2, "it") == "them" and plural(2, "is") == "are"
