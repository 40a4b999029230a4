"""Activities added from a phone (the record's "Add an activity" page): checked by the core's own intake,
then written where the record lives. A linked Google Sheet gets the row at once (the next row under its
activity table, RAW values in one request: a date as a date, text as text). A workbook record keeps it in
its inbox until ``cpd pull`` writes it into the workbook and takes it (each item has an id, written into
the row's Notes, so pulling again adds nothing). A certificate sent with it is kept in the evidence store,
named by its SHA-256, and becomes the activity's evidence.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from addin import CpdError, check_activity, load_profile, read_record

from ..blobs import EvidenceStore
from ..errors import NotFound, Unusable
from .database import writing
from .evidence import drop_unreferenced, owned, put, safe_filename, stored, vetted
from .mentoring import Access, audit
from .models import Evidence, InboxItem
from .records import activity_key
from .sheets import fetch

FIELDS = ("start_date", "end_date", "title", "provider", "location", "instructor", "hours", "category", "topics",
          "reflection", "further_action", "status")
EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class Certificate:
    name: str
    data: bytes


@dataclass(frozen=True)
class Added:
    where: str                        # "sheet" (written at once) or "inbox" (waiting for cpd pull)
    row: int | None = None            # the sheet row written
    item: InboxItem | None = None


def checked(values: Mapping[str, object], profile_id: str) -> dict[str, object]:
    """The form's values checked by the core's intake (as a workbook row is), as the template holds them
    (Unusable naming each problem)."""
    cells = {f: (str(values[f]).strip() if isinstance(values.get(f), str) else values[f]) for f in FIELDS
             if values.get(f) not in (None, "")}
    if "hours" in cells:
        try:
            cells["hours"] = float(str(cells["hours"]).replace(",", "."))
        except ValueError:
            pass                      # the intake names it
    problems = check_activity(cells, load_profile(profile_id))
    if problems:
        raise Unusable("invalid_activity", "; ".join(f"{p.field.replace('_', ' ') if p.field else ''}: {p.message}"
                                                     for p in problems),
                       problems=[{"code": p.code, "field": p.field, "message": p.message} for p in problems])
    return cells


def _kept(store: EvidenceStore, certificate: Certificate | None, max_bytes: int) -> tuple[str, str] | None:
    """The certificate put in the evidence store: (digest, kind)."""
    if certificate is None or not certificate.data:
        return None
    digest, kind = vetted(certificate.data, max_bytes, "certificate")
    put(store, digest, certificate.data)
    return digest, kind


def _sheet_value(value: object, field: str) -> object:
    """A value as the sheet keeps it, RAW: dates as their serial numbers (the column shows them as dates)."""
    if field in ("start_date", "end_date") and isinstance(value, str):
        return (date.fromisoformat(value) - EXCEL_EPOCH).days
    return value


def add(session: Session, store: EvidenceStore, client, acc: Access, values: Mapping[str, object],
        certificate: Certificate | None, max_bytes: int) -> Added:
    """Add an activity to the owner's record: into its linked sheet at once, or into its inbox. Committed."""
    return add_many(session, store, client, acc, [(checked(values, acc.record.profile_id), certificate)],
                    max_bytes)[0]


def add_many(session: Session, store: EvidenceStore, client, acc: Access,
             rows: list[tuple[dict[str, object], Certificate | None]], max_bytes: int) -> list[Added]:
    """Add checked activities (``checked``) to the owner's record: into its linked sheet at once (every row in
    one request), or each into its inbox. Committed."""
    rec = acc.record
    kept = [_kept(store, certificate, max_bytes) for _, certificate in rows]
    added: list[Added] = []
    if rec.source == "sheet" and rec.sheet is not None:
        written = _write_rows(session, client, rec, [cells for cells, _ in rows])   # Google first: no lock held
        writing(session)
        for (cells, certificate), row, k in zip(rows, written, kept):
            if k is not None and certificate is not None:
                session.add(Evidence(public_id="ev_" + secrets.token_urlsafe(9), record_id=rec.id, activity_row=row,
                                     activity_key=activity_key(cells["start_date"], cells.get("title")),
                                     digest=k[0], kind=k[1], size=len(certificate.data),
                                     filename=safe_filename(certificate.name, k[1])))
            added.append(Added("sheet", row=row))
    else:
        writing(session)
        for (cells, certificate), k in zip(rows, kept):
            item = InboxItem(public_id="in_" + secrets.token_urlsafe(9), record_id=rec.id, cells=json.dumps(cells),
                             evidence_digest=k[0] if k else None, evidence_kind=k[1] if k else None,
                             evidence_name=certificate.name if certificate and k else None)
            session.add(item)
            added.append(Added("inbox", item=item))
    audit(session, rec.member_id, "activity_added", actor_id=rec.member_id, record_id=rec.id)
    session.commit()
    return added


