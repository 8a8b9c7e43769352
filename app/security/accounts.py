"""Accounts: sign up, change password, end sessions, lock and unlock."""

import unicodedata

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import User, utcnow
from app.security import SecurityError, audit, devices, mail_links, notify
from app.security.audit import Client
from app.security.passwords import hash_password, password_problems, verify_password

MAX_EMAIL = 254


class AccountExists(SecurityError):
    """The email is taken; views must answer exactly as for a new account."""

    def __init__(self, email: str) -> None:
        super().__init__("An account with that email already exists.", field="email")


def normalise_email(raw: str) -> str:
    """Fold case and whitespace so one address has one spelling."""
    return unicodedata.normalize("NFKC", (raw or "")).strip().lower()


def email_problem(email: str) -> str | None:
    """Return why an (already normalised) email is unusable, or None."""
    if not email:
        return "Enter your email address."
    if len(email) > MAX_EMAIL:
        return "That email address is too long."
    local, at, domain = email.rpartition("@")
    labels = domain.split(".")
    if not at or not local or "@" in local or len(local) > 64 or len(labels) < 2 \
            or any(not label or len(label) > 63 for label in labels):
        return "Enter a valid email address, like name@example.com."
    # Whitespace, mail-syntax specials, and control or invisible characters (e.g. U+202E).
    if any(ch.isspace() or ch in "<>()[]\\,;:\"" or unicodedata.category(ch)[0] == "C" for ch in email):
        return "Enter a valid email address, like name@example.com."
    return None


def find_by_email(email: str) -> User | None:
    """Look a user up by normalised email."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, password: str, client: Client, *, is_staff: bool = False,
                check_password: bool = True) -> User:
    """Create an account or raise SecurityError with the reason."""
    email = normalise_email(email)
    problem = email_problem(email)
    if problem:
        raise SecurityError(problem, field="email")
    if check_password:
        problems = password_problems(password, email)
        if problems:
            raise SecurityError(problems[0], field="password")
    password_hash = hash_password(password)
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountExists(email)
    user = User(email=email, password_hash=password_hash, is_staff=is_staff)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # Two sign-ups raced for one email (possible on PostgreSQL): the loser is "taken".
        db.session.rollback()
        raise AccountExists(email) from None
    audit.record(audit.SIGNUP, client, user=user)
    db.session.commit()
    return user


def lock_row(user_id: int) -> None:
    """Serialise this account's code checks and texts until the transaction ends (PostgreSQL row lock).

    SQLite needs none: BEGIN IMMEDIATE already serialises writers.
    """
    if db.engine.dialect.name != "sqlite":
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def end_all_sessions(user: User) -> None:
    """Bump the session version so every session of the user ends at its next request."""
    db.session.execute(
        update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    )
    db.session.refresh(user)


def set_staff(user: User, staff: bool, client: Client) -> None:
    """Grant or revoke the staff role; the user's sessions end so the new role applies; commits."""
    user.is_staff = staff
    end_all_sessions(user)
    audit.record(audit.STAFF_GRANTED if staff else audit.STAFF_REVOKED, client, user=user)
    db.session.commit()


def end_other_sessions(user: User, client: Client, *, forget_browsers: bool = False,
                       keep_device_id: int | None = None) -> int:
    """End every session of the user at its next request, optionally forgetting trusted browsers
    except keep_device_id; commits. Return how many browsers were forgotten.

    The caller re-binds its own session to the new version (signin_session.keep_signed_in).
    """
    forgotten = devices.forget_all(user, client, keep_id=keep_device_id,
                                   reason="signed out of other sessions") if forget_browsers else 0
    end_all_sessions(user)
    audit.record(audit.SESSIONS_ENDED, client, user=user, browsers_forgotten=forgotten)
    db.session.commit()
    return forgotten


def hash_new_password(stored_hash: str, email: str, new: str, confirm: str) -> str:
    """Check a new password against the rules (matching, strong, not the current one); return its hash.

    Slow (argon2): call it outside any transaction.
    """
    if new != confirm:
        raise SecurityError("The new passwords don't match.", field="confirm")
    problems = password_problems(new, email)
    if problems:
        raise SecurityError(problems[0], field="new")
    if verify_password(stored_hash, new):
        raise SecurityError("Choose a password different from your current one.", field="new")
    return hash_password(new)


def change_password(user: User, current: str, new: str, confirm: str, client: Client) -> None:
    """Replace the password, forget trusted browsers and end every session."""
    stored_hash, email = user.password_hash, user.email
    # The hashing below is slow; don't hold SQLite's write lock through it.
    db.session.commit()
    if not verify_password(stored_hash, current):
        raise SecurityError("Your current password isn't right.", field="current")
    new_hash = hash_new_password(stored_hash, email, new, confirm)
    user.password_hash = new_hash
    user.password_changed_at = utcnow()
    devices.forget_all(user, client, reason="password changed")
    end_all_sessions(user)
    # A reset link sent before dies with the password it was meant to replace.
    mail_links.revoke(user.id, mail_links.RESET)
    audit.record(audit.PASSWORD_CHANGED, client, user=user)
    db.session.commit()
    notify.send_notice(user.phone_e164, notify.PASSWORD_CHANGED, user=user)
