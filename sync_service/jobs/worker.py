"""One worker for every kind of job: each turn, every kind it runs does a batch of its due jobs (deliveries
to the institution, mail, writes into linked sheets); a kind whose queue is empty (it found none, or less
than a whole batch) is asked again ``poll`` seconds later.
``cpd worker`` runs it (``--kinds`` to split the kinds between processes); several may run at once."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger("cpd.jobs")


class Kind(Protocol):
    """A kind of job the worker runs: ``work`` leases a batch (up to ``batch`` jobs), does it and records it
    (the number done)."""
    kind: str
    batch: int

    def work(self, sessions: Callable) -> int: ...

    def close(self) -> None: ...


RECLAIM_EVERY = 30.0         # seconds between vacuums of the outbox's table, while jobs are being done


def run(sessions: Callable, kinds: Sequence[Kind], stop: threading.Event, poll: float = 1.0,
        reclaim_every: float = RECLAIM_EVERY) -> None:
    """Work until stopped. A kind that had nothing to do, or less than a whole batch (its queue emptied), is
    asked again only ``poll`` seconds later: a busy kind does not pay for idle ones, and the jobs queued
    meanwhile go in one batch, not one a lease (asked again at once, a kind kept pace with its queue a job or
    two a batch, paying a lease, a read and a record for each: about a tenth of the CPU a submission costs
    in all, in ``bench/bench_service.py``). A job waits at most ``poll`` seconds either way.
    A database that goes away a moment, or a failure in one kind, does not
    stop it. Every ``reclaim_every`` seconds in which jobs were done, the outbox's dead rows are reclaimed
    (``outbox.reclaim``: on PostgreSQL, what keeps a lease as cheap at the 100,000th job as at the first)."""
    idle_until = {kind.kind: 0.0 for kind in kinds}
    done_since, reclaim_at = 0, time.monotonic() + reclaim_every
    try:
        while not stop.is_set():
            if done_since and time.monotonic() >= reclaim_at:
                done_since, reclaim_at = 0, time.monotonic() + reclaim_every
                _reclaim(sessions)
            worked = 0
            for kind in kinds:
                if time.monotonic() < idle_until[kind.kind]:
                    continue
                try:
                    done = kind.work(sessions)
                except Exception as exc:      # the database went away a moment: keep the worker alive
                    from ..logs import error_event
                    log.error(error_event(exc, context=f"{kind.kind} jobs"))
                    done = 0
                worked += done
                done_since += done
                if done < kind.batch:
                    idle_until[kind.kind] = time.monotonic() + poll
            if not worked:
                stop.wait(max(0.0, min(idle_until.values()) - time.monotonic()) or poll)
    finally:
        for kind in kinds:
            kind.close()


def _reclaim(sessions: Callable) -> None:
    from ..store.outbox import reclaim
    try:
        with sessions() as session:
            reclaim(session)
    except Exception as exc:          # a vacuum that could not run now runs at the next turn's time
        from ..logs import error_event
        log.error(error_event(exc, context="reclaiming the outbox's rows"))


def drain(sessions: Callable, kinds: Sequence[Kind]) -> dict[str, int]:
    """Do every job due now, of every kind, then stop (``cpd worker --once``; the tests): how many of each
    kind were tried."""
    done = {kind.kind: 0 for kind in kinds}
    for kind in kinds:
        while n := kind.work(sessions):
            done[kind.kind] += n
    return done
