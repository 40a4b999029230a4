"""``cpd excel``: the CPD add-in for Excel desktop."""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import CpdError
from . import cli
from .common import fail


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
    from ..excel.install import install
    try:
        done = install(xlstart=xlstart, home=home, python=python)
    except CpdError as err:
        fail(err)
    where = "into Excel's XLSTART folder (by xlwings)" if done.by_xlwings else f"at {done.addin}"
    click.echo(f"The CPD add-in is installed {where}.")
    click.echo(f"Its settings (UDF Modules addin.xlwings_udfs, the Python it runs) are in {done.config}.")
    click.echo("Restart Excel: every workbook then has CPD_READINESS, CPD_CRITERIA and the other functions, and "
               "the CPD_CHECK and CPD_SUBMIT macros (nothing to import, no VBA editor, no Trust Center change).")
