"""Verified email addresses: a link at sign-up (resendable), and changing the address."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from app import mail
from app.extensions import db
from app.mail.links import public_url
from app.models import User, utcnow
from app.security import RateLimited, SecurityError, accounts, audit, mail_links
from app.security.audit import Client
from app.security.passwords import verify_password

DEAD_LINK = "This link has expired or was already used. Ask for a new one."


def _hours() -> int:
    return int(current_app.config["EMAIL_VERIFY_TTL_SECONDS"]) // 3600


def send_link(user: User, client: Client) -> None:
    """Mail a verification link to the user's address (earlier links die); commits."""
    token = mail_links.issue(user, mail_links.VERIFY, user.email, int(current_app.config["EMAIL_VERIFY_TTL_SECONDS"]))
    audit.record(audit.EMAIL_VERIFY_SENT, client, user=user)
    db.session.commit()
    mail.send(user.email, "verify_email", link=public_url("email.verify", token=token), hours=_hours())


def take_the_same_path() -> None:
    """Compose a verification mail and queue nothing: sign-up with a taken address costs what a new one does."""
    mail.send(None, "verify_email", link=public_url("email.verify", token=""), hours=_hours())


def resend_link(user: User, client: Client) -> None:
    """Send a new verification link unless verified already or too many were sent this hour; commits."""
    if user.email_verified:
        raise SecurityError("Your email address is already confirmed.")
    limit = int(current_app.config["EMAIL_VERIFY_RESENDS_PER_HOUR"])
    if mail_links.sent_since(user.id, mail_links.VERIFY, utcnow() - timedelta(hours=1)) >= limit:
        raise RateLimited("We've sent several links this hour. Check your inbox and spam folder, "
                          "or try again later.", retry_after=3600, reason="mail_cap")
    send_link(user, client)


def link_is_live(purpose: str, token: str | None) -> bool:
    """Tell whether a mailed link still works (for the page that asks to confirm it)."""
    row = mail_links.find(purpose, token)
    db.session.commit()
    return row is not None


def confirm(token: str | None, client: Client) -> User:
    """Mark the address the link was sent to as verified, if it is still the account's; commits."""
    row = mail_links.find(mail_links.VERIFY, token)
    user = db.session.get(User, row.user_id) if row else None
    if user is None or row.email != user.email or not mail_links.consume(row):
        db.session.rollback()
        raise SecurityError(DEAD_LINK)
    user.email_verified_at = utcnow()
    audit.record(audit.EMAIL_VERIFIED, client, user=user)
    db.session.commit()
    return user


def _address_taken(email: str) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User).where(User.email == email)))


def start_change(user: User, raw_email: str, password: str, client: Client) -> str:
    """Check the password, then mail a link to the new address; the old one stays until it is followed; commits.

    An address that already has an account gets the same answer and no mail (no enumeration).
    """
    email = accounts.normalise_email(raw_email)
    problem = accounts.email_problem(email)
    if problem:
        raise SecurityError(problem, field="email")
    if email == user.email:
        raise SecurityError("That's already your email address.", field="email")
    stored_hash = user.password_hash
    db.session.commit()  # no transaction across the slow hash
    if not verify_password(stored_hash, password):
        raise SecurityError("Your password isn't right.", field="password")
    taken = _address_taken(email)
    token = None if taken else mail_links.issue(user, mail_links.EMAIL_CHANGE, email,
                                                int(current_app.config["EMAIL_VERIFY_TTL_SECONDS"]))
    audit.record(audit.EMAIL_CHANGE_REQUESTED, client, user=user, sent=not taken)
    db.session.commit()
    link = public_url("email.confirm_change", token=token) if token else None
    mail.send(None if taken else email, "email_change", link=link, new_email=email, hours=_hours())
    return email


def confirm_change(token: str | None, client: Client) -> User:
    """Replace the address with the verified new one and tell the old address; commits."""
    row = mail_links.find(mail_links.EMAIL_CHANGE, token)
    user = db.session.get(User, row.user_id) if row else None
    if user is None or _address_taken(row.email) or not mail_links.consume(row):
        db.session.rollback()
        raise SecurityError(DEAD_LINK)
    old = user.email
    user.email = row.email
    user.email_verified_at = utcnow()
    # Links sent to the old address (a reset, a verification) must not work any more.
    for purpose in (mail_links.VERIFY, mail_links.RESET):
        mail_links.revoke(user.id, purpose)
    audit.record(audit.EMAIL_CHANGED, client, user=user)
    db.session.commit()
    # The old address is told even if it was never verified: it is where the owner looks.
    mail.send(old, "email_changed", new_email=user.email)
    return user
