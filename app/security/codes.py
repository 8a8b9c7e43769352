"""One-time SMS codes: issue, send, verify; a resend cooldown per flow, caps from database rows."""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta

import phonenumbers
from flask import current_app
from sqlalchemy import update

from app.extensions import db
from app.models import User, VerificationCode, utcnow
from app.security import RateLimited, SecurityError, audit, budget, wait_in_words
from app.security.audit import Client
from app.security.phones import PhoneError, allowed_regions
from app.sms import GENERIC_FAILURE, SendSlotsBusy, SmsSendError, get_sender, send_slot

SETUP = "setup"
SIGN_IN = "signin"
NUMBER_CHANGE = "number_change"
REAUTH = "reauth"  # the current number, before a second-factor change (app.security.reauth)
PURPOSES = (SETUP, SIGN_IN, NUMBER_CHANGE, REAUTH)
# Shown wherever the account-wide wrong-code cap stops codes (texted and recovery alike).
CAPPED = "Too many wrong codes on this account. Contact support to get back in."


class SendUnconfirmed(SmsSendError):
    """Vonage never answered: the text may still arrive, so its code (code_id) stays valid."""

    def __init__(self, cause: SmsSendError, code_id: int) -> None:
        super().__init__(cause.user_message, cause.provider_detail, unconfirmed=True)
        self.code_id = code_id


def _cfg(key: str) -> int:
    return int(current_app.config[key])


def _digest(plain: str, *, purpose: str, user_id: int, phone: str, key: str | None = None) -> str:
    # The digest binds the code to its purpose, user and number.
    key = key or current_app.config["SECRET_KEY"]
    msg = f"otp|{purpose}|{user_id}|{phone}|{plain}".encode()
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()


def _matches(stored: str, plain: str, **binding) -> bool:
    # Old keys still match, so codes in flight survive a SECRET_KEY rotation.
    cfg = current_app.config
    keys = [cfg["SECRET_KEY"], *(cfg.get("SECRET_KEY_FALLBACKS") or [])]
    return any(hmac.compare_digest(stored, _digest(plain, key=key, **binding)) for key in keys)


def normalise_code(raw: str) -> str | None:
    """Return the six digits of user input (spaces and dashes allowed), or None."""
    if not raw or len(raw) > 32:
        return None  # refused, not cut: a cut could turn "123456<spaces>x" into a valid code
    cleaned = "".join(ch for ch in raw if ch not in " -\u00a0\t")
    if len(cleaned) == 6 and cleaned.isascii() and cleaned.isdigit():
        return cleaned
    return None


def _cooldown_left(user: User, flow_code_id: int | None, now: datetime) -> int:
    # Counted from this flow's own newest code only: a new flow is never held up by another.
    code = db.session.get(VerificationCode, flow_code_id) if flow_code_id else None
    if code is None or code.user_id != user.id:
        return 0
    free_at = code.created_at + timedelta(seconds=_cfg("CODE_RESEND_COOLDOWN_SECONDS"))
    return max(0, int((free_at - now).total_seconds() + 0.999)) if now < free_at else 0


def resend_wait(user: User, flow_code_id: int | None, phone: str | None, now: datetime | None = None) -> int:
    """Return how long Resend code must wait in this flow: its cooldown or an hourly cap (0 when free)."""
    now = now or utcnow()
    return max(_cooldown_left(user, flow_code_id, now), budget.hourly_wait(user.id, phone, now)[0])


def check_send_allowed(user: User, phone: str, *, replaces: int | None = None, now: datetime | None = None) -> None:
    """Raise RateLimited when this flow's cooldown or an hourly cap forbids another SMS."""
    now = now or utcnow()
    wait = _cooldown_left(user, replaces, now)
    if wait:
        raise RateLimited(f"Please wait {wait_in_words(wait)} before asking for another code.", retry_after=wait,
                          reason="cooldown")
    budget.check(user.id, phone, now)


def message_text(code: str, host: str | None) -> str:
    """Compose the SMS: the code, its lifetime, and the WebOTP line for autofill."""
    minutes = _cfg("CODE_TTL_SECONDS") // 60
    text = (
        f"Your {current_app.config['APP_NAME']} verification code is {code}. "
        f"It expires in {minutes} minutes. Don't share it."
    )
    if host:
        text += f"\n\n@{host.split(':')[0]} #{code}"
    return text


