"""The layers hold, as ``addin/__init__.py`` states them, and each arrow points down:

1. the model and the rules (pure Python: no spreadsheet, web, database or Sheets library);
2. ``addin.grid``: reading any grid into a record;
3. ``addin.workbook`` (the .xlsx package, reader, writer, template builder), then ``addin.importing``;
4. the surface: functions, reports, submitting, the templates, Excel, the command line.

The core never imports ``workbook_templates`` (it finds the built files as package data), the service,
or the service's libraries; the service, and the Google Sheets adapter, use the core only through the
names ``addin/__init__.py`` makes public (and the command line's helper module, for the commands they
add); the adapter never imports Flask or the service. Every import counts, a lazy one inside a
function included. ``test_the_checker_finds_each_old_arrow`` shows the checker fails on each arrow
this project used to have."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import addin

ROOT = Path(__file__).resolve().parent.parent
SERVICE_LIBRARIES = {"sync_service", "google_sheets", "flask", "werkzeug", "sqlalchemy", "alembic", "gspread",
                     "google", "gunicorn", "waitress", "psycopg", "uvicorn", "uvicorn_worker", "a2wsgi", "limits"}
SPREADSHEET_LIBRARIES = {"openpyxl", "python_calamine", "xlwings", "docx", "weasyprint", "matplotlib", "jinja2"}
LAYERS = {                       # top-level module or package under addin -> its layer
    **dict.fromkeys(("annotations", "collector", "columns", "errors", "export", "form", "frameworks", "intake", "model",
                     "next_period", "planner", "profile", "profile_docs", "readiness", "record_json", "report", "statuses", "trends",
                     "shipped_data", "values"), 1),
    "grid": 2,
    "workbook": 3, "importing": 3,
    **dict.fromkeys(("capture", "cli", "deadlines", "evidence", "device_login", "excel", "extras", "functions", "record_report", "submit", "templates", "xlwings_udfs",
                     "__init__"), 4),
}
SAME_LAYER_ORDER = ("workbook", "importing")   # within layer 3: importing uses workbook, never the other way
COMMAND_HELPERS = "addin.cli.common"             # the command line's public helper module


def imports(source: str, path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import in a file, relative ones made absolute."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = ".".join(path.relative_to(ROOT).parts[:-1])
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.append((node.lineno, module, [a.name for a in node.names]))
    return found


def layer_of(module: str) -> tuple[int, str]:
    part = module.split(".")[1] if module.count(".") else "__init__"
    return LAYERS[part], part


def core_problems(path: Path, source: str) -> list[str]:
    """What is wrong with a core module's imports."""
    rel = path.relative_to(ROOT)
    own = ".".join(rel.with_suffix("").parts)
    own_layer, own_part = layer_of(own if not own.endswith(".__init__") else own[:-len(".__init__")])
    bad = []
    for line, module, names in imports(source, path):
        top = module.split(".")[0]
        if top in SERVICE_LIBRARIES:
            bad.append(f"{rel}:{line} imports {module} (the service or its libraries)")
        if top == "workbook_templates":
            bad.append(f"{rel}:{line} imports {module} (the core finds the built files as data)")
        if own_layer <= 2 and top in SPREADSHEET_LIBRARIES:
            bad.append(f"{rel}:{line} imports {module}: layer {own_layer} uses no spreadsheet or document library")
        if top != "addin":
            continue
        targets = [module] if module != "addin" else [f"addin.{n}" for n in names]
        for target in targets:
            if target.split(".")[1] not in LAYERS and target != "addin":
                continue                        # a name from addin/__init__ (e.g. __version__)
            layer, part = layer_of(target)
            if layer > own_layer:
                bad.append(f"{rel}:{line} imports {target} (layer {layer}) from layer {own_layer}")
            elif layer == own_layer == 3 and part != own_part and \
                    SAME_LAYER_ORDER.index(part) > SAME_LAYER_ORDER.index(own_part):
                bad.append(f"{rel}:{line}: {own_part} imports {part}, which sits above it")
    return bad


