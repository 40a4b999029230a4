"""The member's own pages: signing in and out, the dashboard, uploading and submitting a workbook, a
submission's review, the blank templates, the data export and erasure."""
from __future__ import annotations

import io
import json

from flask import (Blueprint, abort, g, redirect, render_template, request, send_file, session,
                   url_for)

from addin import CpdError, Verdict, list_profiles, read_workbook, template_path

from .. import db
from ..answers import status_of
from ..context import evidence_store, submission_limits
from ..errors import ServiceError
from ..store import member_data
from ..store.evidence import erase_member
from ..store.models import iso_utc
from ..store.records import prepare
from ..store.submissions import Caller, accept, document, find
from .base import recently, sign_in_again, signed_in
from .views import ask_first, dashboard_page

bp = Blueprint("member", __name__)


@bp.get("/")
@signed_in("read")
def dashboard():
    return dashboard_page()


@bp.post("/upload")
@signed_in("submit")
def upload():
    """Upload and submit. A record that is not ready is kept and shown with what fails, and sent only when
    the member confirms (from its record page)."""
    file = request.files.get("workbook")
    data = file.read() if file else b""
    prep = None
    if data:
        try:
            prep = prepare(read_workbook(data))           # read once: asked about, or submitted as it is
        except CpdError:
            prep = None                                   # accept() says why
        if prep is not None and prep.verdict == Verdict.NOT_READY:
            return ask_first(prep)
    member = g.page_member
    try:
        sub, _ = accept(db.session(), Caller(member.id, member.public_id), data, None, submission_limits(member.id),
                        prep)
    except ServiceError as exc:
        return dashboard_page(status_of(exc), error=exc.to_dict())
    return redirect(url_for("member.submission", sub_id=sub.id))


@bp.get("/submissions/<sub_id>")
@signed_in("read")
def submission(sub_id: str):
    sub = find(db.session(), g.page_member.id, sub_id)
    if sub is None:
        abort(404)
    return render_template("submission.html", sub=sub, r=document(sub)["readiness"], iso=iso_utc)


@bp.get("/template/<profile_id>.xlsx")
def template(profile_id: str):
    if profile_id not in {p.id for p in list_profiles()}:
        abort(404)
    return send_file(template_path(profile_id), as_attachment=True, download_name=f"cpd-record-{profile_id}.xlsx")


@bp.get("/export")
@signed_in("read")
def export():
    """Everything stored about the member, as JSON."""
    data = member_data.export(db.session(), g.page_member)
    buf = io.BytesIO(json.dumps(data, indent=2).encode())
    return send_file(buf, mimetype="application/json", as_attachment=True, download_name="my-cpd-data.json")


@bp.post("/erase")
@signed_in("submit")
def erase():
    """Delete the member and everything stored about them: submissions, stored workbooks, queued jobs and
    tokens. Wants a sign-in within the last 10 minutes."""
    if not recently():
        return dashboard_page(403, error=sign_in_again("Erasing your data").to_dict())
    if request.form.get("confirm") != "DELETE":
        return dashboard_page(400, error={"code": "not_confirmed",
                                          "message": "Type DELETE to confirm erasing your data."})
    erase_member(db.session(), evidence_store(), g.page_member)
    session.clear()
    g.page_member = None                  # the page after says so to no one signed in
    return render_template("erased.html")
