"""A record's pages: the record with its mentors' annotations beside each activity, a new version by upload,
checking and submitting it, its workbook, its report (PDF or a web page), its mentors' notes as CSV,
annotating it, and the member's trends across periods.

The same rules as the API (``store.mentoring``): a record the signed-in account may not see is a 404; a
mentor sees a record but can only annotate it; only its owner checks, submits and grants.
"""
from __future__ import annotations

import csv
import io

from flask import (Blueprint, abort, g, jsonify, make_response, redirect, render_template, request, send_file,
                   url_for)

from addin import (CpdError, Verdict, capture_data, certificate_fields, load_profile, read_workbook, safe_text,
                   trend_chart)

from .. import db, reports
from ..answers import status_of
from ..checking import check_now
from ..context import evidence_max_bytes, evidence_store, notices, sheets_client, submission_limits
from ..errors import BadRequest, Conflict, ServiceError, TooLarge, Unusable, from_core
from ..responses import evidence_download, workbook_download
from ..store import annotations as notes_store
from ..store import evidence as evidence_store_
from ..store import inbox
from ..store.accounts import member_of
from ..store.mentoring import seen, visible
from ..store.records import latest, prepare, record_of, save_version
from ..store.submissions import Caller, from_record
from ..throttle import upload_wait
from .base import signed_in
from .views import dashboard_page, record_page

bp = Blueprint("record", __name__)
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def _visible(record_id: str, owner_only: bool = False):
    return visible(db.session(), g.page_member.id, record_id, owner_only=owner_only)


@bp.get("/records/<record_id>")
@signed_in("read")
def record(record_id: str):
    acc = _visible(record_id)
    seen(db.session(), acc, g.page_member.id)
    return record_page(acc)


@bp.post("/records")
@signed_in("submit")
def upload():
    """Upload a workbook as a new version of its record: checked, kept, and not sent."""
    file = request.files.get("workbook")
    data = file.read() if file else b""
    if not data:
        return dashboard_page(400, record_error={"code": "empty_body", "message": "Choose a workbook file (.xlsx)."})
    try:
        upload_wait(g.page_member.id)
        prep = prepare(read_workbook(data))
    except ServiceError as exc:
        return dashboard_page(status_of(exc), record_error={"code": exc.code, "message": "Too many uploads a minute; "
                                                                                         "try again shortly."})
    except CpdError as exc:
        refused = from_core(exc)
        return dashboard_page(status_of(refused), record_error=refused.to_dict())
    rec, _, _ = save_version(db.session(), g.page_member.id, prep)
    return redirect(url_for("record.record", record_id=rec.public_id))


@bp.post("/records/<record_id>/check")
@signed_in("submit")
def check(record_id: str):
    acc = _visible(record_id)
    try:
        rec, _, prep, pulled = check_now(db.session(), acc.record, acc.owner, sheets_client)
    except ServiceError as exc:
        return record_page(acc, status_of(exc), error=exc.to_dict())
    except CpdError as exc:
        refused = from_core(exc, sheet=acc.record.source == "sheet")
        return record_page(acc, status_of(refused), error=refused.to_dict())
    if prep is None:
        raise Conflict("no_version", "the record has no version yet")
    if pulled:
        return redirect(url_for("record.record", record_id=rec.public_id))
    return record_page(acc, checked=prep.readiness)


@bp.post("/records/<record_id>/submit")
@signed_in("submit")
def submit(record_id: str):
    """Submit the record; one that is not ready only once the member has confirmed."""
    acc = _visible(record_id, owner_only=True)
    version = latest(db.session(), acc.record.id)
    if version is not None and version.verdict == Verdict.NOT_READY and request.form.get("confirm") != "yes":
        return record_page(acc, confirm_submit=True)
    member = g.page_member
    try:
        sub, _ = from_record(db.session(), Caller(member.id, member.public_id), acc.record,
                             submission_limits(member.id))
    except ServiceError as exc:
        return record_page(acc, status_of(exc), error=exc.to_dict())
    return redirect(url_for("member.submission", sub_id=sub.id))


def _add_page(acc, status: int = 200, **shown):
    profile = load_profile(acc.record.profile_id)
    return render_template("add.html", rec=acc.record, profile=profile, statuses=("Draft", "Confirmed"),
                           values=shown.pop("values", {}),
                           **{"error": None, "added": None, "captured": None, **shown}), status


@bp.get("/records/<record_id>/add")
@signed_in("submit")
def add_activity(record_id: str):
    """Add an activity from a phone: the form, made for a narrow screen first."""
    return _add_page(_visible(record_id, owner_only=True))


