"""The ``cpd`` command line: a thin layer over the library.

Exit codes: 0 ready (or exempt), 1 not ready, 2 the file or an option cannot be used.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from importlib.metadata import entry_points
from pathlib import Path

import click

from . import __version__
from .errors import CpdError
from .grid import GridRead
from .model import STATUS_LABELS, Record, Status
from .profile import Profile, list_profiles, load_profile
from .readiness import Readiness, assess
from .report import render, render_problems, report_dict
from .submit import VERDICT
from .values import count

EXIT_READY, EXIT_NOT_READY, EXIT_INVALID = 0, 1, 2
STYLE = {"pass": "green", "ready": "green", "exempt": "cyan", "warn": "yellow", "fail": "red", "not_ready": "red"}


def fail(err: CpdError, as_json: bool = False, name: str | None = None) -> None:
    if as_json:
        click.echo(json.dumps({"error": err.to_dict()}, indent=2))
    elif err.problems:
        click.echo(render_problems(name or "the workbook", err.problems), err=True)
    else:
        click.echo(f"error [{err.code}]: {err}", err=True)
    sys.exit(EXIT_INVALID)


def profile_or_fail(value: str | None) -> Profile:
    try:
        return load_profile(value)
    except CpdError as err:
        fail(err)
        raise  # unreachable


class DateType(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD", param, ctx)


class CommandGroup(click.Group):
    """The ``cpd`` group. Other parts of the product add their commands through the ``cpd.commands``
    entry points (as Flask's ``init_app`` adds an app's commands), so the core never imports them."""

    def _plugins(self) -> dict:
        if not hasattr(self, "_entry_points"):
            self._entry_points = {ep.name: ep for ep in entry_points(group="cpd.commands")}
        return self._entry_points

    def list_commands(self, ctx) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx, name):
        found = super().get_command(ctx, name)
        if found is None and name in self._plugins():
            found = self._plugins()[name].load()
        return found


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cpd")
def cli() -> None:
    """Keep a CPD record in a workbook and check it against your institution's review.

    \b
    cpd new record.xlsx --name "Alex Morgan"   a fresh workbook
    cpd check record.xlsx                      would it pass a review?
    cpd profiles                               the institutions' rules
    """


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
@click.option("--grade", default=None, help="Grade, e.g. Member, Associate, MIET.")
@click.option("--registration", default=None, help="Registration title: CEng, IEng, EngTech, ICTTech or None.")
@click.option("--status", type=click.Choice([s.value for s in Status]), default=None,
              help="Professional status; sets the hours target. Default: active (or last period's).")
@click.option("--year", type=click.IntRange(1990, 2100), default=None,
              help="Year the record covers (calendar-year profiles). Default: this year.")
@click.option("--from", "start", type=DateType(), default=None,
              help="First day of the period (YYYY-MM-DD); the end follows from the profile.")
@click.option("--to", "end", type=DateType(), default=None, help="Last day of the period, to override.")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def new(out: Path, profiles_: tuple[str, ...], previous: Path | None, name, membership_number, grade, registration,
        status, year, start, end, force) -> None:
    """Create a fresh CPD workbook for a member, profile(s) and period."""
    from workbook_templates.builder import build_workbook
    from .next_period import next_period_start

    if out.exists() and not force:
        fail(CpdError("file_exists", f"{out} exists; pass --force to overwrite it"))
    if out.suffix.lower() != ".xlsx":
        fail(CpdError("bad_extension", f"{out}: the workbook must be saved as .xlsx"))
    header: dict = {}
    objectives: list = []
    carried_note = None
    if previous is not None:
        from .workbook.reader import read_workbook
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
    header.update(period_start=datetime.combine(p_start, datetime.min.time()),
                  period_end=datetime.combine(p_end, datetime.min.time()))
    wb = build_workbook(prof, header, objectives, also=tuple(bodies[1:]))
    try:
        wb.save(out)
    except OSError as exc:
        fail(CpdError("cannot_write", f"cannot write {out}: {exc.strerror or exc}"))
    names = ", ".join(b.short_name for b in bodies)
    click.echo(f"Created {out} ({names}, {p_start:%d %b %Y} to {p_end:%d %b %Y}).")
    if previous is not None:
        click.echo(f"From {previous.name}: {count(len(objectives), 'open objective')} carried into the plan"
                   + (f"; {carried_note}" if carried_note else "") + ".")
    click.echo(f"Fill in the Record and Plan sheets, then run: cpd check {out}")


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
    from .workbook.reader import read_workbook

    given = [profile_or_fail(p) for p in profiles_]
    data = load_or_fail(file, as_json)
    read, record = read_or_fail(lambda: read_workbook(data, given[0] if given else None, month_first=month_first),
                                as_json, str(file))
    bodies = given or list(read.bodies or (read.profile,))
    checks = []
    for i, body in enumerate(bodies):
        if i:
            read, record = read_or_fail(lambda: read_workbook(data, body, month_first=month_first), as_json,
                                        f"{file} ({body.short_name})")
        record, note = period_for(record, body, period_text, first=i == 0)
        result = assess(record, body, as_of=as_of or date.today())
        checks.append((body, read, record, result, [*read.notes, *([note] if note else [])]))
    if as_json:
        reports = []
        for body, read, record, result, notes in checks:
            report = report_dict(result, record, body)
            report["notes"] = [*notes, *report.get("notes", [])]        # what reading assumed, then the engine's
            reports.append(report)
        click.echo(json.dumps(reports[0] if len(reports) == 1 else {"bodies": reports}, indent=2))
    else:
        for n, (body, read, record, result, notes) in enumerate(checks):
            if len(checks) > 1:
                click.echo(("\n" if n else "") + click.style(f"== {body.short_name}: {body.name} ==", bold=True))
            for note in notes:
                click.echo(f"Note: {note}.", err=True)
            print_report(result, record, body, as_json)
    sys.exit(max(exit_status(result) for *_, result, _ in checks))


def period_for(record: Record, body: Profile, period_text: str | None, first: bool) -> tuple[Record, str | None]:
    """The record with the period under review for this body: --period's, or the workbook's for the first
    body, and each other body's own kind of period ending with it."""
    from dataclasses import replace
    if period_text:
        try:
            return replace(record, period=body.period_named(period_text)), None
        except CpdError as err:
            fail(err)
    if first:
        return record, None
    period = body.period_ending(record.period.end)
    if period == record.period:
        return record, None
    return replace(record, period=period), f"{body.short_name} reviews {period} (its own period ending with the workbook's)"


