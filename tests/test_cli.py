"""The cpd command line, as a member uses it: new, fill in, check."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest

from addin.cli import cli
from conftest import fill_workbook
from ports import free_port
from workbook_templates import example_path

EXAMPLE = example_path("iet")

PLAN = [{"ref": "O1", "objective": "Learn protection systems", "target_date": date(2025, 12, 31)}]
R = "Learnt the principle and applied it on site"


def test_new_fill_check_matches_a_hand_calculation(cpd, tmp_path):
    path = tmp_path / "me.xlsx"
    res = cpd("new", path, "--name", "Sam Lee", "--membership-number", "007", "--year", "2025",
              "--registration", "CEng")
    assert res.exit_code == 0 and "1 Jan 2025" in res.output and "01 Jan" not in res.output
    rows = [  # hours by hand: 6 + 4 + 3 + 2 + (10 x 2/4 = 5) = 20 in 2025
        {"start_date": date(2025, 2, 3), "end_date": date(2025, 2, 4), "title": "Protection course",
         "category": "Training courses", "skill_type": "Job-specific technical", "competences": "A1", "hours": 6,
         "reflection": R, "objective": "O1"},
        {"start_date": date(2025, 4, 1), "title": "Reading", "category": "Self-study",
         "skill_type": "Personal technical", "competences": "A2", "hours": 4, "reflection": R, "objective": "O1"},
        {"start_date": date(2025, 6, 1), "title": "Mentoring", "category": "Volunteering",
         "skill_type": "Soft skills", "competences": "C3", "hours": 3, "reflection": R},
        {"start_date": date(2025, 9, 1), "title": "Talk", "category": "Events and seminars",
         "skill_type": "Soft skills", "hours": 2, "reflection": None},
        {"start_date": date(2025, 12, 30), "end_date": date(2026, 1, 2), "title": "Winter school",
         "category": "Academic study", "skill_type": "Personal technical", "competences": "B2", "hours": 10,
         "reflection": R, "objective": "O1"},
        {"start_date": date(2024, 11, 1), "title": "Last year's course", "category": "Training courses",
         "hours": 12, "reflection": R},
    ]
    fill_workbook(path, rows, {"status": "Active"}, PLAN)
    res = cpd("check", path, "--json", "--as-of", "2025-11-30")
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert data["verdict"] == "not_ready" and data["target"] == 30 and data["counted_hours"] == 20
    t = data["totals"]
    assert t["activities_in_period"] == 5
    assert t["by_category"] == {"training": 6, "work": 0, "academic": 5, "volunteering": 3, "events": 2,
                                "self_study": 4}
    assert t["by_skill_type"] == {"personal_technical": 9, "job_technical": 6, "soft": 5}
    assert t["by_competence"] == {"A1": 6, "A2": 4, "B2": 5, "C3": 3}
    assert t["by_objective"] == {"O1": 15}
    crit = {c["id"]: c for c in data["criteria"]}
    assert crit["hours"]["hint"].startswith("add 10 hours before 31 Dec 2025; 30 hours is IET's recommendation")
    assert crit["range"]["status"] == "pass"
    assert crit["reflection"]["status"] == "warn" and crit["reflection"]["rows"] == [13]
    assert crit["plan"]["status"] == "pass" and crit["plan"]["rows"] == [12, 13]   # 3 of 5 linked
    text = cpd("check", path, "--as-of", "2025-11-30")
    assert text.exit_code == 1
    assert "Verdict: NOT READY" in text.output and "-> add 10 hours before 31 Dec 2025" in text.output
    assert "-> row 13: no reflection" in text.output


def test_check_example_is_ready(cpd, example_iet):
    res = cpd("check", example_iet)
    assert res.exit_code == 0 and "Verdict: READY (score 100/100)" in res.output


def test_exempt_member_exits_0(cpd, tmp_path):
    path = tmp_path / "r.xlsx"
    cpd("new", path, "--status", "not_professionally_active", "--year", "2025")
    res = cpd("check", path)
    assert res.exit_code == 0 and "EXEMPT" in res.output


def test_invalid_values_exit_2_with_every_cell(cpd, tmp_path):
    path = tmp_path / "r.xlsx"
    cpd("new", path, "--year", "2025")
    fill_workbook(path, [{"start_date": date(2025, 1, 5), "title": "x", "hours": "two"},
                         {"start_date": "32/01/2025", "title": "y", "hours": 1}])
    res = cpd("check", path)
    assert res.exit_code == 2
    assert "2 values cannot be read" in res.output
    assert "Record!J10: hours must be a number, found 'two'" in res.output
    assert "Record!A11: start date must be a date" in res.output
    js = json.loads(cpd("check", path, "--json").output)
    assert js["error"]["code"] == "invalid_record"
    assert [(p["sheet"], p["cell"], p["code"]) for p in js["error"]["problems"]] == [
        ("Record", "J10", "hours_not_number"), ("Record", "A11", "date_invalid")]


@pytest.mark.parametrize("content,code", [(b"", "empty_file"), (b"PK\x03\x04broken", "corrupt_zip"),
                                          (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "legacy_or_encrypted"),
                                          (b"name,hours\nA,2\n", "not_xlsx")])
def test_unreadable_files_exit_2_without_traceback(cpd, tmp_path, content, code):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    res = cpd("check", path)
    assert res.exit_code == 2 and f"error [{code}]" in res.output and "Traceback" not in res.output


def test_missing_file_and_unknown_profile(cpd, tmp_path, example_iet):
    assert "error [file_not_found]" in cpd("check", tmp_path / "nope.xlsx").output
    res = cpd("check", example_iet, "--profile", "nowhere")
    assert res.exit_code == 2 and "error [profile_unknown]" in res.output


def test_new_refuses_to_overwrite_and_checks_its_options(cpd, tmp_path):
    path = tmp_path / "r.xlsx"
    assert cpd("new", path).exit_code == 0
    res = cpd("new", path)
    assert res.exit_code == 2 and "pass --force" in res.output
    assert cpd("new", path, "--force", "--profile", "ikt").exit_code == 0
    assert cpd("new", tmp_path / "r.csv").exit_code == 2
    assert cpd("new", tmp_path / "s.xlsx", "--from", "2025-05-01", "--to", "2025-01-01").exit_code == 2
    assert cpd("new", tmp_path / "t.xlsx", "--from", "May 2025").exit_code == 2


def test_new_sets_the_period_from_the_profile(cpd, tmp_path):
    from addin.workbook.reader import read_workbook
    for profile, args, want in (("iet", ["--year", "2024"], (date(2024, 1, 1), date(2024, 12, 31))),
                                ("ea", ["--from", "2024-07-01"], (date(2024, 7, 1), date(2027, 6, 30))),
                                ("ikt", ["--from", "2025-04-06"], (date(2025, 4, 6), date(2026, 4, 5)))):
        path = tmp_path / f"{profile}.xlsx"
        assert cpd("new", path, "--profile", profile, *args).exit_code == 0
        read = read_workbook(path)
        assert read.profile.id == profile and (read.record.period.start, read.record.period.end) == want


def _commands(group, prefix=()):
    import click
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        yield (*prefix, name)
        cmd = group.get_command(ctx, name)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))


def test_the_command_index_is_what_the_commands_say():
    """addin/cli/index.py (which lists the commands without importing them) is what
    ``python -m addin.cli.make_index`` writes from the commands themselves."""
    from addin.cli import index, make_index
    assert Path(index.__file__).read_text() == make_index.generate(), "run: python -m addin.cli.make_index"


def test_cpd_help_lists_what_the_loaded_commands_would_say(runner):
    """``cpd --help`` from the index reads exactly as click's own listing of the loaded commands, at any width."""
    import click
    from addin.cli import CommandGroup, load_all
    load_all()
    for width in (60, 80, 120):
        listed = runner.invoke(cli, ["--help"], terminal_width=width).output
        ctx = click.Context(cli, terminal_width=width)
        formatter = ctx.make_formatter()
        click.Group.format_commands(cli, ctx, formatter)        # click's own: every command's module loaded
        assert isinstance(cli, CommandGroup) and formatter.getvalue() in listed, width


