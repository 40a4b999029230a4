"""The durable outbox: everything the service does later or elsewhere is a job, written in the same
transaction as the change that causes it, so nothing is done that was not kept and nothing kept is
forgotten. A worker (``jobs``) leases due jobs of the kinds it runs in one short transaction
(``claim``), does them with no transaction open, and records what happened in another (``record``):
done, a retry on the kind's schedule (never sooner than a ``Retry-After``), failed, or dead-lettered
when the tries or the schedule run out, to be sent again (``resend``). Several workers may run at
once: the lease is taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serialises writers);
a worker killed mid-job leaves a lease that runs out, and the job is tried again. An outcome is
recorded only by the worker whose lease it is.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import and_, bindparam, exists, or_, select, text, update
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.sql.expression import BindParameter
from sqlalchemy.orm import Session

from .database import writing
from .driver import direct
from .models import ACTIVE, EndpointState, Job, JobStatus, aware, table, utcnow

JITTER = (0.8, 1.2)
INSERT = table(Job).insert().inline()   # Core, compiled once: the hot path queues a delivery with it (no RETURNING)


@dataclass(frozen=True)
class Schedule:
    """How a kind is retried: the waits between tries, the longest Retry-After honoured, how long a lease
    lasts beyond the work's own time."""
    waits: tuple[float, ...]
    retry_after_max: float = 3600.0
    lease: float = 60.0

    @property
    def max_attempts(self) -> int:
        return len(self.waits) + 1

    @property
    def horizon(self) -> timedelta:
        """How long after it was queued a job may still be waiting for a try: the whole schedule, with its
        jitter, and one capped Retry-After."""
        return timedelta(seconds=sum(self.waits) * JITTER[1] + self.retry_after_max)


@dataclass(frozen=True)
class Claimed:
    """A leased job and what doing it needs, loaded in the claim's transaction."""
    id: int
    kind: str
    attempts: int
    queued_at: datetime
    submission_id: str | None
    record_id: int | None
    payload: dict | None


@dataclass(frozen=True)
class Outcome:
    kind: str                           # done | retry | failed | gone (the endpoint said 410) | unsent
    detail: str = ""
    receipt_id: str | None = None
    retry_after: float | None = None


def enqueue(conn: Connection, kind: str, *, now: datetime | None = None, **fields) -> None:
    """Queue a job inside the caller's transaction (``fields``: submission_id, member_id, record_id, and a
    payload, kept as JSON)."""
    enqueue_all(conn, kind, [fields], now)


def enqueue_all(conn: Connection, kind: str, jobs: list[dict], now: datetime | None = None) -> None:
    """Queue a job of ``kind`` for each of ``jobs`` (each the fields ``enqueue`` takes) in one statement,
    inside the caller's transaction."""
    if not jobs:
        return
    now = now or utcnow()
    rows = [{"kind": kind, "status": JobStatus.QUEUED, "attempts": 0, "next_attempt_at": now,
             "queued_at": now, "submission_id": None, "member_id": None, "record_id": None,
             "last_error": None, "lease_until": None, "done_at": None, "receipt_id": None,
             **fields, "payload": json.dumps(fields["payload"]) if fields.get("payload") is not None
             else None} for fields in jobs]
    direct(conn, INSERT, rows if len(rows) > 1 else rows[0])


def claim(session: Session, kinds: tuple[str, ...], lease: timedelta, now: datetime | None = None,
          limit: int = 1, when_endpoint_enabled: bool = False) -> list[Claimed]:
    """In one short transaction: take up to ``limit`` due jobs of ``kinds`` (or ones whose worker's lease ran
    out), lease them, and load what doing them needs. ``when_endpoint_enabled``: none while the
    institution's endpoint is disabled (it answered 410). The transaction is over when this returns."""
    writing(session)
    try:
        return lease_due(session, kinds, lease, now, limit, when_endpoint_enabled)
    finally:
        session.commit()


