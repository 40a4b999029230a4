"""``cpd sheets``: check a Google Sheet as ``cpd check`` checks a file, write the result back, pull it."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from addin.cli.common import (DateType, exit_status, fail, outputs_or_fail, parse_size, print_report, profile_or_fail,
                       read_or_fail, write_report)
from addin import CpdError, GridRead, Profile, Record, assess, gc_paused, read_record

if TYPE_CHECKING:
    from .client import SheetRead, SheetsClient


def _client(as_json: bool = False) -> SheetsClient:
    from .client import SheetsClient             # loaded by a command, not by --help
    try:
        return SheetsClient()
    except CpdError as err:
        fail(err, as_json)
        raise  # unreachable


def _read(client: SheetsClient, sheet: str, profile: Profile | None, month_first: bool, as_json: bool = False
          ) -> tuple[SheetRead, GridRead, Record]:
    """The sheet fetched and its record read, or its problems printed as 'cpd check' prints them (exit 2).
    The collector is held off throughout: the answer's cells and the rows made of them die with the read."""
    fetched: list[SheetRead] = []

    def read() -> GridRead:
        with gc_paused():
            fetched.append(client.read(sheet))
            return read_record(fetched[0].source, profile, month_first=month_first)

    found, record = read_or_fail(read, as_json, sheet)
    return fetched[0], found, record


@click.group()
def sheets() -> None:
    """Check, write back and pull a CPD record kept in Google Sheets.

    \b
    Sign in once with your own Google account ('cpd sheets login'), or share the sheet with
    the service account whose key file GOOGLE_APPLICATION_CREDENTIALS names (Viewer to check,
    Editor to write back). SHEET is the sheet's address as the browser shows it
    (https://docs.google.com/spreadsheets/d/KEY/edit) or its KEY.
    """


@sheets.command("login")
@click.option("--client", "client_file", envvar="CPD_GOOGLE_OAUTH_CLIENT", default=None, metavar="FILE",
              help="The OAuth client for CPD (a 'Desktop app' client's JSON from the Google Cloud console), or "
                   "CPD_GOOGLE_OAUTH_CLIENT.")
@click.option("--no-browser", is_flag=True, help="Print the link instead of opening a browser.")
def login(client_file: str | None, no_browser: bool) -> None:
    """Sign in with your own Google account, so that 'cpd sheets' reads your sheets as you (no
    service-account key needed). Google sends the browser back to this computer; the sign-in is kept
    in ~/.config/cpd/google-account.json (or CPD_GOOGLE_ACCOUNT_FILE), readable by you only."""
    from .signin import account_file, sign_in
    try:
        sign_in(client_file, account_file(), open_browser=not no_browser,
                announce=lambda text: click.echo(text))
    except CpdError as err:
        fail(err)


@sheets.command("logout")
def logout() -> None:
    """Forget your Google sign-in on this computer (revoke CPD's access at myaccount.google.com too)."""
    from .signin import account_file
    kept = account_file()
    if kept.exists():
        kept.unlink()
        click.echo(f"Signed out: {kept} is removed.")
    else:
        click.echo("Not signed in with a Google account on this computer.")


@sheets.command("check")
@click.argument("sheet")
@click.option("--profile", "-p", default=None, metavar="ID|FILE",
              help="Check against this profile instead of the one the sheet names.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON for machines.")
@click.option("--as-of", type=DateType(), default=None, help="Today's date for the hints (YYYY-MM-DD). Default: today.")
@click.option("--month-first", is_flag=True, help="Read text dates like 03/12/2025 as month first (US).")
@click.option("--write-back", is_flag=True, help="Also write the verdict into the sheet's Submission area "
              "(Last check:); needs the sheet shared as Editor.")
def check(sheet: str, profile: str | None, as_json: bool, as_of: date | None, month_first: bool,
          write_back: bool) -> None:
    """Check a Google Sheet: would it pass the institution's review? Prints what 'cpd check' prints.

    Exit status: 0 ready (or exempt), 1 not ready, 2 unreadable, invalid or not reachable.
    """
    prof = profile_or_fail(profile) if profile else None
    client = _client(as_json)
    fetched, found, record = _read(client, sheet, prof, month_first, as_json)
    result = assess(record, found.profile, as_of=as_of or date.today())
    if write_back:
        from addin import check_text                # what a write-back writes: loaded by one
        try:
            client.write_back(fetched, {"last_check": check_text(result)}, found.submission)
        except CpdError as err:
            fail(err, as_json)
    print_report(result, record, found.profile, as_json)
    sys.exit(exit_status(result))


@sheets.command("pull")
@click.argument("sheet")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--profile", "-p", default=None, metavar="ID|FILE",
              help="Read with this profile instead of the one the sheet names.")
@click.option("--month-first", is_flag=True, help="Read text dates like 03/12/2025 as month first (US).")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def pull(sheet: str, out: Path, profile: str | None, month_first: bool, force: bool) -> None:
    """Save a Google Sheet's record as a template workbook (.xlsx)."""
    if out.exists() and not force:
        fail(CpdError("file_exists", f"{out} exists; pass --force to overwrite it"))
    if out.suffix.lower() != ".xlsx":
        fail(CpdError("bad_extension", f"{out}: the workbook must be saved as .xlsx"))
    prof = profile_or_fail(profile) if profile else None
    _, found, record = _read(_client(), sheet, prof, month_first)
    from addin import values_workbook
    try:
        out.write_bytes(values_workbook(record, found.profile))
    except OSError as exc:
        fail(CpdError("cannot_write", f"cannot write {out}: {exc.strerror or exc}"))
    click.echo(f"Saved {len(record.activities)} activities to {out} ({found.profile.short_name}).")
    click.echo(f"Check it with: cpd check {out}")


@sheets.command("report")
@click.argument("sheet")
@click.option("--pdf", "pdf_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report as PDF here.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report as one HTML page here.")
@click.option("--audience", type=click.Choice(["full", "summary"]), default="full", show_default=True,
              help="full: for the institution or a mentor; summary: for a manager.")
@click.option("--max-size", default=None, metavar="SIZE", help="Keep the PDF under this size (e.g. 0.5MB).")
@click.option("--profile", "-p", default=None, metavar="ID|FILE",
              help="Report against this profile instead of the one the sheet names.")
@click.option("--month-first", is_flag=True, help="Read text dates like 03/12/2025 as month first (US).")
@click.option("--force", is_flag=True, help="Overwrite the output files if they exist.")
def report(sheet: str, pdf_out: Path | None, html_out: Path | None, audience: str, max_size: str | None,
           profile: str | None, month_first: bool, force: bool) -> None:
    """Make the record report of a Google Sheet (what 'cpd report' makes of a workbook)."""
    outputs_or_fail(pdf_out, html_out, force)
    limit = parse_size(max_size)
    prof = profile_or_fail(profile) if profile else None
    _, found, record = _read(_client(), sheet, prof, month_first)
    write_report(record, found.profile, assess(record, found.profile), pdf_out, html_out, audience, limit, max_size)
