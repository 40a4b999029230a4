"""The Office add-in's files, served by the service: /addin/manifest.xml (with this service's
own https address filled in), the custom functions' script and metadata, and the task pane."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, request, send_from_directory

bp = Blueprint("addin_files", __name__, url_prefix="/addin")
STATIC = Path(__file__).parent / "officejs" / "static"
MANIFEST = Path(__file__).parent / "officejs" / "manifest.xml"


def base_url() -> str:
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


@bp.get("/manifest.xml")
def manifest():
    xml = MANIFEST.read_text(encoding="utf-8").replace("{BASE_URL}", base_url())
    return Response(xml, mimetype="application/xml",
                    headers={"Content-Disposition": "attachment; filename=cpd-tracker-manifest.xml"})


@bp.get("/<path:name>")
def static_file(name: str):
    return send_from_directory(STATIC, name, max_age=300)