def lease_due(session: Session, kinds: tuple[str, ...], lease: timedelta, now: datetime | None = None,
              limit: int = 1, when_endpoint_enabled: bool = False) -> list[Claimed]:
    """``claim`` inside the caller's writing transaction (which the caller ends), for a kind that loads more
    in the same transaction."""
    now = now or utcnow()
    conn = session.connection()
    rows = conn.execute(_lease_statement(kinds, when_endpoint_enabled, conn.dialect.name),
                        {"now": now, "until": now + lease, "most": limit}).all()
    return [Claimed(r.id, r.kind, r.attempts, r.queued_at, r.submission_id, r.record_id,
                    json.loads(r.payload) if r.payload else None) for r in sorted(rows, key=lambda r: r.id)]


_JOBS = table(Job)


@lru_cache(maxsize=32)
def _lease_statement(kinds: tuple[str, ...], when_endpoint_enabled: bool, dialect: str):
    """The lease's one statement, built once for its kinds (a worker leases every batch with it): the due
    jobs' ids, oldest due first, leased and returned."""
    job = _JOBS.c
    now: BindParameter[datetime] = bindparam("now")
    due = or_(and_(job.status.in_((JobStatus.QUEUED, JobStatus.RETRYING)), job.next_attempt_at <= now),
              and_(job.status == JobStatus.SENDING, job.lease_until < now))
    where = [job.status.in_(ACTIVE), due, job.kind.in_(kinds)]          # ix_jobs_due holds the active ones
    if when_endpoint_enabled:
        where.append(~exists().where(table(EndpointState).c.disabled_at.is_not(None)))
    pick = select(job.id).where(*where).order_by(job.next_attempt_at).limit(bindparam("most"))
    if dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    return (update(_JOBS).where(job.id.in_(pick.scalar_subquery()))
            .values(status=JobStatus.SENDING, lease_until=bindparam("until"), attempts=job.attempts + 1)
            .returning(job.id, job.kind, job.attempts, job.queued_at, job.submission_id, job.record_id, job.payload))


# The tries that succeeded, the outcome of nearly every try: a batch's in one statement, built once, which says
# which it changed (on PostgreSQL a statement a delivery was a round trip and an execution each, eight a batch).
# Recorded unless the job is already delivered (a late answer to a lease that ran out still counts: the
# institution has it). The (job, receipt) pairs go as one JSON text, read by the database's own JSON functions.
_SET_DELIVERED = (f"UPDATE {_JOBS.name} SET status = '{JobStatus.DELIVERED}', receipt_id = v.receipt, done_at = :at, "
                  "last_error = NULL, lease_until = NULL FROM ({pairs}) AS v "
                  f"WHERE {_JOBS.name}.id = v.id AND {_JOBS.name}.status <> '{JobStatus.DELIVERED}' "
                  f"RETURNING {_JOBS.name}.id")
_DONE_AT = _JOBS.c.done_at.type
DELIVERED = {dialect: text(_SET_DELIVERED.replace("{pairs}", pairs)).bindparams(bindparam("at", type_=_DONE_AT))
             for dialect, pairs in (
                 ("postgresql", "SELECT CAST(e ->> 0 AS integer) AS id, e ->> 1 AS receipt "
                                "FROM json_array_elements(CAST(:pairs AS json)) AS e"),
                 ("sqlite", "SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS receipt "
                            "FROM json_each(:pairs)"))}