def load_or_fail(file: Path, as_json: bool) -> bytes:
    """The file's bytes, with the reader's size and container checks; every problem printed and exit 2."""
    from .workbook.limits import Limits
    from .workbook.reader import load_bytes
    try:
        return load_bytes(file, Limits.from_env())
    except CpdError as err:
        fail(err, as_json, str(file))
        raise  # unreachable


def read_or_fail(read: Callable[[], GridRead], as_json: bool, name: str) -> tuple[GridRead, Record]:
    """Run ``read``; its record, or every problem printed (as ``cpd check`` prints them) and exit 2."""
    try:
        found = read()
        return found, found.require()
    except CpdError as err:
        fail(err, as_json, name)
        raise  # unreachable


def print_report(result: Readiness, record: Record, profile: Profile, as_json: bool) -> None:
    """The readiness report as ``cpd check`` prints it: text, or JSON for machines."""
    if as_json:
        click.echo(json.dumps(report_dict(result, record, profile), indent=2))
    else:
        click.echo(render(result, record, profile,
                          style=lambda text, status: click.style(text, fg=STYLE.get(status), bold=True)))


def exit_status(result: Readiness) -> int:
    return EXIT_READY if result.ready else EXIT_NOT_READY


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
    from workbook_templates.builder import build_workbook
    from .importing.importer import import_record

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
    from .export import write_csv
    from .readiness.engine import for_body
    from .workbook.reader import read_workbook

    if out.exists() and not force:
        fail(CpdError("file_exists", f"{out} exists; pass --force to overwrite it"))
    body = profile_or_fail(profile) if profile else None
    read, record = read_or_fail(lambda: read_workbook(file, body), False, str(file))
    first = body is None or body.id == (read.bodies or (read.profile,))[0].id
    record, _ = period_for(for_body(record, read.profile), read.profile, period_text, first)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        n = write_csv(record, read.profile, fh, period=None if everything else record.period)
    click.echo(f"Wrote {count(n, 'activity', 'activities')} for {read.profile.short_name} to {out}"
               + ("." if everything else f" ({record.period})."))


