"""Writes into linked Google Sheets: a kind of job of the outbox, queued with each mentor's change to a
record kept in a sheet its member has proven (``store.annotations.follow_up``).

A write puts all the record's annotations into the sheet: every comment as a cell note on the
activity's row (its Mentor comment cell, or its title cell where the sheet has no such column), in one
``spreadsheets.batchUpdate``, and each verification in the Verified by / Verified on columns, as RAW
values. Rows inserted or deleted in the sheet since are followed by each activity's key. A sheet that
is away for a moment (quota, an outage) is tried again; one that cannot be written (shared as Viewer,
unshared) fails, and the record says why (``sheet_error``), shown to its member.
"""
from __future__ import annotations

from datetime import timedelta

from msgspec.structs import replace
from sqlalchemy.orm import Session

from addin import CpdError, read_record
from google_sheets import SheetsClient, SheetsSettings

from ..errors import SHEETS_AWAY
from ..store import outbox
from ..store.annotations import FORMER_MENTOR, annotations_of, notes, sheet_changes
from ..store.database import writing
from ..store.models import CpdRecord
from ..store.outbox import Claimed, Outcome, Schedule
from ..store.records import rows_by_key

SCHEDULE = Schedule((10, 60, 300, 1800, 3600), lease=120.0)


def settings_from(config) -> SheetsSettings:
    """The Sheets client's settings from the service's (``GOOGLE_APPLICATION_CREDENTIALS``, ``GOOGLE_SHEETS_URL``,
    ``GOOGLE_SHEETS_RETRY_SECONDS``), else the environment's."""
    env = SheetsSettings.from_env()
    return SheetsSettings(credentials_file=config.get("GOOGLE_APPLICATION_CREDENTIALS") or env.credentials_file,
                          api_url=str(config.get("GOOGLE_SHEETS_URL") or env.api_url).rstrip("/"),
                          retry_budget=float(config.get("GOOGLE_SHEETS_RETRY_SECONDS") or env.retry_budget))


def write(session: Session, client: SheetsClient, record: CpdRecord, actor: str | None = None) -> Outcome:
    """Write the record's annotations into its linked sheet (the session's read is ended before Google is
    asked); what happened. ``actor`` names the mentor who just changed them (whose removed verification is
    cleared from the sheet)."""
    if record.source != "sheet" or record.sheet is None or record.sheet.verified_at is None:
        return Outcome("done", "no proven sheet")            # only a sheet its member has proven is written into
    all_annotations = annotations_of(session, record.id)
    key = record.sheet.sheet_key
    session.commit()
    try:
        fetched = client.read(key)
        read = read_record(fetched.source)
        placed = notes(all_annotations)
        if read.record is not None:           # rows inserted or deleted in the sheet since: follow the activities
            keys = rows_by_key(read.record)
            placed = [replace(n, activity_row=keys[a.activity_key]) if a.activity_key in keys else n
                      for a, n in zip(all_annotations, placed)]
        written_by = {n.author for n in placed} | {FORMER_MENTOR} | ({actor} if actor else set())
        note_cells, values = sheet_changes(read, placed, written_by)
        client.write_notes(fetched, read.sheet, note_cells, values)
        error, outcome = None, Outcome("done", "written")
    except CpdError as exc:
        error = f"{exc.code}: {exc.message}"
        outcome = Outcome("retry" if exc.code in SHEETS_AWAY else "failed", exc.code)
    writing(session)
    record.sheet_error = error
    session.commit()
    return outcome


class SheetWrites:
    """The sheet-write kind for the worker (``jobs.worker``). Its Sheets client is made on the first job:
    a key file that cannot be used keeps the writes waiting (each try says why) and stops nothing else."""

    kind = "sheet_write"

    def __init__(self, settings: SheetsSettings, batch: int = 4):
        self.settings, self.batch = settings, batch
        self._client: SheetsClient | None = None

    @property
    def client(self) -> SheetsClient:
        if self._client is None:
            self._client = SheetsClient(self.settings)
        return self._client

    def work(self, sessions) -> int:
        with sessions() as session:
            claimed = outbox.claim(session, (self.kind,), timedelta(seconds=SCHEDULE.lease), limit=self.batch)
            if not claimed:
                return 0
            tried = [(job, self._write(session, job)) for job in claimed]
            outbox.record(session, tried, SCHEDULE)
        return len(tried)

    def _write(self, session: Session, job: Claimed) -> Outcome:
        record = session.get(CpdRecord, job.record_id)
        if record is None:
            return Outcome("done", "the record is gone")
        try:
            client = self.client
        except CpdError as exc:                  # no usable key file: the write waits for one
            session.commit()
            return Outcome("retry", exc.code)
        return write(session, client, record, (job.payload or {}).get("actor"))

    def close(self) -> None:
        pass
