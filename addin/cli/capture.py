"""``cpd capture`` (drafts from calendars, certificates and badges) and ``cpd evidence`` (files kept beside
a workbook, named in its Evidence cells)."""
from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..errors import CpdError
from ..readiness.criteria import fmt_date
from ..values import count
from . import cli
from .common import fail, load_or_fail

_BUSY = ("the workbook may be open in Excel or another program: close it there and try again")


def write_workbook(path: Path, data: bytes) -> None:
    """Replace the workbook with ``data`` at once (a half-written file is never left), or fail saying why."""
    temporary = path.with_name(f".{path.name}.cpd-part")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except PermissionError:
        temporary.unlink(missing_ok=True)
        fail(CpdError("cannot_write", f"cannot write {path}: {_BUSY}"))
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        fail(CpdError("cannot_write", f"cannot write {path}: {exc.strerror or exc}"))


def _when(value: Any) -> str:
    return fmt_date(value) if isinstance(value, date) else ""


@cli.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.argument("log", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--match", "match", multiple=True, metavar="WORD",
              help="Only calendar events whose title, description, categories or location hold one of these words "
                   "(give it more than once: --match webinar --match course).")
@click.option("--calendar", "calendars", multiple=True, metavar="NAME",
              help="Only events of the calendar with this name (an .ics file's X-WR-CALNAME).")
@click.option("--me", metavar="EMAIL", default=None,
              help="Your address in the calendar's invitations, to know the events you declined (default: the "
                   "calendar's name when it is an address).")
@click.option("--dry-run", is_flag=True, help="Say what would be captured; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what was captured as JSON for machines.")
def capture(sources: tuple[Path, ...], log: Path, match: tuple[str, ...], calendars: tuple[str, ...], me: str | None,
            dry_run: bool, as_json: bool) -> None:
    """Add drafts to LOG.xlsx from calendars (.ics), PDF certificates and Open Badges.

    One draft per event you attended in the record's period (declined, cancelled and all-day events that
    are not courses are left out) and per certificate or badge, with what it states (title, provider,
    dates, hours or PDH, topics) and a list of what it does not. Drafts count nowhere until you confirm
    them: set their Status to Confirmed (or clear it). A certificate is kept beside the workbook as the
    draft's evidence. Capturing the same files again adds nothing.

    \b
    cpd capture work.ics certificates/*.pdf record.xlsx
    cpd capture calendar.ics record.xlsx --match webinar --match course
    """
    from ..capture import capture_files, placed
    from ..evidence import keep, kept_digests
    from ..workbook.append import append_rows
    from ..workbook.reader import read_workbook

    data = load_or_fail(log, as_json)
    try:
        read = read_workbook(data, None)
    except CpdError as err:
        fail(err, as_json, str(log))
    if read.record is None:
        fail(CpdError("period_missing", f"{log}: the record needs its period (Covering the period from / To) "
                      f"before activities can be captured into it"), as_json)
    assert read.record is not None
    run = capture_files(list(sources), read.record, read.profile, match=match, calendars=calendars, me=me,
                        kept=kept_digests(log))
    rows = []
    for found in run.found:
        if found.evidence is not None and not dry_run:
            try:
                found.values["evidence"] = keep(log, found.evidence).text()
            except CpdError as err:
                found.notes.append(f"not kept as evidence: {err.message}")
        rows.append(placed(found, read.cells.columns))
    written: list[int] = []
    if rows and not dry_run:
        try:
            appended = append_rows(data, rows, name=log.name)
        except CpdError as err:
            fail(err, as_json, str(log))
        write_workbook(log, appended.data)
        written = appended.rows
    left = dict(run.left_out)
    if as_json:
        click.echo(json.dumps({
            "captured": [{"row": written[i] if written else None, "source": f.source,
                          **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in f.values.items()},
                          "missing": f.missing, "notes": f.notes} for i, f in enumerate(run.found)],
            "left_out": left, "not_read": [e.to_dict() for e in run.unread], "dry_run": dry_run}, indent=2))
    else:
        _say(run, written, left, log, dry_run)
    sys.exit(1 if run.unread else 0)


