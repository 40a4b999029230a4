"""Reading and scoring real CPD workbooks, beside bare python-calamine and openpyxl reading the same files.

Run:  .venv/bin/python bench/bench_read_score.py [--sizes 40 2000 20000] [--repeat 9] [--no-libreoffice]

The corpus is bench/records.py's: real records (reflections of 20-200 words, providers, competences, a plan)
of each size, each also re-saved by LibreOffice headless (shared strings, its own XML layout). For each
file, in one process, the cases run interleaved (ours, then each baseline, --repeat times over), and each
prints min / median / max wall milliseconds and its median against ours:

- ours: ``read_workbook`` (every container check, the sheet scans, every value checked) + ``assess``;
- bare python-calamine: open the file and iterate every row of every sheet (no checks at all);
- openpyxl read-only, iterating every row of every sheet (its fast mode, as a reader of all values uses it).

Then the peak resident memory (VmHWM) of a fresh process doing ours once, and bare calamine once. Goals:
ours at most 2x bare calamine on every file (3x on the 40-activity workbooks, where fixed costs weigh
most); under 100 MB for a 20,000-activity log.
"""
from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from records import corpus  # noqa: E402


def ours(data: bytes) -> None:
    from addin.readiness import assess
    from addin.workbook.reader import read_workbook
    read = read_workbook(data)
    assert not read.problems and read.record is not None, read.problems[:3]
    assess(read.record, read.profile)


def bare_calamine(data: bytes) -> None:
    import python_calamine
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    for name in wb.sheet_names:
        for _ in wb.get_sheet_by_name(name).iter_rows():
            pass


def openpyxl_read_only(data: bytes) -> None:
    import openpyxl
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    for ws in wb.worksheets:
        for _ in ws.iter_rows(values_only=True):
            pass
    wb.close()


CASES = {"ours: read + check + score": ours, "bare python-calamine": bare_calamine,
         "openpyxl read-only, iterated": openpyxl_read_only}

MEMORY = """
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
from bench_read_score import {case}
{case}(open({path!r}, "rb").read())
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024)
"""


def peak_mb(case: str, path: Path) -> float:
    """Peak resident memory (MiB, VmHWM) of a fresh process doing ``case`` once on the file."""
    code = MEMORY.format(root=str(ROOT), bench=str(ROOT / "bench"), case=case, path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[40, 2000, 20000])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice re-saves")
    ap.add_argument("--keep", type=Path, help="also write the corpus to this folder")
    args = ap.parse_args()
    files = corpus(tuple(args.sizes), libreoffice=not args.no_libreoffice)
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for label, data in files.items():
            path = Path(tmp) / (label.replace(" ", "-").replace(",", "").strip("()") + ".xlsx")
            path.write_bytes(data)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / path.name).write_bytes(data)
            times: dict[str, list[float]] = {name: [] for name in CASES}
            for fn in CASES.values():                    # once each first: imports and caches warm
                fn(data)
            for _ in range(args.repeat):
                for name, fn in CASES.items():
                    t = time.perf_counter()
                    fn(data)
                    times[name].append((time.perf_counter() - t) * 1000)
            mine = statistics.median(times["ours: read + check + score"])
            bare = statistics.median(times["bare python-calamine"])
            goal = 3.0 if label.startswith("real 40 ") or label == "real 40" else 2.0
            print(f"\n{label}: {len(data) / 1024:,.0f} KB; ms, min / median / max of {args.repeat}, interleaved:")
            for name, xs in times.items():
                med = statistics.median(xs)
                print(f"  {name:<30} {min(xs):8.1f} / {med:8.1f} / {max(xs):8.1f}   {med / mine:5.2f}x ours")
            print(f"  ours / bare calamine: {mine / bare:.2f} (goal at most {goal:.0f})")
            print(f"  peak memory, a fresh process: ours {peak_mb('ours', path):.0f} MiB, bare calamine "
                  f"{peak_mb('bare_calamine', path):.0f} MiB")


if __name__ == "__main__":
    main()