def delivered(conn: Connection, done: list[tuple[int, str | None]], now: datetime) -> set[int]:
    """Record each (job, receipt) as delivered; the jobs it changed (not those delivered already)."""
    if not done:
        return set()
    statement = DELIVERED["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
    return set(conn.execute(statement, {"at": now, "pairs": json.dumps(done)}).scalars())


def _values(claimed: Claimed, outcome: Outcome, schedule: Schedule, now: datetime) -> dict:
    """The job's new values after a try that did not succeed (a success is ``DELIVERED``)."""
    values: dict = {"lease_until": None}
    if outcome.kind == "failed":
        values.update(status=JobStatus.FAILED, last_error=outcome.detail)
    elif outcome.kind in ("gone", "unsent"):          # the endpoint's fault, or never sent: it waits, uncounted
        values.update(status=JobStatus.QUEUED, attempts=max(claimed.attempts - 1, 0),
                      last_error=outcome.detail or None)
    elif claimed.attempts >= schedule.max_attempts:
        values.update(status=JobStatus.DEAD, last_error=f"gave up after {claimed.attempts} tries: {outcome.detail}")
    else:
        wait = schedule.waits[claimed.attempts - 1] * random.uniform(*JITTER)
        if outcome.retry_after is not None:
            wait = max(wait, min(outcome.retry_after, schedule.retry_after_max))
        next_at = now + timedelta(seconds=wait)
        if next_at > aware(claimed.queued_at or now) + schedule.horizon:
            values.update(status=JobStatus.DEAD, last_error=f"the next try would fall after the retry schedule's "
                                                            f"end: {outcome.detail}")
        else:
            values.update(status=JobStatus.RETRYING, last_error=outcome.detail, next_attempt_at=next_at)
    return values


def record(session: Session, tried: list[tuple[Claimed, Outcome]], schedule: Schedule,
           now: datetime | None = None) -> list[str | None]:
    """In one short transaction: what each try means for its job. Returns each new status, or None where
    the lease had passed to another worker (a late answer changes nothing, unless it succeeded)."""
    now = now or utcnow()
    conn = writing(session).connection()
    changed_done = delivered(conn, [(c.id, o.receipt_id) for c, o in tried if o.kind == "done"], now)
    statuses: list[str | None] = []
    for claimed, outcome in tried:
        if outcome.kind == "done":
            statuses.append(JobStatus.DELIVERED if claimed.id in changed_done else None)
            continue
        if outcome.kind == "gone":
            state = session.get(EndpointState, 1) or EndpointState(id=1)
            state.disabled_at, state.reason = now, outcome.detail
            session.add(state)
            session.flush()
        ours = and_(_JOBS.c.id == claimed.id, _JOBS.c.status == JobStatus.SENDING,
                    _JOBS.c.attempts == claimed.attempts)
        values = _values(claimed, outcome, schedule, now)
        changed = _rowcount(conn.execute(update(_JOBS).where(ours).values(**values)))
        statuses.append(values["status"] if changed else None)
    session.commit()
    return statuses


def _rowcount(result) -> int:
    return cast(CursorResult, result).rowcount


def reclaim(session: Session) -> bool:
    """On PostgreSQL, vacuum and analyze the outbox's table (True when it did). Every job leaves two dead row
    versions (leased, then done) whose entries stay in the workers' queue index until a vacuum, and each lease
    walks past them all: autovacuum may be off, and by default waits for a fifth of the table to be dead (a
    lease took 0.17 ms at the start of a run and 4.7 ms 19,000 deliveries later with none). And without the
    table's statistics the planner reads and sorts every due job to lease eight: with a backlog of 15,700,
    9.5 ms against 0.1 ms walking the queue's index in order once analyzed. Skipped while another worker's
    vacuum holds the table; SQLite reuses its pages itself."""
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":
        return False
    session.commit()                       # VACUUM runs outside any transaction, on a connection of its own
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM (SKIP_LOCKED, ANALYZE) {Job.__tablename__}")
    return True


def resend(session: Session, job: Job | None) -> bool:
    """Queue a failed or dead-lettered job again, from its first try (False for one that is done or being
    done, or none)."""
    writing(session)
    if job is None or job.status in (JobStatus.DELIVERED, JobStatus.SENDING):
        session.rollback()
        return False
    job.status, job.attempts = JobStatus.QUEUED, 0
    job.next_attempt_at = job.queued_at = utcnow()
    job.last_error = None
    session.commit()
    return True
