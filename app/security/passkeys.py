"""Passkeys and security keys (WebAuthn, via py_webauthn): register, list, rename, remove, verify.

The relying party id and origin come from PUBLIC_URL (the canonical public origin), never
from the request. Attestation "none"; user verification preferred when a passkey is the
second factor, required when it signs in on its own (it is then multi-factor by itself).
Sign counts are checked (a clone shows up as a count that went backwards). A passkey can't be
guessed, so wrong tries never count toward the code-failure cap; a staff lock still stops it.
"""

import hashlib
import hmac
import json
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from webauthn import (generate_authentication_options, generate_registration_options, options_to_json,
                      verify_authentication_response, verify_registration_response)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (AttestationConveyancePreference, AuthenticatorSelectionCriteria,
                                      PublicKeyCredentialDescriptor, ResidentKeyRequirement,
                                      UserVerificationRequirement)

from app.extensions import db
from app.models import METHOD_ATTRIBUTES, User, WebauthnCredential, utcnow
from app.security import SecurityError, audit, methods, one_line, twofactor
from app.security.audit import Client

MAX_NAME = 60
FAILED = "That passkey didn't work. Try again, or try another way."
UNKNOWN = "That passkey isn't registered with this account."


def rp_id() -> str:
    """Return the relying-party id: the host of PUBLIC_URL."""
    return urlsplit(current_app.config["PUBLIC_URL"]).hostname


def origin() -> str:
    """Return the one origin responses must come from: PUBLIC_URL."""
    return current_app.config["PUBLIC_URL"]


def user_handle(user: User) -> bytes:
    """Return the opaque WebAuthn user handle of an account (no email, no row number in clear)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"webauthn-user|{user.id}".encode(), hashlib.sha256).digest()[:32]


def clean_name(raw: str) -> str:
    """Return a passkey's name on one line, or raise."""
    return one_line(raw, MAX_NAME, missing="Give the passkey a name, like “MacBook Touch ID”.", field="name")


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=cred.credential_id) for cred in user.webauthn_credentials]


def registration_options(user: User) -> tuple[str, bytes]:
    """Return the options for navigator.credentials.create (JSON) and their challenge, to keep."""
    options = generate_registration_options(
        rp_id=rp_id(), rp_name=current_app.config["APP_NAME"], user_id=user_handle(user),
        user_name=user.email, user_display_name=user.email,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=_descriptors(user),
    )
    return options_to_json(options), options.challenge


def register(user: User, name: str, response: str, challenge: bytes | None, client: Client) -> bool:
    """Save a new passkey once the browser's answer checks out; return whether two-factor just turned on; commits."""
    name = clean_name(name)
    if not challenge or not response:
        raise SecurityError("Start again: choose Add a passkey.")
    try:
        verified = verify_registration_response(
            credential=response, expected_challenge=challenge, expected_rp_id=rp_id(), expected_origin=origin())
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError):
        raise SecurityError("That passkey couldn't be added. Try again.") from None
    taken = db.session.scalar(select(WebauthnCredential.id).where(
        WebauthnCredential.credential_id == verified.credential_id))
    if taken:
        raise SecurityError("That passkey is already registered.")
    first = not user.two_factor_enabled
    db.session.add(WebauthnCredential(
        user_id=user.id, credential_id=verified.credential_id, public_key=verified.credential_public_key,
        sign_count=verified.sign_count, name=name, transports=_transports(response)))
    db.session.flush()
    db.session.expire(user, METHOD_ATTRIBUTES)
    twofactor.method_added(user, methods.WEBAUTHN, client, first=first, name=name)
    return first


def _transports(response: str) -> str | None:
    try:
        found = json.loads(response).get("response", {}).get("transports") or []
    except (ValueError, AttributeError):
        return None
    return ",".join(str(t) for t in found)[:120] or None


def authentication_options(user: User | None, *, require_uv: bool | None = None) -> tuple[str, bytes]:
    """Return options for navigator.credentials.get and their challenge.

    With a user (the second factor): that user's passkeys, verification preferred. Without
    (passkey sign-in): any discoverable passkey, verification required. require_uv overrides.
    """
    required = user is None if require_uv is None else require_uv
    options = generate_authentication_options(
        rp_id=rp_id(), allow_credentials=_descriptors(user) if user else [],
        user_verification=UserVerificationRequirement.REQUIRED if required else UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


def authenticate(response: str, challenge: bytes | None, client: Client, *, user: User | None = None,
                 require_uv: bool | None = None) -> User:
    """Check a passkey's answer; return its owner (who must be user, when given).

    Without a user the passkey signs in alone, so user verification is required (require_uv
    overrides: a re-authentication by passkey alone requires it too). Updates the sign count and
    last use, uncommitted: the caller commits them with the sign-in.
    """
    required = user is None if require_uv is None else require_uv
    credential = _find(response)
    if credential is None or (user is not None and credential.user_id != user.id):
        audit.record(audit.PASSKEY_FAILED, client, user=user, reason="unknown")
        db.session.commit()
        raise SecurityError(UNKNOWN if user is not None else FAILED)
    owner = credential.user
    if not challenge:
        raise SecurityError(FAILED)
    try:
        verified = verify_authentication_response(
            credential=response, expected_challenge=challenge, expected_rp_id=rp_id(), expected_origin=origin(),
            credential_public_key=credential.public_key, credential_current_sign_count=credential.sign_count,
            require_user_verification=required)
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as exc:
        reason = "sign_count" if "sign count" in str(exc).lower() else "invalid"
        audit.record(audit.PASSKEY_FAILED, client, user=owner, reason=reason)
        db.session.commit()
        raise SecurityError(FAILED) from None
    if owner.is_locked:
        raise SecurityError("This account can't be signed in to right now. Please contact support.")
    credential.sign_count = verified.new_sign_count
    credential.last_used_at = utcnow()
    return owner


def _find(response: str) -> WebauthnCredential | None:
    try:
        raw_id = base64url_to_bytes(json.loads(response)["rawId"])
    except (ValueError, KeyError, TypeError):
        return None
    return db.session.scalar(select(WebauthnCredential).where(WebauthnCredential.credential_id == raw_id))


def owned(user: User, credential_id: int) -> WebauthnCredential | None:
    """Return the user's own passkey with this row id (someone else's is None, like a missing one)."""
    credential = db.session.get(WebauthnCredential, credential_id)
    return credential if credential is not None and credential.user_id == user.id else None


def rename(user: User, credential_id: int, name: str, client: Client) -> None:
    """Rename one of the user's passkeys; commits."""
    credential = owned(user, credential_id)
    if credential is None:
        raise SecurityError("That passkey isn't registered with this account.")
    old, credential.name = credential.name, clean_name(name)
    audit.record(audit.PASSKEY_RENAMED, client, user=user, passkey_id=credential.id, old_name=old,
                 new_name=credential.name)
    db.session.commit()


def remove(user: User, credential_id: int, client: Client) -> None:
    """Remove one passkey (another method remains; the last goes with two-factor off); commits."""
    credential = owned(user, credential_id)
    if credential is None:
        raise SecurityError("That passkey isn't registered with this account.")
    name = credential.name
    twofactor.remove_method(user, methods.WEBAUTHN, client, lambda: db.session.delete(credential), name=name)


def encode(raw: bytes) -> str:
    """Return bytes as base64url (for the session)."""
    return bytes_to_base64url(raw)


def decode(text: str | None) -> bytes | None:
    """Return base64url text as bytes (None stays None)."""
    return base64url_to_bytes(text) if text else None
