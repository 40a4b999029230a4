"""Reads take no write lock and nothing slow runs inside a transaction: while one member's record report
is being drawn as a PDF (over a second for 8,000 activities), another member reads and writes at once.

On SQLite a read begins DEFERRED (WAL: it stops no one); a write begins IMMEDIATE, and only for the
moment it writes. Both databases, over real HTTP with several threads."""
from __future__ import annotations

import io
import threading
import time

import pytest
import requests

from gen import iet_year
from addin.workbook.template import build_workbook

MAX_WAIT = 0.5


def big_workbook(seed: int) -> bytes:
    """A long record; each seed its own activities, so that no PDF drawn before in the process (the layout
    engine keeps what it laid out) makes this one quicker."""
    profile, header, rows = iet_year(8000, seed, "Pat Quinn", objective="O1")
    for r in rows:                    # long reflections: a long PDF
        r["reflection"] = ("What I did and learnt, why it matters to my work and how I applied it afterwards. " * 6)
    buf = io.BytesIO()
    build_workbook(profile, header, [{"ref": "O1", "objective": "Grow"}], rows).save(buf)
    return buf.getvalue()


@pytest.mark.serial
def test_a_pdf_being_drawn_holds_up_no_other_member(served_service):
    app, base = served_service
    a, b = app.config["TOKENS"]["a"], app.config["TOKENS"]["b"]
    seed = 11 if app.config["DATABASE_URL"].startswith("sqlite") else 12
    made = requests.post(f"{base}/api/v1/records", data=big_workbook(seed), headers={"Authorization": f"Bearer {a}"},
                         timeout=60)
    assert made.status_code == 201, made.text
    record = made.json()["id"]
    mine = requests.post(f"{base}/api/v1/records", data=_small(),
                         headers={"Authorization": f"Bearer {b}"}, timeout=60)
    assert mine.status_code == 201, mine.text

    app.config["SESSION_COOKIE_SECURE"] = False          # plain http on loopback
    client = requests.Session()
    page = client.get(f"{base}/login").text
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    assert client.post(f"{base}/login", data={"token": a, "csrf": csrf}, allow_redirects=False).status_code == 302

    done = threading.Event()
    pdf = {}

    def draw():
        started = time.perf_counter()
        res = client.get(f"{base}/records/{record}/report.pdf", timeout=120)
        pdf.update(status=res.status_code, kind=res.headers.get("Content-Type"),
                   seconds=time.perf_counter() - started)
        done.set()

    thread = threading.Thread(target=draw)
    thread.start()
    time.sleep(0.3)                   # the report's request is in and drawing
    waits, writes = [], []
    other = {"Authorization": f"Bearer {b}"}
    while not done.is_set():
        t = time.perf_counter()
        assert requests.get(f"{base}/api/v1/records", headers=other, timeout=60).status_code == 200
        waits.append(time.perf_counter() - t)
        t = time.perf_counter()
        res = requests.post(f"{base}/api/v1/mentors", json={"email": f"m{len(writes)}@example.org"}, headers=other,
                            timeout=60)
        assert res.status_code in (200, 201), res.text
        writes.append(time.perf_counter() - t)
    thread.join()
    assert pdf["status"] == 200 and pdf["kind"] == "application/pdf", pdf
    assert pdf["seconds"] > 1.0, pdf           # long enough for the measure to mean something
    assert waits and max(waits) < MAX_WAIT, (max(waits), pdf)
    assert writes and max(writes) < MAX_WAIT, (max(writes), pdf)


def _small() -> bytes:
    profile, header, rows = iet_year(5, 3, "Sam Lee")
    buf = io.BytesIO()
    build_workbook(profile, header, [], rows).save(buf)
    return buf.getvalue()
