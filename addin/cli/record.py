"""Commands that read a workbook: ``cpd check`` (would it pass the review?), ``cpd export`` (its activities
as CSV) and ``cpd report`` (the record report, PDF or HTML)."""
from __future__ import annotations

import sys
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import click

from ..errors import CpdError
from ..model import Record
from ..profile import Profile
from ..readiness import Readiness, assess, review_period
from ..report import report_dict
from ..values import count
from . import cli
from .common import (DateType, exit_status, fail, load_or_fail, outputs_or_fail, parse_size, print_report,
                     profile_or_fail, read_or_fail, write_report)


def under_review(record: Record, body: Profile, period_text: str | None, first: bool) -> tuple[Record, str | None]:
    """``review_period``, or the problem with --period printed and exit 2."""
    try:
        return review_period(record, body, period_text, first)
    except CpdError as err:
        fail(err)


def check_bodies(file: Path, given: list[Profile], period_text: str | None, as_of: date, month_first: bool,
                 as_json: bool) -> list[tuple[Profile, Any, Record, Readiness, list[str]]]:
    """The workbook read and assessed for each body (``given``, else those it names), each over its own
    period: (body, read, record under review, readiness, notes). A problem is printed, exit 2."""
    from ..workbook.reader import read_workbook

    data = load_or_fail(file, as_json)
    read, record = read_or_fail(lambda: read_workbook(data, given[0] if given else None, month_first=month_first),
                                as_json, str(file))
    checks = []
    for i, body in enumerate(given or list(read.bodies or (read.profile,))):
        if i:
            read, record = read_or_fail(partial(read_workbook, data, body, month_first=month_first),
                                        as_json, f"{file} ({body.short_name})")
        reviewed, note = under_review(record, body, period_text, first=i == 0)
        notes = [*read.notes, *([note] if note else [])]
        checks.append((body, read, reviewed, assess(reviewed, body, as_of=as_of), notes))
    return checks


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--profile", "-p", "profiles_", multiple=True, metavar="ID|FILE",
              help="Check against this profile instead of the one(s) the workbook names; give it more than once "
                   "to check one log against several bodies (a section for each).")
@click.option("--period", "period_text", default=None, metavar="YEAR|FROM..TO",
              help="Check another period of the log: a year (2025: the body's period ending, or for a licence "
                   "year starting, in it) or two dates (2025-07-01..2026-06-30).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for machines.")
@click.option("--as-of", type=DateType(), default=None,
              help="Today's date for the hints (YYYY-MM-DD). Default: today.")
@click.option("--month-first", is_flag=True, help="Read text dates like 03/12/2025 as month first (US).")
def check(file: Path, profiles_: tuple[str, ...], period_text: str | None, as_json: bool, as_of: date | None,
          month_first: bool) -> None:
    """Check a CPD workbook: would it pass the institution's review?

    Exit status: 0 ready (or exempt) for every body, 1 not ready for one, 2 unreadable or invalid.
    """
    given = [profile_or_fail(p) for p in profiles_]
    checks = check_bodies(file, given, period_text, as_of or date.today(), month_first, as_json)
    kept = kept_evidence(file, checks[0][2])
    if as_json:
        reports = []
        for body, _, record, result, notes in checks:
            report = report_dict(result, record, body)
            report["notes"] = [*notes, *report.get("notes", [])]        # what reading assumed, then the engine's
            if kept is not None:
                report["evidence_problems"] = kept
            reports.append(report)
        import json
        click.echo(json.dumps(reports[0] if len(reports) == 1 else {"bodies": reports}, indent=2))
    else:
        for n, (body, _, record, result, notes) in enumerate(checks):
            if len(checks) > 1:
                click.echo(("\n" if n else "") + click.style(f"== {body.short_name}: {body.name} ==", bold=True))
            for note in notes:
                click.echo(f"Note: {note}.", err=True)
            print_report(result, record, body, as_json)
        for problem in kept or ():
            click.echo(click.style(f"Evidence: {problem['message']}", fg="yellow"))
    sys.exit(max(exit_status(result) for *_, result, _ in checks))


