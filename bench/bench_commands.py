"""The member's commands as processes: `cpd check` of the example, `cpd --help`, and `python -c pass` (the
floor: starting Python), each run fresh, the variants interleaved in one run so the machine's mood falls on
all alike. Variants: "member" is the product as a member installs it (``pip install .``, no extras, into a
fresh venv made by this bench); "checkout" is this checkout's .venv (an editable install, whose import hook
costs every start about 10 ms). With --baseline DIR (a checkout of another commit), the same commands run on
its code too, on the checkout's venv.

Run:  .venv/bin/python bench/bench_commands.py [--runs 20] [--baseline /tmp/base27]
      (a baseline: git worktree add /tmp/base27 <commit>)

Python runs as a member's install does, writing and reading .pyc files (this machine sets
PYTHONDONTWRITEBYTECODE, which adds 30-40 ms to every start: it is left out here). Prints min / median /
max wall milliseconds per command and variant, and the median against `python -c pass` of the same
interpreter. Goals (the member's install): `cpd check` under 80 ms (4x `python -c pass`), `cpd --help`
under 150 ms.
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
EXAMPLE = ROOT / "workbook_templates" / "example-iet.xlsx"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--baseline", type=Path, help="a checkout of another commit, run on this venv")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        member = Path(tmp) / "member"
        print("Installing the product as a member does (pip install ., no extras) into a fresh venv...")
        subprocess.run([sys.executable, "-m", "venv", str(member)], check=True)
        subprocess.run([str(member / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        str(ROOT)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        variants = {"member": (str(member / "bin" / "python"), env), "checkout": (sys.executable, env)}
        if args.baseline:
            variants["baseline"] = (sys.executable, {**env, "PYTHONPATH": str(args.baseline.resolve())})
        for python, e in variants.values():          # .pyc files written once, as an install does
            where = Path(e.get("PYTHONPATH") or ROOT)
            subprocess.run([python, "-m", "compileall", "-q", str(where / "addin"), str(where / "sync_service"),
                            str(where / "google_sheets")], env=e, stdout=subprocess.DEVNULL, check=False)
            subprocess.run([python, "-m", "addin.cli", "check", str(EXAMPLE)], env=e, cwd="/tmp",
                           stdout=subprocess.DEVNULL, check=False)   # and the installed libraries' .pyc
        commands = {
            "python -c pass": ["-c", "pass"],
            "cpd check example": ["-m", "addin.cli", "check", str(EXAMPLE)],
            "cpd --help": ["-m", "addin.cli", "--help"],
        }
        print(f"{args.runs} runs each, interleaved; wall ms (min / median / max)")
        floor: dict[str, float] = {}
        for name, cmd in commands.items():
            times: dict[str, list[float]] = {v: [] for v in variants}
            for _ in range(args.runs):
                for v, (python, e) in variants.items():
                    t = time.perf_counter()
                    subprocess.run([python, *cmd], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   cwd="/tmp", check=False)
                    times[v].append((time.perf_counter() - t) * 1000)
            for v, ts in times.items():
                median = statistics.median(ts)
                floor.setdefault(v, median)
                print(f"  {name:18} {v:8} {min(ts):7.1f} / {median:7.1f} / {max(ts):7.1f}   "
                      f"{median / floor[v]:4.1f}x python -c pass")


if __name__ == "__main__":
    main()
