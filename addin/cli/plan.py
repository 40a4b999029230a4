"""``cpd plan``: what to do, and by when, to be ready for every body a log is kept for."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from ..errors import CpdError
from ..planner import Plan, make_plan
from . import cli
from .common import DateType, fail
from .record import check_bodies


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", type=DateType(), default=None, help="Plan as on this day (YYYY-MM-DD). Default: today.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--ics", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write each body's deadline as a calendar file (.ics), each with a reminder 30 days before.")
def plan(file: Path, as_of: date | None, as_json: bool, ics: Path | None) -> None:
    """The fewest activities that close every gap of every body the log is kept for, each by its deadline,
    saying which criteria of which bodies each one closes."""
    today = as_of or date.today()
    found = check_bodies(file, [], None, today, False, as_json)
    checks = [(body, readiness) for body, _, _, readiness, _ in found]
    record = found[0][2]
    result = make_plan(checks, today)
    if ics is not None:
        from ..deadlines import deadlines_calendar
        try:
            ics.write_bytes(deadlines_calendar(result, record.member.name))
        except OSError as exc:
            fail(CpdError("cannot_write", f"cannot write {ics}: {exc.strerror or exc}"), as_json)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    click.echo(plan_text(result, record.member.name))


def plan_text(result: Plan, name: str | None) -> str:
    names = ", ".join(b.profile.short_name for b in result.bodies)
    lines = [f"CPD plan: {name or '(no name)'} - {names} - as of {result.as_of.day} {result.as_of:%b %Y}"]
    unit = result.bodies[0].profile.unit
    if not result.actions:
        lines.append("Nothing to do: every body's review would find what it asks for.")
    for n, action in enumerate(result.actions, 1):
        lines.append(f"  {n}. {action.describe(unit)}")
    lines.append("")
    for b in result.bodies:
        if b.ended:
            lines.append(f"{b.profile.short_name}: the period ended {b.deadline.day} {b.deadline:%b %Y}; "
                         "nothing can be added to it now.")
        else:
            lines.append(f"{b.profile.short_name}: deadline {b.deadline.day} {b.deadline:%b %Y} "
                         f"({(b.deadline - result.as_of).days} days)")
    return "\n".join(lines)
