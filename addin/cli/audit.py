"""``cpd audit-pack``: one PDF for a body's reviewer, with the evidence kept beside the workbook."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import click

from ..errors import CpdError
from ..readiness import assess
from . import cli
from .common import fail, parse_size, profile_or_fail, read_or_fail
from .record import under_review


@cli.command("audit-pack")
@click.argument("log", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the pack: a .pdf, or with --zip a .zip.")
@click.option("--profile", "-p", default=None, metavar="ID|FILE",
              help="The body the pack is for (default: the first the workbook names).")
@click.option("--period", "period_text", default=None, metavar="YEAR|FROM..TO",
              help="Another period of the log (as for cpd check).")
@click.option("--max-size", default=None, metavar="SIZE",
              help="At most this size (0.5MB, 500KB); default: the body's own upload limit (the IET's 0.5 MB), "
                   "else none.")
@click.option("--zip", "as_zip", is_flag=True, help="A zip: the pack, an index (CSV) and each evidence file as it is.")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def audit_pack(log: Path, out: Path, profile: str | None, period_text: str | None, max_size: str | None,
               as_zip: bool, force: bool) -> None:
    """One PDF for a body's reviewer: what the body reads (the record report; a US board's log of
    activities; ICE's job summary, plan and record), an index of the evidence with each file's SHA-256
    and the activities that lack the evidence the body asks for, then every evidence file in row order.

    \b
    cpd audit-pack record.xlsx --out pack.pdf
    cpd audit-pack record.xlsx --profile us-nc --out nc-pack.pdf
    """
    from ..extras import MissingExtra, available
    from ..readiness.engine import for_body
    from ..record_report import report_data
    from ..record_report.audit import audit_pack as make_pack, audit_zip, evidence_files, pack_summary
    from ..workbook.reader import read_workbook

    if out.exists() and not force:
        fail(CpdError("file_exists", f"{out} exists; pass --force to overwrite it"))
    for module, extra in (("weasyprint", "report"), ("pypdf", "evidence"), ("PIL", "evidence")):
        if not available(module):
            fail(MissingExtra(extra, "an audit pack"))
    body = profile_or_fail(profile) if profile else None
    read, record = read_or_fail(partial(read_workbook, log, body), False, str(log))
    first = body is None or body.id == (read.bodies or (read.profile,))[0].id
    record, _ = under_review(for_body(record, read.profile), read.profile, period_text, first)
    result = assess(record, read.profile)
    data = report_data(record, read.profile, result)
    try:
        pdf, dropped, files = make_pack(evidence_files(log, record), record, read.profile, result, data,
                                        max_bytes=parse_size(max_size))
    except CpdError as err:
        fail(err, False, str(log))
    try:
        out.write_bytes(audit_zip(pdf, files) if as_zip else pdf)
    except OSError as exc:
        fail(CpdError("cannot_write", f"cannot write {out}: {exc.strerror or exc}"))
    size = out.stat().st_size
    click.echo(f"Wrote {out} ({size / 1000:,.0f} KB) for {read.profile.short_name}: {pack_summary(files, dropped)}.")
