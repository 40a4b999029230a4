"""Shared fixtures: the CLI runner, profiles, and helpers that fill real workbooks."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from addin.cli import cli
from addin.intake import build_record
from addin.profile import load_profile
from addin.form.layout import (ACTIVITY_COLUMNS, HEADER, PLAN_COLUMNS, PLAN_HEADER_ROW, RECORD_SHEET,
                                   TABLE_HEADER_ROW)
from addin.workbook.writer import set_value
from workbook_templates import example_path

ROOT = Path(__file__).resolve().parent.parent
# Every SQLite write must be begun as one (store.database.writing): a write in a read transaction raises, here and in
# every service process the tests start.
os.environ.setdefault("CPD_SQLITE_STRICT_WRITES", "1")

# The test files that take longest, in seconds of a worker's time (`bash .ci/run --durations=0`, summed by file;
# 2026-12-06, when the parallel part was 1,233 s of the two workers' time). They are handed out first and the
# rest after, in name order (.ci/run passes --no-loadscope-reorder, so pytest-xdist keeps this order rather than
# its own by number of tests, which left a 74 s file last and one worker idle for about a minute). A file missing
# here only runs later; the order never changes what a test does.
LONGEST_FILES = {
    "test_pages_browser.py": 93,
    "test_delivery.py": 91,
    "test_template.py": 82,
    "test_slow_clients.py": 74,
    "test_reports_browser.py": 65,
    "test_production.py": 62,
    "test_sheets.py": 52,
    "test_accessibility.py": 45,
    "test_oidc.py": 41,
    "test_worker_process.py": 40,
    "test_carry_over.py": 36,
    "test_taskpane.py": 32,
    "test_mentor_browser.py": 28,
    "test_phone.py": 27,
    "test_service_submissions.py": 23,
}


def pytest_collection_modifyitems(items):
    """Longest files first (LONGEST_FILES), the others after them as collected; a file's tests keep their order."""
    rank = {name: i for i, name in enumerate(sorted(LONGEST_FILES, key=LONGEST_FILES.__getitem__, reverse=True))}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def cpd(runner):
    """Run the cpd command line: cpd("check", path) -> click Result."""
    def run(*args):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return run


@pytest.fixture
def iet():
    return load_profile("iet")


@pytest.fixture
def example_iet():
    return example_path("iet")


def as_dt(d):
    """A value as a spreadsheet stores what a member types: a date typed as 2025-03-01 becomes a date."""
    if isinstance(d, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d):
        try:
            d = date.fromisoformat(d)
        except ValueError:          # a date that does not exist stays the text typed, as a spreadsheet keeps it
            return d
    return datetime(d.year, d.month, d.day) if isinstance(d, date) and not isinstance(d, datetime) else d


def fill_workbook(path: Path, activities=(), header=None, objectives=(), profile_id: str = "iet") -> Path:
    """Fill a workbook made by `cpd new` the way a member would: openpyxl, by column header."""
    wb = openpyxl.load_workbook(path)
    ws = wb[RECORD_SHEET]
    headers = {ws.cell(row=TABLE_HEADER_ROW, column=c).value: c for c in range(1, ws.max_column + 1)}
    by_field = {col.field: headers[h] for col in ACTIVITY_COLUMNS
                for h in headers if h and (h == col.header or (col.field == "hours" and "CPD" in h))}
    for fld, value in (header or {}).items():
        h = HEADER[fld]
        set_value(ws.cell(row=h.row, column=h.value_col), as_dt(value))
    for i, act in enumerate(activities):
        for fld, value in act.items():
            if value is None and fld not in by_field:
                continue
            set_value(ws.cell(row=TABLE_HEADER_ROW + 1 + i, column=by_field[fld]), as_dt(value))
    plan = wb["Plan"]
    for i, obj in enumerate(objectives):
        for c, col in enumerate(PLAN_COLUMNS, 1):
            if col.field in obj:
                set_value(plan.cell(row=PLAN_HEADER_ROW + 1 + i, column=c), as_dt(obj[col.field]))
    wb.save(path)
    return path


