"""A draft from an Open Badge: an Open Badges 2.0 assertion (JSON, or baked into a PNG's iTXt chunk or an
SVG's openbadges:assertion element) or an Open Badges 3.0 credential (a Verifiable Credential as JSON or
a compact JWT, baked the same ways as openbadgecredential / openbadges:credential).

What the badge states is taken: its name as the title, its issuer's name as the provider, the day it was
issued (or the credential's validFrom), hours from an OB 3.0 achievement's creditsAvailable or from its
text ("1.5 PDH"), and the profile's topics its text and tags name. A badge that only points somewhere
(a hosted assertion's address) is never fetched: what it does not hold stays blank and is listed.
The badge's signature is not verified; the file is kept as the evidence a reviewer can verify.
"""
from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import CpdError
from ..profile import Profile
from .found import Found, hours_stated, parse_day, topics_named

_SVG_BADGE = re.compile(rb"<openbadges:(?:assertion|credential)\b[^>]*>\s*(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))"
                        rb"\s*</openbadges:(?:assertion|credential)>", re.S)
_SVG_VERIFY = re.compile(rb"<openbadges:(?:assertion|credential)\b[^>]*\bverify=[\"']([^\"']+)", re.S)
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$")
MAX_JSON = 1024 * 1024          # a badge's JSON is a few KB


def _from_jwt(text: str) -> dict[str, Any] | None:
    m = _JWT.match(text.strip())
    if not m:
        return None
    payload = m.group(1) + "=" * (-len(m.group(1)) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(claims, dict):
        vc = claims.get("vc")
        return vc if isinstance(vc, dict) else claims
    return None


def badge_json(text: str | bytes, source: str) -> dict[str, Any] | str:
    """A badge's JSON object, or the address a hosted badge points at."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.strip().lstrip("\ufeff")
    if len(text) > MAX_JSON:
        raise CpdError("badge_invalid", f"{source}: the badge's data is over {MAX_JSON:,} characters")
    if text.startswith(("http://", "https://")):
        return text
    decoded = _from_jwt(text)
    if decoded is not None:
        return decoded
    try:
        data = json.loads(text)
    except ValueError:
        raise CpdError("badge_invalid", f"{source}: the badge's data is not JSON") from None
    if not isinstance(data, dict):
        raise CpdError("badge_invalid", f"{source}: the badge's data is not a JSON object")
    return data


def baked(data: bytes, kind: str, source: str) -> dict[str, Any] | str | None:
    """What a baked badge image carries: PNG (iTXt 'openbadges' or 'openbadgecredential') or SVG."""
    if kind == "png":
        from ..extras import need
        image = need("PIL.Image", "Reading a badge image")
        try:
            with image.open(io.BytesIO(data)) as img:
                text = getattr(img, "text", {}) or {}
        except (OSError, ValueError, SyntaxError) as exc:
            raise CpdError("badge_invalid", f"{source}: the PNG cannot be read ({type(exc).__name__})") from None
        found = text.get("openbadgecredential") or text.get("openbadges")
        return badge_json(found, source) if found else None
    m = _SVG_BADGE.search(data)
    if m and (m.group(1) or m.group(2) or b"").strip():
        return badge_json(m.group(1) or m.group(2), source)
    verify = _SVG_VERIFY.search(data)
    return verify.group(1).decode("utf-8", "replace") if verify else None


def _name(value: object) -> str | None:
    if isinstance(value, Mapping):
        found = value.get("name")
        return " ".join(str(found).split()) if found else None
    return None


def _day(value: object) -> date | None:
    return parse_day(str(value)[:10]) if isinstance(value, str) and value else None


def from_badge(badge: Mapping[str, Any] | str, source: str, profile: Profile, evidence: Path | None) -> Found:
    """The draft a badge gives (``badge`` a JSON object, or the address of one hosted elsewhere)."""
    if isinstance(badge, str):
        return Found(source=source, evidence=evidence,
                     notes=[f"the badge points at {badge} and holds nothing itself; nothing was fetched"]).finish()
    types = badge.get("type")
    types = types if isinstance(types, list) else [types]
    if "OpenBadgeCredential" in types or "AchievementCredential" in types or "VerifiableCredential" in types:
        subject = badge.get("credentialSubject") or {}
        achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
        achievement = achievement if isinstance(achievement, Mapping) else {}
        title = _name(achievement) or _name(badge)
        provider = _name(badge.get("issuer")) or _name(achievement.get("creator"))
        issued = _day(badge.get("validFrom") or badge.get("issuanceDate") or badge.get("awardedDate"))
        about = achievement
        credits = achievement.get("creditsAvailable")
    else:                                       # Open Badges 2.0: an assertion and its BadgeClass
        held = badge.get("badge")
        about = held if isinstance(held, Mapping) else badge if badge.get("type") == "BadgeClass" else {}
        title = _name(about)
        provider = _name(about.get("issuer"))
        issued = _day(badge.get("issuedOn"))
        credits = None
    criteria = about.get("criteria")
    tags = about.get("tags") or about.get("tag") or []
    text = " ".join(str(x) for x in (about.get("description") or "", badge.get("narrative") or "",
                                     criteria.get("narrative", "") if isinstance(criteria, Mapping) else "",
                                     *(tags if isinstance(tags, list) else [tags])))
    hours, note = (float(credits), None) if isinstance(credits, (int, float)) and credits > 0 else \
        hours_stated(text, profile.minutes_per_hour)
    found = Found(source=source, evidence=evidence, values={
        "title": title, "provider": provider, "start_date": issued, "hours": hours,
        "topics": ", ".join(topics_named(f"{title or ''} {text}", profile)) or None})
    for what, value in (("badge class", badge.get("badge")), ("issuer", about.get("issuer") or badge.get("issuer"))):
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            found.notes.append(f"its {what} is at {value}; nothing was fetched")
    if note:
        found.notes.append(note)
    found.notes.append("a badge: its signature is not checked here; the file is kept for a reviewer to verify")
    return found.finish()
