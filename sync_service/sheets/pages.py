"""The member's page actions for Google Sheets: link one, check it, submit it, unlink it."""
from __future__ import annotations

from flask import Blueprint, g, redirect, request, session, url_for

from addin.errors import CpdError
from addin.readiness import assess

from .. import db
from ..pages import signed_in
from ..submissions import Refused, refusal
from . import linked as sheets

bp = Blueprint("sheet_pages", __name__, url_prefix="/sheets")


def _back(error: dict | None = None, report: dict | None = None):
    if error:
        session["upload_error"] = error
    if report:
        session["sheet_report"] = report
    return redirect(url_for("pages.dashboard") + "#sheets")


@bp.post("/link")
@signed_in
def link():
    try:
        sheets.link(g.page_member, request.form.get("sheet", ""))
    except Refused as exc:
        return _back(exc.body)
    return _back()


def _mine(sheet_id: str):
    return sheets.find(g.page_member, sheet_id)


@bp.post("/<sheet_id>/check")
@signed_in
def check(sheet_id: str):
    linked = _mine(sheet_id)
    if linked is None:
        return _back({"code": "not_found", "message": "no such linked sheet"})
    try:
        read = sheets.check(linked)
        record = read.require()
    except Refused as exc:
        return _back(exc.body)
    except CpdError as exc:
        return _back(refusal(exc).body)
    result = assess(record, read.profile)
    return _back(report={"sheet": linked.title, "verdict": result.verdict, "score": result.score,
                         "criteria": [{"title": c.title, "status": c.status, "reason": c.reason, "hint": c.hint}
                                      for c in result.criteria]})


@bp.post("/<sheet_id>/submit")
@signed_in
def submit(sheet_id: str):
    linked = _mine(sheet_id)
    if linked is None:
        return _back({"code": "not_found", "message": "no such linked sheet"})
    try:
        sub, _ = sheets.submit(g.page_member, linked)
    except Refused as exc:
        return _back(exc.body)
    return redirect(url_for("pages.submission", sub_id=sub.id))


@bp.post("/<sheet_id>/unlink")
@signed_in
def unlink(sheet_id: str):
    linked = _mine(sheet_id)
    if linked is not None:
        s = db.session()
        s.delete(linked)
        s.commit()
    return _back()
