"""The criterion kinds a profile can use, one function each.

Each takes the assessment context and the criterion's spec and returns an
``Outcome``: pass, warn or fail, the reason, and a hint naming what to do and
which rows. Long because every kind is here, one beside the other, so their reasons and hints read
alike. ``spec.severity`` is the worst status a shortfall earns ("warn" for
advice, "fail" for a requirement). Profiles choose kinds and parameters; no
institution is named here.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from msgspec import Struct

from ..model import Activity, Period, Record
from ..profile import CriterionSpec, Profile
from ..values import count, normalise, plural
from ..statuses import PASS, WARN
from .result import Need, Outcome
from .totals import Totals, covered_categories, hours_in, in_period

PLANNING_STATUSES = {"planned", "in progress", "not started", ""}


class Context(Struct, frozen=True):
    """What every criterion is judged against: the record, its profile, its totals and the target."""
    record: Record
    profile: Profile
    totals: Totals
    target: float | None
    counted: float
    as_of: date | None

    @property
    def period(self) -> Period:
        return self.record.period

    @property
    def unit(self) -> str:
        return self.profile.unit

    def deadline(self) -> str:
        if self.as_of and self.as_of > self.period.end:
            return f"dated in the period (it ended {fmt_date(self.period.end)})"
        return f"before {fmt_date(self.period.end)}"


def fmt_hours(x: float) -> str:
    return f"{round(x + 1e-9, 2):g}"


def amount(x: float, unit: str) -> str:
    """Hours with their unit as a reader says them: '1 hour', '1.5 hours', '1 PDH'."""
    shown = fmt_hours(x)
    return f"{shown} {'hour' if unit == 'hours' and shown == '1' else unit}"


def meets(got: float, need: float) -> bool:
    """Whether ``got`` hours reach ``need``, compared as they are shown (to the hundredth of an hour, 36
    seconds): nine talks of 0.333333 hours and 27 more are the 30 hours they read as, never "30 of 30, add 0"."""
    return round(got + 1e-9, 2) >= round(need + 1e-9, 2)


def fmt_date(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def fmt_rows(rows: Iterable[int], limit: int = 8) -> str:
    rows = sorted(rows)
    head = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"{plural(len(rows), 'row')} {head}{more}"


def _a(words: str) -> str:
    """``words`` with its article: 'a technical', 'an interpersonal'."""
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


def join_or(found: Iterable[str]) -> str:
    items = list(found)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


# ---------------------------------------------------------------- the kinds

def period(ctx: Context, spec: CriterionSpec) -> Outcome:
    rule, p = ctx.profile.period, ctx.period
    if rule.kind == "calendar_year":
        want = Period(date(p.end.year - rule.years + 1, 1, 1), date(p.end.year, 12, 31))
    elif rule.ends_in != "any":                     # fixed periods (SC: 1 July to 30 June of an even year)
        want = ctx.profile.default_period(p.start.year)
        if p.start >= want.end:
            want = ctx.profile.default_period(start=want.end + timedelta(days=1))
    else:
        want = Period.years_ending(p.end, rule.years)
    if p == want:
        return Outcome(PASS, f"the record covers {p}")
    span = "calendar year" if rule.kind == "calendar_year" and rule.years == 1 else f"{rule.years}-year period"
    return Outcome(spec.severity, f"the record covers {p}, not the {span} under review",
                   f"set the period from {fmt_date(want.start)} to {fmt_date(want.end)}")


def plan(ctx: Context, spec: CriterionSpec) -> Outcome:
    objectives = ctx.record.objectives
    acts = ctx.totals.activities
    need = spec.params["min_objectives"]
    if len(objectives) < need:
        return Outcome(spec.severity, f"the plan has {count(len(objectives), 'objective')}; at least {need} needed",
                       "add your development objectives to the Plan sheet and link activities to them "
                       "in the Objective column")
    if not acts:
        return Outcome(PASS, f"the plan has {count(len(objectives), 'objective')}")
    unlinked = [a.row for a in acts if not a.objective]
    share = 1 - len(unlinked) / len(acts)
    reason = f"{len(acts) - len(unlinked)} of {len(acts)} activities relate to a plan objective"
    hint = (f"{fmt_rows(unlinked)}: name the plan objective each activity serves (Objective column)"
            if unlinked else None)
    if share >= spec.params["min_linked_share"] and (share > 0 or spec.params["min_linked_share"] == 0):
        return Outcome(PASS, reason, hint, tuple(unlinked))
    return Outcome(WARN if share > 0 else spec.severity, reason, hint, tuple(unlinked))


def total_hours(ctx: Context, spec: CriterionSpec) -> Outcome:
    unit = ctx.unit
    if ctx.target is None:
        return Outcome(PASS, "no hours are set for this status")
    got, need = ctx.counted, ctx.target
    reason = f"{fmt_hours(got)} of {amount(need, unit)}"
    if meets(got, need):
        return Outcome(PASS, reason)
    alt = ctx.profile.hours.alternative if ctx.profile.hours else None
    if alt:
        years, alt_hours = alt
        window = Period.years_ending(ctx.period.end, years)
        in_window = math.fsum(hours_in(a, window) for a in ctx.record.activities)
        if meets(in_window, alt_hours):
            return Outcome(PASS, f"{reason} this period, and {fmt_hours(in_window)} of {fmt_hours(alt_hours)} "
                           f"over the {years} years to {fmt_date(ctx.period.end)}")
        reason += (f"; {fmt_hours(in_window)} of {fmt_hours(alt_hours)} over the {years} years to "
                   f"{fmt_date(ctx.period.end)}")
    hint = f"add {amount(need - got, unit)} {ctx.deadline()}" + _recommended(ctx, spec, need)
    return Outcome(spec.severity, reason, hint, needs=(Need(need - got),))


def _recommended(ctx: Context, spec: CriterionSpec, need: float, what: str = "") -> str:
    """What a hint adds when the body asks for the hours as an aim: its review gives feedback, not a fail."""
    if not spec.params.get("recommended"):
        return ""
    return (f"; {amount(need, ctx.unit)}{what} is {ctx.profile.short_name}'s recommendation, and its review "
            f"gives feedback on a shortfall rather than a fail")


def category_range(ctx: Context, spec: CriterionSpec) -> Outcome:
    need = spec.params["min_categories"]
    covered = covered_categories(ctx.totals, ctx.profile)
    labels = {t.id: t.label for t in ctx.profile.categories}
    missing = [labels[c] for c in labels if c not in covered]
    reason = f"{len(covered)} of {len(labels)} categories covered" + (
        f" ({', '.join(labels[c] for c in covered)})" if covered else "")
    if len(covered) >= need:
        return Outcome(PASS, reason)
    uncategorised = [a.row for a in ctx.totals.activities if not a.category]
    hint = f"no activity in {join_or(missing)}: add activities in {need - len(covered)} more of them"
    if uncategorised:
        hint += f"; {fmt_rows(uncategorised)} {plural(len(uncategorised), 'has', 'have')} no category"
    status = WARN if covered and len(covered) == need - 1 else spec.severity
    return Outcome(status, reason, hint, tuple(uncategorised))


def category_hours(ctx: Context, spec: CriterionSpec) -> Outcome:
    short_of, needs = [], []
    for t in ctx.profile.categories:
        if t.min_hours:
            got = ctx.totals.by_category.get(t.id, 0.0)
            if not meets(got, t.min_hours):
                short_of.append(f"{amount(t.min_hours - got, ctx.unit)} of {t.label}")
                needs.append(Need(t.min_hours - got, category=t.id))
    if not short_of:
        return Outcome(PASS, "every category minimum is met")
    return Outcome(spec.severity, f"{count(len(short_of), 'category minimum', 'category minimums')} not met",
                   f"add {', '.join(short_of)} {ctx.deadline()}", needs=tuple(needs))


def skill_mix(ctx: Context, spec: CriterionSpec) -> Outcome:
    by_group: Mapping[str, float]
    if ctx.profile.hours:
        by_group = ctx.totals.by_skill_group
    else:                                  # no hours apply: each activity counts once
        group_of = {t.id: t.group or "" for t in ctx.profile.skill_types}
        by_group = Counter(group_of[a.skill_type] for a in ctx.totals.activities if a.skill_type)
    groups = {"technical": float(by_group.get("technical", 0.0)), "soft": float(by_group.get("soft", 0.0))}
    unset = [a.row for a in ctx.totals.activities if not a.skill_type]
    total = groups["technical"] + groups["soft"]
    measure = ctx.unit if ctx.profile.hours else "activities"
    reason = (f"technical {fmt_hours(groups['technical'])}, soft skills {fmt_hours(groups['soft'])} {measure}")
    labels = {g: [t.label for t in ctx.profile.skill_types if t.group == g] for g in groups}
    missing = [g for g in groups if groups[g] <= 0]
    tail = f"; {fmt_rows(unset)} {plural(len(unset), 'has', 'have')} no skill type" if unset else ""
    if missing:
        g = missing[0] if len(missing) == 1 else None
        what = f"{_a(join_or(labels[g]))} activity" if g else "activities with a skill type"
        return Outcome(spec.severity, reason, f"add {what} {ctx.deadline()}{tail}", tuple(unset))
    low = [g for g in groups if groups[g] / total < spec.params["min_share"]]
    if low:
        g = low[0]
        return Outcome(WARN, reason + f" ({groups[g] / total:.0%} {g})",
                       f"balance the mix: {g} skills are under {spec.params['min_share']:.0%} of your CPD{tail}",
                       tuple(unset))
    return Outcome(PASS, reason)


def competence_links(ctx: Context, spec: CriterionSpec) -> Outcome:
    acts = ctx.totals.activities
    if not acts:
        return Outcome(spec.severity, "no activities in the period", "record your activities with the "
                       "competences each one develops")
    unlinked = [a.row for a in acts if not a.competences]
    linked = len(acts) - len(unlinked)
    reason = f"{linked} of {len(acts)} activities linked to competences"
    if linked / len(acts) >= spec.params["min_share"] and not (linked == 0):
        return Outcome(PASS, reason) if not unlinked else Outcome(
            PASS, reason, f"{fmt_rows(unlinked)}: add the competence codes too", tuple(unlinked))
    status = WARN if linked else spec.severity
    return Outcome(status, reason, f"{fmt_rows(unlinked)}: add the competence codes each activity develops "
                   f"(Competences column, e.g. E4)", tuple(unlinked))


# The What? / So what? / Now what? prompts, as the Guidance sheet and the reflection cells' input message ask them.
REFLECTION_HINT = ("What did you do and learn? So what: why does it matter to your work? Now what: how did or will you "
                   "apply it?")


def reflection(ctx: Context, spec: CriterionSpec) -> Outcome:
    acts = ctx.totals.activities
    if not acts:
        return Outcome(spec.severity, "no activities in the period to reflect on",
                       "record activities and what you learnt from each")
    need = spec.params["min_words"]
    # none, or fewer than ``need`` words (each text split no further than that, inline: not a function called a
    # row), in one pass; then told apart among the few found
    short = [a for a in acts if not (r := a.reflection) or len(r.split(None, need - 1)) < need] if need > 0 \
        else [a for a in acts if not a.reflection]
    missing = [a.row for a in short if not a.reflection]
    thin = [a.row for a in short if a.reflection]
    reason = f"{len(acts) - len(missing) - len(thin)} of {len(acts)} activities have a reflection"
    if not missing and not thin:
        return Outcome(PASS, reason)
    parts = []
    if missing:
        parts.append(f"{fmt_rows(missing)}: no reflection")
    if thin:
        parts.append(f"{fmt_rows(thin)}: reflection under {need} words")
    hint = "; ".join(parts) + f" ({REFLECTION_HINT})"
    share_bad = (len(missing) + len(thin)) / len(acts)
    status = WARN if share_bad <= 0.25 else spec.severity
    return Outcome(status, reason, hint, tuple(sorted(missing + thin)))


def further_action(ctx: Context, spec: CriterionSpec) -> Outcome:
    acts = ctx.totals.activities
    if not acts:
        return Outcome(spec.severity, "no activities in the period", "record activities and any follow-up")
    missing = [a.row for a in acts if not a.further_action]
    done = len(acts) - len(missing)
    reason = f"{done} of {len(acts)} activities say what further action follows"
    if done / len(acts) >= spec.params["min_share"]:
        return Outcome(PASS, reason)
    return Outcome(WARN if done else spec.severity, reason,
                   f"{fmt_rows(missing)}: note any further action (or 'none')", tuple(missing))


def formal_hours(ctx: Context, spec: CriterionSpec) -> Outcome:
    need, got = spec.params["min_hours"], ctx.totals.formal
    reason = f"{fmt_hours(got)} of {fmt_hours(need)} formal {ctx.unit}"
    if meets(got, need):
        return Outcome(PASS, reason)
    formal = [t.label for t in ctx.profile.categories if t.formal]
    return Outcome(spec.severity, reason, f"add {amount(need - got, ctx.unit)} of formal CPD "
                   f"({join_or(formal)}) {ctx.deadline()}", needs=(Need(need - got, formal=True),))


def topic_hours(ctx: Context, spec: CriterionSpec) -> Outcome:
    topic = ctx.profile.term("topics", spec.params["topic"])
    got = ctx.totals.by_topic.get(topic.id, 0.0)
    need = max(spec.params["min_hours"], spec.params["share_of_total"] * ctx.totals.hours)
    reason = f"{fmt_hours(got)} of {amount(need, ctx.unit)} on {topic.label}"
    if meets(got, need) and (need > 0 or got > 0 or spec.params["share_of_total"] == 0):
        return Outcome(PASS, reason)
    gap = max(need - got, 0.0)
    return Outcome(spec.severity, reason,
                   f"add {fmt_hours(gap) if gap else 'some'} {ctx.unit} on {topic.label} {ctx.deadline()} "
                   f"and name the topic in the Topics column" + _recommended(ctx, spec, need, f" on {topic.label}"),
                   needs=(Need(gap or 1.0, topic=topic.id),))


def topic_recency(ctx: Context, spec: CriterionSpec) -> Outcome:
    topic = ctx.profile.term("topics", spec.params["topic"])
    if ctx.period.end.year < spec.params["from_year"]:
        return Outcome(PASS, f"{topic.label}: asked for from {spec.params['from_year']}")
    window = Period.years_ending(ctx.period.end, spec.params["years"])
    first = spec.params["from_year"]
    if first and window.start < date(first, 1, 1):      # a rule from a year: nothing before it counts
        window = Period(date(first, 1, 1), window.end)
    found = sorted(a.row for a in ctx.record.activities if topic.id in a.topics and in_period(a, window))
    if found:
        return Outcome(PASS, f"{topic.label}: {fmt_rows(found)} since {fmt_date(window.start)}")
    due = date(first + spec.params["years"] - 1, 12, 31) if first else None
    if due and ctx.period.end < due:                   # within the first cycle of the rule: due later
        return Outcome(WARN, f"no {topic.label} activity since {fmt_date(window.start)}; due by {fmt_date(due)}",
                       f"add an activity on {topic.label} by {fmt_date(due)} and name the topic in the Topics column",
                       needs=(Need(1.0, topic=topic.id),))
    return Outcome(spec.severity, f"no {topic.label} activity since {fmt_date(window.start)}",
                   f"add an activity on {topic.label} {ctx.deadline()} and name the topic in the Topics column",
                   needs=(Need(1.0, topic=topic.id),))


_FIELD_NAMES = {"start_date": "start date", "end_date": "end date", "title": "description",
                "provider": "provider", "reflection": "reflection", "further_action": "further action",
                "category": "category", "skill_type": "skill type", "competences": "competences",
                "hours": "hours", "objective": "objective", "evidence": "evidence"}


def record(ctx: Context, spec: CriterionSpec) -> Outcome:
    acts = ctx.totals.activities
    if not acts:
        return Outcome(spec.severity, "no activities recorded in the period",
                       f"record your CPD activities dated from {fmt_date(ctx.period.start)} "
                       f"to {fmt_date(ctx.period.end)}")
    gaps: dict[str, list[int]] = {}
    for a in acts:
        for f in spec.params["required_fields"]:
            if getattr(a, f) in (None, (), ""):
                gaps.setdefault(f, []).append(a.row)
    reason = f"{len(acts)} activities recorded in the period"
    if not gaps:
        return Outcome(PASS, reason)
    rows = sorted({r for rs in gaps.values() for r in rs})
    hint = "; ".join(f"{fmt_rows(rs)}: no {_FIELD_NAMES[f]}" for f, rs in gaps.items())
    return Outcome(WARN, reason + f"; {len(rows)} incomplete", hint, tuple(rows))


def evidence(ctx: Context, spec: CriterionSpec) -> Outcome:
    """Evidence of each activity the body asks it for (every one that claims hours; with ``formal_only``, its
    formal CPD): the Evidence cell names a kept file, a link, or where the proof is."""
    formal = {t.id for t in ctx.profile.categories if t.formal}
    acts = [a for a in ctx.totals.activities if a.hours and (not spec.params["formal_only"] or a.category in formal)]
    what = "formal activities" if spec.params["formal_only"] else f"activities claiming {ctx.unit}"
    if not acts:
        return Outcome(PASS, f"no {what} in the period")
    missing = [a.row for a in acts if not a.evidence]
    reason = f"{len(acts) - len(missing)} of {len(acts)} {what} name their evidence"
    if not missing:
        return Outcome(PASS, reason)
    return Outcome(spec.severity, reason, f"{fmt_rows(missing)}: keep the certificate or proof of attendance "
                   f"(cpd evidence add LOG ROW FILE) or say in the Evidence column where it is", tuple(missing))


def evaluation(ctx: Context, spec: CriterionSpec) -> Outcome:
    objectives = ctx.record.objectives
    if not objectives:
        return Outcome(spec.severity, "no objectives to evaluate activities against",
                       "add objectives to the Plan sheet, then record how far each was met")
    linked = [a for a in ctx.totals.activities if a.objective]
    due = [o for o in objectives if o.target_date is None or o.target_date <= ctx.period.end]
    open_ = [o for o in due if (o.status or "").lower() in PLANNING_STATUSES and not o.evaluation]
    if not linked:
        return Outcome(WARN if ctx.totals.activities else spec.severity,
                       "no activity is linked to a plan objective",
                       "name the plan objective each activity serves (Objective column)")
    if open_:
        rows = tuple(o.row for o in open_ if o.row)
        return Outcome(WARN, f"{len(due) - len(open_)} of {len(due)} objectives due have an evaluation",
                       f"Plan {fmt_rows(rows)}: record how far the objective was met (Status and Evaluation)",
                       rows)
    return Outcome(PASS, f"{len(linked)} activities linked to objectives; objectives due are evaluated")


def plan_review(ctx: Context, spec: CriterionSpec) -> Outcome:
    ahead = [o for o in ctx.record.objectives
             if (o.target_date and o.target_date > ctx.period.end)
             or (o.target_date is None and (o.status or "").lower() in ("planned", "in progress"))]
    if ahead:
        return Outcome(PASS, f"{count(len(ahead), 'objective')} set for after {fmt_date(ctx.period.end)}")
    return Outcome(spec.severity, "no objectives set for the coming period",
                   f"review your plan: add objectives for the next 12 months to the Plan sheet "
                   f"(target dates after {fmt_date(ctx.period.end)})")


def support_others(ctx: Context, spec: CriterionSpec) -> Outcome:
    cats = {t.id for t in ctx.profile.categories if t.supports_others}
    topics = set(spec.params["topics"])
    rows = [a.row for a in ctx.totals.activities if a.category in cats or topics.intersection(a.topics)]
    if rows:
        return Outcome(PASS, f"{fmt_rows(rows)} support others' development")
    labels = [t.label for t in ctx.profile.categories if t.supports_others]
    return Outcome(spec.severity, "no activity supporting others' learning",
                   "record mentoring, coaching or sharing your expertise"
                   + (f" ({join_or(labels)})" if labels else ""))


def claimed_once(ctx: Context, spec: CriterionSpec) -> Outcome:
    """A category credited once: a course taught again after its first time (``same = "title"``: the first
    time is the earliest activity of that title in the log), or a second claim for one provider in a
    calendar year (``same = "provider_year"``: a society's service)."""
    term = ctx.profile.term("categories", spec.params["category"])
    acts = [a for a in ctx.totals.activities if a.category == term.id]
    elsewhere = next((t.label for t in ctx.profile.categories if t.max_hours == 0), None)
    move = f"move the repeat to '{elsewhere}', where it counts nothing" if elsewhere else "remove the repeat"
    if spec.params["same"] == "title":
        first: dict[str, Activity] = {}
        for a in sorted((a for a in ctx.record.activities if a.category == term.id and a.title),
                        key=lambda a: (a.start_date, a.row)):
            first.setdefault(normalise(a.title or ""), a)
        again = [(a, first[normalise(a.title)]) for a in acts if a.title and first[normalise(a.title)] is not a]
        if not again:
            return Outcome(PASS, f"no {term.label} activity repeats an earlier one")
        where = "; ".join(f"row {a.row} repeats row {b.row} ({fmt_date(b.start_date)})" for a, b in again[:4])
        return Outcome(spec.severity, f"{count(len(again), 'activity', 'activities')} of {term.label} taught before",
                       f"{where}: {ctx.profile.short_name} credits teaching a course or seminar the first time only; "
                       f"{move}", tuple(a.row for a, _ in again))
    seen: dict[tuple[str, int], Activity] = {}
    twice = []
    for a in acts:
        key = (normalise(a.provider or ""), a.end_date.year)
        if key in seen:
            twice.append((a, seen[key]))
        seen.setdefault(key, a)
    if not twice:
        return Outcome(PASS, f"one claim a provider a year in {term.label}")
    each = f" (at most {amount(term.max_each, ctx.unit)} each)" if term.max_each is not None else ""
    where = "; ".join(f"row {a.row} claims {a.provider or 'an unnamed provider'} in {a.end_date.year} again "
                      f"(row {b.row})" for a, b in twice[:4])
    return Outcome(spec.severity, f"{count(len(twice), 'second claim')} in {term.label}",
                   f"{where}: {ctx.profile.short_name} credits {term.label} once a provider a year{each}; keep one "
                   f"row for each provider and year, named in the Provider column, and {move}",
                   tuple(a.row for a, _ in twice))


def declaration(ctx: Context, spec: CriterionSpec) -> Outcome:
    """The body's declaration (``what``, as it names it) for the period, made by its end or ``days_after_end``
    days after (RICS: with the record, by 31 January): the date it was made, in the template's 'Declaration
    made on' cell. A period ending before ``from_year`` is not asked."""
    made, p = ctx.record.member.declared_on, ctx.period
    what = f"{ctx.profile.short_name}'s {spec.params['what']}"
    if p.end.year < spec.params["from_year"]:
        return Outcome(PASS, f"{what}: asked for from {spec.params['from_year']}")
    due = p.end + timedelta(days=spec.params["days_after_end"])
    ask = (f"make {what} by {fmt_date(due)} and enter the day you made it in 'Declaration made on' (above the "
           f"activities)")
    if made is None:
        if ctx.as_of and ctx.as_of <= due:
            return Outcome(WARN, f"{what}: not made yet; due by {fmt_date(due)}", ask)
        return Outcome(spec.severity, f"{what}: no date it was made", ask)
    if made < p.start:
        return Outcome(spec.severity, f"{what}: made on {fmt_date(made)}, before this cycle began", ask)
    if made > due:
        return Outcome(spec.severity, f"{what}: made on {fmt_date(made)}, after the cycle ended", ask)
    return Outcome(PASS, f"{what}: made on {fmt_date(made)}")


def job_summary(ctx: Context, spec: CriterionSpec) -> Outcome:
    """A summary of the member's job, at most ``max_words`` words (in the template's 'Job summary' cell)."""
    most, summary = spec.params["max_words"], ctx.record.member.job_summary
    if not summary:
        return Outcome(spec.severity, "no job summary",
                       f"write a summary of your role and work in the period, at most {most} words, in 'Job summary' "
                       f"(above the activities)")
    words = len(summary.split())
    if words > most:
        return Outcome(spec.severity, f"the job summary is {words} words; at most {most}",
                       f"shorten the job summary by {count(words - most, 'word')}")
    return Outcome(PASS, f"a job summary of {count(words, 'word')}")


def practice_areas(ctx: Context, spec: CriterionSpec) -> Outcome:
    """Hours in each of the member's areas of practice (the header's 'Areas of practice'), each area a
    topic named in the Topics column; an activity may count for several. With no areas named, or one,
    the profile's own topic (``topic``: 'Area of practice') counts too."""
    areas = ctx.record.member.practice_areas
    generic = ctx.profile.term("topics", spec.params["topic"])
    need, unit = spec.params["min_hours"], ctx.unit
    general = ctx.totals.by_topic.get(generic.id, 0.0)
    got = {a: ctx.totals.by_topic.get(a, 0.0) + (general if len(areas) == 1 else 0.0) for a in areas} or \
        {generic.label: general}
    short = {a: need - h for a, h in got.items() if not meets(h, need)}
    reason = "; ".join(f"{fmt_hours(h)} of {amount(need, unit)} on {a}" for a, h in got.items())
    if not short:
        return Outcome(PASS, reason)
    where = ("name the area in the Topics column" if areas else
             "name the topic in the Topics column; with several areas of practice, name them in 'Areas of "
             "practice' (above the activities), each of which needs its own")
    hint = f"add {', '.join(f'{amount(g, unit)} on {a}' for a, g in short.items())} {ctx.deadline()} ({where})"
    return Outcome(spec.severity, reason, hint,
                   needs=tuple(Need(g, topic=a if areas else generic.id) for a, g in short.items()))


def statement(ctx: Context, spec: CriterionSpec) -> Outcome:
    """The statement the member chooses at audit ('Audit statement', one of ``choices``)."""
    chosen = ctx.record.member.audit_statement
    if chosen:
        return Outcome(PASS, f"audit statement: {chosen}")
    return Outcome(spec.severity, "no audit statement chosen",
                   f"choose the statement that fits in 'Audit statement' (above the activities): "
                   f"{'; '.join(spec.params['choices'])}")


def academic_hours(ctx: Context, spec: CriterionSpec) -> Outcome:
    """For an academic (the header's 'Academic: yes'), hours in a category (industry involvement)."""
    term = ctx.profile.term("categories", spec.params["category"])
    if not ctx.record.member.academic:
        return Outcome(PASS, "asked of academics only ('Academic' is not yes)")
    need, got = spec.params["min_hours"], ctx.totals.by_category.get(term.id, 0.0)
    reason = f"{fmt_hours(got)} of {amount(need, ctx.unit)} of {term.label}"
    if meets(got, need):
        return Outcome(PASS, reason)
    return Outcome(spec.severity, reason, f"add {amount(need - got, ctx.unit)} of {term.label} {ctx.deadline()}",
                   needs=(Need(need - got, category=term.id),))


KINDS = {f.__name__: f for f in (
    period, plan, total_hours, category_range, category_hours, skill_mix, competence_links, reflection,
    further_action, formal_hours, topic_hours, topic_recency, record, evaluation, plan_review, support_others,
    claimed_once, declaration, job_summary, practice_areas, academic_hours, statement, evidence)}
