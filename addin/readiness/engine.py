"""The readiness engine: a record and a profile in, a verdict with reasons out.

Deterministic and order-independent: activities are taken by row, sums are
exact (``math.fsum``), and nothing depends on the clock unless ``as_of`` is given.
"""
from __future__ import annotations

import math
from datetime import date
from types import EllipsisType
from typing import Any

from msgspec.structs import replace

from ..model import Record, Status
from ..profile import Profile
from . import criteria
from ..statuses import FAIL, PASS, STATUS_SCORE, Verdict
from .result import CriterionResult, Readiness
from ..frameworks import load_framework
from .totals import Totals, compute_totals, covered_categories, in_period


def target_for(record: Record, profile: Profile) -> float | None:
    """Hours required of this member in this period, after pro-rating for leave."""
    if profile.hours is None:
        return None
    base = profile.target(record.member.status)
    if base is None:
        base = profile.target(Status.ACTIVE)
    if base is None:
        return None
    if profile.hours.pro_rating == "leave_days" and record.member.leave_days:
        days = leave_year_days(record.period.days)
        base = base * max(days - record.member.leave_days, 0) / days
    return base


def leave_year_days(period_days: int) -> int:
    """The days leave is counted against: 365 for each year of the period (a leap day is not a day more
    of CPD), so a year's leave over three years leaves exactly two thirds of the target."""
    return 365 * max(1, round(period_days / 365.25))


def for_body(record: Record, profile: Profile) -> Record:
    """The record as one body sees it: without the activities (and drafts) marked for other bodies only."""
    if not any(a.bodies for a in record.every_activity):
        return record
    return replace(record, activities=tuple(a for a in record.activities if not a.bodies or profile.id in a.bodies),
                   drafts=tuple(a for a in record.drafts if not a.bodies or profile.id in a.bodies))


def drafts_adding(record: Record, profile: Profile) -> tuple[tuple[int, ...], float]:
    """The rows of the period's drafts, and the hours they hold in it as the body credits them (what they
    would add, confirmed, before any category cap): the Summary's "would add" line."""
    drafts = tuple(a for a in record.drafts if in_period(a, record.period))
    if not drafts:
        return (), 0.0
    return tuple(a.row for a in drafts), compute_totals(replace(record, activities=drafts, drafts=()), profile).hours


def drafts_note(rows: tuple[int, ...], hours: float, unit: str) -> str:
    """What the period's drafts are and would add: 'a draft (row 14) ...', '2 drafts (rows 14, 15) ...'."""
    where = f"row {rows[0]}" if len(rows) == 1 else f"rows {', '.join(map(str, rows))}"
    what = "a draft" if len(rows) == 1 else f"{len(rows)} drafts"
    return (f"{what} ({where}) {'counts' if len(rows) == 1 else 'count'} nowhere until confirmed (Status: "
            f"Confirmed or blank); confirmed, {'it' if len(rows) == 1 else 'they'} would add "
            f"{criteria.amount(hours, unit)}")


def review_period(record: Record, body: Profile, period_text: str | None = None,
                  first: bool = True) -> tuple[Record, str | None]:
    """The record over the period under review for ``body``, and a note when it is not the workbook's own:
    ``period_text``'s (a year or FROM..TO: CpdError if it is not one), or the workbook's for the first
    body of a log, and each other body's own kind of period ending with it."""
    if period_text:
        return replace(record, period=body.period_named(period_text)), None
    if first:
        return record, None
    period = body.period_ending(record.period.end)
    if period == record.period:
        return record, None
    return (replace(record, period=period),
            f"{body.short_name} reviews {period} (its own period ending with the workbook's)")


def carry_forward(totals: Totals, counted: float, target: float | None, profile: Profile) -> float:
    """Hours this period passes to the next: the surplus over the target, at most the cap, and never more
    than was earned in the period (hours carried in are not carried twice), nor, where the body carries
    only some activities' hours (``carry_over_from``: RICS's substantial programmes), more than those."""
    hours = profile.hours
    if target is None or hours is None or not hours.carry_over_max:
        return 0.0
    limit = min(totals.counted, hours.carry_over_max)
    if hours.carry_over_from:
        limit = min(limit, math.fsum(totals.by_category.get(c, 0.0) for c in hours.carry_over_from))
    return min(max(counted - target, 0.0), limit)


CARRY_HISTORY = 6             # earlier periods of a log the carry-over is worked out from (the Summary's too)


