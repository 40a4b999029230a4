"""The member's commands as processes: `cpd check` of the example, `cpd --help`, and `python -c pass` (the
floor: starting Python), each run fresh, the variants interleaved in one run so the machine's mood falls on
all alike. With --baseline DIR (a checkout of another commit), the same commands run on its code too.

Run:  .venv/bin/python bench/bench_commands.py [--runs 20] [--baseline /tmp/base27]
      (a baseline: git worktree add /tmp/base27 <commit>; it runs on this checkout's venv)

Python runs as a member's install does, writing and reading .pyc files (this machine sets
PYTHONDONTWRITEBYTECODE, which adds 30-40 ms to every start: it is left out here). Prints min / median /
max wall milliseconds per command and variant.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "workbook_templates" / "example-iet.xlsx"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--baseline", type=Path, help="a checkout of another commit, run on this venv")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    variants = {"now": env}
    if args.baseline:
        variants = {"baseline": {**env, "PYTHONPATH": str(args.baseline.resolve())}, **variants}
    for e in variants.values():          # .pyc files written once, as an install does
        where = Path(e.get("PYTHONPATH") or ROOT)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(where / "addin"), str(where / "sync_service"),
                        str(where / "google_sheets")], env=e, stdout=subprocess.DEVNULL, check=False)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "cpd check example": [sys.executable, "-m", "addin.cli", "check", str(EXAMPLE)],
        "cpd --help": [sys.executable, "-m", "addin.cli", "--help"],
    }
    print(f"{args.runs} runs each, interleaved; wall ms (min / median / max)")
    for name, cmd in commands.items():
        times: dict[str, list[float]] = {v: [] for v in variants}
        for _ in range(args.runs):
            for v, e in variants.items():
                t = time.perf_counter()
                subprocess.run(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp",
                               check=False)
                times[v].append((time.perf_counter() - t) * 1000)
        for v, ts in times.items():
            print(f"  {name:18} {v:8} {min(ts):7.1f} / {statistics.median(ts):7.1f} / {max(ts):7.1f}")


if __name__ == "__main__":
    main()
