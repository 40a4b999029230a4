"""Reading and scoring a large CPD workbook, beside plain openpyxl reading the same file.

Run:  .venv/bin/python bench/bench_read_score.py [--sizes 2000 20000] [--repeat 9]

Each figure is the median wall time of --repeat runs, and the peak resident
memory (VmHWM) of a fresh process doing the same work once. Baselines: plain
``openpyxl.load_workbook`` (the normal mode most code uses), openpyxl read-only
mode iterating every cell, and bare python-calamine (no checks) reading every
sheet. Goals: ours within 1.5x of the fastest bare reader, at least 8x faster than
plain openpyxl, under 100 MB at 20,000 activities. Then, for ours, the median time
of each stage run on its own, to show where the time goes.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def make_workbook(n: int, path: Path) -> None:
    from addin.profile import load_profile
    from gen import random_rows
    from addin.workbook.template import build_workbook
    from datetime import date

    profile = load_profile("iet")
    header = {"name": "Bench Member", "period_start": date(2025, 1, 1), "period_end": date(2025, 12, 31),
              "status": "Active", "registration": "CEng"}
    rows = random_rows(random.Random(n), profile, header, n)
    for r in rows:
        r["competences"] = "E4, B2"
        r.pop("objective", None)
    build_workbook(profile, header, [{"ref": "O1", "objective": "Grow"}], rows).save(path)


TASKS = {
    "ours: read + validate + score": """
from addin.workbook.reader import read_workbook
from addin.readiness import assess
read = read_workbook(PATH)
assert not read.problems, read.problems[:3]
assess(read.record, read.profile)
""",
    "openpyxl.load_workbook (plain)": """
import openpyxl
wb = openpyxl.load_workbook(PATH)
""",
    "python-calamine, every cell (bare)": """
import python_calamine
wb = python_calamine.CalamineWorkbook.from_path(PATH)
for name in wb.sheet_names:
    for row in wb.get_sheet_by_name(name).iter_rows():
        pass
""",
    "openpyxl read-only, every cell": """
import openpyxl
wb = openpyxl.load_workbook(PATH, read_only=True)
for ws in wb.worksheets:
    for row in ws.iter_rows(values_only=True):
        pass
wb.close()
""",
}


def run_timed(code: str, path: Path, repeat: int) -> float:
    probe = f"""
import sys, time, json, statistics
sys.path.insert(0, {str(ROOT)!r})
PATH = {str(path)!r}
times = []
for _ in range({repeat}):
    t = time.perf_counter()
{chr(10).join('    ' + line for line in code.strip().splitlines())}
    times.append(time.perf_counter() - t)
print(json.dumps(statistics.median(times)))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def run_memory(code: str, path: Path) -> float:
    """Peak resident memory (MB, VmHWM) of a fresh process doing the work once."""
    probe = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
PATH = {str(path)!r}
{code}
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return float(out.stdout)


BREAKDOWN = """
import gc, sys, time, json, statistics
sys.path.insert(0, {root!r})
from addin.form.limits import Limits
from addin.workbook.package import inspect_package
from addin.workbook import reader
from addin.grid import record as grid_record
from addin.intake import build_record
from addin.readiness import assess
data = open({path!r}, "rb").read()
limits = Limits.from_env()
stages = {{}}
def timed(name, fn):
    t = time.perf_counter(); out = fn(); stages.setdefault(name, []).append(time.perf_counter() - t); return out
for _ in range({repeat}):
    gc.disable()
    pkg = timed("container checks (unzip, DTD, macros)", lambda: inspect_package(data, limits))
    timed("sheet extent and formula scan", lambda: [pkg.scan(s) for s in ("Record", "Plan")])
    grid = reader.XlsxSource(pkg, limits)
    sheets = timed("python-calamine reads Record and Plan", lambda: {{s: grid.table(s) for s in ("Record", "Plan")}})
    grid.table = lambda name, max_rows=None: sheets[name]
    table = timed("header, labels, columns", lambda: grid_record.scan_table(
        grid, "Record", grid_record.ACTIVITY_HEADERS, 3, True, limits.max_rows))
    prof = grid_record.resolve_profile(None, table.labels)
    header = {{f: v for f, (v, _) in table.labels.items()}}
    record, _ = timed("intake (every value checked)", lambda: build_record(header, [], table.data, prof))
    gc.enable()
    timed("scoring", lambda: assess(record, prof))
print(json.dumps({{k: statistics.median(v) for k, v in stages.items()}}))
"""


def breakdown(path: Path, repeat: int) -> dict:
    """Median time of each stage of our read, in one process (an approximation: stages run apart)."""
    code = BREAKDOWN.format(root=str(ROOT), path=str(path), repeat=repeat)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"cpd-{n}.xlsx"
            make_workbook(n, path)
            print(f"\n{n:,} activities ({path.stat().st_size / 1024:.0f} KB), median of {args.repeat}:")
            results = {name: (run_timed(code, path, args.repeat), run_memory(code, path))
                       for name, code in TASKS.items()}
            ours = results["ours: read + validate + score"][0]
            fastest_bare = min(v[0] for k, v in results.items() if not k.startswith("ours"))
            for name, (secs, mb) in results.items():
                ratio = "" if name.startswith("ours") else f"   {secs / ours:5.2f}x ours"
                print(f"  {name:<36} {secs * 1000:8.1f} ms   peak {mb:5.0f} MB{ratio}")
            print(f"  ours / fastest bare reader: {ours / fastest_bare:.2f} (goal: at most 1.5)")
            plain = results["openpyxl.load_workbook (plain)"][0]
            print(f"  plain openpyxl / ours: {plain / ours:.1f}x (goal: at least 8x)")
            print("  where ours goes (median of each stage alone):")
            for stage, secs in breakdown(path, args.repeat).items():
                print(f"    {stage:<42} {secs * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