def make_record(profile, activities=(), header=None, objectives=()):
    """A Record built through intake from raw values; asserts nothing was rejected."""
    hdr = {"status": "Active", "period_start": date(2025, 1, 1), "period_end": date(2025, 12, 31),
           "registration": "CEng", **(header or {})}
    rows = [(16 + i, a) for i, a in enumerate(activities)]
    objs = [(5 + i, o) for i, o in enumerate(objectives)]
    record, problems = build_record(hdr, objs, rows, profile)
    assert not problems, problems
    return record


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice():
    """LibreOffice is installed by .ci/run; on a member's machine without it these tests skip, saying why."""
    if soffice():
        return soffice()
    if os.environ.get("CI"):
        pytest.fail("LibreOffice (soffice) is required in CI: .ci/run installs libreoffice-calc-nogui")
    pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui) - formula cross-check skipped")


def libreoffice(args: list[str], profile: Path, timeout: float = 900, check: bool = True) -> subprocess.CompletedProcess:
    """LibreOffice headless with a profile of its own (``profile``), given ``args`` (``--convert-to`` ...).
    LibreOffice now and then dies of a signal as it starts under load, before it opens a file (CI: 'Fatal
    exception: Signal 6', a WrappedTargetRuntimeException, while another LibreOffice converted its files at
    the same moment): a run that crashed so is made once more, with a fresh profile. A file that makes it
    crash makes it crash again. ``check``: an exit other than 0 raises, with what LibreOffice said."""
    exe = require_soffice()
    for attempt in (1, 2):
        run = subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}-{attempt}",
                              *args], capture_output=True, text=True, timeout=timeout)
        if run.returncode == 0 or "Fatal exception: Signal" not in run.stderr:
            break
    if check and run.returncode:
        raise AssertionError(f"LibreOffice {' '.join(args[:3])} ended {run.returncode}: {run.stderr[-1500:]}")
    return run


def member_token(app, email: str) -> str:
    """A new member of ``app`` with that address, and a token of theirs."""
    from sync_service import db
    from sync_service.store.accounts import create_member, issue_token
    with app.app_context():
        session = db.session()
        token = issue_token(session, create_member(session, email))
        session.commit()
    return token


@pytest.fixture
def app(tmp_path):
    """The service on a fresh SQLite file of its own."""
    from sync_service import create_app
    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'cpd.sqlite3'}",
                       "SECRET_KEY": "test-secret"})


@pytest.fixture
def client(app):
    return app.test_client()


def _serve(app):
    """Serve ``app`` on a real HTTP server on 127.0.0.1 (a free port) until the generator is closed."""
    import threading
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def live_server(app):
    """The app on a real HTTP server on 127.0.0.1 (a free port), stopped after the test."""
    yield from _serve(app)


