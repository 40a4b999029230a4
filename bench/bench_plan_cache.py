"""The delivery worker's read of a batch's documents on PostgreSQL once the submissions table has grown: with
the plan PostgreSQL caches for a prepared statement while the table is small, and planned for its keys each
time (what ``jobs.delivery`` does: ``CUSTOM_PLAN``).

Run:  .venv/bin/python bench/bench_plan_cache.py [--rows 100000] [--rounds 3] [--postgres URL]

On a fresh schema made by the service's own migrations: 16 submissions, the worker's statement (eight
keys, as a batch leases them) run 12 times on one connection so that psycopg prepares it and PostgreSQL
settles on a plan, then the table grown to --rows submissions (each with a 15 KB document, stored out of
line as the real ones are; never analyzed, as with autovacuum off). Each round then reads 30 batches of
eight documents with the cached plan and 30 planned for their keys, interleaved; printed: min / median /
max over the rounds of each round's median, ms a batch.
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import time

from bench_service import PG, fresh_schema, spread

READ = ("SELECT submissions.id, submissions.body FROM submissions WHERE submissions.id IN "
        "(%s, %s, %s, %s, %s, %s, %s, %s)")


def key(n: int) -> str:
    return "sub_" + hashlib.md5(str(n).encode()).hexdigest()[:16]


def fill(conn, lo: int, hi: int) -> None:
    """Members and submissions lo..hi, as the service stores them (a document of 15 KB that does not compress)."""
    conn.execute("INSERT INTO members (id, public_id, email, is_admin, created_at, reminders) "
                 "SELECT g, 'm_' || g, 'bench' || g || '@example.org', false, now(), true "
                 "FROM generate_series(%s::int, %s::int) g", (lo, hi))
    conn.execute("INSERT INTO submissions (id, member_id, idempotency_key, digest, profile_id, period_start, "
                 "period_end, verdict, score, body, received_at, period_year, grade, latest) "
                 "SELECT 'sub_' || left(md5(g::text), 16), g, md5(g::text), md5(g::text), 'iet', '2026-01-01', "
                 "'2026-12-31', 'READY', 90, (SELECT string_agg(decode(md5(g::text || i::text), 'hex'), ''::bytea) "
                 "FROM generate_series(1, 960) i), now(), 2026, 'MIET', true FROM generate_series(%s::int, %s::int) g",
                 (lo, hi))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--postgres", default=PG)
    args = ap.parse_args()
    import psycopg
    from sync_service import create_app
    from sync_service.jobs.delivery import CUSTOM_PLAN
    with fresh_schema(args.postgres) as (url, schema):
        create_app({"DATABASE_URL": url}).extensions["cpd_engine"].dispose()     # the schema, by its migrations
        dsn = url.split("?")[0].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"SET search_path = {schema}")
            fill(conn, 1, 16)
            batch = tuple(key(n) for n in range(1, 9))
            for _ in range(12):                      # prepared on the 5th; a generic plan after 5 more
                assert len(conn.execute(READ, batch, prepare=True).fetchall()) == 8
            t = time.perf_counter()
            for lo in range(17, args.rows + 1, 10_000):
                fill(conn, lo, min(lo + 9_999, args.rows))
            pages = conn.execute("SELECT pg_relation_size('submissions') / 8192").fetchone()[0]
            print(f"{args.rows:,} submissions ({pages:,} pages of rows, documents out of line) made in "
                  f"{time.perf_counter() - t:.0f} s; ms to read a batch of 8 documents, {args.rounds} rounds of 30:")
            # The worker's setting for this session (SET LOCAL lasts one transaction; this connection autocommits).
            cases = {"the plan cached while the table was small": "SET plan_cache_mode = auto",
                     "planned for its keys (the worker)": str(CUSTOM_PLAN).replace("SET LOCAL", "SET")}
            medians: dict[str, list[float]] = {name: [] for name in cases}
            step = max(1, (args.rows - 8) // 30)
            for _ in range(args.rounds):
                for name, setting in cases.items():
                    conn.execute(setting)
                    times = []
                    for i in range(30):
                        keys = tuple(key(1 + i * step + j) for j in range(8))
                        start = time.perf_counter()
                        assert len(conn.execute(READ, keys, prepare=True).fetchall()) == 8
                        times.append((time.perf_counter() - start) * 1000)
                    medians[name].append(statistics.median(times))
            for name, xs in medians.items():
                print(f"  {name:45} {spread(xs, 7)}")


if __name__ == "__main__":
    main()
