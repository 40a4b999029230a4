"""A record's readiness now, above the store and the Google Sheets link: a record kept in a linked sheet
is read again from the sheet (and kept as a new version if it changed); any other is scored again from
its newest version with the rules as they are now. Nothing is sent."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, object_session

from google_sheets import SheetsClient

from .store import sheets
from .store.models import CpdRecord, RecordVersion
from .store.records import Prepared, latest, reassess


def check_now(session: Session, rec: CpdRecord, pull: bool, client: Callable[[], SheetsClient]
              ) -> tuple[CpdRecord, RecordVersion | None, Prepared | None, bool]:
    """(record, newest version, prepared, pulled). With ``pull`` a linked sheet is read again first (through
    ``client()``). Raises the reader's errors, or the sheet's."""
    if pull and rec.source == "sheet" and rec.sheet is not None:
        linked = rec.sheet
        rec, version, _, prep = sheets.keep(session, linked, sheets.check(session, client(), linked))
        return rec, version, prep, True
    version = latest(object_session(rec) or session, rec.id)
    return rec, version, reassess(version) if version else None, False
