"""The layers hold: the core (addin) never imports the service or a web, database or Sheets library,
and the service uses the core only through the surface ``addin/__init__.py`` names."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import addin

ROOT = Path(__file__).resolve().parent.parent
NOT_IN_CORE = {"sync_service", "flask", "werkzeug", "sqlalchemy", "alembic", "gspread", "google", "gunicorn",
               "waitress", "flask_limiter", "psycopg"}
CORE_FOR_COMMANDS = {"addin", "addin.cli"}         # the public surface, and the cpd group's helpers for commands


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) for every import in a file, relative ones made absolute."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.append((node.lineno, module, [a.name for a in node.names]))
    return found


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("addin"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_never_imports_the_service_or_its_libraries(path):
    bad = [(line, module) for line, module, _ in imports(path) if module.split(".")[0] in NOT_IN_CORE]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("path", python_files("sync_service"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_service_uses_only_the_cores_public_surface(path):
    for line, module, names in imports(path):
        if module.split(".")[0] == "addin":
            assert module in CORE_FOR_COMMANDS, f"{path.relative_to(ROOT)}:{line} reaches into {module}"
            if module == "addin":
                assert set(names) <= set(addin.__all__), f"{path.relative_to(ROOT)}:{line}: {names}"
        assert module.split(".")[0] != "workbook_templates", f"{path.relative_to(ROOT)}:{line} uses the builder"


def test_every_public_name_resolves():
    for name in addin.__all__:
        assert getattr(addin, name) is not None, name


def test_the_core_commands_load_without_the_service():
    """cpd check runs with no Flask, SQLAlchemy or service module loaded."""
    code = ("import sys\nfrom click.testing import CliRunner\nfrom addin.cli import cli\n"
            f"r = CliRunner().invoke(cli, ['check', {str(ROOT / 'workbook_templates' / 'example-iet.xlsx')!r}])\n"
            "assert r.exit_code == 0, r.output\n"
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{sorted(NOT_IN_CORE)!r})\nassert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
