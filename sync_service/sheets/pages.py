"""The member's page actions for Google Sheets: link one, check it, submit it, unlink it."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, session, url_for

from addin import CpdError, assess

from .. import db
from ..pages import signed_in
from ..submissions import Refused, refusal
from . import linked as sheets

bp = Blueprint("sheet_pages", __name__, url_prefix="/sheets")


def _back(error: dict | None = None, report: dict | None = None):
    """Back to the member's page, showing what went wrong or the sheet's review."""
    if error:
        session["sheet_error"] = error
    if report:
        session["sheet_report"] = report
    return redirect(url_for("pages.dashboard") + "#sheets")


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    return _back(exc.body)


@bp.errorhandler(CpdError)
def _unreadable(exc: CpdError):
    return _back(refusal(exc).body)


def _mine(sheet_id: str):
    linked = sheets.find(g.page_member, sheet_id)
    if linked is None:
        abort(404)
    return linked


@bp.post("/link")
@signed_in
def link():
    sheets.link(g.page_member, request.form.get("sheet", ""))
    return _back()


@bp.post("/<sheet_id>/check")
@signed_in
def check(sheet_id: str):
    linked = _mine(sheet_id)
    read = sheets.check(linked)
    result = assess(read.require(), read.profile)
    return _back(report={"sheet": linked.title, "verdict": result.verdict, "score": result.score,
                         "criteria": [{"title": c.title, "status": c.status, "reason": c.reason, "hint": c.hint}
                                      for c in result.criteria]})


@bp.post("/<sheet_id>/submit")
@signed_in
def submit(sheet_id: str):
    sub, _ = sheets.submit(g.page_member, _mine(sheet_id))
    return redirect(url_for("pages.submission", sub_id=sub.id))


@bp.post("/<sheet_id>/unlink")
@signed_in
def unlink(sheet_id: str):
    s = db.session()
    s.delete(_mine(sheet_id))
    s.commit()
    return _back()
