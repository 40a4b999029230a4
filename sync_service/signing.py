"""Standard Webhooks signatures: what the worker signs and the receiver checks.

Headers: ``webhook-id`` (the message id, the same on every retry), ``webhook-timestamp``
(seconds, fresh on every try) and ``webhook-signature``: space-separated ``v1,<base64 of
HMAC-SHA256(secret, "id.timestamp.body")>``, one per secret (two while a secret is rotated).
Secrets are written ``whsec_<base64>``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


class SignatureError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise ValueError("a signing secret starts with whsec_")
    return base64.b64decode(secret[len(PREFIX):])


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secrets_: list[str], msg_id: str, body: bytes, timestamp: int | None = None) -> dict:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts),
            "webhook-signature": " ".join(sign(s, msg_id, ts, body) for s in secrets_)}


def verify(secrets_: list[str], headers_: dict, body: bytes, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> str:
    """The message id if a signature matches within the tolerance; SignatureError otherwise."""
    lower = {k.lower(): v for k, v in headers_.items()}
    msg_id, ts, sigs = lower.get("webhook-id"), lower.get("webhook-timestamp"), lower.get("webhook-signature")
    if not msg_id or not ts or not sigs:
        raise SignatureError("missing_headers", "webhook-id, webhook-timestamp and webhook-signature are required")
    try:
        stamp = int(ts)
    except ValueError:
        raise SignatureError("bad_timestamp", "webhook-timestamp must be whole seconds") from None
    now = time.time() if now is None else now
    if abs(now - stamp) > tolerance:
        raise SignatureError("stale_timestamp", f"the timestamp is more than {tolerance} seconds from now")
    given = [s.split(",", 1)[1] for s in sigs.split() if s.startswith("v1,")]
    for secret in secrets_:
        expected = sign(secret, msg_id, stamp, body).split(",", 1)[1]
        if any(hmac.compare_digest(expected, g) for g in given):
            return msg_id
    raise SignatureError("bad_signature", "no signature matches the body")
