"""What every ``cpd`` command shares, and what other parts of the product use for the commands they add
(``cpd sheets``): one way to fail (a human one-liner naming the cell, or JSON, and exit status 2), to
read a workbook or fail, to print a readiness report, and the options' types. The public helper module
of the command line: the core names it in ``addin/__init__.py``."""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from ..errors import CpdError
from ..grid import GridRead
from ..model import Record
from ..profile import Profile, load_profile
from ..readiness import Readiness
from ..report import VERDICT, render, render_problems, report_dict
from ..values import count

EXIT_READY, EXIT_NOT_READY, EXIT_INVALID = 0, 1, 2
STYLE = {"pass": "green", "ready": "green", "exempt": "cyan", "warn": "yellow", "fail": "red", "not_ready": "red"}


def fail(err: CpdError, as_json: bool = False, name: str | None = None) -> NoReturn:
    if as_json:
        import json                   # loaded for --json only: the check a member types prints text
        click.echo(json.dumps({"error": err.to_dict()}, indent=2))
    elif err.problems:
        click.echo(render_problems(name or "the workbook", err.problems), err=True)
    else:
        click.echo(f"error [{err.code}]: {err}", err=True)
    sys.exit(EXIT_INVALID)


def human_time(iso: object) -> str:
    """A time the service gives (ISO 8601, UTC) as a member reads it: in this computer's time zone, to the
    minute ('1 Dec 2026 19:58 GMT'); anything else as it is."""
    if not isinstance(iso, str):
        return str(iso)
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        return iso
    local = moment.astimezone()
    return f"{local.day} {local:%b %Y %H:%M} {local.tzname() or ''}".rstrip()


def profile_or_fail(value: str | None) -> Profile:
    try:
        return load_profile(value)
    except CpdError as err:
        fail(err)
        raise  # unreachable


if TYPE_CHECKING:
    from ..trends import Trends
    _DateParam = click.ParamType[date, str]
else:
    _DateParam = click.ParamType            # generic for type checkers only


class DateType(_DateParam):
    name = "DATE"

    def convert(self, value: date | str, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            self.fail(f"{value!r} is not a date in the form YYYY-MM-DD", param, ctx)


def load_or_fail(file: Path, as_json: bool) -> bytes:
    """The file's bytes, with the reader's size and container checks; every problem printed and exit 2."""
    from ..form.limits import Limits
    from ..workbook.reader import load_bytes
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
        import json
        click.echo(json.dumps(report_dict(result, record, profile), indent=2))
    else:
        click.echo(render(result, record, profile,
                          style=lambda text, status: click.style(text, fg=STYLE.get(status), bold=True)))


def exit_status(result: Readiness) -> int:
    return EXIT_READY if result.ready else EXIT_NOT_READY


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


def outputs_or_fail(pdf_out: Path | None, html_out: Path | None, force: bool) -> None:
    if pdf_out is None and html_out is None:
        fail(CpdError("bad_option", "say where to write the report: --pdf OUT.pdf and/or --html OUT.html"))
    for out in (pdf_out, html_out):
        if out is not None and out.exists() and not force:
            fail(CpdError("file_exists", f"{out} exists; pass --force to overwrite it"))


def write_report(record: Record, prof: Profile, result: Readiness, pdf_out: Path | None, html_out: Path | None,
                 audience: str, limit: int | None, max_size: str | None, history: Trends | None = None,
                 others: Sequence[tuple[Record, Profile, Readiness]] = ()) -> None:
    """Write the record report as ``cpd report`` does (and ``cpd sheets report``), and say what was written;
    ``others``: the same log for the other bodies it is kept for, a section each."""
    from msgspec.structs import replace
    from ..extras import MissingExtra, available
    from ..record_report import fit_pdf, report_data, report_html
    if pdf_out is not None and not available("weasyprint"):
        fail(MissingExtra("report", "a PDF report"))
    data = replace(report_data(record, prof, result, audience=audience, trends=history),
                   also=tuple(report_data(r, p, res, audience=audience) for r, p, res in others))
    written = []
    if html_out is not None:
        html_out.write_text(report_html(data), encoding="utf-8")
        written.append(str(html_out))
        if not available("matplotlib"):
            click.echo("The report has no charts: they need the [report] extra (pip install "
                       "'cpd-tracker[report]').", err=True)
    if pdf_out is not None:
        try:
            pdf, dropped = fit_pdf(data, limit)
        except CpdError as err:
            fail(err)
        pdf_out.write_bytes(pdf)
        written.append(f"{pdf_out} ({len(pdf) / 1000:,.0f} KB)")
        if dropped:
            click.echo(f"To stay under {max_size}, the PDF leaves out {'; '.join(dropped)}.", err=True)
    verdicts = [f"{VERDICT[res.verdict]} ({res.score}/100)" + (f" for {p.short_name}" if others else "")
                for _, p, res in ((record, prof, result), *others)]
    click.echo(f"Wrote {' and '.join(written)}: {', '.join(verdicts)}, "
               f"{count(len(data.activities), 'activity', 'activities')}"
               + (f", {len(history.periods)} periods" if history else "") + ".")
