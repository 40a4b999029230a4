"""The admin's pages: the delivery queue and its problems (dead letters, failures) with resend and the
endpoint's state, and the institution's group view with its CSV (aggregates only: ``store.disclosure``)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from sqlalchemy import func, select

from .. import db
from ..errors import BadRequest
from ..jobs.delivery import enable_endpoint, endpoint_disabled, resend
from ..store import stats
from ..store.models import PROBLEMS, Delivery
from .base import admin_only

bp = Blueprint("admin", __name__)


@bp.get("/admin")
@admin_only
def admin():
    s = db.session()
    counts = dict(s.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    problems = s.scalars(select(Delivery).where(Delivery.status.in_(PROBLEMS)).order_by(Delivery.next_attempt_at)).all()
    return render_template("admin.html", counts=counts, problems=problems, state=endpoint_disabled(s),
                           endpoint=current_app.config.get("INSTITUTION_URL"),
                           secrets=len(current_app.config.get("SIGNING_SECRETS") or []))


@bp.post("/admin/resend/<sub_id>")
@admin_only
def admin_resend(sub_id: str):
    resend(db.session(), sub_id)
    return redirect(url_for("admin.admin"))


@bp.post("/admin/enable-endpoint")
@admin_only
def admin_enable():
    enable_endpoint(db.session())
    return redirect(url_for("admin.admin"))


def _min_group() -> int:
    return int(current_app.config["STATS_MIN_GROUP"])


@bp.get("/admin/stats")
@admin_only
def stats_page():
    try:
        found = stats.filters(request.args)
    except BadRequest as exc:
        return render_template("group_view.html", error=exc.message, view=None, filters={}, facets={}), 400
    return render_template("group_view.html", view=stats.group_view(db.session(), **found, min_group=_min_group()),
                           filters=found, error=None, facets=stats.facets(db.session(), _min_group()))


@bp.get("/admin/stats.csv")
@admin_only
def stats_csv():
    try:
        found = stats.filters(request.args)
    except BadRequest as exc:
        return Response(exc.message, status=400, mimetype="text/plain")
    view = stats.group_view(db.session(), **found, min_group=_min_group())
    return Response(stats.to_csv(view), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="cpd-group-view.csv"'})
