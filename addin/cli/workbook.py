"""Commands that make a workbook: ``cpd new`` (a fresh one, or the next period's) and ``cpd import`` (an
existing record in another layout or format)."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from ..errors import CpdError
from ..model import STATUS_LABELS, Status
from ..profile import Profile
from ..values import count
from ..readiness.criteria import fmt_date
from . import cli
from .common import DateType, fail, profile_or_fail, read_or_fail


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--profile", "-p", "profiles_", multiple=True, metavar="ID|FILE",
              help="Institution profile: an id from 'cpd profiles' or a profile file. Default: iet. Give it more "
                   "than once for one log kept for several bodies (the first sets the categories and period).")
@click.option("--from-previous", "previous", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="Start the next period from last period's workbook: the member, the plan's open "
                                 "objectives and the hours carried over.")
@click.option("--name", default=None, help="Member's name.")
@click.option("--membership-number", default=None, help="Membership number (kept as text).")
@click.option("--grade", default=None, help="Grade, e.g. Member, Associate, Fellow (the profile's grade list).")
@click.option("--registration", default=None, help="Registration title: CEng, IEng, EngTech, ICTTech or None.")
@click.option("--status", type=click.Choice([s.value for s in Status]), default=None,
              help="Professional status; sets the hours target. Default: active (or last period's).")
@click.option("--year", type=click.IntRange(1990, 2100), default=None,
              help="Year the record covers (calendar-year profiles). Default: this year.")
@click.option("--from", "start", type=DateType(), default=None,
              help="First day of the period (YYYY-MM-DD); the end follows from the profile.")
@click.option("--to", "end", type=DateType(), default=None, help="Last day of the period, to override.")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def new(out: Path, profiles_: tuple[str, ...], previous: Path | None, name: str | None,
        membership_number: str | None, grade: str | None, registration: str | None, status: str | None,
        year: int | None, start: date | None, end: date | None, force: bool) -> None:
    """Create a fresh CPD workbook for a member, profile(s) and period."""
    from ..workbook.template import build_workbook
    from ..next_period import next_period_start

    if out.exists() and not force:
        fail(CpdError("file_exists", f"{out} exists; pass --force to overwrite it"))
    if out.suffix.lower() != ".xlsx":
        fail(CpdError("bad_extension", f"{out}: the workbook must be saved as .xlsx"))
    header: dict[str, Any] = {}
    objectives: list[dict[str, Any]] = []
    carried_note = None
    if previous is not None:
        from ..workbook.reader import read_workbook
        last, last_record = read_or_fail(lambda: read_workbook(previous), False, str(previous))
        bodies = [profile_or_fail(p) for p in profiles_] or list(last.bodies or (last.profile,))
        header, objectives, carried, next_start = next_period_start(last_record, bodies[0])
        start = start or next_start
        if carried is not None:
            carried_note = f"{carried:g} {bodies[0].unit} carried over from {last_record.period}"
    else:
        bodies = [profile_or_fail(p) for p in profiles_] or [profile_or_fail(None)]
    prof = bodies[0]
    period = prof.default_period(year, start)
    p_start, p_end = period.start, period.end
    if end is not None:
        p_end = end
    if p_end < p_start:
        fail(CpdError("period_invalid", f"the period ends ({p_end}) before it starts ({p_start})"))
    given = {"name": name, "membership_number": membership_number, "grade": grade, "registration": registration,
             "status": STATUS_LABELS[Status(status)] if status else None}
    header.update({k: v for k, v in given.items() if v is not None})
    refuse_what_check_would(header, prof)
    header.update(period_start=datetime.combine(p_start, datetime.min.time()),
                  period_end=datetime.combine(p_end, datetime.min.time()))
    wb = build_workbook(prof, header, objectives, also=tuple(bodies[1:]))
    try:
        wb.save(out)
    except OSError as exc:
        fail(CpdError("cannot_write", f"cannot write {out}: {exc.strerror or exc}"))
    names = ", ".join(b.short_name for b in bodies)
    click.echo(f"Created {out} ({names}, {fmt_date(p_start)} to {fmt_date(p_end)}).")
    if previous is not None:
        click.echo(f"From {previous.name}: {count(len(objectives), 'open objective')} carried into the plan"
                   + (f"; {carried_note}" if carried_note else "") + ".")
    click.echo(f"Fill in the Record and Plan sheets, then run: cpd check {out}")


def refuse_what_check_would(header: dict[str, Any], profile: Profile) -> None:
    """Refuse a header ``cpd check`` would refuse (a status the profile does not offer, an unknown
    registration title), naming the option: a new workbook is one the check reads."""
    from ..intake import build_member

    _, problems = build_member(header, profile)
    if problems:
        p = problems[0]
        option = (p.field or "status").replace("_", "-")
        fail(CpdError("bad_option", f"--{option}: {p.message}"))


@cli.command("import")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--profile", "-p", default=None, metavar="ID|FILE", help="Profile of the new workbook. Default: iet.")
@click.option("--month-first", is_flag=True, help="Read text dates like 03/12/2025 as month first (US).")
@click.option("--hours-per-day", type=click.FloatRange(0.5, 24), default=7.0, show_default=True,
              help="Hours that '1 day' or 'half a day' stands for.")
@click.option("--json", "as_json", is_flag=True, help="Print the import report as JSON.")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def import_(source: Path, out: Path, profile: str | None, month_first: bool, hours_per_day: float, as_json: bool,
            force: bool) -> None:
    """Bring an existing record (.xlsx in any layout, .csv, or the tracker form as .docx) into a new workbook.

    Columns are found by their headers in any order. Whatever has no column in the
    template, and every value that cannot be read, is kept in the row's Notes.
    """
    from ..workbook.template import build_workbook
    from ..importing.importer import import_record

    if out.exists() and not force:
        fail(CpdError("file_exists", f"{out} exists; pass --force to overwrite it"), as_json)
    if out.suffix.lower() != ".xlsx":
        fail(CpdError("bad_extension", f"{out}: the new workbook must be saved as .xlsx"), as_json)
    prof = profile_or_fail(profile)
    try:
        result = import_record(source, prof, month_first=month_first, hours_per_day=hours_per_day)
    except CpdError as err:
        fail(err, as_json, str(source))
    wb = build_workbook(prof, {k: v for k, v in result.header.items() if v is not None}, result.objectives,
                        result.activities)
    try:
        wb.save(out)
    except OSError as exc:
        fail(CpdError("cannot_write", f"cannot write {out}: {exc.strerror or exc}"), as_json)
    if as_json:
        click.echo(json.dumps({"source": result.source, "sheet": result.sheet, "out": str(out),
                               "profile": prof.id, "activities": len(result.activities),
                               "objectives": len(result.objectives),
                               "mapped": [{"source": s, "column": c} for s, c in result.mapped],
                               "unmapped": result.unmapped,
                               "problems": [p.to_dict() for p in result.problems], "notes": result.notes},
                              indent=2))
        return
    click.echo(f"Imported {len(result.activities)} activities from {result.source} ({result.sheet}) into {out} "
               f"({prof.short_name}).")
    click.echo("Columns mapped:")
    width = min(max((len(s) for s, _ in result.mapped), default=0), 48)
    for src, col in result.mapped:
        click.echo(f"  {src[:48]:<{width}}  ->  {col}")
    if result.unmapped:
        click.echo(f"Not in the template, kept in Notes: {', '.join(result.unmapped)}")
    if result.problems:
        click.echo(f"{count(len(result.problems), 'value')} could not be read (kept in Notes):")
        for p in result.problems:
            click.echo(f"  {p.message}")
    for note in result.notes:
        click.echo(f"Note: {note}")
    click.echo(f"Next: cpd check {out}")
