"""The CPD add-in for Excel desktop, and ``cpd excel install``.

The functions come from an add-in, never from the member's workbook. The add-in is built from xlwings'
own custom add-in template (``quickstart_addin.xlam``, shipped in the xlwings package; docs.xlwings.org,
"Custom Add-ins") and made CPD's: its configuration sheet is ``cpd.conf`` (``UDF Modules`` names
``addin.xlwings_udfs``, the interpreters this Python), and its VBA project is written here (``vba``):
xlwings' module with CPD's project name, and the worksheet functions' and the Check and Submit macros'
wrappers already in it, as xlwings' *Import Functions* would write them; no example module. So no
Trust Center change and no VBA editor step is needed: copied into Excel's XLSTART folder (``xlwings
addin install --file``, or a folder given), it gives every workbook the functions at Excel's next start.
The add-in's user configuration file, which xlwings' VBA reads, is ``%USERPROFILE%\\.cpd\\cpd.conf`` on
Windows (``~/Library/Containers/com.microsoft.Excel/Data/cpd.conf`` on macOS).
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from msgspec import Struct

from ..errors import CpdError
from ..extras import MissingExtra

ADDIN_NAME = "cpd.xlam"
TEMPLATE_PROJECT = "myaddin"             # xlwings' template's name for its project, settings sheet and file
PROJECT = "cpd"                          # the CPD add-in's (its settings sheet cpd.conf, file .cpd/cpd.conf)
UDF_MODULES = "addin.xlwings_udfs"
CONFIG_SHEET = "xl/worksheets/sheet1.xml"
# The template's configuration sheet: its rows, by the setting in column A.
CONFIG_ROWS = {"Interpreter_Win": 1, "Interpreter_Mac": 2, "UDF Modules": 6}


def template_addin() -> Path:
    """xlwings' custom add-in template, as the installed xlwings package ships it."""
    import importlib.util
    spec = importlib.util.find_spec("xlwings")
    path = Path(spec.origin).parent / "quickstart_addin.xlam" if spec and spec.origin else None
    if spec is None:
        raise MissingExtra("excel", "the Excel add-in")
    if path is None or not path.exists():
        raise CpdError("xlwings_missing", "xlwings is installed without its add-in template; install it again "
                       "(pip install --force-reinstall xlwings)")
    return path


def interpreters(python: str | None = None) -> dict[str, str]:
    """The Python the add-in runs: this one (pythonw.exe beside python.exe on Windows, for no console)."""
    python = python or sys.executable
    win = python
    if python.lower().endswith("python.exe") and Path(python[:-10] + "pythonw.exe").exists():
        win = python[:-10] + "pythonw.exe"
    return {"Interpreter_Win": win, "Interpreter_Mac": python, "UDF Modules": UDF_MODULES}


def _set_cells(sheet_xml: str, values: dict[str, str]) -> str:
    """The configuration sheet with column B of each setting's row holding its value (an inline string)."""
    for setting, value in values.items():
        row = CONFIG_ROWS[setting]
        cell = f'<c r="B{row}" s="1" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
        pattern = re.compile(rf'(<row r="{row}"[^>]*>)(.*?)(</row>)', re.S)
        found = pattern.search(sheet_xml)
        if found is None:
            raise CpdError("addin_template_changed", f"xlwings' add-in template has no row {row} for {setting}")
        cells = re.sub(rf'<c r="B{row}"[^>]*?(/>|>.*?</c>)', "", found.group(2), flags=re.S)
        sheet_xml = sheet_xml[:found.start()] + found.group(1).replace('spans="1:1"', 'spans="1:2"') + cells + \
            cell + found.group(3) + sheet_xml[found.end():]
    return sheet_xml


def build_addin(dest: Path, python: str | None = None) -> Path:
    """Make the CPD add-in at ``dest`` from xlwings' template: its configuration sheet named ``cpd.conf``,
    made active and set; its VBA project CPD's own (``vba.build_project``); every other part copied."""
    from .vba import build_project
    settings = interpreters(python)
    out = io.BytesIO()
    with zipfile.ZipFile(template_addin()) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = data.replace(f'name="_{TEMPLATE_PROJECT}.conf"'.encode(), f'name="{PROJECT}.conf"'.encode())
            elif info.filename == CONFIG_SHEET:
                data = _set_cells(data.decode("utf-8"), settings).encode("utf-8")
                data = re.sub(rb'<sheetPr codeName="[^"]*"', b'<sheetPr codeName="Sheet1"', data)  # the VBA's
            elif info.filename == "xl/vbaProject.bin":
                data = build_project(data, ADDIN_NAME)
            elif info.filename == "docProps/core.xml":
                data = re.sub(rb"<dc:title>[^<]*</dc:title>", b"<dc:title>CPD tracker</dc:title>", data)
            dst.writestr(info, data)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(out.getvalue())
    return dest


def config_file(home: Path | None = None, platform: str | None = None) -> Path:
    """Where xlwings' VBA looks for the add-in's user configuration."""
    platform = platform or sys.platform
    if platform == "darwin":
        return (home or Path.home()) / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT}.conf"
    base = home or Path(os.environ.get("USERPROFILE") or Path.home())
    return base / f".{PROJECT}" / f"{PROJECT}.conf"


def write_config(path: Path, python: str | None = None) -> Path:
    """The user configuration, in the "KEY","value" lines xlwings' VBA reads (``GetConfigFromFile``)."""
    settings = interpreters(python)
    lines = {"INTERPRETER_WIN": settings["Interpreter_Win"], "INTERPRETER_MAC": settings["Interpreter_Mac"],
             "UDF MODULES": UDF_MODULES}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'"{k}","{v}"\n' for k, v in lines.items()), encoding="utf-8")
    return path


class Installed(Struct):
    addin: Path
    config: Path
    by_xlwings: bool


def install(xlstart: Path | None = None, home: Path | None = None, staging: Path | None = None,
            python: str | None = None) -> Installed:
    """Build the add-in and install it: copied into ``xlstart`` if given, else by ``xlwings addin install
    --file`` (which asks Excel for its XLSTART folder: Windows and macOS only); then the configuration."""
    staging = staging or (home or Path.home()) / ".cpd" / "excel"
    built = build_addin(staging / ADDIN_NAME, python)
    if xlstart is not None:
        xlstart.mkdir(parents=True, exist_ok=True)
        target, by_xlwings = Path(shutil.copyfile(built, xlstart / ADDIN_NAME)), False
    else:
        if sys.platform not in ("win32", "darwin"):
            raise CpdError("excel_not_found", "Excel desktop runs on Windows and macOS: there, 'cpd excel install' "
                           "installs the add-in with xlwings; elsewhere give --xlstart DIR to copy it into a folder")
        run = subprocess.run([sys.executable, "-c", "from xlwings.cli import main; main()", "addin", "install",
                              "--file", str(built)], capture_output=True, text=True)
        if run.returncode != 0 or "Successfully installed" not in run.stdout:
            raise CpdError("excel_install_failed", "xlwings could not install the add-in: "
                           + (run.stdout + run.stderr).strip()[-300:])
        target, by_xlwings = built, True
    return Installed(target, write_config(config_file(home), python), by_xlwings)
