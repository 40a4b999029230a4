"""Building the CPD model from untrusted values, with a reason for each rejection.

Every source (workbook reader, add-in ranges, service uploads) hands this module
plain mappings of field name to cell value. It returns model objects and a list
of ``Problem``s, each naming its field and row so the caller can name the cell.

Long because every column's converter is here, one beside the other, so each
field of every source is checked the same way.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date, datetime
from functools import lru_cache
from itertools import compress, repeat
from operator import lt
from typing import Any

from msgspec.structs import replace

from .columns import Columns, from_mappings
from .errors import CpdError, Problem
from .frameworks import Framework, load_framework
from .model import Activity, Member, Objective, Period, Record, Status
from .profile import Profile, Term, known_elsewhere, list_profiles, load_profile
from .values import (MAX_HOURS_PER_ACTIVITY, BadValue, Cell, did_you_mean, is_blank, normalise, plural, shown,
                     serial_to_date, split_list, text, to_date, to_hours, to_number)

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

    def take(self, fld: str, convert: Callable[[Cell], Any], value: Cell, label: str) -> Any:
        try:
            return convert(value)
        except BadValue as exc:
            self.add(fld, exc.code, _labelled(exc, label))
            return None


def _labelled(exc: BadValue, label: str) -> str:
    """The message for a bad value, starting with what the value is ("start date must be ...")."""
    return exc.message if exc.message.startswith(label) else f"{label} {exc.message}"


def framework_for(profile: Profile) -> Framework | None:
    return None if profile.competence_framework == "none" else load_framework(profile.competence_framework)


def build_member(raw: Mapping[str, object], profile: Profile, typed: bool = False) -> tuple[Member, list[Problem]]:
    sink = _Sink()
    status = Status.ACTIVE
    if not is_blank(raw.get("status")):
        found = _STATUS_NAMES.get(normalise(str(raw["status"])))
        if found is None or found not in profile.statuses:
            known = ", ".join(s.label for s in profile.statuses)
            offered = "" if found is None else f" ({profile.short_name} does not offer it)"
            sink.add("status", "status_unknown",
                     f"status must be one of {known}, found {shown(raw['status'])}{offered}")
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
    declared = sink.take("declared_on", lambda v: _day(v, typed), raw.get("declared_on"), "declaration date")
    areas = split_list(raw.get("practice_areas"))
    for area in areas:
        if profile.lookup("topics", area) is not None:
            sink.add("practice_areas", "practice_area_invalid", f"{shown(area)} is one of {profile.short_name}'s "
                     f"topics, not an area of practice: name your fields of practice (Civil; Structural)")
    academic = sink.take("academic", _yes_no, raw.get("academic"), "academic")
    statement = text(raw.get("audit_statement"))
    if statement and profile.statements:
        chosen = {normalise(s): s for s in profile.statements}.get(normalise(statement))
        if chosen is None:
            sink.add("audit_statement", "statement_unknown", f"audit statement must be one of "
                     f"{'; '.join(repr(s) for s in profile.statements)}, found {shown(statement)}")
        statement = chosen
    member = Member(name=text(raw.get("name")), membership_number=text(raw.get("membership_number")),
                    grade=text(raw.get("grade")), status=status, registration=registration,
                    carried_over=carried, leave_days=int(leave), declared_on=declared,
                    job_summary=text(raw.get("job_summary")), practice_areas=areas, academic=bool(academic),
                    audit_statement=statement)
    return member, sink.problems


_YES_NO = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}


def _yes_no(value: Cell) -> bool:
    """Yes or no, as a cell says it (Yes, no, TRUE, a tick box's true); blank is no."""
    if is_blank(value):
        return False
    found = _YES_NO.get(normalise(text(value) or ""))
    if found is None:
        raise BadValue("academic_invalid", f"must be yes or no, found {shown(value)}")
    return found


def _day(value: Cell, typed: bool, month_first: bool = False) -> date | None:
    """A date from a cell; typed as text in the template (``typed``), refused as the Summary refuses it."""
    found = to_date(value, month_first=month_first)
    if typed and isinstance(value, str) and found is not None:
        raise date_as_text(value, found)
    return found


def build_period(start_raw: object, end_raw: object, typed: bool = False) -> tuple[Period | None, list[Problem]]:
    sink = _Sink()
    start = sink.take("period_start", lambda v: _day(v, typed), start_raw, "period start")
    end = sink.take("period_end", lambda v: _day(v, typed), end_raw, "period end")
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


CODES_SPACED = re.compile(r"[A-Za-z]\d{1,2}(?:\s+[A-Za-z]\d{1,2})+")   # 'C1 C2': codes with only spaces between


@lru_cache(maxsize=2048)
def _parse_codes(value: str, fw: Framework | None, title: str | None) -> tuple[tuple[str, ...], str | None]:
    """The valid codes in a cell like 'B2, c1; E4', and a message naming any that are not."""
    items = tuple(dict.fromkeys(c.upper().replace(" ", "") for part in split_list(value)
                                for c in (part.split() if CODES_SPACED.fullmatch(part) else (part,))))
    if fw is None or not items:
        return items, None
    valid = fw.codes_for(title)
    bad = [c for c in items if c not in valid]
    message = None
    if bad:
        who = f" for {fw.title_key(title)}" if fw.title_key(title) else ""
        message = (f"{', '.join(bad)} {plural(len(bad), 'is')} not {fw.name} {plural(len(bad), 'competence code')}"
                   f"{who} (valid: {', '.join(valid)})")
    return tuple(c for c in items if c in valid), message


# ---------------------------------------------------------------- activities, a column at a time
#
# Each column is converted on its own (most columns hold a few distinct values, converted once
# each); then the rules that join fields (a start date is needed, the end is not before it) run
# over the converted columns. Problems are ordered as a reader meets them: by row, then by field.

_STEP = {f: i for i, f in enumerate(("start_date", "end_date", "date_missing", "end_before_start", "hours",
                                      "category", "skill_type", "topics", "competences", "objective",
                                      "verified_on", "bodies", "status"))}
_TEXT_FIELDS = ("title", "provider", "reflection", "further_action", "evidence", "description", "mentor_comment",
                "verified_by", "location", "instructor")
# Prose (what was learnt, the further action, notes, a mentor's comment) is kept as typed, trimmed: the member's
# own spacing is theirs, and the verdict reads only its words. Other text has its runs of spaces collapsed, so
# that a title, a provider or a name is the same however it was spaced.
PROSE_FIELDS = frozenset({"reflection", "further_action", "description", "mentor_comment"})
_ACTIVITY_FIELDS = Activity.__struct_fields__   # the field names, in order (msgspec's fields() reads the types too)


class _Found:
    """Problems found in an activity table, kept with their row index and step for ordering."""

    def __init__(self, rows: list[int]):
        self.rows = rows
        self.items: list[tuple[int, int, Problem]] = []

    def add(self, i: int, fld: str, code: str, message: str, step: str | None = None) -> None:
        self.items.append((i, _STEP[step or fld], Problem(code, message, field=fld, row=self.rows[i])))

    def bad(self, i: int, fld: str, exc: BadValue, label: str) -> None:
        self.add(i, fld, exc.code, _labelled(exc, label))

    def ordered(self) -> list[Problem]:
        return [p for _, _, p in sorted(self.items, key=lambda item: (item[0], item[1]))]


_LATER = object()       # a value the quick pass leaves for the careful one
_UNKNOWN = object()     # a value a column's remembered conversions do not hold


def _later(out: list[Any]) -> list[int]:
    """Where the quick pass left a value for the careful one (looked for only when it left any)."""
    return [i for i, v in enumerate(out) if v is _LATER] if _LATER in out else []


_SERIALS_AND_TEXT = frozenset({int, float, str})     # not bool: a TRUE cell is no serial number (True == 1)


def _date_column(table: Columns, found: _Found, fld: str, label: str, month_first: bool,
                 typed: bool = False) -> list[Any]:
    """Dates: date cells pass as they are; anything else is parsed (day first unless told). ``typed``: the
    grid's own formulas read the column (the template's Summary), so a date typed as text is refused."""
    values, types = table.get(fld), table.types_of(fld)
    if types == {str} and not any(values):
        return [None] * len(values)        # an empty column
    if types == {date}:
        return list(values)
    # serial numbers (as Office.js passes dates): each distinct one converted once
    serials: dict[Cell, Any] = {v: _serial_day(v) for v in set(values) if v.__class__ is int or v.__class__ is float} \
        if int in types or float in types else {}
    if types <= _SERIALS_AND_TEXT:          # as Office.js passes a date column: each cell looked up at C speed
        serials[""] = None
        out = list(map(serials.get, values, repeat(_LATER)))
    else:
        out = [v if (c := v.__class__) is date else serials[v] if c is int or c is float
               else None if v == "" else _LATER for v in values]
    for i in _later(out):
        v = values[i]
        if v.__class__ is datetime:
            out[i] = v.date()
        else:
            try:
                out[i] = _day(v, typed, month_first)
            except BadValue as exc:
                out[i] = None
                found.bad(i, fld, exc, label)
    return out


def _serial_day(serial: float) -> Any:
    """The date of a serial number, or _LATER for one that is not a date (the careful pass says why)."""
    try:
        return serial_to_date(float(serial))
    except BadValue:
        return _LATER


def date_as_text(raw: str, day: date) -> BadValue:
    """A date typed as text where the sheet's own formulas read the cell: they cannot, so it is refused."""
    return BadValue("date_is_text", f"is text ({shown(raw)}), which the Summary's formulas cannot count: enter it "
                    f"as a date ({day.isoformat()})")


def hours_as_text(raw: str, hours: float) -> BadValue:
    """Hours typed as text (1h30, 20 min) where the sheet's own formulas add the column: refused, with the
    number to type."""
    return BadValue("hours_is_text", f"are text ({shown(raw)}), which the Summary's formulas cannot add: enter "
                    f"the number of hours ({hours:.6g})")


def _hours_column(table: Columns, found: _Found, typed: bool = False, minutes_per_hour: float = 60.0) -> list[Any]:
    """Hours: a plain number in range passes (NaN fails the comparison; a whole number, as JSON brings one from
    Office.js or the Sheets API, as a float); anything else is read as hours, and refused when it is text and
    ``typed`` (the Summary's formulas add the column)."""
    most = MAX_HOURS_PER_ACTIVITY
    values = table.get("hours")
    if values and table.types_of("hours") == {float} and (total := sum(values)) == total \
            and min(values) >= 0 and max(values) <= most:
        return list(values)            # every cell a number in range, checked at C speed (a NaN makes the sum NaN)
    out = [v if (c := v.__class__) is float and 0 <= v <= most else float(v) if c is int and 0 <= v <= most
           else None if v == "" else _LATER for v in values]
    for i in _later(out):
        try:
            v = values[i]
            hours = out[i] = to_hours(v, minutes_per_hour)
            if typed and isinstance(v, str) and hours is not None:
                raise hours_as_text(v, hours)
        except BadValue as exc:
            out[i] = None
            found.bad(i, "hours", exc, "hours")
    return out


def _text_column(table: Columns, fld: str) -> list[Any]:
    """Text as ``text()`` gives it, or for prose (``PROSE_FIELDS``) trimmed; at C speed when every cell is
    text and none needs its spaces collapsed."""
    values = table.get(fld)
    prose = fld in PROSE_FIELDS
    if table.types_of(fld) == {str}:
        if not any(values):
            return [None] * len(values)    # an empty column
        if prose or not _spaced("\0".join(values)):
            stripped = list(map(str.strip, values))
            return stripped if all(stripped) else [v or None for v in stripped]
    if prose:
        return [v.strip() or None if v.__class__ is str else text(v) for v in values]
    return [None if v == "" else text(v) for v in values]


def _spaced(joined: str) -> bool:
    """Whether any of the text has spaces ``text()`` would collapse (two in a row, a tab, a carriage return)."""
    return "  " in joined or "\t" in joined or "\r" in joined


def _by_value(table: Columns, fld: str, convert: Converter, found: _Found,
              known: dict[Cell, Any] | None = None) -> list[Any]:
    """Convert each distinct value once: ``convert(v)`` gives (result, [(code, message), ...]). ``known``: the
    results of values ``convert`` found no problem in, kept between tables (looked up, not converted again: a
    column of many distinct values, such as competences, read again at each recalculation); a column whose every
    value is known is looked up at C speed; a lookup that misses converts, as a value may be forgotten by another
    thread meanwhile."""
    values = table.get(fld)
    if table.types_of(fld) <= {str}:
        if known is None:
            memo = {v: convert(v) for v in set(values)}
        else:
            try:
                return list(map(known.__getitem__, values))      # every value known, none with a problem
            except KeyError:
                pass
            memo = {v: (hit, ()) if (hit := known.get(v, _UNKNOWN)) is not _UNKNOWN else convert(v)
                    for v in set(values)}
            if len(known) + len(memo) > KNOWN_VALUES:
                known.clear()
            known.update({v: result for v, (result, problems) in memo.items() if not problems})
        if len(memo) == 1:                  # one value all down the column (a Status left blank): no lookups
            (result, _), = memo.values()
            out = [result] * len(values)
        else:
            out = list(map({v: result for v, (result, _) in memo.items()}.__getitem__, values))
        bad = {v for v, (_, problems) in memo.items() if problems}
        for i in [i for i, v in enumerate(values) if v in bad] if bad else ():
            for code, message in memo[values[i]][1]:
                found.add(i, fld, code, message)
        return out
    out = []
    for i, v in enumerate(values):
        result, problems = convert(v)
        out.append(result)
        for code, message in problems:
            found.add(i, fld, code, message)
    return out


def _term_converter(profile: Profile, kind: str, fld: str, noun: str) -> Converter:
    vocab = profile.vocab[kind]

    def convert(value: Cell) -> Converted:
        if value == "":
            return None, ()
        if value.__class__ is str:          # the common case: an exact label, id or alias
            term = vocab.get(normalise(value))
            if term is not None:
                return term.id, ()
        name = text(value)
        if name is None:
            return None, ()
        term = profile.lookup(kind, name)
        if term is None and kind == "categories":       # another body's category, in a log kept for several
            term = profile.counterpart(name)
        if term is None:
            terms: tuple[Term, ...] = getattr(profile, kind)
            labels = ", ".join(t.label for t in terms)
            hint = did_you_mean(name, [t.label for t in terms] + [a for t in terms for a in t.aliases])
            return None, ((f"{fld}_unknown", f"{noun} must be one of {labels}; found {shown(name)}{hint}"),)
        return term.id, ()
    return convert


Converted = tuple[Any, Sequence[tuple[str, str]]]     # a value, and the (code, message) of each problem
Converter = Callable[[Cell], Converted]
_SKIP = object()          # a list item that belongs to another body: neither kept nor a problem


def _list_converter(find: Callable[[str], object], unknown: Callable[[str], tuple[str, str]]) -> Converter:
    """A converter for a cell holding a list ('A, B; C'): each item's id by ``find`` (None: not known,
    then ``unknown(item)`` gives the problem; _SKIP: left out), each id once, in order."""
    def convert(value: Cell) -> Converted:
        ids: list[str] = []
        problems = []
        for name in split_list(value if value != "" else None):
            found = find(name)
            if found is None:
                problems.append(unknown(name))
            elif isinstance(found, str) and found not in ids:
                ids.append(found)
        return tuple(ids), problems
    return convert


def _topics_converter(profile: Profile, areas: Iterable[str] = ()) -> Converter:
    """Topics by the profile's names, and the member's own areas of practice (each its own topic, by the
    name the header gives it)."""
    own = {normalise(a): a for a in areas}

    def find(name: str) -> object:
        if normalise(name) in own:
            return own[normalise(name)]
        term = profile.lookup("topics", name)
        if term is None and known_elsewhere("topics", name):
            return _SKIP                 # another body's topic (a log kept for several bodies): not this one's
        return term.id if term else None

    def unknown(name: str) -> tuple[str, str]:
        labels = [t.label for t in profile.topics] + list(own.values())
        return ("topics_unknown", f"topic must be one of {', '.join(labels)}; found {shown(name)}"
                f"{did_you_mean(name, labels)}")
    return _list_converter(find, unknown)


def _bodies_converter() -> Converter:
    """The bodies an activity counts for ('IET, EI'): profile ids, each named by id or short name."""
    def find(name: str) -> object:
        if "/" in name or name.endswith(".toml"):
            return None
        try:
            return load_profile(name).id
        except CpdError:
            return None

    def unknown(name: str) -> tuple[str, str]:
        names = [p.short_name for p in list_profiles()]
        return ("bodies_unknown", f"'For' names the bodies an activity counts for ({', '.join(names)}); "
                f"found {shown(name)}{did_you_mean(name, names)}")
    return _list_converter(find, unknown)


KNOWN_VALUES = 8192      # distinct values a column's conversions remember between tables


@lru_cache(maxsize=16)
def _codes_known(fw: Framework | None, title: str | None) -> dict[Cell, Any]:
    """What the competences column's cells converted to without a problem, for one framework and registration
    title."""
    return {}


def _codes_converter(fw: Framework | None, title: str | None) -> Converter:
    def convert(value: Cell) -> Converted:
        if value == "" or value is None:
            return (), ()
        codes, message = _parse_codes(value if isinstance(value, str) else str(value), fw, title)
        return codes, ((("competence_unknown", message),) if message else ())
    return convert


def _objective_converter(refs: AbstractSet[str] | None) -> Converter:
    def convert(value: Cell) -> Converted:
        objective = text(value) if value != "" else None
        if objective and refs is not None and objective not in refs:
            return objective, (("objective_unknown", f"objective {shown(objective)} is not in the Plan sheet"
                                + (f" (objectives: {', '.join(sorted(refs))})" if refs
                                   else " (the plan has no objectives yet)")),)
        return objective, ()
    return convert


_DRAFT_WORDS = {"draft": True, "captured": True, "to confirm": True, "unconfirmed": True, "confirmed": False,
                "done": False, "complete": False, "completed": False, "attended": False}


def _draft(value: Cell) -> Converted:
    """An activity's Status: True for a draft; blank (and Confirmed) is confirmed."""
    if value == "" or value is None:
        return False, ()
    found = _DRAFT_WORDS.get(normalise(text(value) or ""))
    if found is None:
        return False, (("activity_status_unknown", f"status must be Draft or Confirmed (blank is confirmed); "
                        f"found {shown(value)}"),)
    return found, ()


def build_activities(table: Columns, profile: Profile, *, fw: Framework | None = None, title: str | None = None,
                     objective_refs: Iterable[str] | None = None, month_first: bool = False, typed: bool = False,
                     areas: Iterable[str] = ()) -> tuple[list[Activity], list[Problem]]:
    """The activities of a table, and a problem for each value that cannot be read. ``typed``: the grid is
    the template's, whose Summary formulas add the hours and dates, so text there is refused as they
    refuse it (the value to type is named).

    A row whose start date is missing or bad, or whose end is before its start, gives no
    activity (it cannot be placed in time); other bad values leave their field empty."""
    n = len(table)
    found = _Found(table.rows)
    starts = _date_column(table, found, "start_date", "start date", month_first, typed)
    ends = _date_column(table, found, "end_date", "end date", month_first, typed)
    placed = [True] * n
    missing = [i for i, s in enumerate(starts) if s is None] if table.types_of("start_date") != {date} else []
    if missing:
        start_bad = {i for i, step, _ in found.items if step == _STEP["start_date"]}
        for i in missing:
            placed[i] = False
            if i not in start_bad:
                found.add(i, "start_date", "date_missing", "the activity needs a start date", step="date_missing")
    ends = [e or s for e, s in zip(ends, starts)]
    backwards = (any(map(lt, ends, starts)) if not missing
                 else any(s is not None and e < s for s, e in zip(starts, ends)))
    for i in [i for i, (s, e) in enumerate(zip(starts, ends)) if s is not None and e < s] if backwards else ():
        placed[i] = False
        found.add(i, "end_date", "end_before_start", f"end date {ends[i]} is before start date {starts[i]}",
                  step="end_before_start")
    refs = objective_refs if objective_refs is None or isinstance(objective_refs, (set, frozenset)) \
        else set(objective_refs)
    values = {
        "row": table.rows, "start_date": starts, "end_date": ends,
        "hours": _hours_column(table, found, typed, profile.minutes_per_hour),
        "category": _by_value(table, "category", _term_converter(profile, "categories", "category", "category"),
                              found),
        "skill_type": (_by_value(table, "skill_type", _term_converter(profile, "skill_types", "skill_type",
                                                                       "skill type"), found)
                       if profile.skill_types else [None] * n),
        "topics": (_by_value(table, "topics", _topics_converter(profile, areas), found) if profile.topics
                   else [()] * n),
        "competences": _by_value(table, "competences", _codes_converter(fw, title), found, _codes_known(fw, title)),
        "objective": _by_value(table, "objective", _objective_converter(refs), found),
        "verified_on": _date_column(table, found, "verified_on", "verified on", month_first),
        "bodies": _by_value(table, "bodies", _bodies_converter(), found) if "bodies" in table.values else [()] * n,
        "draft": _by_value(table, "status", _draft, found) if "status" in table.values else [False] * n,
    }
    for f in _TEXT_FIELDS:
        values[f] = _text_column(table, f) if f in table.values else [None] * n
    built = map(Activity, *(values[f] for f in _ACTIVITY_FIELDS))
    activities = list(built) if all(placed) else list(compress(built, placed))
    return activities, found.ordered()


ActivityBuild = Callable[..., tuple[list[Activity], list[Problem]]]   # (profile, **context) -> activities, problems


def build_record(header: Mapping[str, object], objective_rows: Iterable[tuple[int, Mapping[str, object]]],
                 activity_rows: Columns | Iterable[tuple[int, Mapping[str, object]]] | None, profile: Profile,
                 *, month_first: bool = False, plan_known: bool = True, typed: bool = False,
                 build: ActivityBuild | None = None) -> tuple[Record | None, list[Problem]]:
    """A whole record and every problem found; the record is None only if no period can be read.

    ``plan_known=False`` (the caller has no plan to give) leaves objective links unchecked; ``typed``: the
    grid is the template's, whose own formulas read the dates and hours (``build_activities``). ``build``:
    builds the activities instead of ``build_activities`` on ``activity_rows``, called as
    ``build(profile, **context)`` with the context ``build_activities`` would get (fw, title, objective_refs,
    month_first, typed, areas): the worksheet functions' recalculation, which rebuilds only the rows that
    changed since the last call."""
    problems: list[Problem] = []
    member, found = build_member(header, profile, typed)
    problems += found
    period, found = build_period(header.get("period_start"), header.get("period_end"), typed=typed)
    problems += found
    fw = framework_for(profile)
    objectives = []
    for row, raw in objective_rows:
        if raw.keys() <= {"ref"}:        # a row with only its ref (the template numbers fifty): blank
            continue
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
    context: dict[str, Any] = {"fw": fw, "title": member.registration,
                               "objective_refs": refs if plan_known else None, "month_first": month_first,
                               "typed": typed, "areas": tuple(member.practice_areas)}
    if build is not None:
        activities, found = build(profile, **context)
    else:
        table = activity_rows if isinstance(activity_rows, Columns) else from_mappings(activity_rows or ())
        activities, found = build_activities(table, profile, **context)
    problems += found
    if period and member.leave_days > period.days:
        problems.append(Problem("leave_days_invalid", f"leave days ({member.leave_days}) exceed the period's "
                                f"{period.days} days", field="leave_days"))
    if period is None:
        return None, problems
    drafts = tuple(a for a in activities if a.draft)
    if drafts:
        activities = [a for a in activities if not a.draft]
    return Record(member=member, period=period, activities=tuple(activities), objectives=tuple(objectives),
                  profile_id=profile.id, drafts=drafts), problems


def check_activity(values: Mapping[str, object], profile: Profile, row: int = 0) -> list[Problem]:
    """The problems one activity's values have (an activity added from a phone, before it is kept): every
    column's own check, as a workbook's row gets it (dates as ISO text or dates, hours as numbers)."""
    table = from_mappings([(row, {k: v for k, v in values.items() if v not in (None, "")})])
    if not len(table):
        return [Problem("date_missing", "the activity needs a start date", field="start_date", row=row)]
    _, problems = build_activities(table, profile, fw=framework_for(profile), typed=False)
    return problems
