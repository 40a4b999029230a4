"""The audit pack: one PDF for a body's reviewer, read back with pdftotext (poppler) as a reviewer's tools read
it: what the body reads first, the evidence index with each SHA-256, every certificate's text in row order,
the missing evidence flagged; the IET's 0.5 MB; ICE's job summary."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile

import pytest

from certificates import LINKEDIN, PDH_ETHICS, write_pdf
from conftest import fill_workbook

ROWS = [
    {"start_date": "2026-03-12", "title": "Professional Ethics for Engineers: Case Studies", "hours": 1.5,
     "category": "Courses, seminars and workshops", "provider": "Carolina PDH Institute", "location": "Online",
     "instructor": "Dr. Jordan Price, PE", "topics": "Ethics"},
    {"start_date": "2026-04-20", "title": "Structural Steel Connections in Practice", "hours": 1.5,
     "category": "Courses, seminars and workshops", "provider": "LinkedIn Learning"},
    {"start_date": "2026-05-05", "title": "Bridge site visit", "hours": 3,
     "category": "Courses, seminars and workshops", "provider": "SEA North Carolina", "location": "Wilmington, NC"},
    {"start_date": "2026-06-01", "title": "Geotechnical design seminar", "hours": 4,
     "category": "Courses, seminars and workshops", "provider": "NCDOT", "location": "Raleigh, NC"},
]


def pdftotext(path) -> str:
    tool = shutil.which("pdftotext")
    if not tool:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is required in CI: .ci/run installs it")
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils): the pack's text is not checked")
    return subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def two_body_log(cpd, tmp_path):
    from PIL import Image
    log = tmp_path / "log.xlsx"
    assert cpd("new", log, "-p", "us-nc", "-p", "iet", "--name", "Alex Morgan", "--year", "2026").exit_code == 0
    fill_workbook(log, ROWS)
    certs = tmp_path / "downloads"
    certs.mkdir()
    photo = certs / "site-visit-photo.jpg"
    Image.effect_noise((2400, 1800), 90).convert("RGB").save(photo, "JPEG", quality=95)    # a phone photo: 1-2 MB
    files = {10: write_pdf(PDH_ETHICS, certs / "ethics.pdf"), 11: write_pdf(LINKEDIN, certs / "linkedin.pdf"),
             12: photo}
    for row, path in files.items():
        assert cpd("evidence", "add", log, row, path).exit_code == 0
    return log, files


def test_the_boards_pack_has_its_log_the_index_and_each_certificate_in_row_order(cpd, two_body_log, tmp_path):
    log, files = two_body_log
    out = tmp_path / "nc.pdf"
    res = cpd("audit-pack", log, "--profile", "us-nc", "--out", out)
    assert res.exit_code == 0, res.output
    assert "3 evidence files placed" in res.output
    text = pdftotext(out)
    for column in ("Type of", "Title", "Sponsor", "Location", "Dates", "Instructor", "PDH"):
        assert column in text
    assert "Dr. Jordan Price, PE" in text and "Wilmington," in text and "12 Mar 2026" in text
    for path in files.values():
        assert f"SHA-256 {hashlib.sha256(path.read_bytes()).hexdigest()}" in text
    index = text.index("Evidence\n")
    ethics = text.index("This certifies that", index)             # the certificates' own pages, after the index
    linkedin = text.index("Congratulations, Alex Morgan", index)
    assert index < ethics < linkedin
    assert "Geotechnical design seminar (MISSING evidence)" in text
    assert "Activities without the evidence NC PE asks for" in text


def test_the_iet_pack_is_at_most_half_a_megabyte(cpd, two_body_log, tmp_path):
    log, files = two_body_log
    assert files[12].stat().st_size > 600_000
    out = tmp_path / "iet.pdf"
    res = cpd("audit-pack", log, "--profile", "iet", "--out", out)
    assert res.exit_code == 0, res.output
    assert out.stat().st_size <= 512_000
    assert "images at most" in res.output
    text = pdftotext(out)
    assert "Continuing Professional Development record" in text           # the record report, then the evidence
    assert "Congratulations, Alex Morgan" in text
    unlimited = tmp_path / "whole.pdf"
    assert cpd("audit-pack", log, "--profile", "iet", "--out", unlimited, "--max-size", "50MB").exit_code == 0
    assert unlimited.stat().st_size > out.stat().st_size


def test_the_zip_pack_has_the_files_as_they_are_and_an_index(cpd, two_body_log, tmp_path):
    log, files = two_body_log
    out = tmp_path / "pack.zip"
    assert cpd("audit-pack", log, "-p", "us-nc", "--out", out, "--zip").exit_code == 0
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert "pack.pdf" in names and "index.csv" in names
        kept = {n: zf.read(n) for n in names if n.startswith("evidence/")}
        index = zf.read("index.csv").decode()
    assert sorted(hashlib.sha256(b).hexdigest() for b in kept.values()) == sorted(
        hashlib.sha256(p.read_bytes()).hexdigest() for p in files.values())
    assert index.splitlines()[0] == "row,activity,file,sha256,state" and len(index.splitlines()) == 4


def test_a_hostile_or_missing_evidence_file_is_listed_and_the_pack_still_made(cpd, two_body_log, tmp_path):
    log, files = two_body_log
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    assert cpd("evidence", "add", log, 13, bad).exit_code == 0
    (tmp_path / "log-evidence" / [p.name for p in (tmp_path / "log-evidence").iterdir()
                                  if p.name.startswith("linkedin")][0]).unlink()
    out = tmp_path / "nc.pdf"
    res = cpd("audit-pack", log, "-p", "us-nc", "--out", out)
    assert res.exit_code == 0, res.output
    text = " ".join(pdftotext(out).split())
    assert "a PDF that cannot be read" in text and "MISSING: not found where it was kept" in text
    assert "Congratulations, Alex Morgan" not in text


def test_ice_asks_for_its_job_summary(cpd, tmp_path):
    log = tmp_path / "ice.xlsx"
    assert cpd("new", log, "-p", "ice", "--name", "Alex Morgan", "--year", "2026").exit_code == 0
    fill_workbook(log, [{"start_date": "2026-03-01", "title": "Flood risk course", "hours": 6}])
    res = cpd("audit-pack", log, "--out", tmp_path / "ice.pdf")
    assert res.exit_code == 2 and "error [job_summary_missing]: ICE's pack is the plan, the record and a job " \
                                  "summary of at most 200 words" in res.output
    assert not (tmp_path / "ice.pdf").exists()
    fill_workbook(log, header={"job_summary": " ".join(["word"] * 230)})
    res = cpd("audit-pack", log, "--out", tmp_path / "ice.pdf")
    assert "error [job_summary_too_long]: the job summary has 230 words; ICE asks for at most 200" in res.output
    fill_workbook(log, header={"job_summary": "I lead the design of flood defences for the council."})
    res = cpd("audit-pack", log, "--out", tmp_path / "ice.pdf")
    assert res.exit_code == 0, res.output
    text = pdftotext(tmp_path / "ice.pdf")
    assert text.index("Job summary") < text.index("I lead the design of flood defences") < text.index(
        "Continuing Professional Development record")


def test_the_pack_never_overwrites_without_force(cpd, two_body_log, tmp_path):
    log, _ = two_body_log
    out = tmp_path / "x.pdf"
    out.write_bytes(b"mine")
    res = cpd("audit-pack", log, "--out", out)
    assert res.exit_code == 2 and "error [file_exists]" in res.output and out.read_bytes() == b"mine"
