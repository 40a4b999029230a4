"""The member's page actions for Google Sheets: link one (and prove it with a code), check it, submit it,
unlink it."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, url_for

from addin import CpdError, Verdict, assess

from .. import db
from ..answers import status_of
from ..context import sheets_client, submission_limits
from ..errors import ServiceError, from_core
from ..store import sheets
from ..store.mentoring import Access
from ..store.submissions import Caller
from .base import signed_in
from .views import dashboard_page, record_page

bp = Blueprint("sheet", __name__, url_prefix="/sheets")


def _back():
    return redirect(url_for("member.dashboard") + "#sheets")


@bp.errorhandler(ServiceError)
def _refused(exc: ServiceError):
    return dashboard_page(status_of(exc), sheet_error=exc.to_dict())


@bp.errorhandler(CpdError)
def _unreadable(exc: CpdError):
    refused = from_core(exc, sheet=True)
    return dashboard_page(status_of(refused), sheet_error=refused.to_dict())


def _mine(sheet_id: str):
    linked = sheets.find(db.session(), g.page_member.id, sheet_id)
    if linked is None:
        abort(404)
    return linked


def _keep(linked, read) -> None:
    """Keep a readable sheet as the newest version of its record (one that cannot be read is shown on Check)."""
    try:
        sheets.keep(db.session(), linked, read)
    except CpdError:
        pass


@bp.post("/link")
@signed_in("submit")
def link():
    linking = sheets.link(db.session(), sheets_client(), g.page_member.id, request.form.get("sheet", ""))
    if linking.code:                      # to be proven: the code to type into the sheet, and a Confirm button
        return dashboard_page(sheet_code=sheets.waiting(linking))
    _keep(linking.linked, sheets.check(db.session(), sheets_client(), linking.linked))
    return _back()


@bp.post("/<sheet_id>/confirm")
@signed_in("submit")
def confirm(sheet_id: str):
    linked = _mine(sheet_id)
    read = sheets.confirm(db.session(), sheets_client(), g.page_member.id, linked)
    _keep(linked, read)
    return _back()


@bp.post("/<sheet_id>/check")
@signed_in("read")
def check(sheet_id: str):
    linked = _mine(sheet_id)
    read = sheets.check(db.session(), sheets_client(), linked)
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
        looked = sheets.look(db.session(), sheets_client(), linked)     # one pull: kept, shown if not ready, or sent
        rec, version, _, prep = sheets.keep(db.session(), linked, looked[1])
        if prep.verdict == Verdict.NOT_READY:
            return record_page(Access(rec, "owner"), confirm_submit=True)
    member = g.page_member
    sub, _ = sheets.submit(db.session(), sheets_client(), Caller(member.id, member.public_id), linked,
                           submission_limits(member.id), looked, prep)
    return redirect(url_for("member.submission", sub_id=sub.id))


@bp.post("/<sheet_id>/unlink")
@signed_in("submit")
def unlink(sheet_id: str):
    sheets.unlink(db.session(), _mine(sheet_id))
    return _back()
