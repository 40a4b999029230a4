"""Institution profiles: an institution's CPD rules as data.

A profile is a TOML file (``addin/profiles/*.toml`` ship with the product; a
member may pass their own). This module loads one, checks every key and value,
and reports every problem with its place in the file. What each criterion kind
means is ``addin.readiness.criteria``'s business; the parameters each takes are
declared here so a profile is checked before it is used.

Long because the profile's schema and the check of each of its keys are read
side by side: a key added to one without the other is caught in review.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from msgspec import Struct, field

from . import shipped_data
from .errors import Problem, ProfileError
from .model import BASE_STATUSES, Period, Status
from .statuses import CriterionStatus
from .values import count, normalise

PERIOD_KINDS = ("calendar_year", "rolling_years", "licence_year")
SEVERITIES = ("fail", "warn")
PRO_RATING = ("none", "leave_days")
TEMPLATE_COLUMNS_OPTIONAL = ("skill_type", "competences", "topics", "objective", "evidence",
                             "mentor_comment", "verified_by", "verified_on", "description")
TEMPLATE_COLUMNS_EXTRA = ("location", "instructor")     # log fields only some bodies ask for
TEMPLATE_HEADER_EXTRA = ("declared_on", "job_summary", "practice_areas", "academic",   # only some bodies ask
                         "audit_statement")
# What a category holds, in terms common to every body: how one log kept for several bodies reads
# one body's category in another's terms (IET "Training courses" is EI "Courses, seminars and
# conferences"). Every shipped profile's categories cover all of them.
COMMON_KINDS = ("course", "event", "elearning", "work", "academic", "self_study", "volunteering", "committee",
                "mentoring", "presenting", "writing", "networking", "industry", "other")

# Every criterion kind and the parameters it takes: name -> (type, default).
CRITERION_PARAMS: dict[str, dict[str, tuple[type, Any]]] = {
    "period": {},
    "plan": {"min_objectives": (int, 1), "min_linked_share": (float, 0.5)},
    "total_hours": {"recommended": (bool, False)},
    "category_range": {"min_categories": (int, 3)},
    "category_hours": {},
    "skill_mix": {"min_share": (float, 0.1)},
    "competence_links": {"min_share": (float, 0.5)},
    "reflection": {"min_words": (int, 5)},
    "further_action": {"min_share": (float, 0.5)},
    "formal_hours": {"min_hours": (float, 0.0)},
    "topic_hours": {"topic": (str, ""), "min_hours": (float, 0.0), "share_of_total": (float, 0.0),
                    "recommended": (bool, False)},
    "topic_recency": {"topic": (str, ""), "years": (int, 3), "from_year": (int, 0)},
    "record": {"required_fields": (list, ["start_date", "title"])},
    "evaluation": {},
    "plan_review": {},
    "support_others": {"topics": (list, [])},
    "claimed_once": {"category": (str, ""), "same": (str, "title")},
    "declaration": {"what": (str, "declaration"), "days_after_end": (int, 0), "from_year": (int, 0)},
    "job_summary": {"max_words": (int, 200)},
    "practice_areas": {"topic": (str, ""), "min_hours": (float, 0.0)},
    "academic_hours": {"category": (str, ""), "min_hours": (float, 0.0)},
    "statement": {"choices": (list, [])},
    "evidence": {"formal_only": (bool, False)},
}
CLAIMED_ONCE = ("title", "provider_year")    # a title taught before; a provider claimed twice in a year
NEEDS_HOURS = {"total_hours", "category_hours", "formal_hours", "topic_hours"}
RECORD_FIELDS = ("start_date", "end_date", "title", "provider", "reflection", "further_action",
                 "category", "skill_type", "competences", "hours", "objective", "evidence")


class Term(Struct, frozen=True):
    """A category, skill type or topic: an id, the label shown, and aliases."""

    id: str
    label: str
    aliases: tuple[str, ...] = ()
    group: str | None = None          # skill types: technical | soft
    formal: bool = False              # categories: counts as formal CPD
    supports_others: bool = False     # categories: supporting others' learning
    min_hours: float | None = None    # categories: a minimum in the period
    max_hours: float | None = None    # categories: a cap on what counts to the total
    kinds: tuple[str, ...] = ()       # categories: what it holds, in COMMON_KINDS terms
    # How a category's activities are credited, where a body credits by activity rather than by the hour
    # (North Carolina, 21 NCAC 56 .1704): each counts `credit_each` whatever its hours (a paper: 10 PDH),
    # its hours times `credit_factor` (teaching: doubled), or its hours up to `max_each` (a society: 2 PDH).
    credit_each: float | None = None
    credit_factor: float | None = None
    max_each: float | None = None

    @property
    def credited(self) -> bool:
        """Whether the category's activities count other than hour for hour."""
        return self.credit_each is not None or self.credit_factor is not None or self.max_each is not None

    def credit_text(self, unit: str) -> str:
        """How the category is credited, in words (its Guidance sheet, docs/profiles.md)."""
        if self.credit_each is not None:
            return f"each counts {self.credit_each:g} {unit}, whatever its hours, in the period it ends in"
        parts = [f"each counts {self.credit_factor:g} times its hours"] if self.credit_factor is not None else []
        if self.max_each is not None:
            parts.append(f"at most {self.max_each:g} {unit} each")
        return ", ".join(parts)

    def credit(self, hours: float) -> float:
        """What an activity of ``hours`` (its hours in the period) counts (``credit_each`` is the caller's:
        it counts in the period the activity ends in)."""
        if self.credit_factor is not None:
            hours *= self.credit_factor
        if self.max_each is not None:
            hours = min(hours, self.max_each)
        return hours