def send_code(user: User, purpose: str, phone: str, client: Client, host: str | None,
              *, allowance: Callable[[], int | None] | None = None, replaces: int | None = None,
              keep_unconfirmed: bool = False) -> VerificationCode:
    """Issue a new code for one flow and text it; on any failure nothing is left changed.

    replaces: the flow's current code when this is a resend; the cooldown runs from it, and it
    (only it) dies once the new code is sent. A new flow (None) sends at once, bounded by the
    hourly caps. allowance, when given, spends the caller's per-IP/global request allowance
    once every product rule has passed, and returns the seconds to wait when there is none left.
    keep_unconfirmed: when Vonage never answers (the text may still arrive), keep the code as
    if sent and raise SendUnconfirmed naming it, for a flow whose screen can take it; otherwise
    the code dies. Either way the text stays counted toward the caps.
    Commits its own work; no transaction is held while Vonage is called.
    """
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    now = utcnow()
    with ExitStack() as held:
        try:
            budget.lock(user.id, phone)
            _check_destination(user, phone)
            check_send_allowed(user, phone, replaces=replaces, now=now)
            # The slot before the per-IP allowance: a refusal for busy slots spends nothing anywhere.
            held.enter_context(send_slot())
            wait = allowance() if allowance else None
            if wait:
                raise RateLimited(f"Too many codes were requested from your network. Try again in "
                                  f"{wait_in_words(wait)}.", retry_after=wait, reason="network_limit")
        except SecurityError as exc:
            _record_refusal(user, purpose, client, exc)
            raise
        except SendSlotsBusy as exc:
            db.session.rollback()
            audit.record(audit.CODE_SEND_FAILED, client, user=user, purpose=purpose, provider=exc.provider_detail)
            db.session.commit()
            raise
        return _issue_and_text(user, purpose, phone, client, host, replaces, now, keep_unconfirmed)


def _issue_and_text(user: User, purpose: str, phone: str, client: Client, host: str | None, replaces: int | None,
                    now: datetime, keep_unconfirmed: bool) -> VerificationCode:
    # Called holding a send slot, with every rule passed: commit the rows, text, settle the outcome.
    plain = f"{secrets.randbelow(10**6):06d}"
    code = VerificationCode(
        user_id=user.id,
        purpose=purpose,
        phone_e164=phone,
        created_at=now,
        expires_at=now + timedelta(seconds=_cfg("CODE_TTL_SECONDS")),
        digest=_digest(plain, purpose=purpose, user_id=user.id, phone=phone),
    )
    db.session.add(code)
    spent = budget.spend(user.id, phone, f"code_{purpose}", now)
    # Commit before the network call so no database lock is held while we wait on it;
    # the rows count toward the caps at once, which keeps concurrent sends honest.
    db.session.commit()
    try:
        get_sender().send(phone, message_text(plain, host))
    except SmsSendError as exc:
        if exc.unconfirmed and keep_unconfirmed:
            _finish_send(user, purpose, client, replaces, now, audit.CODE_SEND_UNCONFIRMED)
            raise SendUnconfirmed(exc, code.id) from exc
        db.session.delete(code)
        if not exc.unconfirmed:  # an unanswered text may still arrive: it stays counted
            budget.refund(spent)
        audit.record(audit.CODE_SEND_FAILED, client, user=user, purpose=purpose, provider=exc.provider_detail[:200])
        db.session.commit()
        if exc.unconfirmed:  # this flow can't take a code that may arrive: plainly not sent
            raise SmsSendError(GENERIC_FAILURE, exc.provider_detail) from exc
        raise
    _finish_send(user, purpose, client, replaces, now, audit.CODE_SENT)
    return code


