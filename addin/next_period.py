"""Starting the next period from the last one (``cpd new --from-previous``).

What carries over: the member (name, number, grade, registration, status), the plan's
objectives that are not yet achieved or dropped, and the hours the last period passes
on (its surplus over the target, at most the body's cap), worked out by the engine.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .model import Record
from .profile import Profile
from .readiness.engine import carry_forward, carried_over, for_body, target_for
from .readiness.totals import compute_totals

CLOSED = {"achieved", "dropped"}


def open_objectives(record: Record) -> list[dict[str, Any]]:
    """The plan's objectives still open at the period's end, as Plan sheet rows."""
    return [{"ref": o.ref, "objective": o.objective, "why": o.why, "competences": ", ".join(o.competences),
             "target_date": o.target_date, "status": o.status or "In progress", "evaluation": o.evaluation}
            for o in record.objectives if (o.status or "").strip().lower() not in CLOSED]


def hours_passed_on(record: Record, profile: Profile) -> float | None:
    """Hours the record's period passes to the next; None where the body carries nothing over."""
    if profile.hours is None or not profile.hours.carry_over_max:
        return None
    record = for_body(record, profile)
    totals = compute_totals(record, profile)
    return carry_forward(totals, totals.counted + carried_over(record, profile), target_for(record, profile), profile)


def next_period_start(record: Record, profile: Profile
                      ) -> tuple[dict[str, Any], list[dict[str, Any]], float | None, date]:
    """The new workbook's header fields, its plan rows, the hours carried over (None where none apply) and
    the day the next period starts."""
    m = record.member
    header: dict[str, Any] = {"name": m.name, "membership_number": m.membership_number, "grade": m.grade,
              "registration": m.registration, "status": m.status.label}
    carried = hours_passed_on(record, profile)
    if carried:
        header["carried_over"] = round(carried, 2)
    return ({k: v for k, v in header.items() if v is not None}, open_objectives(record), carried,
            record.period.end + timedelta(days=1))
