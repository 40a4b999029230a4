"""The README's main job, as a member does it: cpd serve --demo (service, receiver and worker as
real processes on 127.0.0.1), cpd submit the example, and the receipt on the member's page in a
real headless Chromium."""
from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from ports import free_port
from processes import alive, children_of
from test_taskpane import browser  # noqa: F401  (the Chromium fixture)
from workbook_templates import example_path


def start_demo(tmp_path, port: int) -> tuple[subprocess.Popen, dict]:
    """``cpd serve --demo`` on ``port`` as a member starts it (an SQLite file in ``tmp_path``, a home of its own
    there): the process, and its environment."""
    (tmp_path / "home").mkdir()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cpd.sqlite3'}",
           "CPD_CONFIG": str(tmp_path / "config.toml"), "HOME": str(tmp_path / "home")}
    env.pop("CPD_INSTITUTION_URL", None)
    env.pop("XDG_RUNTIME_DIR", None)
    proc = subprocess.Popen([sys.executable, "-m", "addin.cli", "serve", "--port", str(port), "--demo"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    return proc, env


def serve_demo(tmp_path, port: int) -> tuple[subprocess.Popen, dict, list[str]]:
    """``start_demo``, and the lines it printed up to the one saying the service is on."""
    proc, env = start_demo(tmp_path, port)
    lines: list[str] = []
    while not any("CPD service on" in line for line in lines):
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            raise AssertionError("".join(lines))
        lines.append(line)
    return proc, env, lines


def answering(base: str) -> None:
    """Wait until the service's workers answer (they are still starting when it says where it is)."""
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/api/v1/functions", timeout=1)
            return
        except OSError:
            time.sleep(0.1)


def stopped(proc: subprocess.Popen, seconds: float = 15) -> str:
    """SIGTERM to ``cpd serve``, as a service manager stops it: what it printed after the lines already read,
    once it and every process it started have ended (they share its output) within ``seconds``."""
    proc.terminate()
    try:
        return proc.communicate(timeout=seconds)[0]
    except subprocess.TimeoutExpired as exc:
        left = subprocess.run(["ps", "-eo", "pid,ppid,pgid,stat,etime,args"], capture_output=True, text=True).stdout
        proc.kill()
        raise AssertionError(f"cpd serve did not stop within {seconds:g} s of SIGTERM; it printed {exc.output!r}; "
                             f"processes: {[line for line in left.splitlines() if 'addin.cli' in line]}") from None


def test_serve_submit_and_see_the_receipt_on_the_page(browser, tmp_path):  # noqa: F811
    port = free_port()
    proc, env, lines = serve_demo(tmp_path, port)
    try:
        token = re.search(r"token for programs \(shown once\): (\S+)", "".join(lines)).group(1)
        link = re.search(r"sign in at (http://\S+/login/email/sil_\S+)", "".join(lines)).group(1)
        base = f"http://127.0.0.1:{port}"
        answering(base)
        assert b'value="Sign in"' in urllib.request.urlopen(link, timeout=10).read()   # the printed link works
        printed = re.search(r"Submit the example:  (.+)\n", "".join(lines)).group(1)
        assert printed.endswith(f" login --url {base} --token {token}")
        assert subprocess.run(shlex.split(printed), env=env, cwd=tmp_path).returncode == 0
        submit = re.search(r"\n {20,}(.+ submit \S+)\n", "".join(lines)).group(1)   # as printed, as typed
        assert submit.endswith(f" submit {example_path('iet')}")
        out = subprocess.run([*shlex.split(submit), "--json"], env=env, cwd=tmp_path, capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        sub_id = json.loads(out.stdout)["id"]

        page = browser.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page.goto(link)                                     # the sign-in link the demo printed
        page.click("input[type=submit]")
        page.wait_for_url(base + "/")
        page.click(f"#submissions tr:has-text('{sub_id}') a")     # the record's name links its submission
        deadline = time.time() + 30
        while page.inner_text("#delivery") != "delivered":   # the worker delivers to the demo institution
            assert time.time() < deadline, page.inner_text("#delivery")
            time.sleep(0.5)
            page.reload()
        assert page.inner_text("#receipt").startswith("rcpt_")
        assert page.inner_text("#verdict") == "Ready — score 100/100"
        rest = stopped(proc)
        # the terminal keeps to what the demo says: the request and delivery lines went to the log file
        assert not [line for line in lines + rest.splitlines() if line.lstrip().startswith("{")], rest
        log_file = re.search(r"Request and delivery log lines: (\S+)\n", "".join(lines)).group(1)
        logged = (tmp_path / log_file).read_text().splitlines()
        assert any('"route":"/api/v1/submissions"' in line for line in logged)
        assert any(f'"submission":"{sub_id}","outcome":"delivered"' in line for line in logged)
    finally:
        proc.terminate()
        proc.wait(15)


def test_the_demo_stops_its_processes_and_their_own_children_even_one_that_ignores_sigterm(capsys):
    """cpd serve --demo waits for the receiver and worker it started; one that has not stopped within the
    wait is killed with its process group (the receiver's server has worker processes of its own), so no
    process is left holding the terminal."""
    from sync_service.cli import _stop_children
    stubborn = ("import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                "subprocess.Popen([sys.executable, '-c', 'import signal, time; "
                "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)']); print('up', flush=True); "
                "time.sleep(120)")
    polite = "import time; print('up', flush=True); time.sleep(120)"
    children = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                                 start_new_session=True) for code in (stubborn, polite)]
    for child in children:
        assert child.stdout.readline() == "up\n"
    children[0].args = [sys.executable, "-m", "addin.cli", "receiver"]        # as _start_demo starts it
    started = time.monotonic()
    _stop_children(children, seconds=1.0)
    assert children[0].returncode == -9 and children[1].returncode == -15
    assert children[0].stdout.read() == ""        # end of file: its own child (which shares the pipe) is gone too
    assert time.monotonic() - started < 10
    assert "The demo's receiver did not stop within 1 s: stopped." in capsys.readouterr().err


def test_the_demo_receiver_moves_off_a_port_another_program_listens_on(tmp_path):
    """cpd serve --demo puts the institution's receiver on port+1; when another program listens there, the
    receiver goes on a free port instead (deliveries would otherwise go to that program), and says where."""
    port = free_port()
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        squatter.bind(("127.0.0.1", port + 1))
    except OSError:          # taken already by something else: the case under test all the same
        squatter.close()
        squatter = None
    else:
        squatter.listen()
    proc = None
    try:
        proc, _, lines = serve_demo(tmp_path, port)
        answering(f"http://127.0.0.1:{port}")       # started, so that the stop below is a running service's
        receiver = re.search(r"Demo institution receiver on (http://127\.0\.0\.1:(\d+)/cpd/submissions)",
                             "".join(lines))
        assert receiver and int(receiver.group(2)) not in (port, port + 1), "".join(lines)
        try:
            urllib.request.urlopen(receiver.group(1), timeout=10)
            answered = 200
        except urllib.error.HTTPError as exc:       # the receiver only takes signed POSTs: it answers, though
            answered = exc.code
        assert answered in (400, 401, 405)
    finally:
        if proc is not None:
            stopped(proc)
        if squatter is not None:
            squatter.close()
    # no control socket of the web server's own in the member's home: gunicorn's would be one path shared by
    # every instance on the machine (the demo's service and receiver among them), each taking it from another
    assert not (tmp_path / "home" / ".gunicorn").exists()


def test_the_demo_stopped_while_it_starts_leaves_no_receiver_running(tmp_path):
    """SIGTERM (or Ctrl+C) to cpd serve --demo while it waits for its receiver to listen stops the receiver too:
    it runs in a session of its own, so nothing else would (it would hold its port and the terminal's output)."""
    proc, _ = start_demo(tmp_path, free_port())
    receiver = None
    try:
        deadline = time.monotonic() + 60
        while receiver is None and time.monotonic() < deadline and proc.poll() is None:
            receiver = next((pid for pid, args in children_of(proc.pid) if " receiver " in args), None)
            time.sleep(0.01)
        assert receiver is not None, "the demo started no receiver"
        out = stopped(proc)
        assert "Traceback" not in out, out
        gone = time.monotonic() + 10
        while alive(receiver) and time.monotonic() < gone:
            time.sleep(0.05)
        assert not alive(receiver), f"the demo's receiver (pid {receiver}) was left running"
    finally:
        if proc.poll() is None:
            proc.kill()
        if receiver is not None and alive(receiver):
            os.killpg(receiver, 9)