def kept_evidence(file: Path, record: Record) -> list[dict[str, Any]] | None:
    """Each evidence file the Evidence cells name (``cpd evidence add``) that is missing or has changed; None
    when they name none."""
    named: list[tuple[int, str | None]] = [(a.row, a.evidence) for a in record.every_activity
                                           if a.evidence and "sha256:" in a.evidence]
    if not named:
        return None
    from ..evidence import check_entries
    return [{"row": p.row, "path": p.entry.path, "code": p.code, "message": p.message}
            for p in check_entries(file, named)]


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--profile", "-p", default=None, metavar="ID|FILE",
              help="Write what this body asks for: its columns and labels, and only the activities that count for "
                   "it, in its period. Default: the (first) profile the workbook names.")
@click.option("--period", "period_text", default=None, metavar="YEAR|FROM..TO",
              help="Another period of the log (as for cpd check).")
@click.option("--all", "everything", is_flag=True, help="Every activity of the log, whatever its period.")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def export(file: Path, out: Path, profile: str | None, period_text: str | None, everything: bool,
           force: bool) -> None:
    """Export a workbook's activities as CSV (text that looks like a formula is kept as text)."""
    from ..export import write_csv
    from ..readiness.engine import for_body
    from ..workbook.reader import read_workbook

    if out.exists() and not force:
        fail(CpdError("file_exists", f"{out} exists; pass --force to overwrite it"))
    body = profile_or_fail(profile) if profile else None
    read, record = read_or_fail(lambda: read_workbook(file, body), False, str(file))
    first = body is None or body.id == (read.bodies or (read.profile,))[0].id
    record, _ = under_review(for_body(record, read.profile), read.profile, period_text, first)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        n = write_csv(record, read.profile, fh, period=None if everything else record.period)
    click.echo(f"Wrote {count(n, 'activity', 'activities')} for {read.profile.short_name} to {out}"
               + ("." if everything else f" ({record.period})."))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pdf", "pdf_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report as PDF here.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report as one HTML page here.")
@click.option("--audience", type=click.Choice(["full", "summary"]), default="full", show_default=True,
              help="full: for the institution or a mentor (every activity in detail); summary: for a manager "
                   "(header, verdict, totals, charts, one line per activity).")
@click.option("--max-size", default=None, metavar="SIZE",
              help="Keep the PDF under this size (e.g. 0.5MB): lowers the charts' resolution, then leaves out the "
                   "charts, then the activities' detail, and says what it left out.")
@click.option("--years", is_flag=True,
              help="Show trends across periods: FILES are one workbook per period (or one log of several years); "
                   "the report is for the latest.")
@click.option("--profile", "-p", default=None, metavar="ID|FILE", help="Report against this profile.")
@click.option("--period", "period_text", default=None, metavar="YEAR|FROM..TO",
              help="Report another period of the log (as for cpd check).")
@click.option("--force", is_flag=True, help="Overwrite the output files if they exist.")
def report(files: tuple[Path, ...], pdf_out: Path | None, html_out: Path | None, audience: str,
           max_size: str | None, years: bool, profile: str | None, period_text: str | None, force: bool) -> None:
    """Make the record report a reviewer reads: PDF and/or HTML, with the verdict, every criterion, the
    plan, every activity and charts."""
    from ..trends import across_periods, period_figures, periods_of_log
    from ..workbook.reader import read_workbook

    if len(files) > 1 and not years:
        fail(CpdError("bad_option", "several workbooks make one report across periods: add --years"))
    outputs_or_fail(pdf_out, html_out, force)
    limit = parse_size(max_size)
    if not years and not profile:         # one log, perhaps kept for several bodies: a section for each
        checks = check_bodies(files[0], [], period_text, date.today(), False, False)
        (_, _, record, result, _), *rest = checks
        write_report(record, checks[0][0], result, pdf_out, html_out, audience, limit, max_size,
                     others=[(r, body, res) for body, _, r, res, _ in rest])
        return
    body = profile_or_fail(profile) if profile else None
    checked = []
    for f in files:
        read, record = read_or_fail(partial(read_workbook, f, body), False, str(f))
        record, _ = under_review(record, read.profile, period_text if len(files) == 1 else None, first=True)
        checked.append((record, read.profile))
    if years and len(files) == 1:             # one log of several years: each year it holds
        record, prof = checked[0]
        checked = [(r, prof) for r in periods_of_log(record, prof)]
    figures = [(record, prof, assess(record, prof)) for record, prof in checked]
    record, prof, result = max(figures, key=lambda x: (x[0].period.end, x[0].period.start))
    history = across_periods([period_figures(r, p, res) for r, p, res in figures]) if years else None
    write_report(record, prof, result, pdf_out, html_out, audience, limit, max_size, history)