def carried_from_log(record: Record, profile: Profile, history: int = CARRY_HISTORY) -> float | None:
    """Hours carried in, worked out from the log's earlier periods; None when the log holds nothing before
    this period (then the number typed in the header is used). One definition, the one the next period's
    workbook is made with (``next_period.hours_passed_on``): the previous period passes on its surplus over
    its target counting what it carried in itself, at most the cap and never more than it earned (hours
    carried in are used in the period they are carried to, and never carried twice). The chain goes back
    ``history`` periods: the oldest of them is taken to have carried nothing in."""
    if profile.hours is None or not profile.hours.carry_over_max:
        return None
    if not any(a.start_date < record.period.start for a in record.activities):
        return None
    before = replace(record, period=profile.previous_period(record.period),
                     member=replace(record.member, leave_days=0, carried_over=0.0))   # the header is this period's
    into_before = (carried_from_log(before, profile, history - 1) or 0.0) if history > 1 else 0.0
    totals = compute_totals(before, profile)
    counted = totals.counted + min(into_before, profile.hours.carry_over_max)
    return carry_forward(totals, counted, target_for(before, profile), profile)


def carried_over(record: Record, profile: Profile, from_log: float | None | EllipsisType = ...) -> float:
    """Hours brought forward that count this period: at most the profile's cap. ``from_log``: what
    ``carried_from_log`` gave, when the caller has it already."""
    if profile.hours is None or not profile.hours.carry_over_max:
        return 0.0
    if isinstance(from_log, EllipsisType):
        from_log = carried_from_log(record, profile)
    return min(record.member.carried_over if from_log is None else from_log, profile.hours.carry_over_max)


def assess(record: Record, profile: Profile, *, as_of: date | None = None) -> Readiness:
    record = for_body(record, profile)
    totals = compute_totals(record, profile)
    target = target_for(record, profile)
    from_log = carried_from_log(record, profile)
    carried = carried_over(record, profile, from_log)
    counted = totals.counted + carried
    unit = profile.unit
    notes = []
    if from_log is not None:
        typed = record.member.carried_over
        notes.append(f"{criteria.amount(carried, unit)} carried over, worked out from the log's activities in "
                     f"{profile.previous_period(record.period)}"
                     + (f" (the {criteria.fmt_hours(typed)} typed in the header is not used)"
                        if typed and abs(typed - carried) > 1e-9 else ""))
    elif record.member.carried_over and profile.hours:
        if carried:
            notes.append(f"{criteria.amount(carried, unit)} carried over from the last period count")
        else:
            notes.append(f"{profile.short_name} does not allow hours to be carried over; they are not counted")
    if target is not None and profile.hours and profile.hours.carry_over_max:
        forward = carry_forward(totals, counted, target, profile)
        notes.append(f"{criteria.amount(forward, unit)} may be carried forward to the next period")
    if totals.counted + 1e-9 < totals.hours:
        notes.append(f"category caps: {criteria.fmt_hours(totals.counted)} of {criteria.fmt_hours(totals.hours)} "
                     f"{unit} count to the total")
    if record.member.status in profile.exempt_statuses:
        said = profile.exempt_notes.get(record.member.status)
        notes.append(f"{record.member.status.label}: exempt from {profile.short_name}'s requirement for this period"
                     + (f" ({said})" if said else "") + "; the criteria below are for information")
    drafts, draft_hours = drafts_adding(record, profile)
    if drafts:
        notes.append(drafts_note(drafts, draft_hours, unit))
    ctx = criteria.Context(record=record, profile=profile, totals=totals, target=target, counted=counted,
                           as_of=as_of)
    results = []
    for spec in profile.criteria:
        outcome = criteria.KINDS[spec.kind](ctx, spec)
        results.append(CriterionResult(id=spec.id, kind=spec.kind, title=spec.title, status=outcome.status,
                                       reason=outcome.reason, hint=None if outcome.status == PASS and not outcome.hint
                                       else outcome.hint, rows=tuple(sorted(set(outcome.rows))),
                                       weight=spec.weight, needs=outcome.needs if outcome.status != PASS else ()))
    weights = sum(r.weight for r in results) or 1.0
    score = round(100 * sum(r.weight * STATUS_SCORE[r.status] for r in results) / weights)
    if record.member.status in profile.exempt_statuses:
        verdict = Verdict.EXEMPT
    else:
        verdict = Verdict.NOT_READY if any(r.status == FAIL for r in results) else Verdict.READY
    shown_target = None if verdict == Verdict.EXEMPT else target      # an exempt member is asked for no hours
    return Readiness(profile_id=profile.id, period=record.period, verdict=verdict, score=score, target=shown_target,
                     counted_hours=counted, unit=unit, criteria=tuple(results), totals=totals,
                     coverage=coverage(record, profile, totals), notes=tuple(notes), drafts=drafts,
                     draft_hours=draft_hours)


def coverage(record: Record, profile: Profile, totals: Totals) -> dict[str, Any]:
    """Which categories and competences the period's CPD covers, and which it misses."""
    covered = covered_categories(totals, profile)
    result = {"categories": {"covered": covered,
                             "missing": [t.id for t in profile.categories if t.id not in covered]}}
    if profile.competence_framework != "none":
        valid = load_framework(profile.competence_framework).codes_for(record.member.registration)
        have = [c for c in valid if c in totals.by_competence]
        result["competences"] = {"covered": have, "missing": [c for c in valid if c not in have]}
    return result
