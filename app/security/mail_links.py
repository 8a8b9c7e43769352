"""Links sent by mail: a random token in the link, only its keyed digest stored; single use, expiring."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import EmailToken, User, utcnow
from app.security import keyed

VERIFY = "verify"
RESET = "reset"
EMAIL_CHANGE = "email_change"
CANCEL_STAFF_RESET = "cancel_reset"
MAX_TOKEN = 128


def _message(purpose: str, token: str) -> str:
    # The purpose is part of the digest: a verification link can never reset a password.
    return f"mail|{purpose}|{token}"


def issue(user: User, purpose: str, email: str, ttl_seconds: int) -> str:
    """Add a new link for user (earlier live links of this purpose die); return its token (caller commits)."""
    revoke(user.id, purpose)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(EmailToken(user_id=user.id, purpose=purpose, email=email, created_at=now,
                              expires_at=now + timedelta(seconds=ttl_seconds),
                              digest=keyed.digest(_message(purpose, token))))
    return token


def find(purpose: str, token: str | None) -> EmailToken | None:
    """Return the live link for token (unused, not replaced, not expired), or None."""
    if not token or len(token) > MAX_TOKEN:
        return None
    row = db.session.scalar(select(EmailToken).where(
        EmailToken.purpose == purpose, EmailToken.digest.in_(keyed.candidates(_message(purpose, token)))))
    if row is None or row.used_at or row.revoked_at or utcnow() >= row.expires_at:
        return None
    return row


def consume(row: EmailToken) -> bool:
    """Use the link up; False when a concurrent request already did (caller commits)."""
    return db.session.execute(
        update(EmailToken).where(EmailToken.id == row.id, EmailToken.used_at.is_(None),
                                 EmailToken.revoked_at.is_(None)).values(used_at=utcnow())
    ).rowcount == 1


def revoke(user_id: int, purpose: str) -> int:
    """Kill every live link of this purpose for the user; return how many (caller commits)."""
    return db.session.execute(
        update(EmailToken).where(EmailToken.user_id == user_id, EmailToken.purpose == purpose,
                                 EmailToken.used_at.is_(None), EmailToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount or 0


def sent_since(user_id: int, purpose: str, since: datetime) -> int:
    """Count the links of this purpose made for the user since a moment (the resend throttle)."""
    return db.session.scalar(select(func.count()).select_from(EmailToken).where(
        EmailToken.user_id == user_id, EmailToken.purpose == purpose, EmailToken.created_at > since)) or 0
