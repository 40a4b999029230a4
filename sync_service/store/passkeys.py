"""Passkeys (WebAuthn), checked by the ``webauthn`` library: a signed-in member adds one (``register_options``
then ``register``), names and removes it; anyone signs in with one in one step (``sign_in_options`` then
``authenticate``: a discoverable credential, so no address is typed). The challenge of each ceremony is
the caller's to keep between the two steps (the signed session cookie) and is used once."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from webauthn import (generate_authentication_options, generate_registration_options, options_to_json,
                      verify_authentication_response, verify_registration_response)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
                                      ResidentKeyRequirement, UserVerificationRequirement)

from ..errors import BadRequest, Unauthenticated
from .database import writing
from .models import Member, Passkey, utcnow

RP_NAME = "CPD tracker"


@dataclass(frozen=True)
class Party:
    """Who the passkeys are for: the relying party's id (the service's host name) and the origin pages come
    from (``https://host``, or ``http://localhost:port`` on a developer's computer)."""
    rp_id: str
    origin: str


def passkeys_of(session: Session, member_id: int) -> list[Passkey]:
    return list(session.scalars(select(Passkey).where(Passkey.member_id == member_id).order_by(Passkey.id)))


def register_options(session: Session, party: Party, member: Member) -> tuple[str, bytes]:
    """The options for the browser's ``navigator.credentials.create`` (JSON) and their challenge."""
    challenge = secrets.token_bytes(32)
    options = generate_registration_options(
        rp_id=party.rp_id, rp_name=RP_NAME, user_id=member.public_id.encode(), user_name=member.email,
        user_display_name=member.name or member.email, challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(resident_key=ResidentKeyRequirement.REQUIRED,
                                                               user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=_bytes(p.credential_id))
                             for p in passkeys_of(session, member.id)])
    return options_to_json(options), challenge


def register(session: Session, party: Party, member: Member, credential: str, challenge: bytes | None,
             name: str) -> Passkey:
    """Check the browser's new credential against the challenge and keep it. In the caller's transaction.
    BadRequest when it does not check out."""
    if not challenge:
        raise BadRequest("passkey_expired", "start adding the passkey again")
    try:
        checked = verify_registration_response(credential=credential, expected_challenge=challenge,
                                               expected_rp_id=party.rp_id, expected_origin=party.origin)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise BadRequest("passkey_refused", f"the passkey could not be checked ({type(exc).__name__})") from None
    writing(session)
    row = Passkey(public_id="pk_" + secrets.token_hex(6), member_id=member.id,
                  credential_id=bytes_to_base64url(checked.credential_id), public_key=checked.credential_public_key,
                  sign_count=checked.sign_count, name=(name or "").strip()[:100] or "Passkey")
    session.add(row)
    session.flush()
    return row


def sign_in_options(party: Party) -> tuple[str, bytes]:
    """The options for ``navigator.credentials.get`` (any of the site's passkeys) and their challenge."""
    challenge = secrets.token_bytes(32)
    options = generate_authentication_options(rp_id=party.rp_id, challenge=challenge,
                                              user_verification=UserVerificationRequirement.PREFERRED)
    return options_to_json(options), challenge


def authenticate(session: Session, party: Party, credential: str, challenge: bytes | None,
                 now: datetime | None = None) -> Member:
    """The member whose passkey signed the challenge. Committed. Unauthenticated otherwise."""
    if not challenge:
        raise Unauthenticated("passkey_expired", "start signing in with your passkey again")
    try:
        sent_id = json.loads(credential).get("id")
    except (ValueError, AttributeError):
        sent_id = None
    writing(session)
    row = session.scalar(select(Passkey).where(Passkey.credential_id == sent_id)) if isinstance(sent_id, str) else None
    if row is None:
        session.rollback()
        raise Unauthenticated("passkey_unknown", "this passkey is not known here (it may have been removed)")
    try:
        checked = verify_authentication_response(credential=credential, expected_challenge=challenge,
                                                 expected_rp_id=party.rp_id, expected_origin=party.origin,
                                                 credential_public_key=row.public_key,
                                                 credential_current_sign_count=row.sign_count)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        session.rollback()
        raise Unauthenticated("passkey_refused", "the passkey's answer did not check out") from None
    member = session.get(Member, row.member_id)
    if member is None or member.deactivated_at is not None:
        session.rollback()
        raise Unauthenticated("deactivated", "this account cannot sign in")
    row.sign_count, row.last_used_at = checked.new_sign_count, now or utcnow()
    session.commit()
    return member


def rename(session: Session, member_id: int, public_id: str, name: str) -> bool:
    writing(session)
    row = session.scalar(select(Passkey).where(Passkey.member_id == member_id, Passkey.public_id == public_id))
    if row is None:
        return False
    row.name = (name or "").strip()[:100] or row.name
    return True


def remove(session: Session, member_id: int, public_id: str) -> bool:
    writing(session)
    row = session.scalar(select(Passkey).where(Passkey.member_id == member_id, Passkey.public_id == public_id))
    if row is None:
        return False
    session.delete(row)
    return True


def _bytes(b64url: str) -> bytes:
    from webauthn import base64url_to_bytes
    return base64url_to_bytes(b64url)
