"""The record report of a real 200-activity record as a PDF: in a warm process, and as `cpd report --pdf` in a
fresh one.

Run:  .venv/bin/python bench/bench_report.py [--activities 200] [--repeat 5]

The record is bench/records.py's (reflections of 20-200 words, providers, competences, a plan of four
objectives). In one process, interleaved --repeat times: the PDF (report_data + the HTML + WeasyPrint, charts
included) and, as the baseline, the same report as HTML only (everything but the PDF engine). Then
`cpd report LOG --pdf` in a fresh process --repeat times (imports included, .pyc files written first).
Printed: min / median / max milliseconds, the PDF's pages and size. Goals: under 1 s warm, under 2 s cold.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--activities", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from addin import assess, read_workbook
    from addin.record_report import fit_pdf, report_data, report_html

    data = real_workbook(args.activities, seed=args.activities)
    read = read_workbook(data)
    record = read.require()
    result = assess(record, read.profile)

    def pdf() -> bytes:
        return fit_pdf(report_data(record, read.profile, result), None)[0]

    def html() -> str:
        return report_html(report_data(record, read.profile, result))

    made = pdf()                                   # warm: imports, fonts, caches
    html()
    warm, base = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        pdf()
        warm.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        html()
        base.append((time.perf_counter() - t) * 1000)
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


if __name__ == "__main__":
    main()
