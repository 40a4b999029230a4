"""Drafts from a calendar (.ics, as Outlook, Google Calendar and Apple Calendar export one): one for
each event the member attended in the record's period, recurring events expanded (recurring-ical-events).

Left out, and counted by reason: cancelled events; events the member declined; all-day events that
are not courses (a holiday, a day out of office); events not matching the words asked for; events
already in the log (the same start day and title). Hours are the event's duration (in the board's
hours where it counts 50 minutes to the hour); an event longer than a day gives no hours, with a note.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from ..errors import CpdError
from ..model import Period
from ..profile import Profile
from ..values import normalise
from .found import Capture, Found, key

COURSE_WORDS = re.compile(r"\b(?:course|training|workshop|conference|seminar|symposium|summit|congress|bootcamp|"
                          r"school|masterclass|cpd|webinar|exam)\b", re.I)
MAX_EVENTS = 100_000          # occurrences read from one file at most (a rule repeating every minute is refused)


def _member_address(calendar: Any, me: str | None) -> str | None:
    """The member's own address: given, or the calendar's name where it is one (Google names a person's
    primary calendar by their address)."""
    if me:
        return me.strip().lower()
    name = str(calendar.get("X-WR-CALNAME") or "")
    return name.strip().lower() if "@" in name else None


def _address(value: object) -> str:
    return str(value).lower().removeprefix("mailto:").strip()


def _declined(event: object, me: str | None) -> bool:
    """Whether the member declined the event: their own ATTENDEE line says DECLINED (the only attendee is
    taken to be the member when their address is not known)."""
    attendees = event.get("ATTENDEE")          # type: ignore[attr-defined]
    if attendees is None:
        return False
    if not isinstance(attendees, list):
        attendees = [attendees]
    own = [a for a in attendees if _address(a) == me] if me else attendees if len(attendees) == 1 else []
    return any(str(a.params.get("PARTSTAT", "")).upper() == "DECLINED" for a in own)


def _local(value: datetime, zone: tzinfo | None) -> datetime:
    """A time in the member's zone (``zone``; the machine's when None); a floating time as it is."""
    if value.tzinfo is None:
        return value
    return value.astimezone(zone) if zone is not None else value.astimezone()


def _organiser(event: object) -> str | None:
    found = event.get("ORGANIZER")            # type: ignore[attr-defined]
    if found is None:
        return None
    name = found.params.get("CN")
    return str(name).strip() if name else _address(found) or None


def _text(event: object, name: str) -> str:
    value = event.get(name)                   # type: ignore[attr-defined]
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v.to_ical().decode() if hasattr(v, "to_ical") else v) for v in value)
    return str(value.to_ical().decode() if hasattr(value, "to_ical") and not isinstance(value, str) else value)


def capture_calendar(data: bytes, source: str, period: Period, profile: Profile, *,
                     known: Collection[tuple[object, str]],
                     match: Iterable[str] = (), calendars: Iterable[str] = (), me: str | None = None,
                     zone: tzinfo | None = None, into: Capture | None = None) -> Capture:
    """The drafts an .ics file gives for ``period``. ``known``: the keys (start day, title) already in the log;
    ``match``: words one of which an event's title, description, categories or location must hold;
    ``calendars``: the calendar names to take (X-WR-CALNAME); ``me``: the member's address."""
    import icalendar
    import recurring_ical_events
    result = into if into is not None else Capture()
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise CpdError("calendar_invalid", f"{source} is not a calendar that can be read ({exc})") from None
    wanted = {normalise(c) for c in calendars}
    name = str(calendar.get("X-WR-CALNAME") or "")
    if wanted and normalise(name) not in wanted:
        result.left_out[f"in another calendar ({name or 'unnamed'})"] += len(calendar.walk("VEVENT"))
        return result
    words = [w.lower() for w in match]
    member = _member_address(calendar, me)
    start = datetime.combine(period.start, datetime.min.time())
    end = datetime.combine(period.end + timedelta(days=1), datetime.min.time())
    try:
        occurrences = recurring_ical_events.of(calendar).between(start, end)
    except (ValueError, TypeError, recurring_ical_events.InvalidCalendar) as exc:
        raise CpdError("calendar_invalid", f"{source}: its events cannot be read ({exc})") from None
    seen = set(known)
    for n, event in enumerate(occurrences):
        if n >= MAX_EVENTS:
            raise CpdError("calendar_too_large", f"{source} holds more than {MAX_EVENTS:,} events in the period")
        _one(event, source, period, profile, result, seen, words, member, zone)
    return result


def _one(event: object, source: str, period: Period, profile: Profile, result: Capture, seen: set[tuple[object, str]],
         words: list[str], member: str | None, zone: tzinfo | None) -> None:
    title = " ".join(_text(event, "SUMMARY").split())
    if _text(event, "STATUS").upper() == "CANCELLED":
        return result.leave_out("cancelled")
    if _declined(event, member):
        return result.leave_out("declined")
    if words:
        haystack = " ".join(_text(event, f) for f in ("SUMMARY", "DESCRIPTION", "CATEGORIES", "LOCATION")).lower()
        if not any(w in haystack for w in words):
            return result.leave_out("not matching the words asked for")
    begins = event.get("DTSTART").dt                              # type: ignore[attr-defined]
    ends_at = event.get("DTEND")                                  # type: ignore[attr-defined]
    notes = []
    hours: float | None
    if not isinstance(begins, datetime):                          # an all-day event
        if not COURSE_WORDS.search(title):
            return result.leave_out("all-day, not a course")
        first = begins
        last = (ends_at.dt - timedelta(days=1)) if ends_at is not None else first
        last = max(first, last if not isinstance(last, datetime) else last.date())
        hours = None
        notes.append("an all-day event: enter the hours of learning")
    else:
        began = _local(begins, zone)
        finished = _local(ends_at.dt, zone) if ends_at is not None and isinstance(ends_at.dt, datetime) else began
        first = began.date()
        last = (finished - timedelta(microseconds=1)).date() if finished > began else first
        seconds = (finished - began).total_seconds()
        if seconds > 24 * 3600:
            hours = None
            notes.append(f"it spans {(last - first).days + 1} days: enter the hours of learning")
        else:
            hours = round(seconds / 60 / profile.minutes_per_hour, 6) if seconds > 0 else None
    if last < period.start or first > period.end:
        return None
    k = key(first, title)
    if k in seen:
        return result.leave_out("already in the log")
    seen.add(k)
    values: dict[str, object] = {"start_date": first, "end_date": last if last != first else None, "title": title,
                                 "provider": _organiser(event), "location": " ".join(_text(event, "LOCATION").split()),
                                 "hours": hours}
    result.found.append(Found(source=source, values=values, notes=notes))
    return None

