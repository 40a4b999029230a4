"""What capturing finds: one draft activity per attended event or certificate, each field as its source
states it (nothing invented: a field the source does not state stays blank and is listed), and what was
left out and why.

The text rules here are shared by certificates and badges: hours from "1.5 PDH", "90 minutes",
"7 CPD hours", "1 hour 30 min"; a certificate that says it carries no hours gives none, with a note;
dates in the forms certificates print them; and the profile's topics a text names.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from msgspec import Struct, field

from ..form.layout import DRAFT
from ..profile import Profile
from ..values import BadValue, normalise, to_date

# The fields a captured activity may fill, as the Record table names them; what a draft lacks of the
# first ones is listed for the member to complete.
LISTED = ("title", "provider", "start_date", "hours")


class Found(Struct):
    """One draft activity: its Record fields, where it came from, what its source does not state."""

    source: str                                   # the file (and the event or page) it came from
    values: dict[str, object] = field(default_factory=dict)     # field -> value, as the Record table holds it
    notes: list[str] = field(default_factory=list)
    evidence: Path | None = None                  # the certificate file itself, kept as the draft's evidence

    @property
    def missing(self) -> list[str]:
        """The listed fields the source does not state."""
        return [f for f in LISTED if self.values.get(f) in (None, "", ())]

    def finish(self) -> "Found":
        """The found draft, with a note listing what its source does not state."""
        if self.missing:
            self.notes.append(f"not stated: {', '.join(f.replace('_', ' ') for f in self.missing)}")
        return self

    def row(self) -> dict[str, object]:
        """The draft as Record cells: Status Draft, and what it came from in its Notes."""
        said = "; ".join([f"captured from {self.source}", *self.notes])
        return {**{k: v for k, v in self.values.items() if v not in (None, "", ())}, "status": DRAFT,
                "description": said}


class Capture(Struct):
    """What capturing some files gave: the drafts, and how many events or files were left out, why."""

    found: list[Found] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)     # reason -> how many

    def leave_out(self, reason: str) -> None:
        self.left_out[reason] += 1


def key(start: date | None, title: object) -> tuple[date | None, str]:
    """What makes two activities the same one: the day it starts and its title, spacing and case aside."""
    return start, normalise(str(title or ""))


# ---------------------------------------------------------------- hours

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_HOURS_UNIT = (r"(?:professional development hours?|pdhs?|cpd hours?|cpd points?|ce hours?|cle hours?|"
               r"contact hours?|clock hours?|learning hours?|hours?|hrs?\.?|h)\b")
_HOURS = re.compile(rf"{_NUMBER}\s*{_HOURS_UNIT}(?:\s*(?:and\s*)?{_NUMBER}\s*(?:minutes?|mins?\.?|m)\b)?", re.I)
_MINUTES = re.compile(rf"{_NUMBER}\s*(?:minutes?|mins?\.?)\b", re.I)
_CEU = re.compile(rf"{_NUMBER}\s*(?:ceus?|continuing education units?)\b", re.I)
_NO_HOURS = re.compile(r"\b(?:no|not? (?:eligible|approved|valid) for|does not (?:carry|award|qualify for|count "
                       r"(?:as|towards?)))\b[^.\n]{0,40}\b(?:cpd|pdh|ceu|hours?|credit)", re.I)


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def hours_stated(text: str, minutes_per_hour: float = 60.0) -> tuple[float | None, str | None]:
    """The hours a text states, and a note where it says how it got them (or that it states none).

    "1.5 PDH" is 1.5; "90 minutes" is 1.5 (``minutes_per_hour`` where a board counts 50 to the hour);
    "1 hour 30 min" is 1.5; "0.7 CEU" is 7 (a CEU is ten contact hours), with a note; a text that says
    it carries no CPD hours gives None with a note; none found gives (None, None)."""
    text = " ".join(text.split())
    m = _HOURS.search(text)
    if m:
        hours = _num(m.group(1)) + (_num(m.group(2)) / minutes_per_hour if m.group(2) else 0.0)
        return round(hours, 6), None
    m = _MINUTES.search(text)
    if m:
        return round(_num(m.group(1)) / minutes_per_hour, 6), None
    m = _CEU.search(text)
    if m:
        return round(_num(m.group(1)) * 10, 6), f"{m.group(0).strip()} read as {_num(m.group(1)) * 10:g} hours " \
                                                 f"(a CEU is ten contact hours)"
    if _NO_HOURS.search(text):
        return None, "the certificate states it carries no CPD hours"
    return None, None


# ---------------------------------------------------------------- dates

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DATE_PATTERNS = (
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}",        # 12 March 2025, 1st of May 2025
    rf"(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}",                   # March 12, 2025
    r"\d{4}-\d{2}-\d{2}",                                                           # 2025-03-12
    r"\d{1,2}/\d{1,2}/\d{4}",                                                       # 12/03/2025 (day first)
)
_DATE = re.compile("|".join(f"(?:{p})" for p in _DATE_PATTERNS), re.I)
_RANGE = re.compile(rf"\b(\d{{1,2}})\s*(?:-|–|to)\s*(\d{{1,2}})\s+((?:{_MONTHS})\.?,?\s+\d{{4}})", re.I)
_ORDINAL = re.compile(r"(\d)(?:st|nd|rd|th)\b|\bof\s+", re.I)
_MONTH_FIRST = re.compile(r"^([A-Za-z]{3,9})\s+(\d{1,2})\s+(\d{4})$")
DATE_LABELS = ("date of completion", "completion date", "completed on", "course completed on", "date completed",
               "date awarded", "awarded on", "date of attendance", "attended on", "held on", "date", "dates", "on",
               "issued on", "issue date")


def parse_day(text: str, month_first: bool = False) -> date | None:
    """A date as a certificate prints it, or None."""
    cleaned = " ".join(_ORDINAL.sub(lambda m: m.group(1) or "", text).replace(",", " ").split())
    if re.fullmatch(r"[A-Za-z]+\.?\s.*", cleaned):                       # "Apr. 20 2026": the month's name first
        cleaned = _MONTH_FIRST.sub(r"\2 \1 \3", cleaned.replace(".", ""))
    try:
        return to_date(cleaned, month_first=month_first)
    except BadValue:
        return None


def dates_stated(text: str, month_first: bool = False) -> tuple[date | None, date | None]:
    """The dates a text states: a range ("12-14 March 2025") as both ends; else the date after a label
    such as "Date of completion:"; else the one date the text holds. (None, None) when it holds none, or
    several with nothing to say which."""
    m = _RANGE.search(text)
    if m:
        first, last = parse_day(f"{m.group(1)} {m.group(3)}"), parse_day(f"{m.group(2)} {m.group(3)}")
        if first and last and first <= last:
            return first, last
    for label in DATE_LABELS:
        found = re.search(rf"\b{re.escape(label)}\b\s*:?\s*({_DATE.pattern})", text, re.I)
        if found:
            day = parse_day(found.group(1), month_first)
            if day:
                return day, day
    days = {d for d in (parse_day(m.group(0), month_first) for m in _DATE.finditer(text)) if d}
    if len(days) == 1:
        day = days.pop()
        return day, day
    return None, None


# ---------------------------------------------------------------- topics

def topics_named(text: str, profile: Profile) -> tuple[str, ...]:
    """The profile's topics (their labels, as the Topics column holds them) that a text names, by label or
    alias as a whole word ("Ethics" names us-nc's ethics topic)."""
    found = []
    lowered = f" {normalise(text)} "
    for term in profile.topics:
        names = (term.label, term.id, *term.aliases)
        if any(f" {normalise(n)} " in lowered for n in names if len(normalise(n)) > 2):
            found.append(term.label)
    return tuple(found)
