"""Request logs without personal data: a request id, the member's pseudonymous id, the route
(the pattern, not the path), the outcome, sizes and time. Never names, membership numbers,
cell values, tokens or file names."""
from __future__ import annotations

import json
import logging
import time
import uuid

from flask import Flask, g, request

log = logging.getLogger("cpd.requests")


def init_app(app: Flask) -> None:
    @app.before_request
    def _start():
        g.request_id = uuid.uuid4().hex[:16]
        g.started = time.perf_counter()

    @app.after_request
    def _log(response):
        member = getattr(g, "member", None)
        error = None
        if response.is_json and response.status_code >= 400:
            body = response.get_json(silent=True) or {}
            error = (body.get("error") or {}).get("code") if isinstance(body, dict) else None
        log.info(json.dumps({
            "request_id": getattr(g, "request_id", None), "member": member.public_id if member else None,
            "method": request.method, "route": request.url_rule.rule if request.url_rule else "(unmatched)",
            "status": response.status_code, "code": error, "bytes_in": request.content_length or 0,
            "bytes_out": response.calculate_content_length() or 0,
            "ms": round((time.perf_counter() - getattr(g, "started", time.perf_counter())) * 1000, 1),
        }, separators=(",", ":")))
        response.headers["X-Request-Id"] = getattr(g, "request_id", "")
        return response
