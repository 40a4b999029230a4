"""The pages: thin views over the store, a module by what they are for (the member's own pages, a record's
pages, mentoring, Google Sheets, the admin's pages, the Office add-in's files), over one base (sessions,
CSRF, guards, template filters) and two shared page renderers (``views``)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import addin, admin, base, device, member, members, mentors, oidc, passkeys, record, settings, sheet, sign_in
    base.init_app(app)
    oidc.init_app(app)
    for module in (addin, sign_in, oidc, settings, passkeys, device, member, record, mentors, sheet, admin, members):
        app.register_blueprint(module.bp)
