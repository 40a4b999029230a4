"""Building the CPD model from untrusted values, with a reason for each rejection.

Every source (workbook reader, add-in ranges, service uploads) hands this module
plain mappings of field name to cell value. It returns model objects and a list
of ``Problem``s, each naming its field and row so the caller can name the cell.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache

from .errors import Problem
from .frameworks import Framework, load_framework
from .model import Activity, Member, Objective, Period, Record, Status
from .profile import Profile
from .values import (MAX_HOURS_PER_ACTIVITY, BadValue, is_blank, normalise, shown, split_list, text, to_date,
                     to_hours, to_number)

MAX_PERIOD_YEARS = 10
_STATUS_NAMES = {normalise(n): s for s in Status for n in (s.value, s.label)} | {
    "partial": Status.PARTIALLY_ACTIVE, "partially": Status.PARTIALLY_ACTIVE,
    "not active": Status.NOT_PROFESSIONALLY_ACTIVE, "inactive": Status.NOT_PROFESSIONALLY_ACTIVE,
    "retired": Status.NOT_PROFESSIONALLY_ACTIVE, "exempt": Status.NOT_PROFESSIONALLY_ACTIVE,
}


class _Sink:
    def __init__(self, row: int | None = None):
        self.row = row
        self.problems: list[Problem] = []

    def add(self, fld: str, code: str, message: str) -> None:
        self.problems.append(Problem(code, message, field=fld, row=self.row))

    def take(self, fld: str, convert, value, label: str):
        try:
            return convert(value)
        except BadValue as exc:
            self.add(fld, exc.code, f"{label} {exc.message}" if not exc.message.startswith(label) else exc.message)
            return None


def framework_for(profile: Profile) -> Framework | None:
    return None if profile.competence_framework == "none" else load_framework(profile.competence_framework)


def build_member(raw: Mapping[str, object], profile: Profile) -> tuple[Member, list[Problem]]:
    sink = _Sink()
    status = Status.ACTIVE
    if not is_blank(raw.get("status")):
        found = _STATUS_NAMES.get(normalise(str(raw["status"])))
        if found is None:
            known = ", ".join(s.label for s in Status)
            sink.add("status", "status_unknown", f"status must be one of {known}, found {shown(raw['status'])}")
        else:
            status = found
    registration = text(raw.get("registration"))
    fw = framework_for(profile)
    if registration and fw and normalise(registration) not in ("none", "n a", "na", "-"):
        key = fw.title_key(registration)
        if key is None:
            sink.add("registration", "registration_unknown",
                     f"registration title must be one of {', '.join(fw.titles)} or None, found {shown(registration)}")
        registration = key
    elif registration and normalise(registration) in ("none", "n a", "na", "-"):
        registration = None
    carried = sink.take("carried_over", lambda v: to_number(v, "carried-over hours", "carried_over_not_number"),
                        raw.get("carried_over"),
                        "carried-over hours") or 0.0
    if carried < 0:
        sink.add("carried_over", "carried_over_negative", "carried-over hours cannot be negative")
        carried = 0.0
    leave = sink.take("leave_days", lambda v: to_number(v, "leave days", "leave_days_invalid"), raw.get("leave_days"),
                      "leave days") or 0
    if leave < 0 or leave != int(leave):
        sink.add("leave_days", "leave_days_invalid", f"leave days must be a whole number of days, found {leave:g}")
        leave = 0
    member = Member(name=text(raw.get("name")), membership_number=text(raw.get("membership_number")),
                    grade=text(raw.get("grade")), status=status, registration=registration,
                    carried_over=carried, leave_days=int(leave))
    return member, sink.problems


def build_period(start_raw: object, end_raw: object) -> tuple[Period | None, list[Problem]]:
    sink = _Sink()
    start = sink.take("period_start", to_date, start_raw, "period start")
    end = sink.take("period_end", to_date, end_raw, "period end")
    if start is None and not sink.problems and is_blank(start_raw):
        sink.add("period_start", "period_missing", "the period needs a start date ('Covering the period from')")
    if end is None and is_blank(end_raw):
        sink.add("period_end", "period_missing", "the period needs an end date ('to')")
    if start and end:
        if end < start:
            sink.add("period_end", "period_invalid", f"the period ends ({end}) before it starts ({start})")
        elif (end - start).days > 366 * MAX_PERIOD_YEARS:
            sink.add("period_end", "period_invalid", f"a period may be at most {MAX_PERIOD_YEARS} years long")
        else:
            return Period(start, end), sink.problems
    return None, sink.problems


def build_objective(raw: Mapping[str, object], row: int, fw: Framework | None,
                    title: str | None) -> tuple[Objective | None, list[Problem]]:
    sink = _Sink(row)
    ref = text(raw.get("ref"))
    objective = text(raw.get("objective"))
    if objective is None:  # a row with only its ref (the template numbers them) is blank
        if any(not is_blank(v) for k, v in raw.items() if k != "ref"):
            sink.add("objective", "objective_missing", "a plan row needs an objective")
        return None, sink.problems
    codes = _codes(sink, raw.get("competences"), fw, title)
    target = sink.take("target_date", to_date, raw.get("target_date"), "target date")
    return Objective(ref=ref or f"O{row}", objective=objective, why=text(raw.get("why")), competences=codes,
                     target_date=target, status=text(raw.get("status")), evaluation=text(raw.get("evaluation")),
                     row=row), sink.problems


def _codes(sink: _Sink, value: object, fw: Framework | None, title: str | None) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    codes, message = _parse_codes(value if isinstance(value, str) else str(value), fw, title)
    if message:
        sink.add("competences", "competence_unknown", message)
    return codes


@lru_cache(maxsize=2048)
def _parse_codes(value: str, fw: Framework | None, title: str | None) -> tuple[tuple[str, ...], str | None]:
    """The valid codes in a cell like 'B2, c1; E4', and a message naming any that are not."""
    items = tuple(dict.fromkeys(c.upper().replace(" ", "") for c in split_list(value)))
    if fw is None or not items:
        return items, None
    valid = fw.codes_for(title)
    bad = [c for c in items if c not in valid]
    message = None
    if bad:
        who = f" for {fw.title_key(title)}" if fw.title_key(title) else ""
        message = (f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not {fw.name} competence code"
                   f"{'' if len(bad) == 1 else 's'}{who} (valid: {', '.join(valid)})")
    return tuple(c for c in items if c in valid), message


def _term(sink: _Sink, profile: Profile, kind: str, fld: str, value: object, noun: str) -> str | None:
    name = text(value)
    if name is None:
        return None
    term = profile.lookup(kind, name)
    if term is None:
        labels = ", ".join(t.label for t in getattr(profile, kind))
        sink.add(fld, f"{fld}_unknown", f"{noun} must be one of {labels}; found {shown(name)}")
        return None
    return term.id


def _DAY_FIRST(v):
    return to_date(v)


def _MONTH_FIRST(v):
    return to_date(v, month_first=True)


def _day(sink: _Sink, fld: str, value: object, parse_date, label: str):
    """A date cell: date objects pass straight through (the common case); anything else is parsed."""
    cls = value.__class__
    if cls is date:
        return value
    if cls is datetime:
        return value.date()
    return sink.take(fld, parse_date, value, label)


def _known_term(sink: _Sink, profile: Profile, kind: str, fld: str, value: object, noun: str) -> str | None:
    if value is None or value == "":
        return None
    if value.__class__ is str:             # the common case: an exact label, id or alias
        term = profile.vocab[kind].get(normalise(value))
        if term is not None:
            return term.id
    return _term(sink, profile, kind, fld, value, noun)


def build_activity(raw: Mapping[str, object], row: int, profile: Profile, *, fw: Framework | None = None,
                   title: str | None = None, objective_refs: Iterable[str] | None = None,
                   month_first: bool = False) -> tuple[Activity | None, list[Problem]]:
    """One activity from a row's values; None (with problems) if it cannot be placed in time."""
    sink = _Sink(row)
    get = raw.get
    parse_date = _DAY_FIRST if not month_first else _MONTH_FIRST
    start = _day(sink, "start_date", get("start_date"), parse_date, "start date")
    end_raw = get("end_date")
    end = _day(sink, "end_date", end_raw, parse_date, "end date") if end_raw is not None else None
    if start is None and not any(p.field == "start_date" for p in sink.problems):
        sink.add("start_date", "date_missing", "the activity needs a start date")
    end = end or start
    if start and end and end < start:
        sink.add("end_date", "end_before_start", f"end date {end} is before start date {start}")
    hours_raw = get("hours")
    if hours_raw.__class__ in (float, int) and 0 <= hours_raw <= MAX_HOURS_PER_ACTIVITY:
        hours = float(hours_raw)           # a plain number in range (NaN fails the comparison)
    else:
        hours = sink.take("hours", to_hours, hours_raw, "hours") if hours_raw is not None else None
    category = _known_term(sink, profile, "categories", "category", get("category"), "category")
    skill = (_known_term(sink, profile, "skill_types", "skill_type", get("skill_type"), "skill type")
             if profile.skill_types else None)
    topics: list[str] = []
    if profile.topics:
        for name in split_list(get("topics")):
            term = profile.lookup("topics", name)
            if term is None:
                sink.add("topics", "topics_unknown", f"topic must be one of "
                         f"{', '.join(t.label for t in profile.topics)}; found {shown(name)}")
            elif term.id not in topics:
                topics.append(term.id)
    codes = _codes(sink, get("competences"), fw, title)
    objective = text(get("objective"))
    refs = objective_refs if objective_refs is None or isinstance(objective_refs, (set, frozenset)) \
        else set(objective_refs)
    if objective and refs is not None and objective not in refs:
        sink.add("objective", "objective_unknown", f"objective {shown(objective)} is not in the Plan sheet"
                 + (f" (objectives: {', '.join(sorted(refs))})" if refs else " (the plan has no objectives yet)"))
    verified_raw = get("verified_on")
    verified_on = (_day(sink, "verified_on", verified_raw, parse_date, "verified on")
                   if verified_raw is not None else None)
    if sink.problems and (start is None or (end and end < start)):
        return None, sink.problems
    texts = {f: (text(v) if (v := get(f)) is not None else None) for f in _TEXT_FIELDS}
    activity = Activity(row=row, start_date=start, end_date=end, category=category, skill_type=skill,
                        competences=codes, topics=tuple(topics), hours=hours, objective=objective,
                        verified_on=verified_on, **texts)
    return activity, sink.problems