class CriterionSpec(Struct, frozen=True):
    """One rule of a profile as data: its kind, title, severity, weight and parameters."""
    id: str
    kind: str
    title: str
    severity: CriterionStatus = CriterionStatus.FAIL   # what failing it means: fail, or only warn
    weight: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)
    source: str | None = None            # where the institution publishes the rule (page, and when it was read)


class PeriodRule(Struct, frozen=True):
    """How a profile's CPD period runs: calendar, rolling or licence years, and the month it starts."""
    kind: str = "calendar_year"
    years: int = 1
    start_month: int = 1
    ends_in: str = "any"            # "even" or "odd": the year a period ends in (South Carolina: even years)

    def aligned(self, end: date) -> bool:
        """Whether a period ending on ``end`` ends in the kind of year the rule asks."""
        return self.ends_in == "any" or (end.year % 2 == 0) == (self.ends_in == "even")


class HoursRule(Struct, frozen=True):
    """How many hours (or units) a profile asks for, by status, and what may be carried over."""
    unit: str = "hours"
    basis: str = "required"
    required: dict[Status, float] = field(default_factory=dict)      # Status -> hours
    alternative: tuple[int, float] | None = None       # (years, hours) over a rolling window
    carry_over_max: float = 0.0
    carry_over_from: tuple[str, ...] = ()   # categories whose hours alone may be carried (RICS: substantial programmes)
    minutes_per_hour: float = 60.0          # minutes of instruction a body credits as an hour (New York: 50)
    pro_rating: str = "none"


PACK_LAYOUTS = ("report", "log", "plan_record_summary")


class AuditPackRule(Struct, frozen=True):
    """What the body's reviewer is sent (``cpd audit-pack``): the record report (``report``), the board's log
    of activities (``log``: type, title, sponsor, location, dates, instructor, PDH), or the plan, the record
    and the job summary as one document (``plan_record_summary``, ICE); at most ``max_bytes`` where its
    upload is limited."""

    layout: str = "report"
    max_bytes: int | None = None
    source: str = ""