def parse_size(value: str | None) -> int | None:
    """'0.5MB', '500KB', '500000' -> bytes."""
    if value is None:
        return None
    import re
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(kb|mb|b)?\s*", value.lower())
    if not m:
        fail(CpdError("bad_option", f"--max-size: {value!r} is not a size such as 0.5MB or 500KB"))
    scale = {"kb": 1_000, "mb": 1_000_000}.get(m.group(2) or "b", 1)
    return int(float(m.group(1)) * scale)


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
    from .trends import across_periods, period_figures
    from .workbook.reader import read_workbook

    if len(files) > 1 and not years:
        fail(CpdError("bad_option", "several workbooks make one report across periods: add --years"))
    outputs_or_fail(pdf_out, html_out, force)
    limit = parse_size(max_size)
    body = profile_or_fail(profile) if profile else None
    checked = []
    for f in files:
        read, record = read_or_fail(lambda: read_workbook(f, body), False, str(f))
        record, _ = period_for(record, read.profile, period_text if len(files) == 1 else None, first=True)
        checked.append((record, read.profile))
    if years and len(files) == 1:             # one log of several years: each year it holds
        record, prof = checked[0]
        found = sorted({a.start_date.year for a in record.activities})
        from dataclasses import replace as _replace
        checked = [(_replace(record, period=prof.period_named(str(y))), prof) for y in found] or checked
    figures = [(record, prof, assess(record, prof)) for record, prof in checked]
    record, prof, result = max(figures, key=lambda x: (x[0].period.end, x[0].period.start))
    history = across_periods([period_figures(r, p, res) for r, p, res in figures]) if years else None
    write_report(record, prof, result, pdf_out, html_out, audience, limit, max_size, history)


def outputs_or_fail(pdf_out: Path | None, html_out: Path | None, force: bool) -> None:
    if pdf_out is None and html_out is None:
        fail(CpdError("bad_option", "say where to write the report: --pdf OUT.pdf and/or --html OUT.html"))
    for out in (pdf_out, html_out):
        if out is not None and out.exists() and not force:
            fail(CpdError("file_exists", f"{out} exists; pass --force to overwrite it"))


def write_report(record: Record, prof: Profile, result: Readiness, pdf_out: Path | None, html_out: Path | None,
                 audience: str, limit: int | None, max_size: str | None, history=None) -> None:
    """Write the record report as ``cpd report`` does (and ``cpd sheets report``), and say what was written."""
    from .record_report import fit_pdf, report_data, report_html
    data = report_data(record, prof, result, audience=audience, trends=history)
    written = []
    if html_out is not None:
        html_out.write_text(report_html(data), encoding="utf-8")
        written.append(str(html_out))
    if pdf_out is not None:
        try:
            pdf, dropped = fit_pdf(data, limit)
        except CpdError as err:
            fail(err)
        pdf_out.write_bytes(pdf)
        written.append(f"{pdf_out} ({len(pdf) / 1000:,.0f} KB)")
        if dropped:
            click.echo(f"To stay under {max_size}, the PDF leaves out {'; '.join(dropped)}.", err=True)
    click.echo(f"Wrote {' and '.join(written)}: {VERDICT[result.verdict]} ({result.score}/100), "
               f"{count(len(data.activities), 'activity', 'activities')}"
               + (f", {len(history.periods)} periods" if history else "") + ".")


@cli.command()
@click.option("--url", "service_url", required=True, help="Your CPD service's address, e.g. https://cpd.example.org")
@click.option("--token", prompt="Token (from your page on the service)", hide_input=True,
              help="Your personal token from the service (asked for, hidden, if not given).")
