"""Forgotten passwords: a mailed link (verified addresses only) that sets a new password and signs nothing in."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from app import mail
from app.extensions import db
from app.mail.links import public_url
from app.models import SecurityEvent, User, utcnow
from app.security import SecurityError, accounts, audit, devices, mail_links, notify
from app.security.audit import Client

DEAD_LINK = "This reset link has expired or was already used. Ask for a new one."


def _requests_this_hour(subject: str) -> int:
    since = utcnow() - timedelta(hours=1)
    return db.session.scalar(select(func.count()).select_from(SecurityEvent).where(
        SecurityEvent.subject == subject, SecurityEvent.type == audit.PASSWORD_RESET_REQUESTED,
        SecurityEvent.created_at > since)) or 0


def request_link(raw_email: str, client: Client, *, actor: User | None = None, reason: str = "") -> bool:
    """Mail a reset link if the address is an account's verified one; commits. Return whether a link was made.

    Every request, known address or not, is one audit row keyed by the address (the per-address
    throttle counts them) and one item on the send queue, so neither the answer nor its timing
    says whether the account exists. Callers answer the same whatever this returns.
    """
    email = accounts.normalise_email(raw_email)
    subject = audit.subject_digest(email)
    user = accounts.find_by_email(email) if not accounts.email_problem(email) else None
    over = _requests_this_hour(subject) >= int(current_app.config["PASSWORD_RESET_PER_ADDRESS_PER_HOUR"])
    usable = user is not None and user.email_verified and not over
    token = None
    if usable:
        token = mail_links.issue(user, mail_links.RESET, user.email, _ttl())
    details = {"reason": reason} if reason else {}
    event = audit.ADMIN_SEND_RESET_LINK if actor else audit.PASSWORD_RESET_REQUESTED
    audit.record(event, client, user=user, actor=actor, subject=subject, sent=usable, **details)
    if actor:
        # Staff requests count toward the address's throttle, too.
        audit.record(audit.PASSWORD_RESET_REQUESTED, client, user=user, actor=actor, subject=subject, sent=usable)
    db.session.commit()
    link = public_url("email.reset_password", token=token) if token else None
    mail.send(user.email if usable else None, "password_reset", link=link, minutes=_ttl() // 60)
    return usable


def _ttl() -> int:
    return int(current_app.config["PASSWORD_RESET_TTL_SECONDS"])


def _live_link(token: str | None):
    # Dead once used, replaced by a newer link, expired, or the password changed since it was sent.
    row = mail_links.find(mail_links.RESET, token)
    user = db.session.get(User, row.user_id) if row else None
    if user is None or row.email != user.email or row.created_at < user.password_changed_at:
        return None, None
    return row, user


def link_is_live(token: str | None) -> bool:
    """Tell whether a reset link still works (the page shows the form or says it expired)."""
    row, _ = _live_link(token)
    db.session.commit()
    return row is not None


def reset(token: str | None, new: str, confirm: str, client: Client) -> User:
    """Set a new password from a live link: end every session, forget trusted browsers, notify; commits.

    Signs nothing in: the next sign-in needs the password and, with two-factor on, the second factor.
    """
    row, user = _live_link(token)
    if row is None:
        db.session.rollback()
        raise SecurityError(DEAD_LINK)
    stored_hash, email, row_id = user.password_hash, user.email, row.id
    db.session.commit()  # no transaction across the slow hashing below
    new_hash = accounts.hash_new_password(stored_hash, email, new, confirm)
    row, user = _live_link(token)
    if row is None or row.id != row_id or not mail_links.consume(row):
        db.session.rollback()
        raise SecurityError(DEAD_LINK)
    user.password_hash = new_hash
    user.password_changed_at = utcnow()
    mail_links.revoke(user.id, mail_links.RESET)
    devices.forget_all(user, client, reason="password reset")
    accounts.end_all_sessions(user)
    audit.record(audit.PASSWORD_RESET, client, user=user)
    db.session.commit()
    notify.send_notice(user.phone_e164, notify.PASSWORD_RESET, user=user)
    return user
