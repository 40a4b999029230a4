"""The group view's figures on PostgreSQL at scale: what writing one submission's figures costs the server
once the table holds many members' figures, with the group index as it is (``value`` the last key column)
and with ``value`` as an INCLUDE column (each group's new rows at its end rather than at random places).

Run:  .venv/bin/python bench/bench_figures_index.py [--members 100000] [--batch 2000] [--rounds 3]
          [--postgres URL]   (default BENCH_POSTGRES or postgresql://postgres@127.0.0.1:5432/test)

Two scratch schemas are made, each with a ``submission_figures`` table like the service's (its primary key,
its record index and the group index in one of the two forms), and loaded with ``--members`` members'
figures (32 a member, as a real 40-activity record has: 10 criteria, 6 categories, 2 skill groups, 14
competences; random grades and hours); then each round writes ``--batch`` more submissions' figures into
each in turn, one transaction a submission (as the service writes them), and prints the CPU of the
server's backend a submission. The schemas are dropped at the end. Synthetic by design: it isolates this
one statement, which sampling ``pg_stat_activity`` through a real run showed holds half of PostgreSQL's time.
"""
from __future__ import annotations

import argparse
import os
import random
import time

import psycopg

from bench_service import spread

CRITERIA = [f"crit_{i}" for i in range(10)]
CATEGORIES = [f"cat_{i}" for i in range(8)]
COMPETENCES = [f"{a}{n}" for a in "ABCDE" for n in (1, 2, 3)]
GRADES = ["MIET", "CEng", "IEng", "EngTech", "FIET"]
FORMS = {"value_in_key": "(kind, period_year, profile_id, key, grade, value)",
         "value_included": "(kind, period_year, profile_id, key, grade) INCLUDE (value)"}
COLUMNS = "submission_id, record_id, period_year, profile_id, grade, kind, key, value"


def figures(rng: random.Random, sid: str, rid: int) -> list[tuple]:
    grade = rng.choice(GRADES)
    row = (sid, rid, 2026, "iet", grade)
    return ([(*row, "criterion", c, rng.choice((0.0, 0.5, 1.0))) for c in CRITERIA]
            + [(*row, "category", c, round(rng.uniform(1, 40), 2)) for c in rng.sample(CATEGORIES, 6)]
            + [(*row, "skill", s, round(rng.uniform(5, 60), 2)) for s in ("technical", "soft")]
            + [(*row, "competence", c, round(rng.uniform(1, 30), 2)) for c in rng.sample(COMPETENCES, 14)])


def backend_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(conn: psycopg.Connection, members: int) -> None:
    for form, columns in FORMS.items():
        conn.execute(f"DROP SCHEMA IF EXISTS bench_{form} CASCADE")
        conn.execute(f"CREATE SCHEMA bench_{form}")
        conn.execute(f"""CREATE TABLE bench_{form}.submission_figures (id serial PRIMARY KEY, record_id int NOT NULL,
            submission_id varchar(40) NOT NULL, period_year int NOT NULL, profile_id varchar(40) NOT NULL,
            grade varchar(60), kind varchar(12) NOT NULL, key varchar(60) NOT NULL, value float NOT NULL)""")
        conn.execute(f"CREATE INDEX ON bench_{form}.submission_figures (record_id)")
        conn.execute(f"CREATE INDEX ix_group ON bench_{form}.submission_figures {columns}")
        conn.commit()
        rng = random.Random(1)                      # the same figures in both forms
        with conn.cursor() as cur, cur.copy(f"COPY bench_{form}.submission_figures ({COLUMNS}) FROM STDIN") as copy:
            for i in range(members):
                for row in figures(rng, f"sub_{i:08d}", i):
                    copy.write_row(row)
        conn.commit()


def write(url: str, form: str, first: int, batch: int) -> float:
    """CPU ms of the server's backend a submission, writing ``batch`` submissions' figures."""
    rng = random.Random(first)
    with psycopg.connect(url) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        sql = f"INSERT INTO bench_{form}.submission_figures ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        cpu = backend_cpu(pid)
        for i in range(first, first + batch):
            with conn.cursor() as cur:
                cur.executemany(sql, figures(rng, f"new_{i:08d}", 10_000_000 + i))
            conn.commit()
        return (backend_cpu(pid) - cpu) / batch * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=100_000, help="members whose figures the table holds first")
    ap.add_argument("--batch", type=int, default=2000, help="submissions written a round, each form")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES",
                                                         "postgresql://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    url = args.postgres.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        t0 = time.perf_counter()
        load(conn, args.members)
        print(f"{args.members:,} members' figures loaded into each form in {time.perf_counter() - t0:.0f} s")
        for form in FORMS:
            size = conn.execute(f"SELECT pg_size_pretty(pg_relation_size('bench_{form}.ix_group'))").fetchone()[0]
            print(f"  {form:15} group index {size}")
        try:
            found: dict[str, list[float]] = {form: [] for form in FORMS}
            for r in range(args.rounds):
                for form in FORMS:
                    found[form].append(write(url, form, r * args.batch, args.batch))
            print(f"PostgreSQL backend CPU a submission's figures (32 rows, one transaction), {args.rounds} rounds "
                  f"of {args.batch:,} (min / median / max):")
            for form, xs in found.items():
                print(f"  {form:15} {spread(xs, 0, 3)} ms")
        finally:
            for form in FORMS:
                conn.execute(f"DROP SCHEMA IF EXISTS bench_{form} CASCADE")
            conn.commit()


if __name__ == "__main__":
    main()
