"""The JSON API, /api/v1 (described at /api/v1/openapi.json): thin views over the store, a module by what
they serve. Errors are raised and answered in one place (``sync_service.answers``)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import base, evidence, functions, inbox, mentors, oauth, openapi, records, sheets, stats, submissions, tokens
    base.init_app(app)
    for module in (functions, submissions, records, evidence, inbox, mentors, tokens, oauth, sheets, stats, openapi):
        app.register_blueprint(module.bp)
    app.register_blueprint(inbox.sheet_bp)
