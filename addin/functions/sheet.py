"""The CPD worksheet functions, as plain Python taking spreadsheet-shaped values.

Each returns what a cell shows: a number, text, or a 2-D list that spills. A bad input
never raises into a cell: it comes back as a readable message naming the row.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from ..collector import gc_paused
from ..errors import CpdError, Problem
from ..intake import _STATUS_NAMES
from ..model import Member, Period, Record, Status
from ..profile import Profile, load_profile
from ..readiness import target_for
from ..readiness.engine import drafts_note
from ..values import Cell, count, is_blank, normalise, to_date, to_number
from .ranges import RECALC, record_from_ranges
from .recalc import Assessed

ASSESSED = Assessed(RECALC)      # the verdicts of the last records, for the sheet's other functions and recalculations
Table = list[list[Cell]]          # what spills into the sheet
BY = {"category": ("categories", "by_category"), "skill type": ("skill_types", "by_skill_type"),
      "skill_type": ("skill_types", "by_skill_type"), "competence": (None, "by_competence"),
      "objective": (None, "by_objective"), "topic": ("topics", "by_topic")}


def _problems_text(problems: Sequence[Problem]) -> str:
    shown = "; ".join(f"row {p.row}: {p.message}" if p.row else p.message for p in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return f"Fix {count(len(problems), 'value')}: {shown}{more}"


def _record(activities: Cell, period_from: Cell, period_to: Cell, profile: Cell, record: Cell = None, plan: Cell = None,
            first_row: Cell = None) -> tuple[Record, Profile, list[Problem]]:
    kw = {"first_row": int(first_row)} if not is_blank(first_row) else {}
    return record_from_ranges(activities, record, plan, profile, period_from=period_from, period_to=period_to, **kw)


def hours(activities: Cell, period_from: Cell, period_to: Cell, category: Cell = None, skill_type: Cell = None,
          profile: Cell = None, first_row: Cell = None) -> float | str:
    """Hours in the period (apportioned by days), optionally for one category or skill type."""
    rec, prof, problems = _record(activities, period_from, period_to, profile, first_row=first_row)
    if problems:
        return _problems_text(problems)
    result = ASSESSED(rec, prof)
    t = result.totals
    if not is_blank(category):
        term = prof.lookup("categories", str(category))
        if term is None:
            return f"No category {category!r} in {prof.short_name}"
        if not is_blank(skill_type):
            return "Give a category or a skill type, not both"
        return t.by_category.get(term.id, 0.0)
    if not is_blank(skill_type):
        term = prof.lookup("skill_types", str(skill_type))
        if term is None:
            return f"No skill type {skill_type!r} in {prof.short_name}"
        return t.by_skill_type.get(term.id, 0.0)
    return t.hours


def hours_by(activities: Cell, by: Cell, period_from: Cell, period_to: Cell, profile: Cell = None,
             first_row: Cell = None) -> Table:
    """Hours in the period by category, skill type, competence, objective or topic: a spilled table."""
    key = normalise(str(by or "category"))
    if key not in BY:
        return [[f"'by' must be one of category, skill type, competence, objective, topic; found {by!r}"]]
    rec, prof, problems = _record(activities, period_from, period_to, profile, first_row=first_row)
    if problems:
        return [[_problems_text(problems)]]
    kind, attr = BY[key]
    totals = getattr(ASSESSED(rec, prof).totals, attr)
    labels = {t.id: t.label for t in getattr(prof, kind)} if kind else {}
    rows = [[labels.get(k, k) if k else "(none)", v] for k, v in totals.items()]
    return [[key.capitalize(), f"{prof.unit_title}"]] + (rows or [["(no activities)", 0.0]])


def coverage(activities: Cell, period_from: Cell, period_to: Cell, what: Cell = "category", profile: Cell = None,
             registration: Cell = None, first_row: Cell = None) -> Table:
    """Categories (or competences) covered in the period and missing, with hours: a spilled table."""
    rec, prof, problems = _record(activities, period_from, period_to, profile,
                                  record=[["Registration title:", registration]] if registration else None,
                                  first_row=first_row)
    if problems:
        return [[_problems_text(problems)]]
    result = ASSESSED(rec, prof)
    key = normalise(str(what or "category"))
    if key in ("category", "categories"):
        cov = result.coverage["categories"]
        labels = {t.id: t.label for t in prof.categories}
        hours_of = result.totals.by_category
    elif key in ("competence", "competences"):
        if "competences" not in result.coverage:
            return [[f"{prof.short_name} has no competence framework"]]
        cov = result.coverage["competences"]
        labels = {}
        hours_of = result.totals.by_competence
    else:
        return [[f"'what' must be category or competence; found {what!r}"]]
    rows = [[labels.get(c, c), "covered", hours_of.get(c, 0.0)] for c in cov["covered"]]
    rows += [[labels.get(c, c), "missing", 0.0] for c in cov["missing"]]
    return [["Category" if labels else "Competence", "Coverage", prof.unit_title]] + rows


def target(profile: Cell = None, status: Cell = None, period_from: Cell = None, period_to: Cell = None,
           leave_days: Cell = None) -> float | str | None:
    """The hours a member with this status needs in the period (pro-rated for leave where the profile does)."""
    prof = load_profile(None if is_blank(profile) else str(profile).strip())
    st: Status | None = Status.ACTIVE
    if not is_blank(status):
        st = _STATUS_NAMES.get(normalise(str(status)))
    if st is None:
        return f"Status must be Active, Partially active or Not professionally active; found {status!r}"
    if prof.hours is None:
        return "No minimum"
    if st in prof.exempt_statuses:
        return "Exempt"
    start = to_date(period_from) if not is_blank(period_from) else None
    end = to_date(period_to) if not is_blank(period_to) else None
    period = Period(start, end) if start and end else prof.default_period()
    leave = int(to_number(leave_days, "leave days", "leave_days_invalid") or 0)
    rec = Record(member=Member(status=st, leave_days=min(leave, period.days)), period=period)
    return target_for(rec, prof)


def readiness(record: Cell, activities: Cell, plan: Cell = None, profile: Cell = None, first_row: Cell = None) -> Table:
    """Overall readiness: verdict and score, one row that spills (READY, 86)."""
    rec, prof, problems = _record(activities, None, None, profile, record=record, plan=plan, first_row=first_row)
    if problems:
        return [["INVALID", _problems_text(problems)]]
    result = ASSESSED(rec, prof)
    return [[result.verdict.label, result.score]]


def criteria(record: Cell, activities: Cell, plan: Cell = None, profile: Cell = None, first_row: Cell = None) -> Table:
    """Each review criterion: criterion, PASS / WARN / FAIL, reason, hint: a spilled table."""
    rec, prof, problems = _record(activities, None, None, profile, record=record, plan=plan, first_row=first_row)
    if problems:
        return [["Fix first", "INVALID", _problems_text(problems), ""]]
    result = ASSESSED(rec, prof)
    rows = [[c.title, c.status.upper(), c.reason, c.hint or ""] for c in result.criteria]
    if result.drafts:                  # shown with what they would add, counted nowhere
        rows.append(["Drafts (not counted)", "NOTE", drafts_note(result.drafts, result.draft_hours, result.unit),
                     "set Status to Confirmed (or clear it) once the activity is what you did"])
    return [["Criterion", "Status", "Reason", "Hint"]] + rows


def safely(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a sheet function so that nothing raises into a cell: errors become one readable line."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            with gc_paused():      # what a call builds dies with it: reference counting frees it
                return fn(*args, **kwargs)
        except CpdError as exc:
            return f"{exc.message}" if not exc.problems else _problems_text(exc.problems)
        except Exception as exc:  # a bug must not show a traceback in a cell either
            return f"Could not calculate ({type(exc).__name__}); please report this"
    return run