class Profile(Struct, frozen=True):
    """One professional body's CPD rules as data, each with its source."""
    id: str
    name: str
    short_name: str
    source: str
    period: PeriodRule
    hours: HoursRule | None
    categories: tuple[Term, ...]
    skill_types: tuple[Term, ...]
    topics: tuple[Term, ...]
    criteria: tuple[CriterionSpec, ...]
    competence_framework: str = "none"
    exempt_statuses: frozenset[Status] = frozenset()
    exempt_notes: dict[Status, str] = field(default_factory=dict)   # what the body says of an exemption
    grades: tuple[str, ...] = ()
    omit_columns: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    extra_header: tuple[str, ...] = ()      # the header cells its template adds (TEMPLATE_HEADER_EXTRA)
    guidance_notes: tuple[str, ...] = ()    # what the body says that no criterion checks, for its Guidance sheet
    audit_pack: AuditPackRule = AuditPackRule()
    default: bool = False
    path: str | None = None

    @property
    def unit(self) -> str:
        """What hours are counted in: "hours", or "PDH"."""
        return self.hours.unit if self.hours else "hours"

    @property
    def minutes_per_hour(self) -> float:
        """Minutes of instruction the body credits as an hour (60 unless it says fewer)."""
        return self.hours.minutes_per_hour if self.hours else 60.0

    @property
    def unit_title(self) -> str:
        """The unit at the start of a label: "Hours", "PDH"."""
        return self.unit.capitalize() if self.unit == "hours" else self.unit

    def default_period(self, year: int | None = None, start: date | None = None) -> Period:
        """The period a new record covers: this profile's kind of period, from `start` or in `year`."""
        rule = self.period
        if start is None:
            y = year or date.today().year
            start = date(y, rule.start_month if rule.kind == "licence_year" else 1, 1)
            if rule.kind == "licence_year" and not rule.aligned(Period.years_starting(start, rule.years).end):
                start = start.replace(year=start.year - 1)     # the period under way (SC: ends in an even year)
        if rule.kind == "calendar_year":
            return Period(start, date(start.year + rule.years - 1, 12, 31))
        return Period.years_starting(start, rule.years)

    @property
    def statuses(self) -> tuple[Status, ...]:
        """The member statuses this profile offers: the usual three, and any other it names as exempt."""
        return BASE_STATUSES + tuple(s for s in Status if s in self.exempt_statuses and s not in BASE_STATUSES)

    def period_ending(self, end: date) -> Period:
        """This profile's kind of period that ends on `end` (a calendar year ends with it)."""
        if self.period.kind == "calendar_year":
            return Period(date(end.year - self.period.years + 1, 1, 1), date(end.year, 12, 31))
        return Period.years_ending(end, self.period.years)

    def previous_period(self, period: Period) -> Period:
        """The period of this profile's length just before `period`."""
        return Period.years_ending(period.start - timedelta(days=1), self.period.years)

    def period_named(self, text: str) -> Period:
        """The period a member names: a year ("2025": this profile's period ending in that year, or starting
        in it for a licence year) or two dates ("2025-07-01..2026-06-30")."""
        text = text.strip()
        if ".." in text:
            first, _, last = text.partition("..")
            try:
                start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
            except ValueError:
                raise ProfileError("period_invalid", f"{text!r}: give the period as YYYY-MM-DD..YYYY-MM-DD") from None
            if end < start:
                raise ProfileError("period_invalid", f"{text!r}: the period ends before it starts")
            return Period(start, end)
        if not (text.isdigit() and len(text) == 4 and 1990 <= int(text) <= 2100):
            raise ProfileError("period_invalid", f"{text!r}: give a year (2025) or two dates "
                               "(2025-07-01..2026-06-30)")
        year = int(text)
        if self.period.kind == "licence_year":
            return self.default_period(year)
        return self.period_ending(date(year, 12, 31))

    def period_around(self, latest: date | None) -> Period:
        """The period a record that does not say its own covers: this profile's kind of period around its
        latest activity (this year's, with none)."""
        period = self.default_period(latest.year if latest else None)
        if latest and self.period.kind != "calendar_year":
            period = Period.years_ending(date(latest.year, 12, 31), self.period.years)
        return period

    def target(self, status: Status) -> float | None:
        """Hours required for a member status; None where no hours apply."""
        if self.hours is None:
            return None
        return self.hours.required.get(status)

    # every label, id and alias of each kind of term, made from the terms above (so equal wherever they are)
    vocab: dict[str, dict[str, Term]] = field(default_factory=dict)

    def lookup(self, kind: str, name: str) -> Term | None:
        """The category, skill type or topic a label, id or alias names."""
        return self.vocab[kind].get(normalise(name))

    def counterpart(self, name: str) -> Term | None:
        """This profile's category for another shipped body's category label (a log kept for several
        bodies): the first of ours that holds what theirs holds."""
        for other in _shipped().values():
            if other.id == self.id:
                continue
            theirs = other.lookup("categories", name)
            if theirs is not None and theirs.kinds:
                return next((t for t in self.categories if set(t.kinds) & set(theirs.kinds[:1])),
                            next((t for t in self.categories if set(t.kinds) & set(theirs.kinds)), None))
        return None

    def exemptions(self) -> list[str]:
        """The exempt statuses, each with what the body says of it: 'On active military duty (an extension ...)'."""
        return [s.label + (f" ({self.exempt_notes[s]})" if s in self.exempt_notes else "")
                for s in self.statuses if s in self.exempt_statuses]

    @property
    def statements(self) -> tuple[str, ...]:
        """The audit statements a member chooses one of (IMechE), from its ``statement`` criterion."""
        return next((tuple(c.params["choices"]) for c in self.criteria if c.kind == "statement"), ())

    def term(self, kind: str, term_id: str) -> Term:
        terms: tuple[Term, ...] = getattr(self, kind)
        return next(t for t in terms if t.id == term_id)


