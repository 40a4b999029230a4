"""Mentors' annotations: a comment and/or a verification against an activity, a plan objective or the
record as a whole. Mentors write them; nobody changes the member's entries with them.

Where a record is kept in a linked Google Sheet, its annotations are written into the sheet after
each change: every comment as a cell note on the activity's row (its Mentor comment cell, or its
title cell where the sheet has no such column), in one ``spreadsheets.batchUpdate``, and each
verification in the Verified by / Verified on columns, as RAW values. A sheet that cannot be
written to does not lose the annotation: the record keeps why, and the member's page shows it.
"""
from __future__ import annotations

import io
import secrets
from collections import defaultdict
from dataclasses import replace

from flask import send_file

from sqlalchemy import select
from sqlalchemy.orm import Session

from addin import XLSX_CONTENT_TYPE, CpdError, note_field, note_text, read_record, values_workbook, verification

from . import db, notify
from .mentoring import Access, audit
from .models import Annotation, CpdRecord, Member
from .records import (FORMER_MENTOR, annotations_of, keys_by_row, latest, notes, reassess, rows_by_key,
                      snapshot)

MAX_COMMENT = 4000               # characters in one comment


class AnnotationRefused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def of(session: Session, record: CpdRecord) -> list[Annotation]:
    return annotations_of(session, record.id)


def _target(session: Session, record: CpdRecord, body: dict) -> tuple[int | None, str | None, str | None]:
    """(activity row, objective ref, activity key) the annotation is against, checked against the record's
    newest version."""
    row, ref = body.get("activity_row"), body.get("objective")
    if row is not None and ref is not None:
        raise AnnotationRefused(400, "bad_target", "annotate an activity_row or an objective, not both")
    data = snapshot(session, record).data
    if row is not None:
        if not isinstance(row, int) or isinstance(row, bool):
            raise AnnotationRefused(400, "bad_target", "activity_row must be the activity's row number")
        keys = keys_by_row(data)
        if row not in keys:
            raise AnnotationRefused(422, "no_such_activity", f"the record has no activity on row {row}")
        return row, None, keys[row]
    if ref is not None:
        refs = {r[0] for r in data["objectives"]["rows"]}
        if not isinstance(ref, str) or ref not in refs:
            raise AnnotationRefused(422, "no_such_objective", f"the record's plan has no objective {str(ref)[:40]!r}")
        return None, ref, None
    return None, None, None


def add(session: Session, acc: Access, author_id: int, body) -> Annotation:
    """A mentor's annotation on the record they were granted (inside the caller's transaction)."""
    if acc.owner:
        raise AnnotationRefused(403, "owner_cannot_annotate", "annotations are your mentors'; your own notes go in "
                                "your record")
    if not isinstance(body, dict):
        raise AnnotationRefused(400, "bad_request", 'send JSON like {"activity_row": 12, "comment": "...", '
                                '"verified": true}')
    comment, verified = body.get("comment"), body.get("verified", False)
    if comment is not None and not isinstance(comment, str):
        raise AnnotationRefused(400, "bad_comment", "comment must be text")
    comment = (comment or "").replace("\0", "").strip() or None
    if comment and len(comment) > MAX_COMMENT:
        raise AnnotationRefused(422, "comment_too_long", f"a comment may be at most {MAX_COMMENT:,} characters; "
                                f"this one has {len(comment):,}")
    if not isinstance(verified, bool):
        raise AnnotationRefused(400, "bad_verified", "verified must be true or false")
    row, ref, key = _target(session, acc.record, body)
    if verified and row is None:
        raise AnnotationRefused(422, "verify_activity_only", "only an activity can be verified: give its activity_row")
    if not comment and not verified:
        raise AnnotationRefused(400, "empty_annotation", "write a comment, or verify the activity, or both")
    ann = Annotation(public_id="an_" + secrets.token_urlsafe(9), record_id=acc.record.id, author_id=author_id,
                     activity_row=row, activity_key=key, objective=ref, comment=comment, verified=verified)
    session.add(ann)
    session.flush()
    audit(session, acc.record.member_id, "verified" if verified else "commented", actor_id=author_id,
          grant_id=acc.grant.id if acc.grant else None, record_id=acc.record.id)
    return ann


def remove(session: Session, acc: Access, author_id: int, public_id: str) -> bool:
    """Delete the author's own annotation (False if the record has no such annotation by them)."""
    ann = session.scalar(select(Annotation).where(Annotation.public_id == public_id,
                                                  Annotation.record_id == acc.record.id,
                                                  Annotation.author_id == author_id))
    if ann is None:
        return False
    session.delete(ann)
    audit(session, acc.record.member_id, "removed", actor_id=author_id,
          grant_id=acc.grant.id if acc.grant else None, record_id=acc.record.id)
    return True


