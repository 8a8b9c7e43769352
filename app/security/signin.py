"""The sign-in state machine: password, then (if needed) a code, then signed in."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from app.extensions import db
from app.models import SecurityEvent, User, utcnow
from app.security import (RateLimited, SecurityError, audit, challenges, codes, devices, methods, notify, staff_resets,
                          totp, wait_in_words)
from app.security.accounts import normalise_email
from app.security.audit import Client
from app.security.passwords import hash_password, needs_rehash, verify_password
from app.sms import SendSlotsBusy, SmsSendError

GENERIC_FAILURE = "Incorrect email or password."
LOCKED = "This account can't be signed in to right now. Please contact support."
MAX_THROTTLE_SECONDS = 3600
# PasswordOutcome.refusal when this process's send slots were all taken (a slow Vonage): a
# 429 with a short Retry-After and "try again in a moment", not a limit on the person.
SENDERS_BUSY = "busy"


class SignInFailed(SecurityError):
    """Email or password wrong, or the account cannot sign in."""


@dataclass
class PasswordOutcome:
    """What follows a correct password."""

    user: User
    needs_code: bool
    code_id: int | None = None
    challenge_id: int | None = None
    send_error: str | None = None
    retry_after: int | None = None
    send_status: int | None = None
    refusal: str | None = None  # which limit refused the code ("cooldown", "user_cap"...)
    method: str | None = None  # the second factor asked first (methods.SMS, TOTP or WEBAUTHN)


def check_password(email: str, password: str, client: Client) -> User:
    """Return the user for a correct email and password, or raise SignInFailed/RateLimited; commits."""
    email = normalise_email(email)
    subject = audit.subject_digest(email)
    _check_throttle(subject)
    # With whether a staff reset is waiting: after_password looks for a due one only then.
    user = db.session.scalar(select(User).where(User.email == email).options(undefer(User.staff_reset_waiting)))
    stored_hash = user.password_hash if user else None
    # End the transaction before the slow hash: on SQLite it holds the write lock.
    db.session.commit()
    # Unknown emails still pay for one hash, so timing doesn't reveal accounts.
    ok = verify_password(stored_hash, password)
    if not ok:
        audit.record(audit.SIGNIN_FAILED, client, user=user, subject=subject, reason="password")
        db.session.commit()
        _notify_owner_if_throttled(user, subject, client)
        raise SignInFailed(GENERIC_FAILURE)
    if user.is_locked:
        audit.record(audit.SIGNIN_FAILED, client, user=user, subject=subject, reason="locked")
        db.session.commit()
        raise SignInFailed(LOCKED)
    if needs_rehash(stored_hash):
        # End the transaction the checks above opened: the new hash is slow work, too.
        db.session.commit()
        new_hash = hash_password(password)
        user.password_hash = new_hash
        db.session.commit()
    return user


def _recent_failures(subject: str) -> list:
    # One query: the last hour's failures and successes; failures before the latest success don't count.
    rows = db.session.execute(
        select(SecurityEvent.created_at, SecurityEvent.type)
        .where(SecurityEvent.subject == subject,
               SecurityEvent.type.in_((audit.SIGNIN_FAILED, audit.SIGNIN_SUCCESS)),
               SecurityEvent.created_at > utcnow() - timedelta(hours=1))
        .order_by(SecurityEvent.created_at, SecurityEvent.id)
    ).all()
    last_success = max((at for at, kind in rows if kind == audit.SIGNIN_SUCCESS), default=None)
    return [at for at, kind in rows if kind == audit.SIGNIN_FAILED and (last_success is None or at > last_success)]


def _check_throttle(subject: str) -> None:
    # Throttle by the email named, known or not: same answer for both, so no enumeration.
    limit = int(current_app.config["SIGNIN_FAILURES_PER_HOUR"])
    failures = _recent_failures(subject)
    if len(failures) < limit:
        return
    delay = min(MAX_THROTTLE_SECONDS, 30 * 2 ** (len(failures) - limit))
    free_at = failures[-1] + timedelta(seconds=delay)
    now = utcnow()
    if now < free_at:
        wait = int((free_at - now).total_seconds()) + 1
        raise RateLimited(f"Too many sign-in attempts. Try again in {wait_in_words(wait, minutes_only=True)}.",
                          retry_after=wait)


def _notify_owner_if_throttled(user: User | None, subject: str, client: Client) -> None:
    limit = int(current_app.config["SIGNIN_FAILURES_PER_HOUR"])
    if user is None or not user.two_factor_enabled or len(_recent_failures(subject)) < limit:
        return
    _notice_once_an_hour(user, audit.SIGNIN_THROTTLED, notify.SIGNIN_THROTTLED, client)


def _notice_once_an_hour(user: User, marker: str, template: str, client: Client) -> None:
    # The marker event makes it at most one notice an hour, however the failures are spread.
    if _recent_event(user, marker):
        return
    audit.record(marker, client, user=user)
    db.session.commit()
    notify.send_notice(user.phone_e164, template, user=user)


def _recent_event(user: User, kind: str) -> int:
    hour_ago = utcnow() - timedelta(hours=1)
    return db.session.scalar(
        select(func.count()).select_from(SecurityEvent).where(
            SecurityEvent.user_id == user.id, SecurityEvent.type == kind, SecurityEvent.created_at > hour_ago
        )
    )


def after_password(user: User, trust_token: str | None, client: Client, host: str | None,
                   allowance: Callable[[], int | None] | None = None) -> PasswordOutcome:
    """Decide whether a second factor is needed; text a code only when SMS is asked first; commits.

    allowance: see codes.send_code. Someone who will use their app or passkey is sent no text.
    """
    # A staff reset whose waiting period is over applies now, even where no cron runs.
    if user.staff_reset_waiting:
        staff_resets.apply_due(user)
    if not user.two_factor_enabled:
        return PasswordOutcome(user, needs_code=False)
    device = devices.find_trusted(user, trust_token)
    if device is not None:
        devices.mark_used(device, client)
        db.session.commit()
        return PasswordOutcome(user, needs_code=False)
    db.session.commit()
    challenge_id = challenges.open_challenge(user, challenges.SIGN_IN)
    method = methods.preferred(user)
    outcome = (send_signin_code(user, client, host, allowance) if method == methods.SMS
               else PasswordOutcome(user, needs_code=True))
    outcome.challenge_id = challenge_id
    outcome.method = method
    return outcome


def send_signin_code(user: User, client: Client, host: str | None,
                     allowance: Callable[[], int | None] | None = None, *,
                     replaces: int | None = None) -> PasswordOutcome:
    """Text the code of one pending sign-in (replaces: its current code, on a resend).

    When refused or failed, the sign-in keeps its own current code, if any; another
    browser's code is never borrowed. When Vonage never answered, the new code stands (it may arrive).
    """
    if not user.has_sms:
        return PasswordOutcome(user, needs_code=True, code_id=replaces, send_status=422,
                               send_error="Text messages aren't set up for this account. Try another way.")
    try:
        code = codes.send_code(user, codes.SIGN_IN, user.phone_e164, client, host, allowance=allowance,
                               replaces=replaces, keep_unconfirmed=True)
        return PasswordOutcome(user, needs_code=True, code_id=code.id)
    except SendSlotsBusy as exc:
        return PasswordOutcome(user, needs_code=True, code_id=replaces, send_error=exc.user_message,
                               retry_after=exc.retry_after, send_status=429, refusal=SENDERS_BUSY)
    except codes.SendUnconfirmed as exc:
        # Vonage never answered: the text may still arrive, so its code stays this sign-in's.
        # Not a failure status: the code screen works as after a sent code, with the warning.
        return PasswordOutcome(user, needs_code=True, code_id=exc.code_id, send_error=exc.user_message,
                               send_status=200)
    except (SecurityError, SmsSendError) as exc:
        # SecurityError: a limit (429), a capped account or a number off the allow-list (422).
        refused = isinstance(exc, SecurityError)
        return PasswordOutcome(
            user, needs_code=True, code_id=replaces,
            send_error=exc.message if refused else exc.user_message,
            retry_after=exc.retry_after if refused else None,
            send_status=exc.status if refused else 503,
            refusal=getattr(exc, "reason", None),
        )


def verify_signin_code(user: User, code_id: int | None, raw: str, client: Client) -> None:
    """Check the sign-in code and use it up; a wrong one may text the owner a warning.

    The used code is committed by record_success, with the sign-in it finishes: one unit of work.
    """
    try:
        codes.verify_code(user, code_id, codes.SIGN_IN, raw, client)
    except SecurityError:
        _maybe_warn_wrong_codes(user, client)
        raise


def verify_signin_app_code(user: User, raw: str, client: Client, challenge_id: int | None = None) -> None:
    """Check an authenticator-app code at sign-in; wrong ones count and may warn the owner, as texted ones.

    Committed by record_success with the sign-in it finishes.
    """
    try:
        totp.verify(user, raw, client, challenge_id=challenge_id)
    except SecurityError:
        _maybe_warn_wrong_codes(user, client)
        raise


def _maybe_warn_wrong_codes(user: User, client: Client) -> None:
    if _recent_event(user, audit.CODE_FAILED) < int(current_app.config["WRONG_CODE_NOTICE_AFTER"]):
        return
    _notice_once_an_hour(user, audit.WRONG_CODE_NOTICE, notify.WRONG_CODES, client)


def record_success(user: User, client: Client, subject_email: str | None = None, method: str = "password",
                   challenge_id: int | None = None, *, trust: bool = False) -> str | None:
    """Record a finished sign-in (and end its challenge), keyed like failures by the normalised email; commits.

    trust: also trust this browser, in the same transaction; returns the token for its cookie (else None).
    """
    trusted = devices.trust_browser(user, client) if trust else None
    user.last_sign_in_at = utcnow()
    audit.record(
        audit.SIGNIN_SUCCESS, client, user=user,
        subject=audit.subject_digest(normalise_email(subject_email or user.email)), method=method,
    )
    # Last: its UPDATE flushes the rows above first, so this event and the code's go as one INSERT.
    challenges.end(challenge_id)
    db.session.commit()
    if trusted:
        devices.notify_trusted(user, trusted[1])
    return trusted[0] if trusted else None


def record_sign_out(user: User, client: Client, *, completely: bool = False) -> None:
    """Record that the user signed out here (completely: and forgot this browser); commits."""
    audit.record(audit.SIGNOUT_COMPLETELY if completely else audit.SIGNOUT, client, user=user)
    db.session.commit()