def _vocabulary(terms: tuple[Term, ...]) -> dict[str, Term]:
    table: dict[str, Term] = {}
    for term in terms:
        for name in (term.label, term.id, *term.aliases):
            table.setdefault(normalise(name), term)
    return table


# ---------------------------------------------------------------- loading

def builtin_dir() -> Path:
    """The shipped profiles' folder, beside this module in the installed package (no importlib.resources:
    importing it costs a command 5 ms)."""
    return Path(__file__).parent / "profiles"


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Profile]:
    """The shipped profiles by file name, read once per process (they are part of the installed package)."""
    return {path.stem: _load_path(str(path)) for path in sorted(builtin_dir().glob("*.toml"))}


@lru_cache(maxsize=64)
def _shipped_one(name: str) -> Profile | None:
    """The shipped profile in ``name``.toml, or None: read once per process, as ``_shipped`` reads them (a
    sheet function names its profile at every call; looking at the file each time cost it four stat calls)."""
    own = builtin_dir() / f"{name}.toml"
    return _load_path(str(own)) if own.is_file() else None


def list_profiles() -> list[Profile]:
    """The profiles that ship with the product, the default first."""
    return sorted(_shipped().values(), key=lambda p: (not p.default, p.id))


def default_profile() -> Profile:
    return list_profiles()[0]


def known_elsewhere(kind: str, name: str) -> bool:
    """Whether some shipped profile names this category or topic (one body's term in another's log)."""
    return any(p.lookup(kind, name) is not None for p in _shipped().values())


def load_profiles(named: str) -> list[Profile]:
    """The profiles a workbook's 'Institution profile' names: one ("IET"), or several ("IET, EI")."""
    names = [n for n in re.split(r"[,;/+&]+", named) if n.strip()] or [named]
    found: list[Profile] = []
    for name in names:
        prof = load_profile(name.strip())
        if prof not in found:
            found.append(prof)
    return found


def load_profile(name_or_path: str | Path | None = None) -> Profile:
    """A shipped profile by id (``"iet"``) or a profile file by path."""
    if name_or_path is None:
        return default_profile()
    text = str(name_or_path)
    if not text.endswith(".toml") and "/" not in text and "\\" not in text:
        own = _shipped_one(text.strip().lower())
        if own is not None:           # one file read, not every shipped profile (the same object: cached)
            return own
        shipped = _shipped()
        for prof in list_profiles():   # a workbook may name it as shown: "IET", "US PE"
            if normalise(text) in (normalise(prof.short_name), normalise(prof.name)):
                return prof
        known = ", ".join(sorted(shipped))
        raise ProfileError("profile_unknown", f"no profile named {text!r}; known profiles: {known}")
    return _load_path(str(Path(text).resolve()))


@lru_cache(maxsize=64)
def _load_cached(path: str, mtime: float) -> Profile:
    try:
        raw = shipped_data.read(Path(path))
    except UnicodeDecodeError:
        raise ProfileError("profile_not_toml", f"{Path(path).name}: not UTF-8 text") from None
    except ValueError as exc:                       # tomllib.TOMLDecodeError (imported only when a file is parsed)
        raise ProfileError("profile_not_toml", f"{Path(path).name}: not valid TOML: {exc}") from None
    return parse_profile(raw, source_path=path)


def _load_path(path: str) -> Profile:
    p = Path(path)
    if not p.is_file():
        raise ProfileError("profile_not_found", f"profile file not found: {path}")
    if p.stat().st_size > 1_000_000:
        raise ProfileError("profile_too_large", f"{p.name}: a profile file must be under 1 MB")
    return _load_cached(path, p.stat().st_mtime)