@click.option("--no-check", is_flag=True, help="Save without asking the service (when it cannot be reached now).")
def login(service_url: str, token: str, no_check: bool) -> None:
    """Keep your CPD service's address and token in your own configuration (never in a workbook), once the
    service has said the token is good."""
    from .submit import Settings, whoami

    if not service_url.startswith(("https://", "http://")):
        fail(CpdError("bad_option", "--url must start with https:// (or http:// for a service on this computer)"))
    settings = Settings(service_url.rstrip("/"), token.strip())
    who = None
    if not no_check:
        try:
            who = whoami(settings, on_wait=waiting)
        except CpdError as err:
            fail(CpdError(err.code, f"{err.message}. Nothing was saved."))
    path = settings.save()
    signed = f" as {who['name']}" if who else " (not checked: --no-check)"
    click.echo(f"Signed in to {settings.service_url}{signed}. Saved to {path} (readable by you only). "
               "Submit with: cpd submit FILE")


def waiting(seconds: float, why: str) -> None:
    """Said on standard error while the service asks to be tried again shortly (503)."""
    click.echo(f"The CPD service is unavailable for a moment ({why}); trying again in {seconds:.0f} s...", err=True)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the receipt as JSON.")
@click.option("--yes", "-y", is_flag=True, help="Submit a record that is not ready without asking.")
def submit(file: Path, as_json: bool, yes: bool) -> None:
    """Submit a CPD workbook to your CPD service, which delivers it to the institution.

    The record is checked here first and its verdict shown; a record that is not ready is sent only when
    you say so (asked, or --yes). The same file submitted twice gives one submission.
    """
    from .submit import Settings, remember, submit_file
    from .workbook.reader import read_workbook

    data = load_or_fail(file, as_json)                  # read once (with the reader's checks): checked, then sent
    read, record = read_or_fail(lambda: read_workbook(data), as_json, str(file))
    result = assess(record, read.profile)
    verdict = f"{VERDICT[result.verdict]} ({result.score}/100)"
    if not result.ready and not yes:
        failing = [c for c in result.criteria if c.status == "fail"]
        lines = [f"  - {c.title}: {c.reason}" for c in failing]
        if as_json or not sys.stdin.isatty():
            err = CpdError("not_ready", f"the record is {verdict}; nothing was submitted. Add --yes to submit it "
                           "anyway")
            click.echo(json.dumps({"error": err.to_dict()}, indent=2) if as_json else f"error [{err.code}]: {err}",
                       err=not as_json)
            if not as_json:
                click.echo("\n".join(lines), err=True)
            sys.exit(EXIT_NOT_READY)
        click.echo(f"{file.name} is {verdict}. The institution's review would find:", err=True)
        click.echo("\n".join(lines), err=True)
        if not click.confirm("Submit it anyway?", default=False, err=True):
            click.echo("Nothing was submitted.", err=True)
            sys.exit(EXIT_NOT_READY)
    try:
        receipt = submit_file(data, Settings.load(), checked=True, on_wait=waiting)
    except CpdError as err:
        fail(err, as_json, str(file))
    remember(receipt)
    if as_json:
        click.echo(json.dumps({**receipt.to_dict(), "verdict": result.verdict, "score": result.score}, indent=2))
        return
    click.echo(f"Submitted {file.name} ({verdict}): {receipt.id}, {receipt.status}, at {receipt.received_at}.")
    click.echo(f"Institution's receipt: {receipt.receipt_id}" if receipt.receipt_id else
               f"The institution's receipt follows once it is delivered: cpd status {receipt.id}")


