"""The deployment recipe stays true: an installed package (not an editable checkout) carries every file
the service needs, the container's commands are real commands, and every documented setting is one
the service reads."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from addin.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENT = (ROOT / "docs" / "deployment.md").read_text()


def test_the_built_package_carries_pages_migrations_and_add_in_files(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    names = set(zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist())
    needed = [f"sync_service/templates/{p.name}" for p in (ROOT / "sync_service" / "templates").iterdir()]
    needed += [f"sync_service/migrations/versions/{p.name}" for p in (ROOT / "sync_service/migrations/versions").glob("*.py")]
    needed += [f"sync_service/officejs/static/{p.name}" for p in (ROOT / "sync_service/officejs/static").iterdir()
               if p.is_file()]
    needed += ["sync_service/static/cpd.css", "sync_service/officejs/manifest.xml", "sync_service/migrations/env.py",
               "addin/profiles/iet.toml", "workbook_templates/template-iet.xlsx", "workbook_templates/google-sheets/Code.gs"]
    missing = [n for n in needed if n not in names]
    assert not missing, missing
    entry_points = zipfile.ZipFile(next(tmp_path.glob("*.whl"))).read(
        next(n for n in names if n.endswith("entry_points.txt"))).decode()
    for command in ("serve", "worker", "receiver", "admin"):
        assert re.search(rf"^{command} = sync_service\.", entry_points, re.M), command
    assert re.search(r"^sheets = google_sheets\.", entry_points, re.M)        # the Sheets adapter's own package


def _commands() -> list[list[str]]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    found = [s["command"] for s in compose["services"].values() if s.get("command")]
    cmd = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    found.append(yaml.safe_load(cmd))
    found += [shlex.split(line.split("#")[0].split("=", 1)[-1] if line.startswith("CPD_") else line.split("#")[0])
              for line in re.search(r"```sh\n(.*?)```", DEPLOYMENT, re.S).group(1).splitlines()
              if re.search(r"\bcpd (serve|worker|admin)", line)]
    return [c[c.index("cpd"):] for c in found]


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_in_the_recipe_is_a_real_command_with_real_options(command):
    res = CliRunner().invoke(cli, [*command[1:], "--help"])
    assert res.exit_code == 0, res.output


def test_the_compose_file_runs_postgresql_a_migration_the_service_and_workers():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert services["db"]["image"].startswith("postgres")
    assert services["migrate"]["command"] == ["cpd", "admin", "migrate"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["deploy"]["replicas"] == 2


def test_every_documented_setting_is_read_by_the_service():
    from sync_service import create_app
    app = create_app({"DATABASE_URL": "sqlite:///:memory:", "SECRET_KEY": "x", "AUTO_MIGRATE": False})
    worker_envvars = {p.envvar for name in ("worker", "serve") for p in
                      cli.get_command(None, name).params if getattr(p, "envvar", None)}
    for name in re.findall(r"^\| `(CPD_[A-Z_]+)`", DEPLOYMENT, re.M):
        assert name[4:] in app.config or name in worker_envvars, name
