"""What a request hands the store and the jobs, made from the app's settings: the member's submission
limits, whether mail goes and where its links point, the Google Sheets client (one per thread, its
access token kept between requests), the service's own address, and the time. The store never reads the app;
the views pass it these."""
from __future__ import annotations

import threading
from datetime import datetime

from flask import current_app, request

from google_sheets import SheetsClient

from .blobs import EvidenceStore, store_from_url
from .jobs.sheet_writes import settings_from
from .store.messages import Notices
from .store.models import utcnow
from .store.submissions import Limits
from .throttle import database_throttle, stored_key

_local = threading.local()


def submission_limits(member_id: int) -> Limits:
    limit = int(current_app.config["SUBMISSIONS_PER_MINUTE"])
    per_minute, key = f"{limit}/minute", f"refused-uploads:{member_id}"   # refused uploads count too
    return Limits(limit, stored_key(per_minute, key), lambda: database_throttle().hit(per_minute, key))


def notices() -> Notices:
    return Notices(mail=bool(current_app.config.get("SMTP_URL")), public_url=current_app.config.get("PUBLIC_URL"))


def sheets_client() -> SheetsClient:
    """This thread's Sheets client for the app's settings (its access token is kept between requests)."""
    wanted = settings_from(current_app.config)
    cached = getattr(_local, "client", None)
    if cached is None or cached.settings != wanted:
        cached = _local.client = SheetsClient(wanted)
    return cached


def evidence_store() -> EvidenceStore:
    """The app's evidence store (made once from EVIDENCE_URL: S3, or a folder beside the database)."""
    found = current_app.extensions.get("cpd_evidence")
    if found is None:
        found = current_app.extensions["cpd_evidence"] = store_from_url(
            current_app.config.get("EVIDENCE_URL"), current_app.instance_path,
            endpoint_url=current_app.config.get("EVIDENCE_S3_ENDPOINT"))
    return found


def evidence_max_bytes() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_BYTES") or 10 * 1024 * 1024)


def base_url() -> str:
    """The service's address for links it hands out: PUBLIC_URL, else the address the request came to."""
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


def now() -> datetime:
    """The time, from the app's ``CLOCK`` when set (a callable: the tests move time with it)."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else utcnow()