def _finish_send(user: User, purpose: str, client: Client, replaces: int | None, now: datetime, event: str) -> None:
    # The new code stands (sent, or maybe sent): the flow's earlier code dies; commits.
    if replaces:
        db.session.execute(
            update(VerificationCode)
            .where(VerificationCode.id == replaces, VerificationCode.user_id == user.id,
                   VerificationCode.purpose == purpose, VerificationCode.consumed_at.is_(None),
                   VerificationCode.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    audit.record(event, client, user=user, purpose=purpose)
    db.session.commit()


def _record_refusal(user: User, purpose: str, client: Client, exc: SecurityError) -> None:
    # Support sees why a code never came; the number is never part of the event.
    db.session.rollback()
    reason = getattr(exc, "reason", None) or ("country" if isinstance(exc, PhoneError) else "failure_cap")
    audit.record(audit.CODE_REFUSED, client, user=user, purpose=purpose, reason=reason)
    db.session.commit()


def _check_destination(user: User, phone: str) -> None:
    # Checked at every send, not only when the number is saved: a capped account's codes
    # could never be used, and a country taken off the allow-list stops getting texts at once.
    if user.consecutive_code_failures >= _cfg("CODE_FAILURE_CAP"):
        raise SecurityError(CAPPED)
    region = phonenumbers.region_code_for_number(phonenumbers.parse(phone))
    if region not in allowed_regions(current_app.config["SMS_ALLOWED_COUNTRIES"]):
        raise PhoneError("Text messages can't be sent to that country.")


def revoke(user: User, code_id: int | None) -> None:
    """Kill an abandoned flow's code so it can't be used later."""
    if code_id:
        db.session.execute(
            update(VerificationCode)
            .where(VerificationCode.id == code_id, VerificationCode.user_id == user.id,
                   VerificationCode.consumed_at.is_(None), VerificationCode.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        db.session.commit()


def verify_code(user: User, code_id: int | None, purpose: str, raw: str, client: Client) -> VerificationCode:
    """Consume the code if raw matches; otherwise count the failure (committed) and raise.

    A consumed code is left uncommitted: the calling service commits it with what the code was for.
    """
    candidate = normalise_code(raw)
    if candidate is None:
        raise SecurityError("Enter the 6-digit code from the text message.")
    if user.consecutive_code_failures >= _cfg("CODE_FAILURE_CAP"):
        raise SecurityError(CAPPED)
    code = db.session.get(VerificationCode, code_id) if code_id else None
    if code is None or code.user_id != user.id or code.purpose != purpose:
        raise SecurityError("That code isn't valid any more. Use Resend code to get a new one.")
    now = utcnow()
    if code.consumed_at or code.revoked_at:
        raise SecurityError("That code has already been used or replaced. Use Resend code to get a new one.")
    if now >= code.expires_at:
        raise SecurityError("That code has expired. Use Resend code to get a new one.")
    max_attempts = _cfg("CODE_MAX_ATTEMPTS")
    if code.attempts >= max_attempts:
        raise SecurityError("Too many wrong tries for this code. Use Resend code to get a new one.")
    if _matches(code.digest, candidate, purpose=purpose, user_id=user.id, phone=code.phone_e164):
        return _consume(user, code, max_attempts, purpose, client, now)
    _reserve_check(user, code, max_attempts)
    return _count_failure(user, code, max_attempts, purpose, client)


def _consume(user: User, code: VerificationCode, max_attempts: int, purpose: str, client: Client, now: datetime):
    # A right code counts its try and is used up in the same conditional updates: the caps hold
    # under concurrency as for a wrong one, and of two right answers only one wins.
    stopped = _take_try(user, code, max_attempts, used_at=now)
    if stopped:
        db.session.rollback()
        if stopped == CAPPED:
            raise SecurityError(CAPPED)
        db.session.refresh(code)
        if code.consumed_at or code.revoked_at:
            raise SecurityError("That code has already been used or replaced. Use Resend code to get a new one.")
        raise SecurityError(stopped)
    audit.record(audit.CODE_VERIFIED, client, user=user, purpose=purpose)
    # The ORM updates already set consumed_at and attempts on `code`: no reload.
    return code


def _reserve_check(user: User, code: VerificationCode, max_attempts: int) -> None:
    # Count the try before comparing, with conditional updates, so concurrent requests can
    # never let more than CODE_FAILURE_CAP (NIST 800-63B) or CODE_MAX_ATTEMPTS tries reach
    # the comparison; a right code resets the account's count.
    stopped = _take_try(user, code, max_attempts)
    if stopped:
        db.session.rollback()
        raise SecurityError(stopped)


TOO_MANY_TRIES = "Too many wrong tries for this code. Use Resend code to get a new one."


def _take_try(user: User, code: VerificationCode, max_attempts: int, *, used_at: datetime | None = None) -> str | None:
    # One conditional update on the account, one on the code; used_at (a right code) resets the
    # account's count and uses the code up. Returns why the try was refused, or None.
    failures = 0 if used_at else User.consecutive_code_failures + 1
    if db.session.execute(
        update(User)
        .where(User.id == user.id, User.consecutive_code_failures < _cfg("CODE_FAILURE_CAP"))
        .values(consecutive_code_failures=failures)
    ).rowcount != 1:
        return CAPPED
    values = {"attempts": VerificationCode.attempts + 1, **({"consumed_at": used_at} if used_at else {})}
    if db.session.execute(
        update(VerificationCode)
        .where(VerificationCode.id == code.id, VerificationCode.attempts < max_attempts,
               VerificationCode.consumed_at.is_(None), VerificationCode.revoked_at.is_(None))
        .values(**values)
    ).rowcount != 1:
        return TOO_MANY_TRIES
    return None


def _count_failure(user: User, code: VerificationCode, max_attempts: int, purpose: str, client: Client):
    # The try was already counted on the code and the account by _reserve_check.
    db.session.refresh(code)
    audit.record(audit.CODE_FAILED, client, user=user, purpose=purpose, attempt=code.attempts)
    left = max_attempts - code.attempts
    if left <= 0:
        audit.record(audit.CODE_LOCKED, client, user=user, purpose=purpose)
    db.session.commit()
    if left <= 0:
        raise SecurityError("Too many wrong tries for this code. Use Resend code to get a new one.")
    raise SecurityError(f"That code isn't right. {left} {'try' if left == 1 else 'tries'} left.")
