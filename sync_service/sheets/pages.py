"""The member's page actions for Google Sheets: link one, check it, submit it, unlink it."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, url_for

from addin import CpdError, assess

from ..pages import dashboard_page, signed_in
from ..submissions import Refused, refusal
from . import linked as sheets

bp = Blueprint("sheet_pages", __name__, url_prefix="/sheets")


def _back():
    return redirect(url_for("pages.dashboard") + "#sheets")


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    return dashboard_page(exc.status, sheet_error=exc.body)


@bp.errorhandler(CpdError)
def _unreadable(exc: CpdError):
    refused = refusal(exc)
    return dashboard_page(refused.status, sheet_error=refused.body)


def _mine(sheet_id: str):
    linked = sheets.find(g.page_member, sheet_id)
    if linked is None:
        abort(404)
    return linked


@bp.post("/link")
@signed_in("submit")
def link():
    linking = sheets.link(g.page_member, request.form.get("sheet", ""))
    if linking.code:                      # to be proven: the code to type into the sheet, and a Confirm button
        return dashboard_page(sheet_code=sheets.waiting(linking))
    _keep(linking.linked, sheets.check(linking.linked))
    return _back()


@bp.post("/<sheet_id>/confirm")
@signed_in("submit")
def confirm(sheet_id: str):
    linked = _mine(sheet_id)
    read = sheets.confirm(g.page_member, linked)
    _keep(linked, read)
    return _back()


def _keep(linked, read) -> None:
    """Keep a readable sheet as the newest version of its record (one that cannot be read is shown on Check)."""
    try:
        sheets.keep(linked, read)
    except CpdError:
        pass


@bp.post("/<sheet_id>/check")
@signed_in("read")
def check(sheet_id: str):
    linked = _mine(sheet_id)
    read = sheets.check(linked)
    _keep(linked, read)
    result = assess(read.require(), read.profile)
    return dashboard_page(sheet_report={"sheet": linked.title, "verdict": result.verdict, "score": result.score,
                         "criteria": [{"title": c.title, "status": c.status, "reason": c.reason, "hint": c.hint}
                                      for c in result.criteria]})


@bp.post("/<sheet_id>/submit")
@signed_in("submit")
def submit(sheet_id: str):
    """Submit the sheet as it is now; one that is not ready is kept as its record's newest version and shown
    on the record's page, to be sent only once the member confirms."""
    linked = _mine(sheet_id)
    looked = prep = None
    if request.form.get("confirm") != "yes":
        looked = sheets.look(linked)                   # one pull: kept, shown if not ready, else submitted
        rec, version, _, prep = sheets.keep(linked, looked[1])
        if prep.verdict == "not_ready":
            from ..mentoring import Access
            from ..record_pages import record_page
            return record_page(Access(rec, "owner"), confirm_submit=True)
    sub, _ = sheets.submit(g.page_member, linked, looked, prep)
    return redirect(url_for("pages.submission", sub_id=sub.id))


@bp.post("/<sheet_id>/unlink")
@signed_in("submit")
def unlink(sheet_id: str):
    sheets.unlink(_mine(sheet_id))
    return _back()
