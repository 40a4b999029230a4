"""The record report of a real 200-activity record as a PDF: in a warm process, and as `cpd report --pdf` in a
fresh one.

Run:  .venv/bin/python bench/bench_report.py [--activities 200] [--repeat 5]

The records are bench/records.py's (reflections of 20-200 words, providers, competences, a plan of four
objectives). In one process, interleaved --repeat times: the PDF (report_data + Typst, charts included) of a
record not drawn before in the process (Typst keeps what it laid out, so drawing the same record again is
quicker than a server drawing one member after another) and, as the baseline, the same report as HTML only
(everything but the PDF engine). Then
`cpd report LOG --pdf` in a fresh process --repeat times (imports included, .pyc files written first).
Printed: min / median / max milliseconds, the PDF's pages and size, and what the process holds after its
PDFs (each is compiled in a child process, so nothing of their layout stays). Goals: under 1 s warm, under 2 s cold.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_service import spread  # noqa: E402
from records import real_workbook  # noqa: E402


def pages(pdf: bytes) -> int:
    """The PDF's page count, as poppler's pdfinfo reads it (0 when pdfinfo is not installed)."""
    try:
        out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError):
        return 0
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("Pages:")))


def resident_mib() -> float:
    """This process's resident memory (0 where /proc is not there to say)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--activities", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from addin import assess, read_workbook
    from addin.record_report import fit_pdf, report_data, report_html

    books = [real_workbook(args.activities, seed=args.activities + i) for i in range(args.repeat + 1)]
    data = books[0]
    reports = []
    for book in books:                             # one record a round, each drawn once
        read = read_workbook(book)
        record = read.require()
        reports.append((record, read.profile, assess(record, read.profile)))

    def pdf(i: int) -> bytes:
        return fit_pdf(report_data(*reports[i]), None)[0]

    def html(i: int) -> str:
        return report_html(report_data(*reports[i]))

    ready = resident_mib()
    made = pdf(0)                                  # warm: imports, fonts, caches
    html(0)
    warm, base = [], []
    for i in range(1, args.repeat + 1):
        t = time.perf_counter()
        pdf(i)
        warm.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        html(i)
        base.append((time.perf_counter() - t) * 1000)
    drawn = resident_mib()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cold = []
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "log.xlsx"
        book.write_bytes(data)
        cmd = [sys.executable, "-m", "addin.cli", "report", str(book), "--pdf", str(Path(tmp) / "r.pdf"), "--force"]
        first = subprocess.run(cmd, env=env, capture_output=True, text=True)       # .pyc files written once
        assert first.returncode == 0, first.stdout + first.stderr
        for _ in range(args.repeat):
            t = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            cold.append((time.perf_counter() - t) * 1000)
    print(f"Record report of {args.activities} real activities: PDF {pages(made)} pages, {len(made) / 1000:,.0f} KB; "
          f"ms, min / median / max of {args.repeat}:")
    print(f"  PDF, warm process             {spread(warm, 7, 0)}   goal under 1,000")
    print(f"  HTML only (baseline), warm    {spread(base, 7, 0)}   the PDF engine's share: "
          f"{statistics.median(warm) - statistics.median(base):,.0f} ms")
    print(f"  cpd report --pdf, fresh       {spread(cold, 7, 0)}   goal under 2,000")
    if ready:
        print(f"  the process's resident memory: {ready:,.0f} MiB before the first PDF, {drawn:,.0f} MiB after "
              f"{args.repeat + 1} PDFs")


if __name__ == "__main__":
    main()