PG_URL = os.environ.get("CPD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_schema_url():
    """A fresh schema in the test database, for one test; dropped after. Skips (fails in CI) without PostgreSQL."""
    import secrets
    from sqlalchemy import create_engine, text
    try:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            schema = "t_" + secrets.token_hex(6)
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # no server, no driver, no database
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI ({PG_URL}): {exc}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}: {type(exc).__name__}")
    return admin, schema, f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh database: an SQLite file, or a PostgreSQL schema (dropped after)."""
    from sqlalchemy import text
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cpd.sqlite3'}"
        return
    admin, schema, url = postgres_schema_url()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def service(database_url):
    """The service on SQLite (a fresh file) and on PostgreSQL (a fresh schema), with two members."""
    from sync_service import create_app, db
    from sync_service.store.accounts import create_member, issue_token
    url = database_url
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})
    with app.app_context():
        session = db.session()
        a, b = create_member(session, "a@example.org"), create_member(session, "b@example.org")
        app.config["TOKENS"] = {"a": issue_token(session, a), "b": issue_token(session, b)}
        session.commit()
    yield app
    app.extensions["cpd_engine"].dispose()


def _receiver_secret() -> str:
    from sync_service import signing
    return signing.new_secret()


RECEIVER_SECRET = _receiver_secret()        # what the reference receiver below checks signatures with


@pytest.fixture
def receiver_server(tmp_path):
    """The reference institution receiver on a real HTTP server on 127.0.0.1: (its URL, its database)."""
    import threading
    from werkzeug.serving import make_server
    from sync_service.receiver import create_receiver
    app = create_receiver({"SIGNING_SECRETS": [RECEIVER_SECRET], "RECEIVER_DATABASE": str(tmp_path / "inst.sqlite3")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/cpd/submissions", str(tmp_path / "inst.sqlite3")
    server.shutdown()


@pytest.fixture
def served_service(service):
    """``service`` (SQLite and PostgreSQL, two members) on a real HTTP server: (app, its address)."""
    for base in _serve(service):
        yield service, base


@pytest.fixture(autouse=True, scope="session")
def _instance_outside_the_checkout(tmp_path_factory):
    """Services made by tests keep their data (session key, default database) in a temporary folder."""
    path = tmp_path_factory.mktemp("instance")
    old = os.environ.get("CPD_INSTANCE_PATH")
    os.environ["CPD_INSTANCE_PATH"] = str(path)
    yield
    if old is None:
        os.environ.pop("CPD_INSTANCE_PATH", None)
    else:
        os.environ["CPD_INSTANCE_PATH"] = old


@pytest.fixture
def fake_sheets(tmp_path, monkeypatch):
    """The loopback fake of the Sheets API and Google's token endpoint, a service account whose key
    file GOOGLE_APPLICATION_CREDENTIALS names, and the product pointed at the fake."""
    from fake_sheets import FakeSheets
    fake = FakeSheets().start()
    use_fake_sheets(fake, tmp_path, monkeypatch)
    yield fake
    fake.stop()


def use_fake_sheets(fake, tmp_path, monkeypatch) -> None:
    """Point the product at a started fake: a service account of the fake's (``fake.email``) whose key file
    GOOGLE_APPLICATION_CREDENTIALS names, the fake's address, a short retry budget, this test's own kept token."""
    fake.email = fake.service_account(tmp_path / "service-account.json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "service-account.json"))
    monkeypatch.setenv("CPD_GOOGLE_SHEETS_URL", fake.url)
    monkeypatch.setenv("CPD_GOOGLE_SHEETS_RETRY_SECONDS", "2")
    monkeypatch.setenv("CPD_GOOGLE_TOKEN_FILE", str(tmp_path / "google-token.json"))   # this test's own


def sheet_url(book) -> str:
    return f"https://docs.google.com/spreadsheets/d/{book.key}/edit#gid=0"


def type_code(book, code: str, cell: tuple[int, int] = (1, 26)) -> None:
    """What a member does to prove a sheet is theirs: type the link's code into a cell of its Record sheet
    (Z1, empty in the template), as the sheet's editor."""
    from fake_sheets import Cell
    book.sheets["Record"].cells[cell] = Cell(code)


def prove_link(call, book, via: str = "/api/v1/sheets"):
    """Link a Google Sheet as a member does: ask (202 and a code; ``via`` /api/v1/records asks the same way),
    type the code into the sheet, confirm. ``call(method, path, json=None)`` sends one API request; the
    confirm's answer is returned (or the asking's, when it was not 202)."""
    asked = call("POST", via, json={"sheet": sheet_url(book)})
    if asked.status_code != 202:
        return asked
    type_code(book, asked.get_json()["code"])
    confirmed = call("POST", f"/api/v1/sheets/{asked.get_json()['id']}/confirm")
    assert confirmed.status_code == 201, confirmed.get_json()
    return confirmed


