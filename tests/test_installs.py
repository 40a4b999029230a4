"""Installs that fit each user: ``pip install cpd-tracker`` is the member's (check, new, import, export, the
report as HTML), with no web framework, database or PDF library; a command whose extra is missing says
which extra to install, with exit status 2. ``[all]`` is what this suite itself runs on.

The member's install is made for real, in a fresh virtual environment, from this checkout."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from test_layering import ROOT, SERVICE_LIBRARIES

EXAMPLE = ROOT / "workbook_templates" / "example-iet.xlsx"
HEAVY = sorted(SERVICE_LIBRARIES - {"sync_service", "google_sheets"} | {"weasyprint", "matplotlib", "xlwings",
                                                                       "pdfplumber"})
CALENDAR = ROOT / "tests" / "fixtures" / "capture" / "calendar.ics"


@pytest.fixture(scope="module")
def member_install(tmp_path_factory):
    """A virtual environment with only ``pip install .``: its ``cpd`` and its python."""
    home = tmp_path_factory.mktemp("member")
    venv.EnvBuilder(with_pip=True).create(home / "venv")
    bin_dir = home / "venv" / ("Scripts" if os.name == "nt" else "bin")
    done = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           str(ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return bin_dir / "cpd", bin_dir / "python", home


def run(cpd: Path, *args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(cpd), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_the_members_install_has_none_of_the_services_libraries(member_install):
    _, python, _ = member_install
    code = ("import importlib.util, sys\n"
            f"print(' '.join(m for m in {HEAVY!r} if importlib.util.find_spec(m)))")
    found = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert found == []


def test_the_members_install_checks_makes_imports_exports_and_reports(member_install):
    cpd, _, home = member_install
    made = run(cpd, "new", "fresh.xlsx", "--name", "Alex Morgan", cwd=home)
    assert made.returncode == 0 and (home / "fresh.xlsx").exists(), made.stderr
    checked = run(cpd, "check", EXAMPLE, "--json", cwd=home)
    assert checked.returncode == 0 and '"verdict": "ready"' in checked.stdout, checked.stderr
    exported = run(cpd, "export", EXAMPLE, "activities.csv", cwd=home)
    assert exported.returncode == 0 and "Wrote 8 activities" in exported.stdout, exported.stderr
    imported = run(cpd, "import", "activities.csv", "imported.xlsx", cwd=home)
    assert imported.returncode == 0 and "Imported 8 activities" in imported.stdout, imported.stderr
    assert run(cpd, "check", "imported.xlsx", cwd=home).returncode in (0, 1)        # read: a verdict, not an error
    report = run(cpd, "report", EXAMPLE, "--html", "report.html", cwd=home)
    assert report.returncode == 0 and "READY (100/100)" in report.stdout, report.stderr
    page = (home / "report.html").read_text()
    assert "Power electronics design course" in page and "<svg" not in page        # no charts without [report]
    assert "[report] extra" in report.stderr


def test_the_members_install_captures_a_calendar_and_names_the_extra_for_certificates(member_install):
    cpd, _, home = member_install
    assert run(cpd, "new", "captured.xlsx", "-p", "us-nc", cwd=home).returncode == 0
    (home / "certificate.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    done = run(cpd, "capture", CALENDAR, "certificate.pdf", "captured.xlsx", cwd=home)
    assert done.returncode == 1 and "Captured 6 drafts" in done.stdout, done.stdout + done.stderr
    assert ("Not read [missing_extra]: certificate.pdf: Reading a PDF certificate needs the [evidence] extra: "
            "pip install 'cpd-tracker[evidence]'") in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command,extra", [
    (["serve"], "service"), (["serve", "--demo"], "service"), (["worker", "--once"], "service"),
    (["admin", "migrate"], "service"), (["sheets", "check", "x"], "sheets"), (["excel", "install"], "excel"),
    (["report", str(EXAMPLE), "--pdf", "r.pdf"], "report"),
])
def test_a_command_whose_extra_is_missing_names_it(member_install, command, extra):
    cpd, _, home = member_install
    done = run(cpd, *command, cwd=home)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().endswith(f"needs the [{extra}] extra: pip install 'cpd-tracker[{extra}]'"), done.stderr
    assert "Traceback" not in done.stderr and not (home / "r.pdf").exists()


def test_the_help_lists_every_command_and_what_is_not_installed(member_install):
    cpd, _, home = member_install
    shown = run(cpd, "--help", cwd=home).stdout
    assert re.search(r"\n  serve +\(needs the \[service\] extra\)", shown), shown
    assert re.search(r"\n  sheets +\(needs the \[sheets\] extra\)", shown), shown
    assert "check" in shown and "report" in shown


def test_this_suite_runs_on_everything():
    """The suite's own environment is ``[all]`` (the README's test command installs it): each extra's
    libraries import here."""
    code = f"import importlib\nfor m in {HEAVY!r}:\n    importlib.import_module(m)\n"
    subprocess.run([sys.executable, "-c", code], check=True)
