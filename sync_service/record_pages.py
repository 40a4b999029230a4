"""The record pages: a member's record with its mentors' annotations beside each activity, the mentor's
view of the records they were granted, granting and revoking mentors, invitations, the audit trail.

The same rules as the API (``mentoring``): a record the signed-in account may not see is a 404;
a mentor sees a record but can only annotate it; only its owner checks, submits and grants.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, send_file, url_for

from addin import CpdError, read_workbook, rows_as_dicts, safe_text, trend_chart

from . import annotation_store as notes_store
from . import db, mentoring, reports
from .accounts import issue_token, live_token
from .models import Member
from .pages import dashboard_page, signed_in, start_session
from .records import annotation_dict, check_now, latest, prepare, save_version, snapshot, upload_wait
from .submissions import Refused, from_record, refusal

bp = Blueprint("record_pages", __name__)


def _visible(record_id: str, owner_only: bool = False) -> mentoring.Access:
    acc = mentoring.access(db.session(), g.page_member.id, record_id)
    if acc is None:
        abort(404)
    if owner_only and not acc.owner:
        abort(403, description="Only the record's owner can do this.")
    return acc


def record_page(acc: mentoring.Access, status: int = 200, **shown):
    s = db.session()
    rec = acc.record
    snap = snapshot(s, rec)
    anns = [annotation_dict(a) | {"mine": a.author_id == g.page_member.id} for a in notes_store.of(s, rec)]
    by_row, by_ref, general = {}, {}, []
    for a in anns:
        if a["activity_row"] is not None:
            by_row.setdefault(a["activity_row"], []).append(a)
        elif a["objective"]:
            by_ref.setdefault(a["objective"], []).append(a)
        else:
            general.append(a)
    grants = ([x for x in mentoring.grants_of(s, g.page_member.id) if x.record_id in (None, rec.id)]
              if acc.owner else [])
    owner = s.get(Member, rec.member_id)
    shown = {"error": None, "invitation": None, "confirm_submit": False, **shown}
    return render_template("record.html", acc=acc, rec=rec, version=snap.version, r=snap.readiness,
                           member_data=snap.data.get("member") or {}, objectives=rows_as_dicts(snap.data["objectives"]),
                           activities=rows_as_dicts(snap.data["activities"]), by_row=by_row, by_ref=by_ref,
                           general=general, grants=grants, state=mentoring.grant_state, owner=owner,
                           **shown), status


@bp.get("/records/<record_id>")
@signed_in("read")
def record(record_id: str):
    acc = _visible(record_id)
    notes_store.seen(db.session(), acc, g.page_member.id)
    return record_page(acc)


@bp.post("/records")
@signed_in("submit")
def upload():
    """Upload a workbook as a new version of its record: checked, kept, and not sent."""
    file = request.files.get("workbook")
    data = file.read() if file else b""
    if not data:
        return dashboard_page(400, error={"code": "empty_body", "message": "Choose a workbook file (.xlsx)."})
    if upload_wait(g.page_member.id):
        return dashboard_page(429, error={"code": "rate_limited", "message": "Too many uploads a minute; try again "
                                                                               "shortly."})
    try:
        prep = prepare(read_workbook(data))
    except CpdError as exc:
        return dashboard_page(refusal(exc).status, error=refusal(exc).body)
    rec, _, _ = save_version(db.session(), g.page_member.id, prep)
    return redirect(url_for("record_pages.record", record_id=rec.public_id))


@bp.post("/records/<record_id>/check")
@signed_in("read")
def check(record_id: str):
    acc = _visible(record_id)
    try:
        rec, _, prep, pulled = check_now(acc.record, pull=acc.owner)
    except Refused as exc:
        return record_page(acc, exc.status, error=exc.body)
    except CpdError as exc:
        return record_page(acc, refusal(exc).status, error=refusal(exc).body)
    if prep is None:
        abort(409)
    if pulled:
        return redirect(url_for("record_pages.record", record_id=rec.public_id))
    return record_page(acc, checked=prep.readiness)


def ask_first(prep):
    """The record page asking to confirm before an uploaded workbook that is not ready goes: it is kept as
    the newest version of its record, and nothing is sent."""
    s = db.session()
    rec, _, _ = save_version(s, g.page_member.id, prep)
    return record_page(mentoring.Access(rec, "owner"), confirm_submit=True)


@bp.post("/records/<record_id>/submit")
@signed_in("submit")
def submit(record_id: str):
    """Submit the record; one that is not ready only once the member has confirmed."""
    acc = _visible(record_id, owner_only=True)
    version = latest(db.session(), acc.record.id)
    if version is not None and version.verdict == "not_ready" and request.form.get("confirm") != "yes":
        return record_page(acc, confirm_submit=True)
    try:
        sub, _ = from_record(g.page_member, acc.record)
    except Refused as exc:
        return record_page(acc, exc.status, error=exc.body)
    return redirect(url_for("pages.submission", sub_id=sub.id))


@bp.get("/records/<record_id>/workbook")
@signed_in("read")
def workbook(record_id: str):
    acc = _visible(record_id)
    data = notes_store.workbook(db.session(), acc, g.page_member.id)
    if data is None:
        abort(404)
    return notes_store.download(acc.record, data)


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


REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


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
    notes_store.seen(db.session(), acc, g.page_member.id, "downloaded")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Activity row", "Objective", "Mentor", "Written at (UTC)", "Verified", "Comment"])
    for a in notes_store.of(db.session(), acc.record):
        d = annotation_dict(a)
        writer.writerow([d["activity_row"] or "", safe_text(d["objective"] or ""), safe_text(d["author"]), d["created_at"],
                         "yes" if d["verified"] else "", safe_text(d["comment"] or "")])
    return send_file(io.BytesIO(out.getvalue().encode("utf-8-sig")), mimetype="text/csv", as_attachment=True,
                     download_name=f"mentor-notes-{acc.record.public_id}.csv")


@bp.post("/records/<record_id>/annotations")
@signed_in("submit")
def annotate(record_id: str):
    db.write_session()                    # the access check and the annotation in one transaction
    acc = _visible(record_id)
    form = request.form
    target = form.get("target", "")
    body: dict = {"comment": form.get("comment", ""), "verified": form.get("verified") == "on"}
    if target.startswith("row:") and target[4:].isdigit():
        body["activity_row"] = int(target[4:])
    elif target.startswith("objective:"):
        body["objective"] = target[len("objective:"):]
    s = db.session()
    try:
        ann = notes_store.add(s, acc, g.page_member.id, body)
    except notes_store.AnnotationRefused as exc:
        s.rollback()
        return record_page(acc, exc.status, error={"code": exc.code, "message": exc.message})
    s.commit()
    notes_store.announce(s, acc, g.page_member, ann.verified, bool(ann.comment))
    anchor = f"#row-{ann.activity_row}" if ann.activity_row is not None else ""
    return redirect(url_for("record_pages.record", record_id=record_id) + anchor)


@bp.post("/records/<record_id>/annotations/<annotation_id>/delete")
@signed_in("submit")
def unannotate(record_id: str, annotation_id: str):
    db.write_session()
    acc = _visible(record_id)
    s = db.session()
    if not notes_store.remove(s, acc, g.page_member.id, annotation_id):
        abort(404)
    s.commit()
    notes_store.announce(s, acc, g.page_member, False, False)
    return redirect(url_for("record_pages.record", record_id=record_id))


@bp.post("/mentors")
@signed_in("submit")
def grant():
    """Grant a mentor one record or all the member's records (the form's ``record``: a record id or "all")."""
    s = db.session()
    record_id = request.form.get("record") or "all"
    acc = None
    if record_id != "all":
        acc = _visible(record_id, owner_only=True)
    try:
        shared = mentoring.share(s, g.page_member, request.form.get("email", ""), acc.record if acc else None,
                                 request.form.get("expires"))
    except mentoring.GrantRefused as exc:
        s.rollback()
        error = {"code": exc.code, "message": exc.message}
        return record_page(acc, exc.status, error=error) if acc else dashboard_page(exc.status, mentor_error=error)
    invitation = ({"email": shared.grant.email, "url": shared.invitation_url} if shared.invitation_url else None)
    return record_page(acc, invitation=invitation) if acc else dashboard_page(invitation=invitation)


@bp.post("/mentors/<grant_id>/revoke")
@signed_in("submit")
def revoke(grant_id: str):
    s = db.write_session()
    row = mentoring.revoke(s, g.page_member, grant_id)
    if row is None:
        abort(404)
    s.commit()
    back = request.form.get("back", "")
    if back.startswith("rec_"):
        return redirect(url_for("record_pages.record", record_id=back))
    return redirect(url_for("pages.dashboard") + "#mentors")


@bp.get("/mentees")
@signed_in("read")
def mentees():
    s = db.session()
    found = [(m, [(r, latest(s, r.id)) for r in recs]) for m, recs in mentoring.mentees(s, g.page_member.id)]
    return render_template("mentees.html", mentees=found)


@bp.get("/audit")
@signed_in("read")
def audit_trail():
    return render_template("audit.html", events=mentoring.trail(db.session(), g.page_member.id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """An invitation to mentor: accepting it makes the account (its token shown once) and signs in."""
    s = db.write_session() if request.method == "POST" else db.session()
    row = mentoring.invitation(s, token)
    if row is None:
        abort(404, description="This invitation has been used, revoked or has expired. Ask for a new one.")
    owner_name = row.member.shown_name
    if request.method == "GET":
        return render_template("invitation.html", owner=owner_name, email=row.email,
                               scope="one CPD record" if row.record_id else "all their CPD records")
    mentor, created = mentoring.accept(s, row, request.form.get("name"))
    token_text = issue_token(s, mentor) if created else None
    s.commit()
    if token_text is None:          # the address has an account already: sign in with its token
        return redirect(url_for("pages.login"))
    start_session(live_token(token_text, "read"))
    response = make_response(render_template("welcome.html", token=token_text, owner=owner_name))
    response.headers["Cache-Control"] = "no-store"             # the token is shown once, and never cached
    return response
