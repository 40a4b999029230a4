"""Reports in the service: a record's report as PDF or HTML (with its mentors' annotations), and a
member's trends across the periods of their records. The core makes both (``addin.record_report``,
``addin.trends``); this module finds the versions and the annotations."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from addin import (CpdError, across_periods, assess, fit_pdf, kept_file, period_figures, report_data,
                   report_html)
from addin import audit_pack as make_pack

from .blobs import BlobError, EvidenceStore
from .store import annotations as notes_store
from .store.evidence import of as evidence_of
from .store.mentoring import Access, seen
from .store.models import CpdRecord
from .store.records import latest, record_of


def record_report(session: Session, acc: Access, actor_id: int, fmt: str, audience: str) -> bytes | None:
    """The record's newest version as a report (None with no version yet); a mentor's download is in the
    member's audit trail."""
    version = latest(session, acc.record.id)
    if version is None:
        return None
    record, profile = record_of(version)
    data = report_data(record, profile, assess(record, profile), audience=audience,
                       annotations=notes_store.notes(notes_store.of(session, acc.record)))
    seen(session, acc, actor_id, "downloaded")
    session.commit()                  # nothing is drawn inside a transaction
    if fmt == "html":
        return report_html(data).encode("utf-8")
    pdf, _ = fit_pdf(data, None)
    return pdf


def audit_pack(session: Session, store: EvidenceStore, acc: Access, actor_id: int) -> tuple[bytes, str] | None:
    """The record's audit pack for its body (``cpd audit-pack``'s), with the evidence the service keeps (None
    with no version yet); a mentor's download is in the member's audit trail. CpdError when the body
    refuses it (ICE without a job summary)."""
    version = latest(session, acc.record.id)
    if version is None:
        return None
    record, profile = record_of(version)
    result = assess(record, profile)
    data = report_data(record, profile, result, annotations=notes_store.notes(notes_store.of(session, acc.record)))
    titles = {a.row: a.title or "(no title)" for a in record.activities}
    kept = [(e.activity_row, e.filename, e.digest) for e in evidence_of(session, acc) if e.activity_row in titles]
    seen(session, acc, actor_id, "downloaded")
    session.commit()                  # nothing is fetched or drawn inside a transaction
    files = []
    for row, name, digest in kept:
        try:
            content = store.get(digest)
        except BlobError:
            content = None
        files.append(kept_file(row, titles[row], name, digest, content))
    pdf, _, _ = make_pack(files, record, profile, result, data)
    return pdf, profile.short_name


def member_trends(session: Session, member_id: int, profile_id: str | None = None) -> dict:
    """profile id -> Trends over the member's own records for it (each record's newest version, scored
    with the rules as they are now); only that profile's with ``profile_id``."""
    figures = defaultdict(list)
    query = select(CpdRecord).where(CpdRecord.member_id == member_id).order_by(CpdRecord.period_start)
    if profile_id is not None:
        query = query.where(CpdRecord.profile_id == profile_id)
    for rec in session.scalars(query):
        version = latest(session, rec.id)
        if version is None:
            continue
        try:
            record, profile = record_of(version)
        except CpdError:
            continue                  # a version the rules of today cannot read: left out of the trend
        figures[profile.id].append(period_figures(record, profile, assess(record, profile)))
    return {pid: across_periods(found) for pid, found in figures.items()}