@bp.post("/records/<record_id>/add")
@signed_in("submit")
def add_activity_post(record_id: str):
    acc = _visible(record_id, owner_only=True)
    values: dict[str, object] = {f: request.form.get(f, "") for f in inbox.FIELDS}
    file = request.files.get("certificate")
    data = file.read(evidence_max_bytes() + 1) if file else b""
    certificate = inbox.Certificate(file.filename or "certificate", data) if file and data else None
    try:
        added = inbox.add(db.session(), evidence_store(), sheets_client() if acc.record.source == "sheet" else None,
                          acc, values, certificate, evidence_max_bytes())
    except ServiceError as exc:
        return _add_page(acc, status_of(exc), error=exc.to_dict(), values=values)
    return _add_page(acc, 201, added=added)


@bp.post("/records/<record_id>/capture")
@signed_in("submit")
def capture(record_id: str):
    """Capture drafts from uploaded calendars (.ics), PDF certificates and badges (``cpd capture``'s reader):
    into the linked sheet at once, or into the inbox for cpd pull. What was left out is said."""
    acc = _visible(record_id, owner_only=True)
    version = latest(db.session(), acc.record.id)
    if version is None:
        abort(404)
    record, profile = record_of(version)
    files = [(f.filename or "file", f.read(evidence_max_bytes() + 1)) for f in request.files.getlist("files")]
    match = [w.strip() for w in request.form.get("match", "").split(",") if w.strip()]
    run = capture_data(files, record, profile, match=match)
    data = dict(files)
    rows, refused = [], []
    for found in run.found:
        cells = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in found.row().items()}
        try:
            cells = inbox.checked(cells, acc.record.profile_id)
        except ServiceError as exc:
            refused.append(f"{found.values.get('title') or found.source}: {exc.message}")
            continue
        name = found.evidence.name if found.evidence is not None else None
        rows.append((cells, inbox.Certificate(name, data[name]) if name in data else None))
    try:
        added = inbox.add_many(db.session(), evidence_store(),
                               sheets_client() if acc.record.source == "sheet" else None, acc, rows,
                               evidence_max_bytes()) if rows else []
    except ServiceError as exc:
        return _add_page(acc, status_of(exc), error=exc.to_dict())
    said = {"captured": len(added), "where": added[0].where if added else None, "left_out": dict(run.left_out),
            "refused": refused + [e.message for e in run.unread]}
    return _add_page(acc, 201 if added else 200, captured=said)


@bp.post("/records/<record_id>/add/certificate")
@signed_in("submit")
def read_certificate(record_id: str):
    """What a certificate states, for the form to be filled from (JSON); nothing is kept."""
    acc = _visible(record_id, owner_only=True)
    file = request.files.get("certificate")
    data = file.read(evidence_max_bytes() + 1) if file else b""
    if not data:
        raise BadRequest("empty_body", "send the certificate (a PDF, or a badge)")
    if len(data) > evidence_max_bytes():
        raise TooLarge("evidence_too_large", f"a certificate may be at most {evidence_max_bytes():,} bytes")
    try:
        found = certificate_fields(data, (file.filename if file else None) or "certificate",
                                   load_profile(acc.record.profile_id))
    except CpdError as exc:
        if exc.code == "capture_unsupported":          # a photo: nothing to read, but it is kept when sent
            raise Unusable(exc.code, "the text of a photo cannot be read here (no OCR is attempted): fill in the "
                           "form, and the photo is kept as the activity's evidence when you add it") from None
        raise Unusable(exc.code, exc.message) from None
    values = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in found.values.items()
              if v not in (None, "", ())}
    return jsonify(values=values, missing=found.missing, notes=found.notes)


@bp.get("/records/<record_id>/evidence/<evidence_id>")
@signed_in("read")
def evidence(record_id: str, evidence_id: str):
    """An evidence file, for the owner and live mentors (a mentor's download is in the owner's audit trail)."""
    acc = _visible(record_id)
    found = evidence_store_.fetch(db.session(), evidence_store(), acc, g.page_member.id, evidence_id)
    return evidence_download(found.evidence.kind, found.evidence.filename, found.data)


@bp.get("/records/<record_id>/workbook")
@signed_in("read")
def workbook(record_id: str):
    acc = _visible(record_id)
    data = notes_store.workbook(db.session(), acc, g.page_member.id)
    if data is None:
        abort(404)
    return workbook_download(acc, data)


@bp.get("/records/<record_id>/audit-pack.pdf")
@signed_in("read")
def audit_pack(record_id: str):
    """The audit pack for the record's body, with its evidence files (owner and live mentors)."""
    acc = _visible(record_id)
    try:
        made = reports.audit_pack(db.session(), evidence_store(), acc, g.page_member.id)
    except CpdError as exc:
        raise Unusable(exc.code, exc.message) from None
    if made is None:
        abort(404)
    pdf, body = made
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"cpd-audit-pack-{body.lower().replace(' ', '-')}-{acc.record.public_id}.pdf")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response


