"""Security events: one append-only row (and one log line) per event."""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass

from flask import current_app

from app.extensions import db
from app.models import SecurityEvent, User
from app.security import append_only  # noqa: F401  (makes the ORM refuse edits and deletes)

log = logging.getLogger("app.security")

# Event types, named once here and used everywhere else.
SIGNUP = "signup"
SIGNIN_SUCCESS = "signin_success"
SIGNIN_FAILED = "signin_failed"
SIGNIN_THROTTLED = "signin_throttled"
SIGNOUT = "signout"
SIGNOUT_COMPLETELY = "signout_completely"
PASSWORD_CHANGED = "password_changed"
TWO_FACTOR_ENABLED = "2fa_enabled"
TWO_FACTOR_DISABLED = "2fa_disabled"
NUMBER_CHANGED = "number_changed"
CODE_SENT = "code_sent"
CODE_SEND_FAILED = "code_send_failed"
CODE_SEND_UNCONFIRMED = "code_send_unconfirmed"
CODE_REFUSED = "code_refused"
CODE_FAILED = "code_failed"
CODE_LOCKED = "code_locked"
CODE_VERIFIED = "code_verified"
DEVICE_TRUSTED = "device_trusted"
DEVICE_FORGOTTEN = "device_forgotten"
RECOVERY_CODES_GENERATED = "recovery_codes_generated"
RECOVERY_CODE_USED = "recovery_code_used"
RECOVERY_CODE_FAILED = "recovery_code_failed"
ADMIN_RESET_2FA = "admin_reset_2fa"
ADMIN_FORGET_DEVICES = "admin_forget_devices"
ADMIN_SIGNOUT_EVERYWHERE = "admin_signout_everywhere"
ADMIN_LOCK = "admin_lock"
ADMIN_UNLOCK = "admin_unlock"
STAFF_GRANTED = "staff_granted"
STAFF_REVOKED = "staff_revoked"
SESSIONS_ENDED = "sessions_ended"
WRONG_CODE_NOTICE = "wrong_code_notice"
REAUTHENTICATED = "reauthenticated"
EMAIL_VERIFY_SENT = "email_verify_sent"
EMAIL_VERIFIED = "email_verified"
EMAIL_CHANGE_REQUESTED = "email_change_requested"
EMAIL_CHANGED = "email_changed"
PASSWORD_RESET_REQUESTED = "password_reset_requested"
PASSWORD_RESET = "password_reset"
ADMIN_SEND_RESET_LINK = "admin_send_reset_link"
ADMIN_RESET_2FA_SCHEDULED = "admin_reset_2fa_scheduled"
ADMIN_RESET_2FA_CANCELLED = "admin_reset_2fa_cancelled"
METHOD_ADDED = "2fa_method_added"
METHOD_REMOVED = "2fa_method_removed"
PREFERRED_METHOD_CHOSEN = "2fa_preferred_method"
PASSKEY_FAILED = "passkey_failed"
PASSKEY_RENAMED = "passkey_renamed"

ALL_TYPES = sorted(v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str))

# Keys that must never reach the audit trail or the logs.
_FORBIDDEN_KEYS = {"code", "password", "token", "phone", "phone_e164", "secret"}


@dataclass(frozen=True)
class Client:
    """Who is asking: the network address and browser of a request."""

    ip: str | None = None
    user_agent: str | None = None


SYSTEM = Client(ip=None, user_agent="system")


def subject_digest(email: str) -> str:
    """Key an email so sign-in attempts can be counted without storing it twice."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"subject:" + email.encode(), hashlib.sha256).hexdigest()


def record(
    event_type: str,
    client: Client,
    *,
    user: User | None = None,
    actor: User | None = None,
    subject: str | None = None,
    **details,
) -> SecurityEvent:
    """Add an event to the session (committed with the caller's change) and log it."""
    leaked = _FORBIDDEN_KEYS & details.keys()
    if leaked:
        raise ValueError(f"secret fields in audit details: {sorted(leaked)}")
    event = SecurityEvent(
        type=event_type,
        user_id=user.id if user else None,
        actor_id=(actor or user).id if (actor or user) else None,
        subject=subject,
        ip=client.ip,
        user_agent=(client.user_agent or "")[:300] or None,
        details=json.dumps(details, sort_keys=True, default=str) if details else None,
    )
    db.session.add(event)
    _log(event_type, event, details)
    return event


def _log(event_type: str, event: SecurityEvent, details: dict) -> None:
    payload = {
        "event": event_type,
        "user_id": event.user_id,
        "actor_id": event.actor_id,
        "ip": event.ip,
        **details,
    }
    if current_app.config.get("LOG_JSON"):
        log.info(json.dumps(payload, sort_keys=True, default=str))
    else:
        log.info("security event %s", " ".join(f"{k}={v}" for k, v in payload.items()))
