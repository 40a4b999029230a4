"""The institution's group view: the admin page (/admin/stats), its CSV, and GET /api/v1/stats.

Admins only; aggregates only (stats.py): no member identity is read or shown, and a group smaller
than STATS_MIN_GROUP records is suppressed.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request

from sqlalchemy import select

from . import db, stats
from .models import Member
from .accounts import require_token
from .pages import admin_only

bp = Blueprint("group_view", __name__)


class BadFilter(ValueError):
    pass


def _filters(args) -> dict:
    period = (args.get("period") or "").strip()
    if period and not (period.isdigit() and len(period) == 4):
        raise BadFilter(f"period must be a year such as 2025, found {period[:20]!r}")
    return {"period": int(period) if period else None, "profile": (args.get("profile") or "").strip()[:40] or None,
            "grade": (args.get("grade") or "").strip()[:60] or None}


def _view(filters: dict) -> dict:
    return stats.group_view(db.session(), **filters, min_group=int(current_app.config["STATS_MIN_GROUP"]))


@bp.get("/api/v1/stats")
@require_token("read")
def api_stats():
    if not db.session().scalar(select(Member.is_admin).where(Member.id == g.member.id)):
        return jsonify(error={"code": "admin_only", "message": "the group view is for the service's admins"}), 403
    try:
        filters = _filters(request.args)
    except BadFilter as exc:
        return jsonify(error={"code": "bad_filter", "message": str(exc)}), 400
    return jsonify(_view(filters))


@bp.get("/admin/stats")
@admin_only
def page():
    return _answer(lambda f: render_template("group_view.html", view=_view(f), filters=f, error=None,
                                             facets=stats.facets(db.session(), int(current_app.config["STATS_MIN_GROUP"]))),
                   lambda msg: (render_template("group_view.html", error=msg, view=None, filters={}, facets={}), 400))


@bp.get("/admin/stats.csv")
@admin_only
def csv_export():
    return _answer(lambda f: Response(stats.to_csv(_view(f)), mimetype="text/csv",
                                      headers={"Content-Disposition": 'attachment; filename="cpd-group-view.csv"'}),
                   lambda msg: Response(msg, status=400, mimetype="text/plain"))


def _answer(shown, refused):
    """The view for the request's filters, or why a filter cannot be used."""
    try:
        filters = _filters(request.args)
    except BadFilter as exc:
        return refused(str(exc))
    return shown(filters)
