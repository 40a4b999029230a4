"""The Sheets API's access token, kept between commands until it runs out.

Each ``cpd sheets`` command is a process of its own, and without this each would first ask Google's
token endpoint for a new access token (one more round trip, and for a service account a signature
made with its key, for which google-auth and its cryptography must be loaded). The token is kept in the
member's own configuration folder, beside their Google sign-in (``~/.config/cpd/google-token.json``,
readable by them only; ``CPD_GOOGLE_TOKEN_FILE`` names another), under a digest of whose it is
(``access.Identity.key``: the service account or signed-in account, and the token endpoint), and is used
again only while it has more than a minute left. A token the API refuses is refreshed, and kept in its place.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec

from .files import Unreadable, json_file

MARGIN = timedelta(minutes=1)


def token_file(environ=None) -> Path:
    from .signin import account_file
    env = os.environ if environ is None else environ
    if env.get("CPD_GOOGLE_TOKEN_FILE"):
        return Path(env["CPD_GOOGLE_TOKEN_FILE"])
    return account_file(env).parent / "google-token.json"


def utcnow() -> datetime:
    """Now in naive UTC, as google-auth keeps a token's expiry."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def lasting(expiry: datetime | None) -> bool:
    """Whether a token that runs out at ``expiry`` has more than a minute left."""
    return expiry is not None and expiry - MARGIN > utcnow()


def _read(path: Path) -> dict[str, Any]:
    try:
        kept = json_file(path)
    except Unreadable:
        return {}
    return kept if isinstance(kept, dict) else {}


def restore(key: str, path: Path) -> tuple[str, datetime] | None:
    """The token kept for ``key`` and when it runs out, if it has more than a minute left."""
    entry = _read(path).get(key)
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        return None
    try:
        expiry = datetime.fromisoformat(str(entry.get("expiry")))
    except ValueError:
        return None
    return (entry["token"], expiry) if lasting(expiry) else None


def keep(key: str, token: str, expiry: datetime, path: Path) -> None:
    """Keep ``key``'s token (with when it runs out) for the next command, beside others' that still last."""
    kept = {k: v for k, v in _read(path).items() if _live(v)}
    kept[key] = {"token": token, "expiry": expiry.isoformat()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(msgspec.json.encode(kept))
        os.replace(fresh, path)
    except OSError:
        pass                     # a folder that cannot be written: the next command asks for a token again


def _live(entry: Any) -> bool:
    try:
        return isinstance(entry, dict) and datetime.fromisoformat(str(entry.get("expiry"))) > utcnow()
    except ValueError:
        return False
