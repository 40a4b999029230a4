"""What a hostile client gets from the production server (``cpd serve`` as the README starts it), on
SQLite and PostgreSQL: a zip bomb that lies about its size is refused by every upload route at once,
in bounded memory (the web worker's own peak, VmHWM); refused uploads count toward the member's limit;
bad tokens are counted across every web worker, and never lock out a good token from the same address."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests

import corpus
from workbook_templates import example_path

MAX_SECONDS = 1.0
MAX_GROWTH_MB = 100


def workers_of(pid: int) -> list[int]:
    """The web worker processes under the server process ``pid``."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(c) for c in children)
    return found


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for {pid}")


def signed_in(base: str, token: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get(f"{base}/login").text).group(1)
    res = browser.post(f"{base}/login", data={"token": token, "csrf": csrf}, allow_redirects=False)
    assert res.status_code == 302, res.text
    return browser, re.search(r'name="csrf" value="([^"]+)"', browser.get(f"{base}/").text).group(1)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return corpus.lying_sheet_bomb()


def test_every_upload_route_refuses_a_lying_bomb_fast_in_bounded_memory(served, bomb):
    server = served("--workers", "1")
    (worker,) = workers_of(server.proc.pid)
    auth = {"Authorization": f"Bearer {server.token}"}
    browser, csrf = signed_in(server.url, server.token)
    routes = {
        "POST /api/v1/submissions": lambda: requests.post(f"{server.url}/api/v1/submissions", data=bomb,
                                                          headers=auth, timeout=60),
        "POST /api/v1/records": lambda: requests.post(f"{server.url}/api/v1/records", data=bomb, headers=auth,
                                                      timeout=60),
        "POST /upload (page)": lambda: browser.post(f"{server.url}/upload", data={"csrf": csrf},
                                                    files={"workbook": ("cpd.xlsx", bomb)}, timeout=60),
        "POST /records (page)": lambda: browser.post(f"{server.url}/records", data={"csrf": csrf},
                                                     files={"workbook": ("cpd.xlsx", bomb)}, timeout=60),
    }
    before = peak_mb(worker)
    for route, send in routes.items():
        started = time.perf_counter()
        res = send()
        seconds = time.perf_counter() - started
        assert res.status_code in (400, 422), (route, res.status_code, res.text[:300])
        assert "bad_crc" in res.text or "unpacks to more than" in res.text, (route, res.text[:300])
        assert seconds < MAX_SECONDS, (route, seconds)
        assert peak_mb(worker) - before < MAX_GROWTH_MB, (route, peak_mb(worker) - before)
    assert workers_of(server.proc.pid) == [worker]          # no worker died or was replaced on the way


def test_the_command_line_refuses_it_fast_in_bounded_memory(tmp_path, bomb):
    import json
    import subprocess
    import sys
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    probe = ("import json, sys, time, runpy\n"
             "t = time.perf_counter()\n"
             "sys.argv = ['cpd', 'check', sys.argv[1]]\n"
             "try:\n    runpy.run_module('addin.cli', run_name='__main__')\n"
             "except SystemExit as exc:\n    code = exc.code\n"
             "peak = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')) / 1024\n"
             "print(json.dumps({'exit': code, 'seconds': time.perf_counter() - t, 'peak_mb': peak}))\n")
    proc = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=120)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["exit"] == 2 and "error [bad_crc]" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert result["seconds"] < MAX_SECONDS and result["peak_mb"] < MAX_GROWTH_MB, result      # the whole process


def test_refused_uploads_count_toward_the_members_limit(served):
    server = served("--workers", "2")
    auth = {"Authorization": f"Bearer {server.token}"}
    broken = b"PK\x03\x04" + b"\0" * 200
    answers = [requests.post(f"{server.url}/api/v1/submissions", data=broken, headers=auth, timeout=60).status_code
               for _ in range(40)]
    assert answers[:30] == [400] * 30, answers
    assert answers[30:] == [429] * 10, answers
    late = requests.post(f"{server.url}/api/v1/submissions", data=example_path("iet").read_bytes(), headers=auth,
                         timeout=60)
    assert late.status_code == 429 and late.headers["Retry-After"], late.text


def test_bad_tokens_are_counted_across_workers_and_never_lock_out_a_good_one(served):
    server = served("--workers", "2")
    statuses = []
    for i in range(40):
        res = requests.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer cpd_wrong{i:040d}"},
                           timeout=60)
        statuses.append(res.status_code)
    assert statuses.count(401) == 10 and statuses[10:] == [429] * 30, statuses
    good = requests.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {server.token}"}, timeout=60)
    assert good.status_code == 200, good.text