@bp.get("/records/<record_id>/report.<fmt>")
@signed_in("read")
def report(record_id: str, fmt: str):
    """The record report a reviewer reads (PDF or HTML); ?audience=summary for a manager."""
    if fmt not in ("pdf", "html"):
        abort(404)
    audience = request.args.get("audience", "full")
    if audience not in ("full", "summary"):
        abort(400, description="audience must be full or summary")
    acc = _visible(record_id)
    try:
        data = reports.record_report(db.session(), acc, g.page_member.id, fmt, audience)
    except CpdError as exc:
        abort(503, description=exc.message)
    if data is None:
        abort(404)
    name = f"cpd-report-{acc.record.public_id}{'-summary' if audience == 'summary' else ''}.{fmt}"
    mimetype = "application/pdf" if fmt == "pdf" else "text/html"
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=fmt == "pdf", download_name=name)
    # the report page is self-contained: its own stylesheet and charts, no script, nothing fetched
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response


@bp.get("/trends")
@signed_in("read")
def trends_page():
    """The member's own records across periods: hours against the target, the mix, competences, objectives."""
    found = reports.member_trends(db.session(), g.page_member.id)
    return render_template("trends.html", found=found)


@bp.get("/trends/<profile_id>.svg")
@signed_in("read")
def trend_chart_svg(profile_id: str):
    """The trend chart as an SVG image (an image: the page's CSP is untouched by its markup)."""
    found = reports.member_trends(db.session(), g.page_member.id, profile_id).get(profile_id)
    if found is None or not found.periods:
        abort(404)
    svg = '<?xml version="1.0" encoding="utf-8"?>\n' + trend_chart(found.periods)
    response = make_response(svg)
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response


@bp.get("/records/<record_id>/notes.csv")
@signed_in("read")
def notes_csv(record_id: str):
    """The record's annotations as CSV, safe to open in a spreadsheet (text never runs as a formula)."""
    acc = _visible(record_id)
    seen(db.session(), acc, g.page_member.id, "downloaded")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Activity row", "Objective", "Mentor", "Written at (UTC)", "Verified", "Comment"])
    for a in notes_store.of(db.session(), acc.record):
        d = notes_store.annotation_dict(a)
        writer.writerow([d["activity_row"] or "", safe_text(d["objective"] or ""), safe_text(d["author"]),
                         d["created_at"], "yes" if d["verified"] else "", safe_text(d["comment"] or "")])
    return send_file(io.BytesIO(out.getvalue().encode("utf-8-sig")), mimetype="text/csv", as_attachment=True,
                     download_name=f"mentor-notes-{acc.record.public_id}.csv")


def _annotated(record_id: str, change, typed: dict | None = None):
    """A change to a record's notes from its page (a mentor's note, the owner's reply), with what follows it
    queued, in one transaction; refused, the page comes back with the error and what was typed."""
    s = db.write_session()
    acc = _visible(record_id)
    try:
        verified, commented, anchor = change(s, acc)
    except ServiceError as exc:
        s.rollback()
        return record_page(acc, status_of(exc), error=exc.to_dict(), typed=typed)
    notes_store.follow_up(s, acc, member_of(s, g.page_member.id), verified, commented, notices())
    s.commit()
    return redirect(url_for("record.record", record_id=record_id) + anchor)


@bp.post("/records/<record_id>/annotations")
@signed_in("submit")
def annotate(record_id: str):
    form = request.form
    target = form.get("target", "")
    body: dict = {"comment": form.get("comment", ""), "verified": form.get("verified") == "on"}
    if target.startswith("row:") and target[4:].isdigit():
        body["activity_row"] = int(target[4:])
    elif target.startswith("objective:"):
        body["objective"] = target[len("objective:"):]

    def add(s, acc):
        ann = notes_store.add(s, acc, g.page_member.id, body)
        return ann.verified, bool(ann.comment), f"#row-{ann.activity_row}" if ann.activity_row is not None else ""
    return _annotated(record_id, add, {"target": target, "comment": body["comment"]})


@bp.post("/records/<record_id>/annotations/<annotation_id>/reply")
@signed_in("submit")
def reply(record_id: str, annotation_id: str):
    """The record's owner answering a mentor's comment."""
    text = request.form.get("comment", "")

    def answer(s, acc):
        ann = notes_store.reply(s, acc, g.page_member.id, annotation_id, text)
        return False, False, f"#{ann.public_id}"
    return _annotated(record_id, answer, {"reply_to": annotation_id, "comment": text})


@bp.post("/records/<record_id>/annotations/<annotation_id>/delete")
@signed_in("submit")
def unannotate(record_id: str, annotation_id: str):
    def remove(s, acc):
        if not notes_store.remove(s, acc, g.page_member.id, annotation_id):
            abort(404)
        return False, False, ""
    return _annotated(record_id, remove)