def sheet_changes(read, all_notes, written_by: set[str]) -> tuple[dict[str, str], dict[str, object]]:
    """The cell notes and verification values that put ``all_notes`` into a sheet read as ``read`` (a
    GridRead). Rows whose verification was removed are cleared only where the sheet still shows the
    name the service wrote (``written_by``): a member's own entry is never touched."""
    cells = read.cells
    rows = {a.row: a for a in read.record.activities} if read.record else {}
    field = note_field(cells.columns)
    by_row = defaultdict(list)
    for n in all_notes:
        if n.activity_row is not None:
            by_row[n.activity_row].append(n)
    note_cells, values = {}, {}
    for r, activity in rows.items():
        ref = cells.cell(r, field)
        if ref is None:
            continue
        here = by_row.get(r, [])
        if here:
            note_cells[ref] = note_text(here)
        elif field == "mentor_comment":
            note_cells[ref] = ""                  # the column is the mentors': clear what was there
        checked = verification(here)
        by_cell, on_cell = cells.cell(r, "verified_by"), cells.cell(r, "verified_on")
        if checked is not None and by_cell:
            values[by_cell] = checked.author
            if on_cell:
                values[on_cell] = checked.written_at.date().isoformat()
        elif checked is None and by_cell and activity.verified_by and activity.verified_by in written_by:
            values[by_cell] = ""
            if on_cell:
                values[on_cell] = ""
    return note_cells, values


def push_to_sheet(session: Session, record: CpdRecord, actor: str | None = None) -> str | None:
    """Write the record's annotations into its linked sheet; the reason it could not, or None. ``actor``
    names the mentor who just changed them (whose removed verification is cleared from the sheet)."""
    if record.source != "sheet" or record.sheet is None or record.sheet.verified_at is None:
        return None                       # only a sheet its member has proven is ever written into
    from .sheets.linked import client
    all_annotations = of(session, record)
    session.commit()                      # no database lock while Google answers
    try:
        cl = client()
        fetched = cl.read(record.sheet.sheet_key)
        read = read_record(fetched.source)
        placed = notes(all_annotations)
        if read.record is not None:           # rows inserted or deleted in the sheet since: follow the activities
            keys = rows_by_key(read.record)
            placed = [replace(n, activity_row=keys[a.activity_key]) if a.activity_key in keys else n
                      for a, n in zip(all_annotations, placed)]
        written_by = {n.author for n in placed} | {FORMER_MENTOR} | ({actor} if actor else set())
        note_cells, values = sheet_changes(read, placed, written_by)
        cl.write_notes(fetched, read.sheet, note_cells, values)
        error = None
    except CpdError as exc:
        error = f"{exc.code}: {exc.message}"
    db.writing(session)
    record.sheet_error = error
    session.commit()
    return error


def announce(session: Session, acc: Access, mentor: Member, verified: bool, commented: bool) -> dict:
    """After a mentor's change: e-mail the member (when mail is set up) and write the record's linked sheet."""
    out = {}
    if verified or commented:
        owner = session.get(Member, acc.record.member_id)
        session.commit()                      # no transaction open while mail goes
        out["notified"] = notify.annotated(owner.email, mentor.shown_name, f"/records/{acc.record.public_id}",
                                           verified, commented)
    if acc.record.source == "sheet":
        error = push_to_sheet(session, acc.record, mentor.shown_name)
        out["sheet"] = {"written": error is None, "error": error}
    return out


def workbook(session: Session, acc: Access, actor_id: int) -> bytes | None:
    """The record's newest version as a values-only workbook with its annotations (None with no version);
    a mentor's download goes in the member's audit trail."""
    version = latest(session, acc.record.id)
    if version is None:
        return None
    prep = reassess(version)
    data = values_workbook(prep.record, prep.profile, notes(of(session, acc.record)))
    seen(session, acc, actor_id, "downloaded")
    return data


def download(record: CpdRecord, data: bytes):
    """The workbook as a file download (the API and the page send the same)."""
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"cpd-record-{record.public_id}.xlsx",
                     mimetype=XLSX_CONTENT_TYPE)


def seen(session: Session, acc: Access, actor_id: int, action: str = "viewed") -> None:
    """A mentor's access, in the member's audit trail (the owner's own is not)."""
    if not acc.owner:
        db.writing(session)
        audit(session, acc.record.member_id, action, actor_id=actor_id, grant_id=acc.grant.id,
              record_id=acc.record.id)
        session.commit()
