"""The institution's group view over 100,000 stored submissions, and one record report PDF.

Run:  .venv/bin/python bench/bench_stats.py [--n 100000] [--periods 5] [--databases sqlite postgresql]

Seeds N submissions (N / periods members, one submission a period each, every one its record's
latest) with the group-view figures a real submission keeps (the criteria of the IET profile, hours
by category, skill group and competence: about 25 rows each), straight into a fresh database made
by the service's migrations: an SQLite file, and a PostgreSQL schema (BENCH_POSTGRES, default
postgresql+psycopg://postgres@127.0.0.1:5432/test; dropped after). Then times the group view
(stats.group_view: every period, no filter; and one period and profile), median of 5 after one
warm-up. Goals: under 1 s on PostgreSQL, under 3 s on SQLite.

Then the record report: a 200-activity record to PDF (report_data + WeasyPrint, charts included),
median of 5 in one process after a warm-up, and once in a fresh process (`cpd report`, imports
included). Goal: under 2 s.
"""
from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bench_service import PG, fresh_schema  # noqa: E402  (bench/ is this script's folder: on the path)
GOALS = {"sqlite": 3.0, "postgresql": 1.0}
GRADES = ("Member", "Fellow", "Associate", "Technician member")


def submission_rows(n: int, periods: int, seed: int = 1):
    """(submission, figures) rows as a real submission keeps them, from varied IET-like readiness."""
    from addin import load_profile
    from addin import STATUS_SCORE as STATUS_VALUE
    from sync_service.store.stats import submission_columns
    profile = load_profile("iet")
    rng = random.Random(seed)
    crits = [c.id for c in profile.criteria]
    cats = [t.id for t in profile.categories]
    comps = ["A1", "A2", "B1", "B2", "B3", "C1", "C2", "C3", "C4", "D1", "D2", "D3", "E1", "E2", "E3", "E4", "E5"]
    received = datetime(2026, 1, 1, tzinfo=timezone.utc)
    members = max(1, -(-n // periods))
    subs, figs, records = [], [], []
    for i in range(n):
        year = 2021 + i % periods
        counted = round(rng.uniform(0, 80), 2)
        readiness = {"counted_hours": counted, "target": 30.0}
        sid = f"sub_bench{i:09d}"
        cols = submission_columns(rng.choice(GRADES), date(year, 12, 31), readiness)
        records.append({"id": i + 1, "public_id": f"rec_bench{i:09d}", "member_id": 1 + i // periods,
                        "profile_id": "iet", "period_start": date(year, 1, 1), "period_end": date(year, 12, 31),
                        "source": "upload", "latest_version": 1, "created_at": received, "updated_at": received})
        subs.append({"id": sid, "member_id": 1 + i // periods, "idempotency_key": sid, "digest": "0" * 64,
                     "record_id": i + 1, "profile_id": "iet", "period_start": date(year, 1, 1),
                     "period_end": date(year, 12, 31), "verdict": "ready" if counted >= 30 else "not_ready",
                     "score": rng.randint(20, 100), "body": b"\x1f\x8b", "received_at": received, "latest": True,
                     **cols})
        base = {"submission_id": sid, "record_id": i + 1, "period_year": year, "profile_id": "iet",
                "grade": cols["grade"]}
        for c in crits:
            figs.append({**base, "kind": "criterion", "key": c, "value": STATUS_VALUE[rng.choice(("pass", "warn", "fail"))]})
        for c in rng.sample(cats, 4):
            figs.append({**base, "kind": "category", "key": c, "value": round(rng.uniform(1, 20), 2)})
        for g in ("technical", "soft"):
            figs.append({**base, "kind": "skill", "key": g, "value": round(rng.uniform(1, 20), 2)})
        for c in rng.sample(comps, 6):
            figs.append({**base, "kind": "competence", "key": c, "value": round(rng.uniform(1, 10), 2)})
    return members, records, subs, figs


def seed(url: str, n: int, periods: int) -> tuple[float, int]:
    from sqlalchemy import insert
    from sync_service.store.database import make_engine, upgrade
    from sync_service.store.models import CpdRecord, Member, Submission, SubmissionFigure
    engine = make_engine(url)
    upgrade(engine)
    members, records, subs, figs = submission_rows(n, periods)
    t = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(Member.__table__), [{"id": i, "public_id": f"m_bench{i:09d}",
                                                  "email": f"bench{i}@example.org", "is_admin": False,
                                                  "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc)}
                                                 for i in range(1, members + 1)])
        for k in range(0, len(subs), 20_000):
            conn.execute(insert(CpdRecord.__table__), records[k:k + 20_000])
            conn.execute(insert(Submission.__table__), subs[k:k + 20_000])
        if engine.dialect.name == "postgresql":          # COPY: the fast way in for 2.5 million rows
            cols = list(figs[0])
            raw = conn.connection.driver_connection
            with raw.cursor().copy(f"COPY submission_figures ({', '.join(cols)}) FROM STDIN") as copy:
                for f in figs:
                    copy.write_row([f[c] for c in cols])
        else:
            for k in range(0, len(figs), 100_000):
                conn.execute(insert(SubmissionFigure.__table__), figs[k:k + 100_000])
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - t, len(figs)


def time_view(url: str, repeat: int = 5) -> dict:
    from sqlalchemy.orm import Session
    from sync_service.store.database import make_engine
    from sync_service.store.stats import group_view
    engine = make_engine(url)
    out = {}
    for label, filters in (("every period, no filter", {}), ("one period and profile", {"period": 2023, "profile": "iet"})):
        times = []
        for i in range(repeat + 1):
            with Session(engine) as session:
                t = time.perf_counter()
                view = group_view(session, **filters)
                if i:
                    times.append(time.perf_counter() - t)
        assert view["periods"] and not view["periods"][0]["suppressed"]
        out[label] = statistics.median(times)
    engine.dispose()
    return out


def time_pdf(repeat: int = 5) -> tuple[float, float, int]:
    from addin import assess
    from addin.record_report import fit_pdf, report_data
    from conftest import make_record
    from gen import iet_year
    profile, header, rows = iet_year(200, 3, "Bench Member", objective="O1")
    for r in rows:
        r["start_date"] = r["start_date"] if str(r["start_date"]).startswith("2025") else date(2025, 6, 1)
        r.pop("end_date", None)
    record = make_record(profile, rows, header=header, objectives=[{"ref": "O1", "objective": "Grow"}])
    times, size = [], 0
    for i in range(repeat + 1):
        t = time.perf_counter()
        pdf, _ = fit_pdf(report_data(record, profile, assess(record, profile)), None)
        if i:
            times.append(time.perf_counter() - t)
        size = len(pdf)
    # a fresh process: the workbook written, then `cpd report` with its imports
    from addin.workbook.template import build_workbook
    with tempfile.TemporaryDirectory() as d:
        book = Path(d) / "200.xlsx"
        build_workbook(profile, header, [{"ref": "O1", "objective": "Grow"}], rows).save(book)
        t = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "cpd"), "report", str(book), "--pdf", str(Path(d) / "r.pdf")],
                       check=True, capture_output=True)
        cold = time.perf_counter() - t
    return statistics.median(times), cold, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--periods", type=int, default=5)
    ap.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = ap.parse_args()
    print(f"Group view over {args.n:,} submissions across {args.periods} periods (one record each, all latest):")
    for name in args.databases:
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as d:
                url = f"sqlite:///{Path(d) / 'bench.sqlite3'}"
                took, nfig = seed(url, args.n, args.periods)
                timed = time_view(url)
        else:
            with fresh_schema(PG) as (url, _):
                took, nfig = seed(url, args.n, args.periods)
                timed = time_view(url)
        print(f"  {name}: seeded {args.n:,} submissions and {nfig:,} figure rows in {took:.1f} s")
        for label, seconds in timed.items():
            goal = GOALS[name]
            print(f"    group view, {label:<26} {seconds * 1000:8.1f} ms   goal under {goal:g} s: "
                  f"{'met' if seconds < goal else 'NOT met'} ({seconds / goal:.2f}x the goal)")
    warm, cold, size = time_pdf()
    print("Record report, 200 activities, with charts:")
    print(f"  PDF in a warm process (median of 5)   {warm * 1000:8.1f} ms   {size / 1000:,.0f} KB   goal under 2 s: "
          f"{'met' if warm < 2 else 'NOT met'}")
    print(f"  `cpd report` in a fresh process       {cold * 1000:8.1f} ms   (imports of matplotlib and WeasyPrint "
          f"included)")


if __name__ == "__main__":
    main()
