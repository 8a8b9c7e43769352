"""Second-factor methods: which ones an account has, the one asked first, and what staff may see.

Two-factor is on exactly when at least one method is set: a texted code (the number on the
user), an authenticator app (totp_credentials) or passkeys (webauthn_credentials). Recovery
codes belong to the account, not to a method.
"""

from dataclasses import dataclass
from datetime import datetime

from app.extensions import db
from app.models import METHOD_ATTRIBUTES, User
from app.security import SecurityError, audit
from app.security.audit import Client
from app.security.phones import mask

SMS = "sms"
TOTP = "totp"
WEBAUTHN = "webauthn"
# Strongest first: the one asked first when the user has not chosen.
ORDER = (WEBAUTHN, TOTP, SMS)
# Methods a guess can pass: their wrong answers count toward the shared failure cap.
GUESSABLE = (SMS, TOTP)
LABELS = {SMS: "Text message (SMS)", TOTP: "Authenticator app", WEBAUTHN: "Passkey or security key"}


@dataclass(frozen=True)
class MethodRow:
    """One method as listed to its owner or to staff: never a secret."""

    kind: str
    name: str
    created_at: datetime | None
    last_used_at: datetime | None
    id: int | None = None


def available(user: User) -> list[str]:
    """Return the user's methods, strongest first."""
    present = {SMS: user.has_sms, TOTP: user.has_app, WEBAUTHN: user.has_passkey}
    return [kind for kind in ORDER if present[kind]]


def preferred(user: User) -> str | None:
    """Return the method asked first at sign-in: the user's choice if still set, else the strongest."""
    have = available(user)
    if user.preferred_method in have:
        return user.preferred_method
    return have[0] if have else None


def is_strong(method: str | None) -> bool:
    """Tell whether a second factor can't be diverted like a text (a passkey or an app)."""
    return method in (TOTP, WEBAUTHN)


def has_strong(user: User) -> bool:
    """Tell whether the account has a method that can't be diverted like a text (a passkey or an app)."""
    return any(kind in (TOTP, WEBAUTHN) for kind in available(user))


def only_sms(user: User) -> bool:
    """Tell whether a texted code is the account's only method (so the screen explains SIM swaps)."""
    return available(user) == [SMS]


def choose_preferred(user: User, kind: str, client: Client) -> None:
    """Make kind the method asked first at sign-in; commits."""
    if kind not in available(user):
        raise SecurityError("Set that method up first.")
    user.preferred_method = kind
    audit.record(audit.PREFERRED_METHOD_CHOSEN, client, user=user, method=kind)
    db.session.commit()


def listing(user: User) -> list[MethodRow]:
    """List the user's methods with their dates (type, name, created, last used), strongest first."""
    rows = [MethodRow(WEBAUTHN, cred.name, cred.created_at, cred.last_used_at, cred.id)
            for cred in user.webauthn_credentials]
    if user.totp_credential is not None:
        cred = user.totp_credential
        rows.append(MethodRow(TOTP, LABELS[TOTP], cred.created_at, cred.last_used_at, cred.id))
    if user.has_sms:
        rows.append(MethodRow(SMS, f"Texts to {mask(user.phone_e164)}", None, None))
    return rows


def remove_all(user: User) -> None:
    """Remove every method (part of the caller's unit of work: two-factor off or a staff reset)."""
    user.phone_e164 = None
    user.phone_last4 = None
    user.preferred_method = None
    if user.totp_credential is not None:
        db.session.delete(user.totp_credential)
    for cred in list(user.webauthn_credentials):
        db.session.delete(cred)
    db.session.flush()
    db.session.expire(user, METHOD_ATTRIBUTES)
