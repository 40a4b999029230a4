"""Turning cell values into typed values, as spreadsheets deliver them.

Cells arrive as ``None``, ``""``, text with stray spaces, floats, ``datetime``
objects or Excel date serials. Each function returns the typed value (``None``
for blank) or raises ``BadValue`` with a stable code and a human reason.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeAlias

Cell: TypeAlias = Any    # a cell's value as a reader hands it over: None, str, int, float, bool, date, datetime, time
EXCEL_EPOCH = date(1899, 12, 30)
MAX_SERIAL = 2958465  # 9999-12-31
MAX_HOURS_PER_ACTIVITY = 5000.0
# Text a spreadsheet would run as a formula when it begins with one of these.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


class BadValue(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def shown(value: object) -> str:
    """A value as a message quotes it: short, one line."""
    text = str(value).replace("\n", " ")
    return repr(text if len(text) <= 40 else text[:37] + "...")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: object) -> str | None:
    """Text from a cell; whole floats lose their '.0' (a number typed as 12345)."""
    if value.__class__ is str:
        if "\n" in value:
            return value.strip() or None
        if "  " in value or "\t" in value or "\r" in value:
            return " ".join(value.split()) or None
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()


@lru_cache(maxsize=8192)
def serial_to_date(serial: float) -> date:
    if not 1 <= serial <= MAX_SERIAL or math.isnan(serial):
        raise BadValue("date_invalid", f"must be a date, found the number {serial:g}")
    return EXCEL_EPOCH + timedelta(days=int(serial))


def to_date(value: object, *, month_first: bool = False) -> date | None:
    """A date from a date cell, an Excel serial or text (day first unless told)."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise BadValue("date_invalid", f"must be a date, found {shown(value)}")
    if isinstance(value, (int, float)):
        return serial_to_date(float(value))
    raw = str(value).strip()
    parsed = _parse_date_text(raw, month_first)
    if parsed is None:
        raise BadValue("date_invalid", f"must be a date such as 2026-03-12 or 12/03/2026, found {shown(raw)}")
    return parsed


def _parse_date_text(raw: str, month_first: bool) -> date | None:
    s = raw.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?", s)
    if m:
        return _existing_date(int(m[1]), int(m[2]), int(m[3]), raw, in_doubt=False)
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", s)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        day, month = (b, a) if month_first else (a, b)
        return _existing_date(y + 2000 if y < 100 else y, month, day, raw, in_doubt=not month_first)
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})", s)
    if m and m[2][:3].lower() in _MONTHS:
        return _existing_date(int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1]), raw, in_doubt=False)
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return serial_to_date(float(s))
    return None


def _existing_date(year: int, month: int, day: int, raw: str, *, in_doubt: bool) -> date:
    """The date, or BadValue saying why there is none: '(February 2026 has 28 days)', '(there is no month 13;
    is it month first?)' when the order of day and month is in doubt."""
    try:
        return date(year, month, day)
    except ValueError:
        if not 1 <= month <= 12:
            why = f" (there is no month {month}{'; is it month first?' if in_doubt and day <= 12 else ''})"
        else:
            import calendar          # only to say why a date does not exist: not loaded by every check
            days = calendar.monthrange(year, month)[1]
            why = f" ({calendar.month_name[month]} {year} has {days} days)" if day > days else ""
        raise BadValue("date_invalid", f"must be a date that exists, found {shown(raw)}{why}") from None