class Served:
    """``cpd serve`` (the production server) as its own process on a free 127.0.0.1 port: ``url``,
    ``token`` of a member made with ``cpd admin add-member``, and its standard error (the logs)."""

    def __init__(self, tmp_path: Path, database_url: str, *args: str, env: dict | None = None,
                 url_scheme: str = "http"):
        import subprocess
        import sys
        from ports import free_port
        self.port = free_port()
        self.url = f"{url_scheme}://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.env = {**os.environ, "DATABASE_URL": database_url, "CPD_INSTANCE_PATH": str(tmp_path / "instance"),
                    **(env or {})}
        self.cpd = [sys.executable, "-m", "addin.cli"]
        made = subprocess.run([*self.cpd, "admin", "add-member", "served@example.org"], env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stdout + made.stderr
        self.token = made.stdout.strip().splitlines()[-1]
        self.log_path = tmp_path / "serve.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([*self.cpd, "serve", "--port", str(self.port), *args], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=self._log, cwd=tmp_path)
        self.wait_ready()

    def wait_ready(self, seconds: float = 60) -> None:
        import ssl
        import time
        import urllib.request
        deadline = time.time() + seconds
        context = ssl._create_unverified_context() if self.url.startswith("https") else None   # a test's own cert
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/api/v1/functions", timeout=2, context=context).read()
                return
            except OSError:
                assert self.proc.poll() is None and time.time() < deadline, self.logs()
                time.sleep(0.1)

    def logs(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except Exception:
            self.proc.kill()
        self._log.close()


@pytest.fixture
def served(database_url, tmp_path):
    """The production server on SQLite (a file) and on PostgreSQL (a fresh schema); see ``Served``."""
    servers: list[Served] = []

    def start(*args: str, env: dict | None = None) -> Served:
        servers.append(Served(tmp_path, database_url, *args, env=env))
        return servers[-1]
    yield start
    for s in servers:
        s.stop()


def store_submission(member, key: str, digest: str, prepare):
    """Store a prepared record as the member's submission (as the API does once a file is read), inside the
    service's app context: for seeding many submissions without uploading each."""
    from sync_service import context, db
    from sync_service.store.submissions import Caller, store
    return store(db.session(), Caller(member.id, member.public_id), key, digest, prepare,
                 context.submission_limits(member.id))


def run_jobs(service) -> dict[str, int]:
    """Do the service's due mail and sheet writes now, as a ``cpd worker`` would (how many of each were tried)."""
    from sync_service.jobs import local_kinds
    from sync_service.jobs.worker import drain
    kinds = local_kinds(service.config)
    try:
        return drain(service.extensions["cpd_sessions"], kinds)
    finally:
        for kind in kinds:
            kind.close()


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it is sent: (its smtp:// URL, the handler
    whose ``messages`` are (recipients, text) pairs)."""
    from aiosmtpd.controller import Controller

    from ports import free_port

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield f"smtp://127.0.0.1:{controller.port}?from=cpd@example.org", handler
    controller.stop()


def mail_to(inbox, address: str) -> list:
    """The messages the SMTP server received for ``address``, oldest first, each as an ``EmailMessage``."""
    import email
    from email import policy
    return [email.message_from_string(text, policy=policy.default) for to, text in inbox.messages if address in to]


def mailed_link(inbox, address: str, path: str, newest: bool = True) -> str:
    """The path of the link (starting ``path``) in the newest (or first) message to ``address``: read from its
    plain-text part, as a member's mail program shows it."""
    import re as _re
    found = mail_to(inbox, address)
    assert found, f"no mail to {address}"
    text = (found[-1] if newest else found[0]).get_body(("plain",)).get_content()
    match = _re.search(r"https?://[^/\s]+(" + _re.escape(path) + r"[^\s]+)", text)
    assert match, text
    return match.group(1)
