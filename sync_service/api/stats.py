"""GET /api/v1/stats: the institution's group view as JSON, for the service's admins (aggregates only,
disclosure-controlled: ``store.disclosure``)."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select

from .. import db
from ..errors import Forbidden
from ..store import stats
from ..store.models import Member
from .base import require_token

bp = Blueprint("api_stats", __name__)


@bp.get("/api/v1/stats")
@require_token("read")
def api_stats():
    if not db.session().scalar(select(Member.is_admin).where(Member.id == g.member.id)):
        raise Forbidden("admin_only", "the group view is for the service's admins")
    return jsonify(stats.group_view(db.session(), **stats.filters(request.args),
                                    min_group=int(current_app.config["STATS_MIN_GROUP"])))
