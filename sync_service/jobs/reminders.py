"""Deadline reminders as a kind of the worker: every ``every`` seconds it queues the reminders due
(``store.reminders``), which the mail kind then sends. Needs the mail settings and the service's
secret (for the stop links)."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from ..store.messages import Notices
from ..store.reminders import send_due


class Reminders:
    kind = "reminder"
    batch = 1                         # a turn queues every reminder due; the next is an ``every`` later

    def __init__(self, notices: Notices, secret: str, clock: Callable[[], datetime] | None = None,
                 every: float = 3600.0):
        self.notices, self.secret, self.clock, self.every = notices, secret, clock, every
        self._next = 0.0

    def work(self, sessions) -> int:
        if time.monotonic() < self._next:
            return 0
        self._next = time.monotonic() + self.every
        with sessions() as session:
            return send_due(session, self.notices, self.secret, self.clock() if self.clock else None)

    def close(self) -> None:
        pass
