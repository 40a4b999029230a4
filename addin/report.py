"""The readiness report as text for a terminal, and as JSON-ready data."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import Problem
from .model import Record
from .profile import Profile
from .readiness import CriterionStatus, Readiness, Verdict
from .readiness.criteria import amount, fmt_hours
from .values import count, plural

MARK = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}
VERDICT = {v.value: v.label for v in Verdict}           # as people read it: "NOT READY"


def _plain(text: str, status: str) -> str:
    return text


def render(readiness: Readiness, record: Record, profile: Profile,
           style: Callable[[str, str], str] = _plain) -> str:
    t = readiness.totals
    who = record.member.name or "(no name)"
    lines = [f"CPD readiness: {who} - {profile.short_name} - {record.period}",
             f"Verdict: {style(VERDICT[readiness.verdict], readiness.verdict)} (score {readiness.score}/100)"]
    unit = readiness.unit
    if readiness.verdict == Verdict.EXEMPT:
        lines.append(f"{amount(readiness.counted_hours, unit)} counted; {record.member.status.label} members are "
                     f"asked for none; {len(t.activities)} activities in the period")
    elif readiness.target is not None:
        lines.append(f"{profile.unit_title}: {fmt_hours(readiness.counted_hours)} "
                     f"counted of {fmt_hours(readiness.target)} ({record.member.status.label} member); "
                     f"{len(t.activities)} activities in the period")
    else:
        lines.append(f"{amount(t.hours, unit)} recorded ({profile.short_name} sets no minimum); "
                     f"{len(t.activities)} activities in the period")
    if readiness.drafts:
        n = len(readiness.drafts)
        lines.append(f"{count(n, 'draft')} not counted (would add {amount(readiness.draft_hours, unit)}): "
                     f"confirm {plural(n, 'it', 'them')} in the Status column")
    lines.append("")
    for c in readiness.criteria:
        lines.append(f"  {style(MARK[c.status], c.status)}  {c.title}: {c.reason}")
        if c.hint and c.status != CriterionStatus.PASS:
            lines.append(f"        -> {c.hint}")
    cats = {term.id: term.label for term in profile.categories}
    rows = [(cats.get(k, "(no category)"), v) for k, v in t.by_category.items() if v or k in cats]
    if rows:
        lines += ["", f"{profile.unit_title} by category:"]
        width = max(len(r[0]) for r in rows)
        lines += [f"  {label:<{width}}  {fmt_hours(v):>7}" for label, v in rows]
    if profile.skill_types:
        skills = {term.id: term.label for term in profile.skill_types}
        lines += ["", f"{profile.unit_title} by skill type:"]
        lines += [f"  {skills.get(k, '(no skill type)'):<24}  {fmt_hours(v):>7}" for k, v in t.by_skill_type.items()]
    if t.by_competence:
        lines += ["", "Competences: " + ", ".join(f"{k} {fmt_hours(v)}" for k, v in t.by_competence.items())]
    if readiness.notes:
        lines += ["", *[f"Note: {n}" for n in readiness.notes]]
    return "\n".join(lines)


def render_problems(name: str, problems: list[Problem]) -> str:
    n = len(problems)
    head = f"{name}: {count(n, 'value')} cannot be read; fix {plural(n, 'it')} and check again:"
    return "\n".join([head, *[f"  {p}" for p in problems]])


def report_dict(readiness: Readiness, record: Record, profile: Profile) -> dict[str, Any]:
    data = readiness.to_dict()
    data["profile_name"] = profile.name
    data["member"] = {"status": record.member.status.value, "registration": record.member.registration}
    return data