def test_a_command_imports_only_its_own_module(tmp_path):
    """``cpd check`` loads the core's reading and scoring, not the other commands' modules (nor the report's,
    the service's or Google's libraries)."""
    code = ("import sys; from addin.cli import cli\n"
            "try:\n    cli(['check', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('addin.cli.', 'flask', 'gspread', 'matplotlib',"
            " 'weasyprint', 'openpyxl', 'sync_service', 'google_sheets'))))")
    out = subprocess.run([sys.executable, "-c", code, str(EXAMPLE)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "['addin.cli.common', 'addin.cli.index', 'addin.cli.record']"


def test_another_parts_command_runs_without_reading_the_installed_packages_metadata():
    """``cpd sheets`` (an entry point of the Sheets adapter) is found where the index says, as its entry point
    names it: no scan of every installed package's metadata (10-20 ms) before each command."""
    from importlib.metadata import entry_points
    from addin.cli.index import ENTRY_POINTS
    assert ENTRY_POINTS == {ep.name: ep.value for ep in entry_points(group="cpd.commands")}
    code = ("import sys; from addin.cli import cli\n"
            "try:\n    cli(['sheets', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('importlib.metadata' in sys.modules, 'google_sheets.cli' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Check, write back and pull" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "False True"


def test_the_console_script_leaves_its_objects_to_the_exit_with_everything_written(tmp_path):
    """``cpd`` as a process (the console script's ``main``) freezes the collector's objects as one of the core's
    commands returns, so the interpreter's exit does not free them one by one; what the commands write is whole
    all the same: a workbook made, a long JSON answer on stdout, an error and its exit code, and the exit handlers
    still run after it. Another part's command (the service's) exits as Python makes it."""
    at_exit = ("import atexit, gc, sys; from addin.cli import main\n"
               "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0, file=sys.stderr))\n"
               "sys.argv = ['cpd', *sys.argv[1:]]; main()")
    made = tmp_path / "me.xlsx"
    new = subprocess.run([sys.executable, "-c", at_exit, "new", str(made), "--name", "Sam Lee", "--year", "2025"],
                         capture_output=True, text=True)
    assert new.returncode == 0, new.stderr
    assert new.stderr.strip().splitlines()[-1] == "frozen at exit: True"
    with zipfile.ZipFile(made) as z:              # every part there and its checksum right: the file was closed
        assert z.testzip() is None and "xl/workbook.xml" in z.namelist()
    checked = subprocess.run([sys.executable, "-m", "addin.cli", "check", "--json", str(EXAMPLE)],
                             capture_output=True, text=True)
    assert checked.returncode == 0 and len(checked.stdout) > 2000
    assert json.loads(checked.stdout)["verdict"] == "ready"        # the whole answer, to its last byte
    refused = subprocess.run([sys.executable, "-c", at_exit, "check", str(tmp_path / "absent.xlsx")],
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "absent.xlsx" in refused.stderr
    assert refused.stderr.strip().splitlines()[-1] == "frozen at exit: True"
    service = subprocess.run([sys.executable, "-c", at_exit, "serve", "--help"], capture_output=True, text=True)
    assert service.returncode == 0 and "Usage:" in service.stdout     # another part's command: Python's own exit
    assert service.stderr.strip().splitlines()[-1] == "frozen at exit: False"
    # the list of commands, in an install without the service's extra, loads the command that says so; it runs none
    without_service = "import addin.extras; addin.extras.available = lambda module: module != 'flask'\n" + at_exit
    listed = subprocess.run([sys.executable, "-c", without_service, "--help"], capture_output=True, text=True)
    assert listed.returncode == 0 and "needs the [service] extra" in listed.stdout
    assert listed.stderr.strip().splitlines()[-1] == "frozen at exit: True"


@pytest.mark.parametrize("path", [(), *_commands(cli)])
def test_every_command_has_help(cpd, path):
    res = cpd(*path, "--help")
    assert res.exit_code == 0 and "Usage:" in res.output and len(res.output.splitlines()) > 3


def test_serve_runs_the_service_as_a_real_process(tmp_path):
    """cpd serve in its own process: the function endpoint answers over HTTP on 127.0.0.1."""
    import subprocess
    import sys
    import time
    import urllib.request
    port = free_port()
    env = {**__import__("os").environ, "CPD_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "addin.cli", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline = time.time() + 20
        while True:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/functions/TARGET",
                                             data=b'{"args": ["iet", "Partially active"]}',
                                             headers={"Content-Type": "application/json"}, method="POST")
                with urllib.request.urlopen(req, timeout=2) as resp:
                    assert json.loads(resp.read()) == {"result": 10.0}
                break
            except OSError:
                assert time.time() < deadline and proc.poll() is None, proc.stdout.read() if proc.poll() else ""
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/addin/manifest.xml", timeout=2) as resp:
            assert f"http://127.0.0.1:{port}/addin/functions.js".encode() in resp.read()
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_needs_both_cert_and_key(cpd, tmp_path):
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    res = cpd("serve", "--cert", cert)
    assert res.exit_code == 2 and "both --cert and --key" in res.output


def test_admin_migrate_then_a_service_without_auto_migration(tmp_path, monkeypatch):
    import subprocess
    import sys
    from sqlalchemy import create_engine, inspect
    url = f"sqlite:///{tmp_path / 'cpd.sqlite3'}"
    env = {**__import__("os").environ, "DATABASE_URL": url, "CPD_INSTANCE_PATH": str(tmp_path / "inst")}
    out = subprocess.run([sys.executable, "-m", "addin.cli", "admin", "migrate"], env=env, capture_output=True,
                         text=True)
    assert out.returncode == 0 and "up to date" in out.stdout
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"members", "api_tokens", "submissions", "jobs", "endpoint_state", "alembic_version"} <= tables
    assert (tmp_path / "inst" / "secret_key").exists()       # data in the instance folder, not the package
    from sync_service import create_app
    monkeypatch.setenv("CPD_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app({"DATABASE_URL": url, "AUTO_MIGRATE": False})
    res = app.test_client().get("/api/v1/openapi.json")
    assert res.status_code == 200


def test_admin_invite_reads_a_csv_and_says_what_became_of_each_row(tmp_path):
    import subprocess
    import sys
    from sqlalchemy import create_engine, text
    url = f"sqlite:///{tmp_path / 'cpd.sqlite3'}"
    env = {**__import__("os").environ, "DATABASE_URL": url, "CPD_INSTANCE_PATH": str(tmp_path / "inst")}
    csv_file = tmp_path / "members.csv"
    csv_file.write_text("\ufeffemail,name,membership number,grade\nann@example.net,Ann,7,MIET\n\nnot mail,X\n"
                        "ANN@example.net,Again\nbo@example.net,Bo,8,CEng,extra\ncy@example.net\n", encoding="utf-8")
    run = lambda *more: subprocess.run([sys.executable, "-m", "addin.cli", "admin", "invite", str(csv_file)],  # noqa: E731
                                       env={**env, **dict(more)}, capture_output=True, text=True)
    off = run()
    assert off.returncode == 2 and "needs CPD_SMTP_URL" in off.stderr and len(off.stderr.strip().splitlines()) == 1
    done = run(("CPD_SMTP_URL", "smtp://127.0.0.1:9"), ("CPD_PUBLIC_URL", "https://cpd.example.org"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "row 2: ann@example.net: invited", "row 4: not mail: refused (not an e-mail address)",
        "row 5: ann@example.net: already there (listed twice in this file)",
        "row 6: bo@example.net: refused (5 columns; expected email, name, membership number, grade)",
        "row 7: cy@example.net: invited", "2 invited, 1 already there, 2 refused."]
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT email, name, membership_number, grade FROM members ORDER BY email")).all() == [
            ("ann@example.net", "Ann", "7", "MIET"), ("cy@example.net", None, None, None)]
        assert conn.execute(text("SELECT count(*) FROM jobs WHERE kind = 'mail'")).scalar() == 2
        assert conn.execute(text("SELECT count(*) FROM admin_events WHERE action = 'invited' AND actor_id IS NULL"
                                 )).scalar() == 2
    again = run(("CPD_SMTP_URL", "smtp://127.0.0.1:9"), ("CPD_PUBLIC_URL", "https://cpd.example.org"))
    assert "row 2: ann@example.net: already there (a member already has this address)" in again.stdout
    assert again.stdout.splitlines()[-1] == "0 invited, 3 already there, 2 refused."
