"""The shipped bodies' rules as docs/profiles.md lists them: each body, its period and hours, and each
criterion with its source, made from the profiles themselves (a test keeps the doc equal to this).

Regenerate the section with: python -m addin.profile_docs docs/profiles.md"""
from __future__ import annotations

import sys
from pathlib import Path

from .profile import Profile, list_profiles

BEGIN = "<!-- every body's rules: made by python -m addin.profile_docs; do not edit by hand -->"
END = "<!-- end of every body's rules -->"


def _period(p: Profile) -> str:
    rule = p.period
    if rule.kind == "calendar_year":
        return "a calendar year" if rule.years == 1 else f"{rule.years} calendar years"
    if rule.kind == "rolling_years":
        return f"a rolling {rule.years} year{'s' if rule.years > 1 else ''}"
    parity = f", ending in an {rule.ends_in} year" if rule.ends_in != "any" else ""
    return f"a licence period of {rule.years} year{'s' if rule.years > 1 else ''} from month {rule.start_month}{parity}"


def _hours(p: Profile) -> str:
    if p.hours is None:
        return "no hours"
    parts = [f"{s.label} {h:g}" for s, h in p.hours.required.items()]
    extra = []
    if p.hours.carry_over_max:
        extra.append(f"at most {p.hours.carry_over_max:g} carried over"
                     + (f" (from {', '.join(p.hours.carry_over_from)} only)" if p.hours.carry_over_from else ""))
    if p.hours.alternative:
        extra.append(f"or {p.hours.alternative[1]:g} over {p.hours.alternative[0]} years")
    if p.hours.minutes_per_hour != 60:
        extra.append(f"{p.hours.minutes_per_hour:g} minutes of instruction are an hour")
    if p.hours.pro_rating != "none":
        extra.append("less leave, pro rata")
    return f"{p.hours.unit} ({p.hours.basis}): " + ", ".join(parts) + ("; " + "; ".join(extra) if extra else "")


def section() -> str:
    lines = [BEGIN, ""]
    for p in list_profiles():
        exempt = "; ".join(p.exemptions()) or "none"
        lines += [f"### `{p.id}`: {p.name}", "",
                  f"Period: {_period(p)}. Hours: {_hours(p)}. Exempt: {exempt}.", ""]
        credited = [f"{t.label}: {t.credit_text(p.unit)}" for t in p.categories if t.credited]
        if credited:
            lines += ["Credited by activity: " + "; ".join(credited) + ".", ""]
        lines += ["| criterion | if not met | source |", "|---|---|---|"]
        for c in p.criteria:
            source = (c.source or "(no source given)").replace("|", "\\|")
            lines.append(f"| {c.title} | {'a warning' if c.severity == 'warn' else 'a fail'} | {source} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def main(path: str) -> None:
    doc = Path(path)
    text = doc.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    doc.write_text(head + section() + tail if rest else text.rstrip() + "\n\n## Every body's rules\n\n" + section()
                   + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