def _say(run: Any, written: list[int], left: dict[str, int], log: Path, dry_run: bool) -> None:
    n = len(run.found)
    if n:
        where = "" if dry_run or not written else (f" (row {written[0]})" if n == 1 else
                                                    f" (rows {written[0]}-{written[-1]})")
        verb = "Would capture" if dry_run else "Captured"
        click.echo(f"{verb} {count(n, 'draft')} into {log.name}{where}; drafts count nowhere until you confirm "
                   f"them (Status: Confirmed, or blank):")
        for i, f in enumerate(run.found):
            v = f.values
            hours = f"{v['hours']:g} h" if isinstance(v.get("hours"), float) else "hours not stated"
            at = f"row {written[i]}  " if written else ""
            click.echo(f"  {at}{_when(v.get('start_date')) or '(no date)':<12} {v.get('title') or '(no title)'} "
                       f"({hours}) from {f.source}")
            for note in f.notes:
                click.echo(f"      {note}")
        undated = [written[i] for i, f in enumerate(run.found) if written and f.values.get("start_date") is None]
        if undated:
            click.echo(f"{'Row' if len(undated) == 1 else 'Rows'} {', '.join(map(str, undated))}: no start date was "
                       f"stated; enter it (until then cpd check names the cell, as for any row without one).")
    else:
        click.echo(f"Nothing new to capture into {log.name}.")
    if left:
        click.echo("Left out: " + ", ".join(f"{k} {v}" for k, v in sorted(left.items(), key=lambda kv: -kv[1])))
    for err in run.unread:
        click.echo(f"Not read [{err.code}]: {err.message}", err=True)


@cli.group()
def evidence() -> None:
    """Evidence files kept beside a workbook (a certificate, a photo), named in its Evidence cells."""


@evidence.command("add")
@click.argument("log", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("row", type=click.IntRange(min=1))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def evidence_add(log: Path, row: int, file: Path) -> None:
    """Keep FILE as evidence of the activity on ROW of LOG.xlsx.

    The file (a PDF, PNG, JPEG or HEIC, up to 10 MB; its type is read from its bytes) is copied into
    the folder beside the workbook named for it (record.xlsx: record-evidence), and its path and
    SHA-256 are added to the row's Evidence cell. cpd check then says when a kept file is missing or
    has changed.

    \b
    cpd evidence add record.xlsx 12 ~/Downloads/certificate.pdf
    """
    from ..evidence import entries, keep
    from ..evidence.files import read_evidence
    from ..workbook.append import set_values
    from ..workbook.reader import read_workbook

    data = load_or_fail(log, False)
    try:
        read = read_workbook(data, None)
        content, kind = read_evidence(file)
    except CpdError as err:
        fail(err, False, str(log))
    activity = next((a for a in (read.record.every_activity if read.record else ()) if a.row == row), None)
    if activity is None:
        first = (read.header_row or 0) + 1
        fail(CpdError("no_such_row", f"row {row} holds no activity (the activity table starts at row {first})",
                      sheet=read.sheet, cell=f"A{row}"))
    assert activity is not None
    if "evidence" not in read.cells.columns:
        fail(CpdError("no_such_column", f"{read.sheet}: the activity table has no Evidence column; add one to its "
                      f"header row (row {read.header_row})", sheet=read.sheet))
    entry = keep(log, file, content, kind)
    if entry.digest in {e.digest for e in entries(activity.evidence)}:
        click.echo(f"{file.name} is already the evidence of row {row} ({entry.path}).")
        return
    cell = "; ".join(x for x in (activity.evidence, entry.text()) if x)
    try:
        changed = set_values(data, row, {"evidence": cell}, name=log.name)
    except CpdError as err:
        fail(err, False, str(log))
    write_workbook(log, changed.data)
    click.echo(f"Kept {file.name} as evidence of row {row} ({activity.title or 'untitled'}): {entry.path}")
