"""The outbox's lease and record, on SQLite and PostgreSQL: a worker leases due jobs oldest first, in
batches, and an outcome is recorded only by the worker whose lease it is, except a success, which counts
however late it comes (the institution has the submission) and only once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sync_service.store import outbox
from sync_service.store.database import writing
from sync_service.store.models import Job, utcnow
from sync_service.store.outbox import Outcome, Schedule

SCHEDULE = Schedule(waits=(60.0, 300.0))
LEASE = timedelta(seconds=60)


def _queue(app, n: int, kind: str = "mail") -> list[int]:
    from sync_service import db
    with app.app_context():
        s = db.session()
        conn = writing(s).connection()
        start = utcnow() - timedelta(minutes=10)
        for i in range(n):                    # due one after another, the last queued first in id order
            outbox.enqueue(conn, kind, now=start + timedelta(seconds=n - i))
        s.commit()
        return list(s.scalars(select(Job.id).where(Job.kind == kind).order_by(Job.id)))


def _jobs(app) -> dict[int, Job]:
    from sync_service import db
    with app.app_context():
        return {j.id: j for j in db.session().scalars(select(Job))}


def test_a_lease_takes_the_oldest_due_jobs_of_its_kinds_in_batches_and_none_twice(service):
    from sync_service import db
    ids = _queue(service, 5)
    other = _queue(service, 2, kind="sheet_write")
    with service.app_context():
        s = db.session()
        first = outbox.claim(s, ("mail",), LEASE, limit=3)
        second = outbox.claim(s, ("mail",), LEASE, limit=3)
        third = outbox.claim(s, ("mail",), LEASE, limit=3)
    assert [c.id for c in first] == sorted(ids[-3:])          # the earliest due: the last three queued
    assert [c.id for c in second] == sorted(ids[:2]) and third == []
    assert all(c.attempts == 1 and c.kind == "mail" for c in first + second)
    jobs = _jobs(service)
    assert {jobs[i].status for i in ids} == {"sending"} and {jobs[i].status for i in other} == {"queued"}
    assert all(jobs[i].lease_until is not None for i in ids)


def test_an_outcome_counts_only_for_the_lease_it_answers_but_a_success_counts_late_and_once(service):
    from sync_service import db
    ids = _queue(service, 3)
    with service.app_context():
        s = db.session()
        claimed = outbox.claim(s, ("mail",), LEASE, limit=3)
        later = utcnow() + timedelta(minutes=5)                # every lease has run out: another worker's now
        again = outbox.claim(s, ("mail",), LEASE, now=later, limit=3)
        assert [c.attempts for c in again] == [2, 2, 2]
        by_id = {c.id: c for c in claimed}
        statuses = outbox.record(s, [(by_id[ids[0]], Outcome("done", receipt_id="rcpt_1")),   # late, but done
                                     (by_id[ids[1]], Outcome("retry", "503")),                # late: nothing
                                     (by_id[ids[2]], Outcome("failed", "400"))], SCHEDULE)    # late: nothing
        assert statuses == ["delivered", None, None]
        again_by_id = {c.id: c for c in again}
        statuses = outbox.record(s, [(again_by_id[ids[0]], Outcome("done", receipt_id="rcpt_2")),  # done already
                                     (again_by_id[ids[1]], Outcome("retry", "503")),
                                     (again_by_id[ids[2]], Outcome("failed", "400"))], SCHEDULE, now=later)
        assert statuses == [None, "retrying", "failed"]
    jobs = _jobs(service)
    assert jobs[ids[0]].status == "delivered" and jobs[ids[0]].receipt_id == "rcpt_1"
    assert jobs[ids[0]].done_at is not None and jobs[ids[0]].lease_until is None
    assert jobs[ids[1]].status == "retrying" and jobs[ids[1]].last_error == "503"
    assert jobs[ids[1]].next_attempt_at.replace(tzinfo=None) > later.replace(tzinfo=None)
    assert jobs[ids[2]].status == "failed" and jobs[ids[2]].last_error == "400"


def test_a_batch_of_successes_is_recorded_each_with_its_own_receipt_and_time_once(service):
    from sync_service import db
    ids = _queue(service, 5)
    with service.app_context():
        s = db.session()
        claimed = outbox.claim(s, ("mail",), LEASE, limit=5)
        first = sorted(claimed, key=lambda c: c.id)[:2]
        assert outbox.record(s, [(c, Outcome("done", receipt_id=f"early_{c.id}")) for c in first],
                             SCHEDULE) == ["delivered", "delivered"]
        at = utcnow().replace(microsecond=123456) + timedelta(seconds=30)
        statuses = outbox.record(s, [(c, Outcome("done", receipt_id=f"rcpt_{c.id}")) for c in claimed], SCHEDULE,
                                 now=at)
    done_before = {c.id for c in first}
    assert statuses == [None if c.id in done_before else "delivered" for c in claimed]
    jobs = _jobs(service)
    for i in ids:
        assert jobs[i].status == "delivered" and jobs[i].lease_until is None and jobs[i].last_error is None
        assert jobs[i].receipt_id == (f"early_{i}" if i in done_before else f"rcpt_{i}")
        if i not in done_before:
            assert jobs[i].done_at.replace(tzinfo=None) == at.replace(tzinfo=None)
