"""The Office add-in's files, served by the service: /addin/manifest.xml (with this service's
own address filled in), the custom functions' script and metadata, and the task pane.

The address in the manifest is ``PUBLIC_URL`` and nothing else: never the request's Host header,
which a client chooses. ``cpd serve`` on a loopback address sets it to that address; anywhere else
it must be given (``--public-url`` or ``CPD_PUBLIC_URL``), or the manifest is not served."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory

from ..errors import NotFound

bp = Blueprint("addin_files", __name__, url_prefix="/addin")
OFFICEJS = Path(__file__).parent.parent / "officejs"
STATIC = OFFICEJS / "static"
MANIFEST = OFFICEJS / "manifest.xml"
UNIFIED_MANIFEST = OFFICEJS / "manifest.json"   # made from manifest.xml (build.py)


def base_url() -> str | None:
    public = current_app.config.get("PUBLIC_URL")
    return public.rstrip("/") if public else None


def _no_public_url():
    raise NotFound("public_url_not_set", "the service's public address is not set: start it with --public-url "
                   "https://... (or set CPD_PUBLIC_URL) to serve the manifest")


@bp.get("/manifest.xml")
def manifest():
    base = base_url()
    if base is None:
        return _no_public_url()
    xml = MANIFEST.read_text(encoding="utf-8").replace("{BASE_URL}", base)
    return Response(xml, mimetype="application/xml",
                    headers={"Content-Disposition": "attachment; filename=cpd-tracker-manifest.xml"})


@bp.get("/manifest.json")
def unified_manifest():
    """The same add-in as a unified (JSON) manifest, for Microsoft 365 app packages."""
    base = base_url()
    if base is None:
        return _no_public_url()
    text = UNIFIED_MANIFEST.read_text(encoding="utf-8").replace("{BASE_URL}", base)
    return Response(text, mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=manifest.json"})


@bp.get("/<path:name>")
def static_file(name: str):
    return send_from_directory(STATIC, name, max_age=300)