def _write_rows(session: Session, client, rec, rows: list[dict[str, object]]) -> list[int]:
    """Write activities into the next rows of the linked sheet's activity table, in one request."""
    fetched, _ = fetch(session, client, rec.sheet.sheet_key)
    try:
        read = read_record(fetched.source)
    except CpdError as exc:
        raise Unusable(exc.code, exc.message) from None
    if read.header_row is None:
        raise Unusable("no_activity_table", "the linked sheet has no activity table to add to")
    grid = fetched.source.table(read.sheet)
    used = max((r for r, row in enumerate(grid, 1) if any(v not in ("", None) for v in row)), default=read.header_row)
    first = max(used, read.header_row) + 1
    values: dict[str, object] = {}
    for row, cells in enumerate(rows, first):
        for f, v in cells.items():
            ref = read.cells.cell(row, f)
            if ref is not None:
                values[ref] = _sheet_value(v, f)
        missing = sorted(set(cells) - set(read.cells.columns) - {"status"})
        notes = read.cells.cell(row, "description")
        if missing and notes is not None:           # what the sheet has no column for: in its Notes
            said = "; ".join(f"{f.replace('_', ' ')}: {cells[f]}" for f in missing)
            values[notes] = f"{cells.get('description') or 'added from a phone'}; {said}"
    client.write_values(fetched, read.sheet, values)
    return list(range(first, first + len(rows)))


def pending(session: Session, acc: Access) -> list[InboxItem]:
    return list(session.scalars(select(InboxItem).where(InboxItem.record_id == acc.record.id).order_by(InboxItem.id)))


def item_dict(item: InboxItem) -> dict:
    evidence = ({"sha256": item.evidence_digest, "kind": item.evidence_kind, "filename": item.evidence_name}
                if item.evidence_digest else None)
    return {"id": item.public_id, "cells": json.loads(item.cells), "evidence": evidence}


def _one(session: Session, acc: Access, public_id: str) -> InboxItem:
    return owned(session, InboxItem, acc, public_id, "no such activity in the record's inbox")


def certificate_of(session: Session, store: EvidenceStore, acc: Access, public_id: str) -> tuple[InboxItem, bytes]:
    item = _one(session, acc, public_id)
    if not item.evidence_digest:
        raise NotFound("not_found", "this activity came without a certificate")
    return item, stored(store, item.evidence_digest)


def take(session: Session, store: EvidenceStore, acc: Access, public_id: str, row: int | None = None) -> None:
    """Take an item out of the inbox once it is written (by ``cpd pull`` into a workbook, which keeps its
    certificate itself; or by the Sheets menu on sheet ``row``: its certificate, kept here, becomes that
    activity's evidence). Committed."""
    item = _one(session, acc, public_id)
    writing(session)
    digest = item.evidence_digest
    if digest and row is not None:
        cells = json.loads(item.cells)
        session.add(Evidence(public_id="ev_" + secrets.token_urlsafe(9), record_id=acc.record.id, activity_row=row,
                             activity_key=activity_key(cells.get("start_date"), cells.get("title")), digest=digest,
                             kind=item.evidence_kind or "pdf", size=0,
                             filename=safe_filename(item.evidence_name, item.evidence_kind or "pdf")))
    session.delete(item)
    session.commit()
    if digest:
        drop_unreferenced(session, store, {digest})


def sheet_rows(items: list[InboxItem], columns: Mapping[str, int],
               written: str) -> tuple[list[list[object]], list[str]]:
    """The inbox's items laid out as rows of a sheet whose activity table has ``columns`` (field -> 0-based
    column), for its own script to write: dates as {"$date": ISO}, the item's id in the Notes, a certificate
    named in the Evidence cell; and the ids written. Items whose id ``written`` (the sheet's Notes) holds
    already are taken again without a second row."""
    width = max(columns.values(), default=0) + 1
    rows, ids = [], []
    for item in items:
        ids.append(item.public_id)
        if item.public_id in written:
            continue
        cells = dict(json.loads(item.cells))
        cells["description"] = f"added from your phone ({item.public_id})"
        if item.evidence_name:
            cells["evidence"] = f"{item.evidence_name} (kept on your CPD service)"
        row: list[object] = [""] * width
        for f, v in cells.items():
            if f in columns:
                row[columns[f]] = {"$date": v} if f in ("start_date", "end_date") and isinstance(v, str) else v
        rows.append(row)
    return rows, ids