@cli.command()
@click.argument("submission_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(submission_id: str | None, as_json: bool) -> None:
    """Show a submission's delivery and the institution's receipt (default: your last submission)."""
    from .submit import Settings, last_submission, status as fetch

    submission_id = submission_id or last_submission()
    if not submission_id:
        fail(CpdError("no_submission", "no submission made from this computer yet: give its id (sub_...)"), as_json)
    try:
        found = fetch(Settings.load(), submission_id, on_wait=waiting)
    except CpdError as err:
        fail(err, as_json)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    state = {"queued": "queued for delivery", "retrying": "being retried (the institution did not answer yet)",
             "sending": "being sent", "delivered": "delivered", "failed": "refused by the institution",
             "dead": "not delivered after every retry; the service's admin can send it again"}
    click.echo(f"{found.get('id')}: {state.get(found.get('status'), found.get('status'))}; received "
               f"{found.get('received_at')}; verdict {VERDICT.get(found.get('verdict'), found.get('verdict'))} "
               f"({found.get('score')}/100).")
    if found.get("receipt_id"):
        click.echo(f"Institution's receipt: {found['receipt_id']}")


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_context
def profiles(ctx: click.Context, as_json: bool) -> None:
    """List the institution profiles (the rules each institution's review applies)."""
    if ctx.invoked_subcommand:
        return
    found = list_profiles()
    if as_json:
        click.echo(json.dumps([_profile_summary(p) for p in found], indent=2))
        return
    for p in found:
        hours = ("no minimum hours" if p.hours is None else
                 f"{p.target(Status.ACTIVE):g} {p.hours.unit} per {_period_words(p)}")
        click.echo(f"{p.id:<9} {p.short_name:<9} {hours:<28} {p.name}{'  (default)' if p.default else ''}")


def _period_words(p: Profile) -> str:
    if p.period.years == 1:
        return {"calendar_year": "calendar year", "licence_year": "licence year"}.get(p.period.kind, "12 months")
    return f"{p.period.years} years"


def _profile_summary(p: Profile) -> dict:
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


@profiles.command("show")
@click.argument("profile", metavar="ID|FILE")
def profiles_show(profile: str) -> None:
    """Show one profile's rules in full (JSON)."""
    click.echo(json.dumps(_profile_summary(profile_or_fail(profile)), indent=2))


@profiles.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def profiles_validate(file: Path) -> None:
    """Check a profile file of your own; every problem is listed with its key."""
    try:
        p = load_profile(str(file) if str(file).endswith(".toml") or "/" in str(file) else f"./{file}")
    except CpdError as err:
        if err.problems:
            click.echo(f"{file}: not a valid profile ({count(len(err.problems), 'problem')}):", err=True)
            for prob in err.problems:
                click.echo(f"  [{prob.code}] {prob.message}", err=True)
            sys.exit(EXIT_INVALID)
        fail(err)
    click.echo(f"{file}: valid profile {p.id!r} ({p.name}) with {len(p.criteria)} criteria")


@cli.group()
def excel() -> None:
    """The CPD add-in for Excel desktop (Windows; the functions need xlwings there)."""


@excel.command("install")
@click.option("--xlstart", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Copy the add-in into this folder instead of asking Excel for its XLSTART folder "
                   "(through 'xlwings addin install').")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The home folder the add-in's configuration is written under (default: yours).")
@click.option("--python", "python", default=None, metavar="PATH",
              help="The Python the add-in runs (default: this one, pythonw.exe on Windows).")
def excel_install(xlstart: Path | None, home: Path | None, python: str | None) -> None:
    """Install the CPD add-in: CPD_READINESS, CPD_CRITERIA and the other functions, and the CPD_CHECK and
    CPD_SUBMIT macros, in every workbook, without adding anything to the workbook."""
    from .excel.install import install
    try:
        done = install(xlstart=xlstart, home=home, python=python)
    except CpdError as err:
        fail(err)
    where = "into Excel's XLSTART folder (by xlwings)" if done.by_xlwings else f"at {done.addin}"
    click.echo(f"The CPD add-in is installed {where}.")
    click.echo(f"Its settings (UDF Modules addin.xlwings_udfs, the Python it runs) are in {done.config}.")
    click.echo("Once, in Excel (Windows): turn on File > Options > Trust Center > Trust Center Settings > Macro "
               "Settings > Trust access to the VBA project object model; open the VBA editor (Alt+F11), select the "
               "myaddin project's xlwings module, run ImportPythonUDFsToAddin (F5) and save. Then restart Excel.")


def main() -> None:  # pragma: no cover - the console script
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