def to_number(value: object, what: str, code: str) -> float | None:
    """A number from a cell; BadValue(code, "<what> must be a number, found ...") otherwise."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise BadValue(code, f"{what} must be a number, found {shown(value)}")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        raw = str(value).strip()
        if re.fullmatch(r"\d+,\d+", raw):  # a decimal comma: '2,5'
            raw = raw.replace(",", ".")
        try:
            number = float(raw)
        except ValueError:
            raise BadValue(code, f"{what} must be a number, found {shown(value)}") from None
    if math.isnan(number) or math.isinf(number):
        raise BadValue(code, f"{what} must be a number, found {shown(value)}")
    return number


_DURATION = [
    (re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:h|hr|hrs|hour|hours)\.?"), 1.0),
    (re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:m|min|mins|minute|minutes)\.?"), 1 / 60),
]
_H_MIN = (re.compile(r"(\d+)\s*(?:h|hr|hrs|hours?)\s*(\d{1,2})\s*(?:m|min|mins|minutes?)?"),
          re.compile(r"(\d+):(\d{2})"))


def duration_hours(raw: str, minutes_per_hour: float = 60.0) -> float | None:
    """Hours written as a duration (2h, 3 hrs, 90 min, 1h30, 1:30), or None: the one place those forms are
    defined, for ``cpd check``, the add-in and ``cpd import`` alike. A body that credits an hour for fewer
    minutes of instruction (``minutes_per_hour``: New York, 50) gets the duration's minutes in its hours."""
    s = " ".join(raw.lower().split())
    minutes = None
    for pattern, factor in _DURATION:
        m = pattern.fullmatch(s)
        if m:
            minutes = float(m[1].replace(",", ".")) * factor * 60
            break
    for pattern in _H_MIN if minutes is None else ():
        m = pattern.fullmatch(s)
        if m and int(m[2]) < 60:
            minutes = int(m[1]) * 60 + int(m[2])
            break
    if minutes is None:
        return None
    return minutes / 60 if minutes_per_hour == 60 else minutes / minutes_per_hour


def to_hours(value: object, minutes_per_hour: float = 60.0) -> float | None:
    """Hours from a cell: a number, or a duration such as 1h30 or 90 min (``duration_hours``)."""
    try:
        hours = to_number(value, "hours", "hours_not_number")
    except BadValue:
        hours = duration_hours(str(value), minutes_per_hour) if isinstance(value, str) else None
        if hours is None:
            raise BadValue("hours_not_number", f"hours must be a number, found {shown(value)}") from None
    if hours is None:
        return None
    if hours < 0:
        raise BadValue("hours_negative", f"hours cannot be negative, found {hours:g}")
    if hours > MAX_HOURS_PER_ACTIVITY:
        raise BadValue("hours_too_large",
                       f"hours for one activity must be at most {MAX_HOURS_PER_ACTIVITY:g}, found {hours:g}")
    return hours


def split_list(value: object) -> tuple[str, ...]:
    """Items of a list typed in one cell: 'B2, C1; E4' -> ('B2', 'C1', 'E4')."""
    raw = text(value)
    if raw is None:
        return ()
    return tuple(part.strip() for part in re.split(r"[,;/\n]+", raw) if part.strip())


IRREGULAR = {"criterion": "criteria", "is": "are", "was": "were", "it": "them", "has": "have"}


def plural(n: int, word: str, many: str | None = None) -> str:
    """The word for ``n`` of it ('value', 'values'; 'criterion', 'criteria'): one place that says counts."""
    return word if n == 1 else many or IRREGULAR.get(word) or word + "s"


def count(n: int, word: str, many: str | None = None) -> str:
    """'1 value', '3 values', '0 criteria'."""
    return f"{n:,} {plural(n, word, many)}"


def did_you_mean(found: str, choices: Iterable[str]) -> str:
    """' (did you mean "Training courses"?)' for a near miss among ``choices``, else ''."""
    import difflib
    by_key = {normalise(c): c for c in choices}
    close = difflib.get_close_matches(normalise(found), list(by_key), n=1, cutoff=0.75)
    return f' (did you mean "{by_key[close[0]]}"?)' if close else ""


@lru_cache(maxsize=4096)
def normalise(name: str) -> str:
    """The key a label is matched by: case, spaces, hyphens and '&' do not matter."""
    return re.sub(r"[\s_\-]+", " ", name.lower().replace("&", "and")).strip()