class _Checker:
    """Reads a TOML mapping, noting every problem with its key path."""

    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []

    def bad(self, where: str, message: str, code: str = "profile_invalid") -> None:
        self.problems.append(Problem(code, f"{self.filename}: {where}: {message}", field=where))

    def table(self, raw: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.bad(where, "must be a table")
            return {}
        for key in raw:
            if key not in allowed:
                self.bad(f"{where}.{key}" if where else key,
                         f"unknown key (allowed: {', '.join(sorted(allowed))})", "profile_unknown_key")
        return raw

    def get(self, raw: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = None,
            required: bool = False) -> Any:
        if key not in raw:
            if required:
                self.bad(f"{where}{key}", "is required", "profile_missing_key")
            return default
        value = raw[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and kind is not bool:
            ok = False
        else:
            ok = isinstance(value, kind)
        if not ok:
            name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.bad(f"{where}{key}", f"must be {_a(name)}, found {value!r}")
            return default
        return value


def _a(type_name: str) -> str:
    return {"str": "text", "float": "a number", "int": "a whole number", "bool": "true or false",
            "list": "a list", "dict": "a table"}.get(type_name, type_name)


def parse_profile(raw: dict[str, Any], source_path: str | None = None) -> Profile:
    """A Profile from a parsed TOML mapping; ProfileError listing every problem."""
    c = _Checker(Path(source_path).name if source_path else "profile")
    top = c.table(raw, "", {"id", "name", "short_name", "source", "default", "competence_framework",
                            "exempt_statuses", "exempt_notes", "guidance_notes", "grades", "period", "hours",
                            "categories", "skill_types", "topics", "criteria", "template", "audit_pack"})
    pid = c.get(top, "id", str, "", required=True) or "unknown"
    name = c.get(top, "name", str, "", required=True) or pid
    period = _parse_period(c, top.get("period", {}))
    hours = _parse_hours(c, top["hours"]) if "hours" in top else None
    categories = _parse_terms(c, top.get("categories", []), "categories", required=True)
    skill_types = _parse_terms(c, top.get("skill_types", []), "skill_types")
    topics = _parse_terms(c, top.get("topics", []), "topics")
    framework = c.get(top, "competence_framework", str, "", "none")
    if framework != "none":
        from .frameworks import load_framework
        try:
            load_framework(framework)
        except ProfileError as exc:
            c.bad("competence_framework", exc.message)
    exempt = []
    for s in c.get(top, "exempt_statuses", list, "", []):
        try:
            exempt.append(Status(s))
        except ValueError:
            c.bad("exempt_statuses", f"unknown status {s!r} (known: {', '.join(x.value for x in Status)})")
    notes = {}
    for s, note in c.get(top, "exempt_notes", dict, "", {}).items():
        status = next((x for x in exempt if x.value == s), None)
        if status is None:
            c.bad("exempt_notes", f"{s!r} is not among exempt_statuses")
        elif not isinstance(note, str) or not note.strip():
            c.bad("exempt_notes", f"the note for {s!r} must be text")
        else:
            notes[status] = note.strip()
    template = c.table(top.get("template", {}), "template", {"omit_columns", "add_columns", "add_header"})
    extra_header = tuple(c.get(template, "add_header", list, "template.", []))
    if not all(isinstance(n, str) and n.strip() for n in c.get(top, "guidance_notes", list, "", [])):
        c.bad("guidance_notes", "must be a list of text")
    from .form.layout import HEADER            # the layout reads profiles; where each header cell is
    cells: dict[tuple[int, int], str] = {}
    for fld in extra_header:
        if fld not in TEMPLATE_HEADER_EXTRA:
            c.bad("template.add_header",
                  f"{fld!r} cannot be added (extra header cells: {', '.join(TEMPLATE_HEADER_EXTRA)})")
            continue
        where = (HEADER[fld].row, HEADER[fld].label_col)
        if where in cells:
            c.bad("template.add_header", f"{fld!r} and {cells[where]!r} share a cell; a template has one of them")
        cells[where] = fld
    omit = tuple(c.get(template, "omit_columns", list, "template.", []))
    extra = tuple(c.get(template, "add_columns", list, "template.", []))
    for col in extra:
        if col not in TEMPLATE_COLUMNS_EXTRA:
            c.bad("template.add_columns",
                  f"{col!r} cannot be added (extra columns: {', '.join(TEMPLATE_COLUMNS_EXTRA)})")
    for col in omit:
        if col not in TEMPLATE_COLUMNS_OPTIONAL:
            c.bad("template.omit_columns",
                  f"{col!r} cannot be omitted (optional: {', '.join(TEMPLATE_COLUMNS_OPTIONAL)})")
    for cid in hours.carry_over_from if hours else ():
        if cid not in {t.id for t in categories}:
            c.bad("hours.carry_over_from", f"unknown category {cid!r}")
    criteria = _parse_criteria(c, top.get("criteria", []), hours, topics, categories, extra_header)
    pack = _parse_audit_pack(c, top.get("audit_pack", {}))
    if c.problems:
        raise ProfileError("profile_invalid", f"profile {pid!r} is not valid: {count(len(c.problems), 'problem')}: "
                           + "; ".join(p.message for p in c.problems), c.problems)
    return Profile(
        id=pid, name=name, short_name=c.get(top, "short_name", str, "", pid.upper()),
        source=c.get(top, "source", str, "", ""), period=period, hours=hours,
        categories=categories, skill_types=skill_types, topics=topics, criteria=criteria,
        competence_framework=framework, exempt_statuses=frozenset(exempt), exempt_notes=notes,
        grades=tuple(c.get(top, "grades", list, "", [])), omit_columns=omit, extra_columns=extra,
        extra_header=extra_header, guidance_notes=tuple(c.get(top, "guidance_notes", list, "", [])),
        audit_pack=pack, default=c.get(top, "default", bool, "", False), path=source_path,
        vocab={kind: _vocabulary(terms) for kind, terms in
               (("categories", categories), ("skill_types", skill_types), ("topics", topics))},
    )


def _parse_audit_pack(c: _Checker, raw: Any) -> AuditPackRule:
    t = c.table(raw, "audit_pack", {"layout", "max_bytes", "source"})
    if not t:
        return AuditPackRule()
    layout = c.get(t, "layout", str, "audit_pack.", "report")
    if layout not in PACK_LAYOUTS:
        c.bad("audit_pack.layout", f"must be one of {', '.join(PACK_LAYOUTS)}, found {layout!r}")
    limit = c.get(t, "max_bytes", int, "audit_pack.", None)
    if limit is not None and limit < 50_000:
        c.bad("audit_pack.max_bytes", f"must be at least 50000 bytes, found {limit}")
    source = c.get(t, "source", str, "audit_pack.", required=True) or ""
    return AuditPackRule(layout=layout, max_bytes=limit, source=source)


def _parse_period(c: _Checker, raw: Any) -> PeriodRule:
    t = c.table(raw, "period", {"kind", "years", "start_month", "ends_in"})
    kind = c.get(t, "kind", str, "period.", "calendar_year")
    if kind not in PERIOD_KINDS:
        c.bad("period.kind", f"must be one of {', '.join(PERIOD_KINDS)}, found {kind!r}")
    years = c.get(t, "years", int, "period.", 1)
    if not 1 <= years <= 10:
        c.bad("period.years", f"must be from 1 to 10, found {years}")
    month = c.get(t, "start_month", int, "period.", 1)
    if not 1 <= month <= 12:
        c.bad("period.start_month", f"must be from 1 to 12, found {month}")
    ends_in = c.get(t, "ends_in", str, "period.", "any")
    if ends_in not in ("any", "even", "odd"):
        c.bad("period.ends_in", f"must be any, even or odd, found {ends_in!r}")
    return PeriodRule(kind=kind, years=years, start_month=month, ends_in=ends_in)


def _parse_hours(c: _Checker, raw: Any) -> HoursRule:
    t = c.table(raw, "hours", {"unit", "basis", "required", "alternative", "carry_over_max", "carry_over_from",
                               "minutes_per_hour", "pro_rating"})
    required: dict[Status, float] = {}
    req = c.table(t.get("required", {}), "hours.required", {s.value for s in Status})
    for key in req:
        hrs = c.get(req, key, float, "hours.required.")
        if hrs is not None and hrs < 0:
            c.bad(f"hours.required.{key}", "must not be negative")
        elif hrs is not None and key in {s.value for s in Status}:
            required[Status(key)] = hrs
    if not required:
        c.bad("hours.required", "must give the hours for at least one status (e.g. active = 30)")
    alt = None
    if "alternative" in t:
        a = c.table(t["alternative"], "hours.alternative", {"years", "hours"})
        years = c.get(a, "years", int, "hours.alternative.", required=True)
        hrs = c.get(a, "hours", float, "hours.alternative.", required=True)
        if years is not None and hrs is not None:
            alt = (years, hrs)
    pro = c.get(t, "pro_rating", str, "hours.", "none")
    if pro not in PRO_RATING:
        c.bad("hours.pro_rating", f"must be one of {', '.join(PRO_RATING)}, found {pro!r}")
    carry = c.get(t, "carry_over_max", float, "hours.", 0.0)
    if carry < 0:
        c.bad("hours.carry_over_max", "must not be negative")
    carry_from = tuple(c.get(t, "carry_over_from", list, "hours.", []))
    minutes = c.get(t, "minutes_per_hour", float, "hours.", 60.0)
    if not 30 <= minutes <= 60:
        c.bad("hours.minutes_per_hour", f"must be from 30 to 60 minutes, found {minutes:g}")
        minutes = 60.0
    if carry_from and not carry:
        c.bad("hours.carry_over_from", "needs carry_over_max, the hours that may be carried")
    return HoursRule(unit=c.get(t, "unit", str, "hours.", "hours"), basis=c.get(t, "basis", str, "hours.", "required"),
                     required=required, alternative=alt, carry_over_max=carry, pro_rating=pro,
                     carry_over_from=carry_from, minutes_per_hour=minutes)


def _parse_terms(c: _Checker, raw: Any, kind: str, required: bool = False) -> tuple[Term, ...]:
    if not isinstance(raw, list):
        c.bad(kind, "must be a list of tables ([[" + kind + "]])")
        return ()
    if required and not raw:
        c.bad(kind, "at least one is required", "profile_missing_key")
    terms: list[Term] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(raw, 1):
        where = f"{kind}[{i}]."
        t = c.table(item, f"{kind}[{i}]", {"id", "label", "aliases", "group", "formal", "supports_others",
                                           "min_hours", "max_hours", "kinds", "credit_each", "credit_factor",
                                           "max_each"})
        tid = c.get(t, "id", str, where, required=True)
        label = c.get(t, "label", str, where, tid)
        if not tid:
            continue
        group = c.get(t, "group", str, where)
        if kind == "skill_types" and group not in ("technical", "soft"):
            c.bad(f"{where}group", f"must be 'technical' or 'soft', found {group!r}")
        term = Term(id=tid, label=label or tid, aliases=tuple(c.get(t, "aliases", list, where, [])),
                    group=group, formal=c.get(t, "formal", bool, where, False),
                    supports_others=c.get(t, "supports_others", bool, where, False),
                    min_hours=c.get(t, "min_hours", float, where), max_hours=c.get(t, "max_hours", float, where),
                    kinds=tuple(c.get(t, "kinds", list, where, [])),
                    credit_each=c.get(t, "credit_each", float, where),
                    credit_factor=c.get(t, "credit_factor", float, where), max_each=c.get(t, "max_each", float, where))
        if term.credit_each is not None and (term.credit_factor is not None or term.max_each is not None):
            c.bad(f"{where}credit_each", "a category credited a fixed amount each takes no credit_factor or max_each")
        for key in ("credit_each", "credit_factor", "max_each"):
            if (getattr(term, key) or 0) < 0:
                c.bad(f"{where}{key}", "cannot be negative")
        for k in term.kinds:
            if k not in COMMON_KINDS:
                c.bad(f"{where}kinds", f"unknown kind {k!r} (kinds: {', '.join(COMMON_KINDS)})")
        for name in (term.id, term.label, *term.aliases):
            key = normalise(name)
            if key in seen and seen[key] != term.id:
                c.bad(f"{where}aliases", f"{name!r} already names {seen[key]!r}")
            seen[key] = term.id
        terms.append(term)
    return tuple(terms)


def _parse_criteria(c: _Checker, raw: Any, hours: HoursRule | None, topics: tuple[Term, ...],
                    categories: tuple[Term, ...], extra_header: tuple[str, ...] = ()) -> tuple[CriterionSpec, ...]:
    if not isinstance(raw, list) or not raw:
        c.bad("criteria", "at least one criterion is required ([[criteria]])", "profile_missing_key")
        return ()
    specs, ids = [], set()
    topic_ids = {t.id for t in topics}
    for i, item in enumerate(raw, 1):
        where = f"criteria[{i}]."
        t = c.table(item, f"criteria[{i}]", {"id", "kind", "title", "severity", "weight", "params", "source"})
        cid = c.get(t, "id", str, where, required=True)
        kind = c.get(t, "kind", str, where, required=True)
        if cid in ids:
            c.bad(f"{where}id", f"{cid!r} is used twice")
        ids.add(cid)
        if kind not in CRITERION_PARAMS:
            if kind is not None:
                c.bad(f"{where}kind", f"unknown kind {kind!r} (known: {', '.join(CRITERION_PARAMS)})")
            continue
        if kind in NEEDS_HOURS and hours is None:
            c.bad(f"{where}kind", f"{kind!r} needs an [hours] table")
        if kind == "category_hours" and not any(x.min_hours for x in categories):
            c.bad(f"{where}kind", "'category_hours' needs min_hours on at least one category")
        severity = c.get(t, "severity", str, where, "fail")
        if severity not in SEVERITIES:
            c.bad(f"{where}severity", f"must be 'fail' or 'warn', found {severity!r}")
        weight = c.get(t, "weight", float, where, 1.0)
        if weight is not None and weight < 0:
            c.bad(f"{where}weight", "must not be negative")
        schema = CRITERION_PARAMS[kind]
        given = c.table(t.get("params", {}), f"{where}params", set(schema))
        params = {}
        for key, (ptype, default) in schema.items():
            params[key] = c.get(given, key, ptype, f"{where}params.", default)
        if "topic" in schema and params["topic"] not in topic_ids:
            c.bad(f"{where}params.topic",
                  f"unknown topic {params['topic']!r} (topics: {', '.join(sorted(topic_ids)) or 'none'})")
        header_needed = {"declaration": "declared_on", "job_summary": "job_summary", "practice_areas": "practice_areas",
                         "academic_hours": "academic", "statement": "audit_statement"}.get(kind)
        if header_needed and header_needed not in extra_header:
            c.bad(f"{where}kind", f"{kind!r} needs [template] add_header = [{header_needed!r}], the cell it reads")
        if kind == "statement" and not (params["choices"] and all(isinstance(x, str) and x for x in params["choices"])):
            c.bad(f"{where}params.choices", "must list the statements a member chooses from")
        if "category" in schema and params["category"] not in {x.id for x in categories}:
            c.bad(f"{where}params.category", f"unknown category {params['category']!r}")
        if kind == "claimed_once" and params["same"] not in CLAIMED_ONCE:
            c.bad(f"{where}params.same", f"must be one of {', '.join(CLAIMED_ONCE)}, found {params['same']!r}")
        for key in ("min_share", "min_linked_share", "share_of_total"):
            if key in params and not 0 <= params[key] <= 1:
                c.bad(f"{where}params.{key}", f"must be a share from 0 to 1, found {params[key]}")
        for fld in params.get("required_fields", []) if kind == "record" else []:
            if fld not in RECORD_FIELDS:
                c.bad(f"{where}params.required_fields", f"unknown field {fld!r} (fields: {', '.join(RECORD_FIELDS)})")
        specs.append(CriterionSpec(id=cid, kind=kind, title=c.get(t, "title", str, where, cid) or cid,
                                   severity=CriterionStatus(severity if severity in SEVERITIES else "fail"),
                                   weight=weight, params=params,
                                   source=c.get(t, "source", str, where, None)))
    return tuple(specs)


def period_words(p: Profile) -> str:
    """How a profile's period is said: 'calendar year', 'licence year', '3 years'."""
    if p.period.years == 1:
        return {"calendar_year": "calendar year", "licence_year": "licence year"}.get(p.period.kind, "12 months")
    return f"{p.period.years} years"


def profile_summary(p: Profile) -> dict[str, Any]:
    """A profile's rules as JSON-ready data (``cpd profiles --json``, ``cpd profiles show``)."""
    return {"id": p.id, "short_name": p.short_name, "name": p.name, "default": p.default,
            "period": {"kind": p.period.kind, "years": p.period.years},
            "hours": None if p.hours is None else {
                "unit": p.hours.unit, "basis": p.hours.basis,
                "required": {s.value: h for s, h in p.hours.required.items()},
                "carry_over_max": p.hours.carry_over_max, "pro_rating": p.hours.pro_rating,
                "alternative": None if not p.hours.alternative else
                {"years": p.hours.alternative[0], "hours": p.hours.alternative[1]}},
            "exempt_statuses": sorted(s.value for s in p.exempt_statuses),
            "categories": [t.label for t in p.categories], "skill_types": [t.label for t in p.skill_types],
            "topics": [t.label for t in p.topics], "competence_framework": p.competence_framework,
            "criteria": [{"id": c.id, "kind": c.kind, "title": c.title, "severity": c.severity,
                          "params": c.params} for c in p.criteria]}
