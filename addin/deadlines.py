"""Each body's deadline as a calendar event (RFC 5545, written by the icalendar library), with an alarm 30
days before: the end of the period under review, and RICS's recording deadline of 31 January after its
year ends."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from .planner import Plan

ALARM_DAYS = 30
RECORDING_DEADLINES = {"rics": (1, 31)}     # a body that wants the record entered by a day after the period


def deadline_events(plan: Plan) -> list[tuple[str, date, str]]:
    """(summary, day, description) of each deadline of each body whose period has not ended."""
    out = []
    for b in plan.bodies:
        if b.ended:
            continue
        what = [a.describe(b.profile.unit) for a in plan.actions if any(c.body == b.profile.short_name
                                                                      for c in a.closes)]
        description = ("Still to do: " + "; ".join(what)) if what else "Nothing more to do for this body."
        out.append((f"CPD deadline: {b.profile.short_name} ({b.readiness.period})", b.deadline, description))
        if b.profile.id in RECORDING_DEADLINES:
            month, day = RECORDING_DEADLINES[b.profile.id]
            due = date(b.deadline.year + 1, month, day)
            out.append((f"CPD record due: {b.profile.short_name} ({b.readiness.period})", due,
                        f"{b.profile.short_name} asks for the record of {b.readiness.period} to be entered by this "
                        "day."))
    return out


def deadlines_calendar(plan: Plan, member: str | None = None) -> bytes:
    from icalendar import Alarm, Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//CPD tracker//cpd plan//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"CPD deadlines{' - ' + member if member else ''}")
    stamp = datetime.now(timezone.utc)
    for n, (summary, day, description) in enumerate(deadline_events(plan)):
        event = Event()
        event.add("uid", f"cpd-{day.isoformat()}-{n}-{abs(hash(summary)) % 10**8}@cpd-tracker")
        event.add("dtstamp", stamp)
        event.add("summary", summary)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("description", description)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"{summary}: {ALARM_DAYS} days to go")
        alarm.add("trigger", timedelta(days=-ALARM_DAYS))
        event.add_component(alarm)
        cal.add_component(event)
    return bytes(cal.to_ical())
