"""The member's commands as processes: `cpd check` of the example, `cpd --help`, and `python -c pass` (the
floor: starting Python), each run fresh, the variants interleaved in one run so the machine's mood falls on
all alike. Variants: "member" is the product as a member installs it (``pip install .``, no extras, into a
fresh venv made by this bench); "checkout" is this checkout's .venv (an editable install, whose import hook
costs every start about 10 ms). With --baseline DIR (a checkout of another commit), the same commands run on
its code too, on the checkout's venv.

Run:  .venv/bin/python bench/bench_commands.py [--runs 20] [--baseline /tmp/base27] [--instructions]
      (a baseline: git worktree add /tmp/base27 <commit>)

The commands run as a member types them: the ``cpd`` script pip installed (``python -m addin.cli`` would add
runpy's imports). With --instructions each command also runs once under valgrind's callgrind, which counts
the instructions it executes: the same count run after run whatever else the machine is doing, so a change
of a few per cent shows where wall time on a shared machine cannot.

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
    ap.add_argument("--instructions", action="store_true", help="also count each command's instructions "
                    "(valgrind --tool=callgrind)")
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
            "python -c pass": lambda python: [python, "-c", "pass"],
            "cpd check example": lambda python: [cpd_script(python), "check", str(EXAMPLE)],
            "cpd --help": lambda python: [cpd_script(python), "--help"],
        }
        print(f"{args.runs} runs each, interleaved; wall ms (min / median / max)")
        floor: dict[str, float] = {}
        for name, command in commands.items():
            times: dict[str, list[float]] = {v: [] for v in variants}
            for _ in range(args.runs):
                for v, (python, e) in variants.items():
                    t = time.perf_counter()
                    subprocess.run(command(python), env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   cwd="/tmp", check=False)
                    times[v].append((time.perf_counter() - t) * 1000)
            for v, ts in times.items():
                median = statistics.median(ts)
                floor.setdefault(v, median)
                print(f"  {name:18} {v:8} {min(ts):7.1f} / {median:7.1f} / {max(ts):7.1f}   "
                      f"{median / floor[v]:4.1f}x python -c pass")
        if args.instructions:
            print("Instructions (millions, callgrind; the same from run to run):")
            for name, command in commands.items():
                for v, (python, e) in variants.items():
                    print(f"  {name:18} {v:8} {instructions(command(python), e) / 1e6:8.1f}")


def cpd_script(python: str) -> str:
    """The ``cpd`` script beside ``python``, as pip installed it."""
    return str(Path(python).parent / "cpd")


def instructions(command: list[str], env: dict[str, str]) -> int:
    """How many instructions ``command`` executes (valgrind's callgrind)."""
    import re
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *command], env=env,
                             cwd="/tmp", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode:
        raise SystemExit(f"{command[0]} failed under valgrind (exit {run.returncode}): {run.stderr[-2000:]}")
    if found is None:
        raise SystemExit(f"valgrind did not count {command[0]}: {run.stderr[-300:]}")
    return int(found.group(1))


if __name__ == "__main__":
    main()
