"""A member's linked Google Sheets: link one, check it, submit it (the API and the pages both come here).

The service reads a linked sheet as ``cpd sheets check`` does and stores a submission made from
it like an uploaded workbook's. A submission is idempotent by content: the sheet's values (and
formulas) as the API returned them are hashed, and the same values give the same submission.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import threading

from flask import current_app
from sqlalchemy import select

from addin import CpdError, GridRead, assess, read_record

from .. import db
from ..models import LinkedSheet, Submission, iso_utc, utcnow
from ..records import Prepared, prepare, save_version
from ..submissions import Refused, refusal, store
from .client import SheetRead, SheetsClient, SheetsSettings

_local = threading.local()
UNAVAILABLE = {"sheets_rate_limited", "sheets_unavailable", "sheets_no_credentials", "sheets_bad_credentials",
               "sheets_auth_failed", "sheets_bad_response"}


def settings() -> SheetsSettings:
    env = SheetsSettings.from_env()
    cfg = current_app.config
    return SheetsSettings(credentials_file=cfg.get("GOOGLE_APPLICATION_CREDENTIALS") or env.credentials_file,
                          api_url=str(cfg.get("GOOGLE_SHEETS_URL") or env.api_url).rstrip("/"),
                          retry_budget=float(cfg.get("GOOGLE_SHEETS_RETRY_SECONDS") or env.retry_budget))


def client() -> SheetsClient:
    """This thread's Sheets client for the app's settings (its access token is kept between requests)."""
    wanted = settings()
    cached = getattr(_local, "client", None)
    if cached is None or cached.settings != wanted:
        cached = _local.client = SheetsClient(wanted)
    return cached


def sheets_refusal(exc: CpdError) -> Refused:
    """A sheet that cannot be read, as the API answers it."""
    if exc.code in UNAVAILABLE:
        return Refused(503, exc.code, exc.message)
    if exc.code == "sheets_bad_address":
        return Refused(400, exc.code, exc.message)
    return refusal(exc) if exc.problems else Refused(422, exc.code, exc.message, sheet=exc.sheet, cell=exc.cell)


def fetch(sheet: str) -> tuple[SheetRead, GridRead]:
    """The sheet's values and the record read from them (problems kept, not raised).

    The request's transaction is ended first: no database lock (on SQLite, the write lock) is
    held while Google answers, which may take the whole retry budget."""
    db.session().commit()
    try:
        fetched = client().read(sheet)
        return fetched, read_record(fetched.source)
    except CpdError as exc:
        raise sheets_refusal(exc) from None


def _remember(linked: LinkedSheet, read: GridRead | None = None, error: Refused | None = None) -> None:
    linked.checked_at = utcnow()
    if error is not None:
        linked.verdict = linked.score = None
        linked.error_code, linked.error_message = error.body["code"], error.body["message"]
        return
    linked.error_code = linked.error_message = None
    try:
        result = assess(read.require(), read.profile)
        linked.verdict, linked.score = result.verdict, result.score
    except CpdError as exc:
        linked.verdict = linked.score = None
        linked.error_code, linked.error_message = exc.code, str(exc)


def link(member, address: str) -> tuple[LinkedSheet, GridRead, bool]:
    """Link the sheet at ``address`` to the member, once it has been read (created False if linked already)."""
    fetched, read = fetch(address)
    session = db.write_session()
    linked = session.scalar(select(LinkedSheet).where(LinkedSheet.member_id == member.id,
                                                      LinkedSheet.sheet_key == fetched.key))
    created = linked is None
    if created:
        linked = LinkedSheet(public_id="sh_" + secrets.token_urlsafe(9), member_id=member.id,
                             sheet_key=fetched.key, title=fetched.title[:200])
        session.add(linked)
    _remember(linked, read)
    session.commit()
    return linked, read, created


def of(member) -> list[LinkedSheet]:
    """The member's linked sheets, oldest first."""
    return list(db.session().scalars(select(LinkedSheet).where(LinkedSheet.member_id == member.id)
                                     .order_by(LinkedSheet.id)))


def unlink(linked: LinkedSheet) -> None:
    """Forget the link (the sheet itself is not touched)."""
    session = db.write_session()
    session.delete(linked)
    session.commit()


def find(member, public_id: str) -> LinkedSheet | None:
    """The member's linked sheet; another member's is as unknown as a missing one."""
    return db.session().scalar(select(LinkedSheet).where(LinkedSheet.public_id == public_id,
                                                         LinkedSheet.member_id == member.id))


def look(linked: LinkedSheet) -> tuple[SheetRead, GridRead]:
    """Read the linked sheet now; the outcome (verdict, or why it could not be read) is kept on the link."""
    session = db.session()
    key = linked.sheet_key
    try:
        fetched, read = fetch(key)
    except Refused as exc:
        db.writing(session)
        _remember(linked, error=exc)
        session.commit()
        raise
    db.writing(session)
    _remember(linked, read)
    session.commit()
    return fetched, read


def keep(linked: LinkedSheet, read: GridRead):
    """Keep the sheet's record as the newest version of the member's record for its period and profile:
    (record, version, created, prepared). Raises the reader's CpdError for a record that cannot be used."""
    prep = prepare(read)
    rec, version, created = save_version(db.session(), linked.member_id, prep, linked.id)
    return rec, version, created, prep


def check(linked: LinkedSheet) -> GridRead:
    """The linked sheet's record, read now (problems kept, not raised)."""
    return look(linked)[1]


def submit(member, linked: LinkedSheet, looked: tuple[SheetRead, GridRead] | None = None,
           prep: Prepared | None = None) -> tuple[Submission, bool]:
    """Pull the sheet's values (unless the caller has just: ``looked``, and perhaps ``prep``ared them), build
    the record and store it as a submission (the same values: the same one)."""
    fetched, read = looked or look(linked)
    digest = hashlib.sha256(json.dumps(fetched.fetched, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return store(member, f"sheet:{digest}", digest, lambda: prep or prepare(read), sheet_id=linked.id)


def as_dict(linked: LinkedSheet) -> dict:
    return {"id": linked.public_id, "key": linked.sheet_key, "title": linked.title,
            "address": f"https://docs.google.com/spreadsheets/d/{linked.sheet_key}/edit",
            "checked_at": linked.checked_at and iso_utc(linked.checked_at), "verdict": linked.verdict,
            "score": linked.score,
            "error": {"code": linked.error_code, "message": linked.error_message} if linked.error_code else None}
