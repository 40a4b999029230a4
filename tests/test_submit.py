"""cpd login and cpd submit, against a local test receiver over real HTTP."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
import os
import stat

import pytest

import corpus
from addin.submit import check_cells, config_path, Receipt
from receiver import TOKEN, Receiver, start
from workbook_templates import example_path


@pytest.fixture
def receiver():
    rec = Receiver()
    server, thread = start(rec)
    yield rec
    server.shutdown()
    thread.join(5)


@pytest.fixture(autouse=True)
def own_config(tmp_path, monkeypatch):
    monkeypatch.setenv("CPD_CONFIG", str(tmp_path / "cpd" / "config.toml"))


def test_login_keeps_the_token_private(cpd, receiver):
    res = cpd("login", "--url", receiver.url + "/", "--token", TOKEN)
    assert res.exit_code == 0 and "readable by you only" in res.output
    path = config_path()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert f'service_url = "{receiver.url}"' in path.read_text()


def test_submit_sends_the_workbook_once_with_its_digest(cpd, receiver):
    cpd("login", "--url", receiver.url, "--token", TOKEN)
    res = cpd("submit", example_path("iet"), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {"id": "sub_0001", "status": "queued", "received_at": "2026-11-23T10:00:00Z",
                                      "receipt_id": None, "verdict": "ready", "score": 100}
    again = cpd("submit", example_path("iet"))            # a double click: the same submission
    assert again.exit_code == 0 and "(READY (100/100)): sub_0001, queued" in again.output
    assert "cpd status sub_0001" in again.output
    data = example_path("iet").read_bytes()
    assert [r["key"] for r in receiver.received] == [hashlib.sha256(data).hexdigest()] * 2
    assert receiver.received[0]["body"] == data
    assert receiver.received[0]["type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_an_invalid_record_is_refused_here_with_its_cells(cpd, receiver, tmp_path):
    cpd("login", "--url", receiver.url, "--token", TOKEN)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(corpus.forged_cached_formula())
    res = cpd("submit", bad)
    assert res.exit_code == 2 and "Record!J10" in res.output and receiver.received == []
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(corpus.billion_laughs())
    assert "dtd_not_allowed" in cpd("submit", bomb).output and receiver.received == []


@pytest.mark.parametrize("status,body,code", [
    (401, {"error": {"code": "unauthorized"}}, "unauthorized"),
    (429, {"error": {"code": "rate_limited"}}, "rate_limited"),
    (500, {"error": {"code": "internal_error"}}, "service_error"),
    (503, {"error": {"code": "down"}}, "service_unavailable"),          # after waiting and asking again
    (422, {"error": {"code": "hours_not_number", "message": "hours must be a number", "sheet": "Record",
                     "cell": "J10"}}, "hours_not_number"),
])
def test_service_refusals_become_clear_errors(cpd, receiver, status, body, code, monkeypatch):
    import addin.submit
    monkeypatch.setattr(addin.submit, "RETRY_BUDGET", 2.0)      # how long a 503 is waited out, in all
    cpd("login", "--url", receiver.url, "--token", TOKEN)
    receiver.answer = (status, body)
    res = cpd("submit", example_path("iet"), "--json")
    assert res.exit_code == 2
    assert json.loads(res.stdout)["error"]["code"] == code               # (a wait is told on standard error)
    assert receiver.answered == (2 if status == 503 else 1)                # a 503 is asked again once waited
    if code == "rate_limited":
        assert "30 seconds" in json.loads(res.stdout)["error"]["message"]


def test_unreachable_service_and_no_login(cpd, tmp_path):
    res = cpd("submit", example_path("iet"))
    assert res.exit_code == 2 and "not_logged_in" in res.output
    cpd("login", "--url", "http://127.0.0.1:9", "--token", TOKEN, "--no-check")     # saved while it was down
    res = cpd("submit", example_path("iet"))
    assert res.exit_code == 2 and "service_unreachable" in res.output and "nothing was submitted" in res.output


def test_what_check_and_submit_write_into_the_submission_area():
    from datetime import datetime
    cells = check_cells(example_path("iet"), now=datetime(2026, 11, 23, 9, 30))
    assert cells == {"I3": "READY (100/100) at 23 Nov 2026 09:30"}
    receipt = Receipt("sub_1", "delivered", "2026-11-23T10:00:00Z", "INST-77")
    assert check_cells(example_path("iet"), now=datetime(2026, 11, 23, 9, 30), receipt=receipt) == {
        "I3": "READY (100/100) at 23 Nov 2026 09:30", "I4": "sub_1", "I5": "delivered",
        "I6": "2026-11-23T10:00:00Z", "I7": "INST-77"}


def test_the_submission_area_is_found_where_the_member_moved_it(tmp_path):
    """A member who moved the Submission area (a column inserted before it) has it written where it is now."""
    import openpyxl
    wb = openpyxl.load_workbook(example_path("iet"))
    ws = wb["Record"]
    for r in range(3, 8):                                   # the labels from H3:H7 to M3:M7
        ws.unmerge_cells(f"I{r}:K{r}")
        ws.cell(row=r, column=13).value, ws.cell(row=r, column=8).value = ws.cell(row=r, column=8).value, None
    path = tmp_path / "moved.xlsx"
    wb.save(path)
    cells = check_cells(path, receipt=Receipt("sub_1", "queued", "2026-11-23T10:00:00Z"))
    assert sorted(cells) == ["N3", "N4", "N5", "N6", "N7"]
    assert cells["N4"] == "sub_1" and cells["N7"] == "(awaiting the institution's receipt)"


def test_login_checks_the_address_and_the_token_before_saving(cpd, receiver):
    from ports import free_port
    wrong = cpd("login", "--url", receiver.url, "--token", "cpd_wrong")
    assert wrong.exit_code == 2 and "unauthorized" in wrong.output and "Nothing was saved" in wrong.output
    assert not config_path().exists()
    nobody = cpd("login", "--url", f"http://127.0.0.1:{free_port()}", "--token", TOKEN)
    assert nobody.exit_code == 2 and "service_unreachable" in nobody.output and not config_path().exists()
    offline = cpd("login", "--url", f"http://127.0.0.1:{free_port()}", "--token", TOKEN, "--no-check")
    assert offline.exit_code == 0 and "not checked" in offline.output and config_path().exists()
    good = cpd("login", "--url", receiver.url, "--token", TOKEN)
    assert good.exit_code == 0 and "as test@example.org" in good.output


def test_login_to_something_that_is_not_a_cpd_service_says_so(cpd, live_server):
    res = cpd("login", "--url", live_server + "/addin", "--token", TOKEN)          # a web server, another path
    assert res.exit_code == 2 and "not_a_cpd_service" in res.output and not config_path().exists()


def not_ready_workbook(tmp_path):
    from conftest import fill_workbook
    from addin import template_path
    path = tmp_path / "thin.xlsx"
    path.write_bytes(template_path("iet").read_bytes())
    return fill_workbook(path, [{"start_date": "2025-03-01", "title": "Seminar", "hours": 2,
                                 "category": "Training courses"}],
                         header={"period_start": "2025-01-01", "period_end": "2025-12-31"})


def test_a_record_that_is_not_ready_is_not_sent_without_a_yes(cpd, receiver, tmp_path):
    cpd("login", "--url", receiver.url, "--token", TOKEN)
    thin = not_ready_workbook(tmp_path)
    res = cpd("submit", thin)                       # no terminal to ask at: refused, with why
    assert res.exit_code == 1 and "not_ready" in res.output and "--yes" in res.output
    assert "recommended hours" in res.output.lower() and receiver.received == []
    as_json = cpd("submit", thin, "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["error"]["code"] == "not_ready"
    sent = cpd("submit", thin, "--yes")
    assert sent.exit_code == 0 and "NOT READY" in sent.output and len(receiver.received) == 1


@pytest.mark.parametrize("answer, sent", [("n", False), ("y", True)])
def test_submit_asks_at_a_terminal_before_sending_a_record_that_is_not_ready(receiver, tmp_path, answer, sent):
    """At a terminal (a real pseudo-terminal), cpd submit shows the verdict and what fails, and asks."""
    import pty
    import subprocess
    import sys
    import time
    env = {**os.environ, "CPD_CONFIG": os.environ["CPD_CONFIG"]}
    subprocess.run([sys.executable, "-m", "addin.cli", "login", "--url", receiver.url, "--token", TOKEN], env=env,
                   check=True, capture_output=True)
    thin = not_ready_workbook(tmp_path)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "addin.cli", "submit", str(thin)], stdin=follower,
                            stdout=follower, stderr=follower, env=env)
    os.close(follower)
    out = b""
    deadline = time.time() + 60
    while b"Submit it anyway?" not in out:
        assert time.time() < deadline, out
        out += os.read(leader, 4096)
    os.write(leader, answer.encode() + b"\n")
    proc.wait(60)
    try:
        while chunk := os.read(leader, 4096):
            out += chunk
    except OSError:
        pass
    os.close(leader)
    text = out.decode()
    assert "thin.xlsx is NOT READY" in text and "recommended hours" in text.lower()
    assert (proc.returncode, len(receiver.received)) == ((0, 1) if sent else (1, 0)), text
    assert ("Submitted thin.xlsx" in text) == sent and ("Nothing was submitted" in text) != sent


def test_status_shows_the_last_submission_or_the_one_named(cpd, receiver):
    cpd("login", "--url", receiver.url, "--token", TOKEN)
    none_yet = cpd("status")
    assert none_yet.exit_code == 2 and "no_submission" in none_yet.output
    cpd("submit", example_path("iet"))
    shown = cpd("status")
    assert shown.exit_code == 0 and shown.output.startswith("sub_0001: queued for delivery")
    received = json.loads(cpd("status", "sub_0001", "--json").output)["received_at"]
    local = datetime.fromisoformat(received.replace("Z", "+00:00")).astimezone()
    assert f"received {local.day} {local:%b %Y %H:%M}" in shown.output and received[:10] not in shown.output
    assert json.loads(cpd("status", "sub_0001", "--json").output)["status"] == "queued"
    missing = cpd("status", "sub_nope")
    assert missing.exit_code == 2 and "not_found" in missing.output
