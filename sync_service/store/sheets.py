"""A member's linked Google Sheets: link one, prove it, check it, submit it (the API and the pages both
come here, with a Sheets client from the Google Sheets adapter).

A sheet shared with the service account can be read by the service, whoever asks; so a member links a
sheet only by showing they can edit it. Asking to link gives a one-time code (``CODE_TTL``; only its
SHA-256 kept) that the member types into any cell of the sheet; the link is made when the service
reads the code back (``confirm``). Until then nothing of the sheet is shown or kept. A sheet already
linked by another member cannot be linked again.

The service reads a linked sheet as ``cpd sheets check`` does and stores a submission made from it
like an uploaded workbook's. A submission is idempotent by content: the sheet's values (and formulas)
as the API returned them are hashed, and the same values give the same submission. No transaction is
open while Google answers.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from addin import CpdError, GridRead, assess, read_record
from google_sheets import SheetRead, SheetsClient

from ..errors import Conflict, ServiceError, from_core
from .database import writing
from .models import LinkedSheet, Submission, aware, iso_utc, utcnow
from .records import Prepared, prepare, save_version
from .submissions import Caller, Limits, store

CODE_TTL = timedelta(minutes=30)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"          # no 0/O, 1/I: a code people type
_CODE = re.compile(r"CPD-[A-Z0-9]{4}-[A-Z0-9]{4}")
HOW = ("Type this code into any empty cell of the sheet's Record sheet, then confirm. It proves you can edit the "
       "sheet; delete it from the sheet afterwards.")


@dataclass(frozen=True)
class Linking:
    """What asking to link a sheet gave: the link, and the code to type into the sheet while it waits for
    it (None once the link is proven)."""
    linked: LinkedSheet
    code: str | None
    created: bool


def fetch(session: Session, client: SheetsClient, sheet: str) -> tuple[SheetRead, GridRead]:
    """The sheet's values and the record read from them (problems kept, not raised). The session's
    transaction is ended first: nothing is held while Google answers, which may take the whole retry budget."""
    session.commit()
    try:
        fetched = client.read(sheet)
        return fetched, read_record(fetched.source)
    except CpdError as exc:
        raise from_core(exc, sheet=True) from None


def _remember(linked: LinkedSheet, read: GridRead | ServiceError) -> None:
    """What the last look at the sheet found: its verdict, or why it could not be read."""
    linked.checked_at = utcnow()
    if isinstance(read, ServiceError):
        linked.verdict = linked.score = None
        linked.error_code, linked.error_message = read.code, read.message
        return
    linked.error_code = linked.error_message = None
    try:
        result = assess(read.require(), read.profile)
        linked.verdict, linked.score = result.verdict, result.score
    except CpdError as exc:
        linked.verdict = linked.score = None
        linked.error_code, linked.error_message = exc.code, str(exc)


def _taken(session: Session, member_id: int, key: str) -> bool:
    return session.scalar(select(LinkedSheet.id).where(LinkedSheet.sheet_key == key, LinkedSheet.member_id != member_id,
                                                       LinkedSheet.verified_at.is_not(None))) is not None


def _elsewhere() -> Conflict:
    return Conflict("sheet_linked_elsewhere", "this sheet is linked to another member's account; a sheet can be "
                    "linked to one account only (ask its owner to unlink it first)")


def _code() -> str:
    pick = lambda: "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4))    # noqa: E731
    return f"CPD-{pick()}-{pick()}"


def link(session: Session, client: SheetsClient, member_id: int, address: str) -> Linking:
    """Ask to link the sheet at ``address`` (it must be shared with the service): a proven link is returned
    as it is; otherwise a new one-time code to type into the sheet, then ``confirm``."""
    fetched, _ = fetch(session, client, address)
    writing(session)
    if _taken(session, member_id, fetched.key):
        raise _elsewhere()
    linked = session.scalar(select(LinkedSheet).where(LinkedSheet.member_id == member_id,
                                                      LinkedSheet.sheet_key == fetched.key))
    created = linked is None
    if linked is None:
        linked = LinkedSheet(public_id="sh_" + secrets.token_urlsafe(9), member_id=member_id,
                             sheet_key=fetched.key, title="(not yet linked)")
        session.add(linked)
    code = None
    if linked.verified_at is None:
        code = _code()
        linked.code_hash, linked.code_expires_at = _hash(code), utcnow() + CODE_TTL
    session.commit()
    return Linking(linked, code, created)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _codes_in(fetched: SheetRead) -> set[str]:
    """Every code-shaped text in the sheet's cells."""
    found = set()
    for block_ in fetched.fetched.get("values") or ():
        for row in block_.get("values") or ():
            for value in row:
                if isinstance(value, str) and "CPD-" in value.upper():
                    found.update(_CODE.findall(value.upper()))
    return found