_TEXT_FIELDS = ("title", "provider", "reflection", "further_action", "evidence", "description", "mentor_comment",
                "verified_by")


def build_record(header: Mapping[str, object], objective_rows: Iterable[tuple[int, Mapping[str, object]]],
                 activity_rows: Iterable[tuple[int, Mapping[str, object]]], profile: Profile,
                 *, month_first: bool = False, plan_known: bool = True) -> tuple[Record | None, list[Problem]]:
    """A whole record and every problem found; the record is None only if no period can be read.

    ``plan_known=False`` (the caller has no plan to give) leaves objective links unchecked."""
    problems: list[Problem] = []
    member, found = build_member(header, profile)
    problems += found
    period, found = build_period(header.get("period_start"), header.get("period_end"))
    problems += found
    fw = framework_for(profile)
    objectives = []
    for row, raw in objective_rows:
        obj, found = build_objective(raw, row, fw, member.registration)
        problems += [replace(p, field=f"plan.{p.field}") for p in found]
        if obj:
            objectives.append(obj)
    refs = frozenset(o.ref for o in objectives)
    seen: dict[str, int] = {}
    for o in objectives:
        if o.ref in seen:
            problems.append(Problem("objective_duplicate", f"objective {o.ref} is also on row {seen[o.ref]}",
                                    field="plan.ref", row=o.row))
        seen.setdefault(o.ref, o.row or 0)
    activities = []
    for row, raw in activity_rows:
        act, found = build_activity(raw, row, profile, fw=fw, title=member.registration,
                                    objective_refs=refs if plan_known else None, month_first=month_first)
        problems += found
        if act:
            activities.append(act)
    if period and member.leave_days > period.days:
        problems.append(Problem("leave_days_invalid", f"leave days ({member.leave_days}) exceed the period's "
                                f"{period.days} days", field="leave_days"))
    if period is None:
        return None, problems
    return Record(member=member, period=period, activities=tuple(activities), objectives=tuple(objectives),
                  profile_id=profile.id), problems


