"""Reading dates and hours the way people type them.

Dates: date cells, Excel serials, 12/03/2025 (day first unless told), 2025-03-12,
12 Mar 2025, March 2025 (the whole month), and ranges in one cell: 12-14 Mar 2025,
12 Mar - 3 Apr 2025, 12/03/2025 - 14/03/2025, 1 to 3 May 2025.
Hours: 2, 2.5, 2h, 2 hrs, 1h30, 1:30, 90 min, 1 day, 2.5 days, half a day. A day
counts ``hours_per_day`` hours (7 unless told).
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime

from ..values import BadValue, duration_hours, is_blank, shown, to_date

HOURS_PER_DAY = 7.0
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|" \
         r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"], 1)}
_DASH = r"\s*(?:-|–|—|to|until)\s*"


def _month(name: str) -> int:
    return _MONTHS[name[:3].lower()]


def parse_dates(value: object, *, month_first: bool = False) -> tuple[date | None, date | None]:
    """(start, end) from one cell; end is None for a single day. BadValue if unreadable."""
    if is_blank(value):
        return None, None
    if isinstance(value, (datetime, date)) or isinstance(value, (int, float)) and not isinstance(value, bool):
        return to_date(value), None
    s = " ".join(str(value).split())
    low = s.lower()
    m = re.fullmatch(rf"{_MONTH}\s+(\d{{4}})", low)
    if m:                                            # March 2025: the whole month
        y, mo = int(m[2]), _month(m[1])
        return date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1])
    m = re.fullmatch(rf"(\d{{1,2}})(?:st|nd|rd|th)?{_DASH}(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(\d{{4}})", low)
    if m:                                            # 12-14 Mar 2025
        y, mo = int(m[4]), _month(m[3])
        return _checked(date, y, mo, int(m[1]), s), _checked(date, y, mo, int(m[2]), s)
    m = re.fullmatch(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}{_DASH}"
                     rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(\d{{4}})",
                     low)
    if m:                                            # 28 Feb - 2 Mar 2025
        y = int(m[5])
        start = _checked(date, y, _month(m[2]), int(m[1]), s)
        end = _checked(date, y, _month(m[4]), int(m[3]), s)
        if end < start:
            start = _checked(date, y - 1, _month(m[2]), int(m[1]), s)
        return start, end
    m = re.fullmatch(r"(\d{1,2}[/.]\d{1,2}[/.]\d{2,4})\s*-\s*(\d{1,2}[/.]\d{1,2}[/.]\d{2,4})", s)
    parts = [m[1], m[2]] if m else re.split(r"\s+(?:-|–|—|to|until)\s+|(?<=\d)\s*[–—]\s*(?=\d)", s)
    if len(parts) == 2:                              # 12/03/2025 - 14/03/2025
        return to_date(parts[0], month_first=month_first), to_date(parts[1], month_first=month_first)
    return to_date(s, month_first=month_first), None


def _checked(make: Callable[[int, int, int], date], y: int, mo: int, d: int, raw: object) -> date:
    try:
        return make(y, mo, d)
    except ValueError:
        raise BadValue("date_invalid", f"no such date in {shown(raw)}") from None


def parse_hours(value: object, *, hours_per_day: float = HOURS_PER_DAY, minutes_per_hour: float = 60.0) -> float | None:
    """Hours from a cell: a number, or text such as 2h, 90 min, 1h30, 1 day."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _bounded(float(value), value)
    s = " ".join(str(value).lower().split())
    m = re.fullmatch(r"(\d+(?:[.,]\d+)?)", s)
    if m:
        return _bounded(float(m[1].replace(",", ".")), value)
    duration = duration_hours(s, minutes_per_hour)
    if duration is not None:
        return _bounded(duration, value)
    m = re.fullmatch(r"(\d+(?:[.,]\d+)?)\s*(?:d|day|days)", s)
    if m:
        return _bounded(float(m[1].replace(",", ".")) * hours_per_day, value)
    if s in ("half day", "half a day", "1/2 day", "½ day"):
        return hours_per_day / 2
    raise BadValue("hours_not_number", f"hours must be a number of hours (2, 2.5, 2h, 90 min, 1 day), "
                   f"found {shown(value)}")


def _bounded(hours: float, raw: object) -> float:
    if hours != hours or hours < 0 or hours > 5000:
        raise BadValue("hours_not_number", f"hours must be from 0 to 5000, found {shown(raw)}")
    return hours                          # exact: 20 min is a third of an hour, not 0.3333