def confirm(session: Session, client: SheetsClient, member_id: int, linked: LinkedSheet) -> GridRead:
    """Read the sheet and look for the link's code in it: found (and not expired), the link is proven and
    the sheet is read as a linked sheet from then on. Raises Conflict: no code waiting, expired, not found
    in the sheet, or the sheet linked meanwhile by another member."""
    if linked.verified_at is not None:
        return check(session, client, linked)
    if linked.code_hash is None or linked.code_expires_at is None:
        raise Conflict("link_code_missing", "ask to link the sheet again for a new code")
    if aware(linked.code_expires_at) < utcnow():
        raise Conflict("link_code_expired", f"the code was good for {CODE_TTL.seconds // 60} minutes and has "
                       "expired; ask to link the sheet again for a new one")
    fetched, read = fetch(session, client, linked.sheet_key)
    if linked.code_hash not in {_hash(c) for c in _codes_in(fetched)}:
        raise Conflict("link_code_not_found", "the code is not in the sheet yet: type it into any empty cell of "
                       "the Record sheet, then confirm again")
    writing(session)
    if _taken(session, member_id, fetched.key):
        raise _elsewhere()
    linked.verified_at, linked.code_hash, linked.code_expires_at = utcnow(), None, None
    linked.title = fetched.title[:200]
    _remember(linked, read)
    try:
        session.commit()
    except IntegrityError:                      # another member's confirm of the same sheet won the race
        session.rollback()
        raise _elsewhere() from None
    return read



def waiting(linking: Linking) -> dict:
    """What the API and the page say while a link waits for its code."""
    return {**as_dict(linking.linked), "code": linking.code, "how": HOW}


def proven(linked: LinkedSheet) -> LinkedSheet:
    """The link, if it is proven; Conflict (``sheet_not_linked``) while it waits for its code."""
    if linked.verified_at is None:
        raise Conflict("sheet_not_linked", "this sheet's link is not proven yet: type its code into the sheet and "
                       "confirm (or ask to link it again for a new code)")
    return linked


def of(session: Session, member_id: int) -> list[LinkedSheet]:
    """The member's linked sheets, oldest first."""
    return list(session.scalars(select(LinkedSheet).where(LinkedSheet.member_id == member_id)
                                .order_by(LinkedSheet.id)))


def unlink(session: Session, linked: LinkedSheet) -> None:
    """Forget the link (the sheet itself is not touched)."""
    writing(session)
    session.delete(linked)
    session.commit()


def find(session: Session, member_id: int, public_id: str) -> LinkedSheet | None:
    """The member's linked sheet; another member's is as unknown as a missing one."""
    return session.scalar(select(LinkedSheet).where(LinkedSheet.public_id == public_id,
                                                    LinkedSheet.member_id == member_id))


def look(session: Session, client: SheetsClient, linked: LinkedSheet) -> tuple[SheetRead, GridRead]:
    """Read the linked sheet now; the outcome (verdict, or why it could not be read) is kept on the link."""
    proven(linked)
    try:
        fetched, read = fetch(session, client, linked.sheet_key)
    except ServiceError as exc:
        writing(session)
        _remember(linked, exc)
        session.commit()
        raise
    writing(session)
    _remember(linked, read)
    session.commit()
    return fetched, read


def keep(session: Session, linked: LinkedSheet, read: GridRead):
    """Keep the sheet's record as the newest version of the member's record for its period and profile:
    (record, version, created, prepared). Raises the reader's CpdError for a record that cannot be used."""
    proven(linked)
    prep = prepare(read)
    rec, version, created = save_version(session, linked.member_id, prep, linked.id)
    return rec, version, created, prep


def check(session: Session, client: SheetsClient, linked: LinkedSheet) -> GridRead:
    """The linked sheet's record, read now (problems kept, not raised)."""
    return look(session, client, linked)[1]


def submit(session: Session, client: SheetsClient, member: Caller, linked: LinkedSheet, limits: Limits,
           looked: tuple[SheetRead, GridRead] | None = None, prep: Prepared | None = None) -> tuple[Submission, bool]:
    """Pull the sheet's values (unless the caller has just: ``looked``, and perhaps ``prep``ared them), build
    the record and store it as a submission (the same values: the same one)."""
    fetched, read = looked or look(session, client, linked)
    digest = hashlib.sha256(json.dumps(fetched.fetched, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return store(session, member, f"sheet:{digest}", digest, lambda: prep or prepare(read), limits,
                 sheet_id=linked.id)


def as_dict(linked: LinkedSheet) -> dict:
    if linked.verified_at is None:               # nothing of the sheet until the member has proven it
        return {"id": linked.public_id, "key": linked.sheet_key, "state": "awaiting_code",
                "code_expires_at": linked.code_expires_at and iso_utc(linked.code_expires_at)}
    return {"id": linked.public_id, "key": linked.sheet_key, "state": "linked", "title": linked.title,
            "address": f"https://docs.google.com/spreadsheets/d/{linked.sheet_key}/edit",
            "checked_at": linked.checked_at and iso_utc(linked.checked_at), "verdict": linked.verdict,
            "score": linked.score,
            "error": {"code": linked.error_code, "message": linked.error_message} if linked.error_code else None}