def surface_problems(path: Path, source: str, *, adapter: bool = False) -> list[str]:
    """What is wrong with the service's (or the Sheets adapter's) use of the core."""
    rel = path.relative_to(ROOT)
    bad = []
    for line, module, names in imports(source, path):
        top = module.split(".")[0]
        if top == "addin":
            if module not in ("addin", COMMAND_HELPERS):
                bad.append(f"{rel}:{line} reaches into {module}")
            elif module == "addin" and not set(names) <= set(addin.__all__):
                bad.append(f"{rel}:{line} uses {sorted(set(names) - set(addin.__all__))}, not public")
        if top == "workbook_templates":
            bad.append(f"{rel}:{line} uses the template package")
        if adapter and top in {"flask", "werkzeug", "sync_service", "sqlalchemy"}:
            bad.append(f"{rel}:{line}: the Sheets adapter imports {module}")
    return bad


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("addin"), ids=lambda p: str(p.relative_to(ROOT)))
def test_each_core_module_imports_only_its_own_layer_and_those_below(path):
    assert not core_problems(path, path.read_text())


@pytest.mark.parametrize("path", python_files("sync_service"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_service_uses_only_the_cores_public_surface(path):
    assert not surface_problems(path, path.read_text())


@pytest.mark.parametrize("path", python_files("google_sheets"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_sheets_adapter_uses_the_public_surface_and_no_web_framework(path):
    assert not surface_problems(path, path.read_text(), adapter=True)


def test_every_core_module_has_a_layer():
    tops = {p.relative_to(ROOT / "addin").parts[0].removesuffix(".py") for p in python_files("addin")}
    assert tops <= set(LAYERS), tops - set(LAYERS)


@pytest.mark.parametrize("where,source,finds", [
    ("addin/templates.py", "from workbook_templates.builder import record_workbook", "the core finds the built"),
    ("addin/cli/workbook.py", "def f():\n    from workbook_templates.builder import build_workbook\n",
     "the core finds the built"),
    ("addin/record_json.py", "from .workbook.layout import PLAN_HEADER_ROW", "(layer 3) from layer 1"),
    ("addin/grid/cells.py", "from ..workbook.sheetscan import column_letters", "(layer 3) from layer 2"),
    ("addin/workbook/reader.py", "from ..importing.sources import load", "workbook imports importing"),
    ("addin/model.py", "import openpyxl", "no spreadsheet or document library"),
    ("addin/grid/record.py", "def f():\n    import flask\n", "the service or its libraries"),
])
def test_the_checker_finds_each_old_arrow(where, source, finds):
    problems = core_problems(ROOT / where, source)
    assert problems and finds in problems[0], problems


@pytest.mark.parametrize("where,source,adapter,finds", [
    ("sync_service/store/records.py", "from addin.workbook.reader import read_workbook", False, "reaches into"),
    ("sync_service/web/member.py", "from addin import _PUBLIC", False, "not public"),
    ("sync_service/web/member.py", "from workbook_templates.builder import build_workbook", False, "template"),
    ("google_sheets/cli.py", "import flask", True, "the Sheets adapter imports flask"),
    ("google_sheets/cli.py", "from sync_service import db", True, "the Sheets adapter imports sync_service"),
])
def test_the_checker_finds_each_old_reach_into_the_core(where, source, adapter, finds):
    problems = surface_problems(ROOT / where, source, adapter=adapter)
    assert problems and finds in problems[0], problems


def test_every_public_name_resolves():
    for name in addin.__all__:
        assert getattr(addin, name) is not None, name


def test_the_core_commands_load_without_the_service():
    """cpd check runs with no Flask, SQLAlchemy or service module loaded."""
    code = ("import sys\nfrom click.testing import CliRunner\nfrom addin.cli import cli\n"
            f"r = CliRunner().invoke(cli, ['check', {str(ROOT / 'workbook_templates' / 'example-iet.xlsx')!r}])\n"
            "assert r.exit_code == 0, r.output\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{sorted(SERVICE_LIBRARIES)!r})\nassert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_names_type_checkers_see_are_the_public_names():
    """``addin/__init__.py`` names its surface twice: lazily for programs, eagerly for type checkers."""
    tree = ast.parse((ROOT / "addin" / "__init__.py").read_text())
    checking = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {(f"addin.{node.module}", a.name, a.asname)
            for node in checking.body if isinstance(node, ast.ImportFrom) for a in node.names}
    assert all(name == asname for _, name, asname in seen)           # re-exported explicitly
    assert {name: module for module, name, _ in seen} == addin._PUBLIC
