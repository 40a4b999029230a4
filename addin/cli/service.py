"""Commands that talk to a CPD service: ``cpd login``, ``cpd submit``, ``cpd status``."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from ..errors import CpdError
from ..readiness import CriterionStatus, assess
from ..report import VERDICT
from . import cli
from .common import EXIT_NOT_READY, fail, human_time, load_or_fail, read_or_fail


@cli.command()
@click.option("--url", "service_url", required=True, help="Your CPD service's address, e.g. https://cpd.example.org")
@click.option("--token", default=None, help="A token you made on your settings page (else cpd shows a code to "
              "approve in your browser, and receives a token of its own).")
@click.option("--no-check", is_flag=True, help="With --token: save without asking the service (when it cannot be "
              "reached now).")
def login(service_url: str, token: str | None, no_check: bool) -> None:
    """Sign cpd in to your CPD service: it shows a code and a link; approve the code in your browser, where
    you are signed in, and cpd receives a token of its own. The address and token are kept in your own
    configuration (never in a workbook)."""
    from ..submit import Settings, whoami

    if not service_url.startswith(("https://", "http://")):
        fail(CpdError("bad_option", "--url must start with https:// (or http:// for a service on this computer)"))
    service_url = service_url.rstrip("/")
    if token is None:
        if no_check:
            fail(CpdError("bad_option", "--no-check needs --token (a code is approved on the service itself)"))
        token = device_token(service_url)
    settings = Settings(service_url, token.strip())
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


def device_token(service_url: str) -> str:
    """A token through the device flow: show the code and the link, wait for the member's approval."""
    from ..device_login import start, wait_for_token

    try:
        started = start(service_url)
        click.echo(f"To sign cpd in, open {started.verification_uri_complete}\n"
                   f"and check that it shows the code {started.user_code} (or open {started.verification_uri} and "
                   f"type it). Waiting for your approval (the code works for {started.expires_in // 60} "
                   "minutes)...", err=True)
        return wait_for_token(service_url, started)
    except CpdError as err:
        fail(err)
    raise AssertionError("fail() exits")


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
    from ..submit import Settings, remember, submit_file
    from ..workbook.reader import read_workbook

    data = load_or_fail(file, as_json)                  # read once (with the reader's checks): checked, then sent
    read, record = read_or_fail(lambda: read_workbook(data), as_json, str(file))
    result = assess(record, read.profile)
    verdict = f"{VERDICT[result.verdict]} ({result.score}/100)"
    if not result.ready and not yes:
        failing = [c for c in result.criteria if c.status == CriterionStatus.FAIL]
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
    click.echo(f"Submitted {file.name} ({verdict}): {receipt.id}, {receipt.status}, at "
               f"{human_time(receipt.received_at)}.")
    click.echo(f"Institution's receipt: {receipt.receipt_id}" if receipt.receipt_id else
               f"The institution's receipt follows once it is delivered: cpd status {receipt.id}")


@cli.command()
@click.argument("submission_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(submission_id: str | None, as_json: bool) -> None:
    """Show a submission's delivery and the institution's receipt (default: your last submission)."""
    from ..submit import Settings, last_submission, status as fetch

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
    status, verdict = str(found.get("status")), str(found.get("verdict"))
    click.echo(f"{found.get('id')}: {state.get(status, status)}; received "
               f"{human_time(found.get('received_at'))}; verdict {VERDICT.get(verdict, verdict)} "
               f"({found.get('score')}/100).")
    if found.get("receipt_id"):
        click.echo(f"Institution's receipt: {found['receipt_id']}")


@cli.command()
@click.argument("log", type=click.Path(dir_okay=False, path_type=Path))
def pull(log: Path) -> None:
    """Bring the activities you added from your phone into LOG.xlsx.

    They wait on your CPD service in the inbox of the record for this workbook's profile and period (the
    record the service made when you submitted or uploaded it). Each is added as a row (a draft stays a
    draft), with the certificate it came with kept beside the workbook as its evidence, then taken out of
    the inbox. Pulling again adds nothing: each row says in its Notes which activity it was.

    \b
    cpd pull record.xlsx
    """
    from ..evidence import keep
    from ..evidence.files import evidence_kind
    from ..submit import Settings, inbox_certificate, inbox_items, record_on_service, take_inbox_item
    from ..workbook.append import append_rows
    from ..workbook.reader import read_workbook
    from .capture import write_workbook

    data = load_or_fail(log, False)
    read, record = read_or_fail(lambda: read_workbook(data), False, str(log))
    settings = Settings.load()
    try:
        found = record_on_service(settings, read.profile.id, record.period.start.isoformat(),
                                  record.period.end.isoformat())
        if found is None:
            fail(CpdError("record_not_on_service", f"your CPD service has no {read.profile.short_name} record for "
                          f"{record.period}: submit {log.name} once (cpd submit), then add activities to it"))
        assert found is not None
        items = inbox_items(settings, str(found["id"]))
        written = " ".join(a.description or "" for a in record.every_activity)
        rows, taken = [], []
        for item in items:
            item_id = str(item.get("id"))
            taken.append(item_id)
            if item_id in written:
                continue                               # written by an earlier pull that did not finish
            cells = {k: v for k, v in (item.get("cells") or {}).items() if isinstance(k, str)}
            for day in ("start_date", "end_date"):            # dates as dates: the Summary's formulas add them
                if isinstance(cells.get(day), str):
                    cells[day] = date.fromisoformat(str(cells[day]))
            evidence = item.get("evidence")
            if evidence:
                content = inbox_certificate(settings, str(found["id"]), item_id)
                kind = evidence_kind(content)
                if kind is not None:
                    cells["evidence"] = keep(log, Path(str(evidence.get("filename") or "certificate")),
                                             content, kind).text()
            cells["description"] = f"added from your phone ({item_id})"
            rows.append(cells)
        if rows:
            appended = append_rows(data, rows, name=log.name)
            write_workbook(log, appended.data)
        for item_id in taken:
            take_inbox_item(settings, str(found["id"]), item_id)
    except CpdError as err:
        fail(err, False, str(log))
    if not rows:
        click.echo(f"Nothing new to bring into {log.name}.")
        return
    where = f"row {appended.rows[0]}" if len(rows) == 1 else f"rows {appended.rows[0]}-{appended.rows[-1]}"
    drafts = sum(1 for r in rows if str(r.get("status", "")).lower() == "draft")
    click.echo(f"Brought {len(rows)} {'activity' if len(rows) == 1 else 'activities'} from your phone into "
               f"{log.name} ({where})" + (f"; {drafts} of them drafts, counted once you confirm them" if drafts else "")
               + ".")
