"""Recovery codes: ten single-use codes for signing in without the phone."""

import hashlib
import hmac
import secrets
from typing import NoReturn

from flask import current_app
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import RECOVERY_ATTRIBUTES, RecoveryCode, User, utcnow
from app.security import SecurityError, accounts, audit, challenges, codes, notify
from app.security.audit import Client

COUNT = 10
# No 0/o, 1/l/i: nothing that reads as something else when written down.
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
GROUPS, GROUP_LENGTH = 3, 4  # 12 symbols of 31: about 59 bits per code
LOW = 3  # fewer left than this, and the user is told to make new ones

FORMAT_HINT = "Enter a recovery code like 4f7k-92mx-q3tn."
EXHAUSTED = "Too many wrong recovery codes. Sign in again to start over."
REAUTH_EXHAUSTED = "Too many wrong recovery codes. Enter your password to start over."


class WrongRecoveryCode(SecurityError):
    """The code is not one of the user's unused recovery codes; the try was counted."""


class RecoveryTriesExhausted(challenges.TriesExhausted):
    """This sign-in or re-authentication has used up its recovery-code tries."""


def _keys() -> list[bytes]:
    # Old keys still match, so rotating SECRET_KEY doesn't void codes kept on paper for years.
    cfg = current_app.config
    return [key.encode() for key in [cfg["SECRET_KEY"], *(cfg.get("SECRET_KEY_FALLBACKS") or [])]]


def _digest(user_id: int, compact: str, key: bytes | None = None) -> str:
    msg = f"recovery|{user_id}|{compact}".encode()
    return hmac.new(key or _keys()[0], msg, hashlib.sha256).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))


def display(compact: str) -> str:
    """Format a code in dash-separated groups, e.g. 4f7k-92mx-q3tn."""
    return "-".join(compact[i:i + GROUP_LENGTH] for i in range(0, len(compact), GROUP_LENGTH))


def normalise(raw: str) -> str | None:
    """Return the 12 symbols of user input (any case, spaces and dashes allowed), or None."""
    cleaned = "".join(ch for ch in (raw or "")[:64] if ch not in " -\u2010\u2011\u2012\u2013\u00a0\t").lower()
    if len(cleaned) == GROUPS * GROUP_LENGTH and all(ch in ALPHABET for ch in cleaned):
        return cleaned
    return None


def as_text(codes: list[str], app_name: str, email: str) -> str:
    """Compose the downloadable text file of a new set of codes."""
    lines = [
        f"{app_name} recovery codes for {email}",
        f"Made {utcnow():%d %b %Y %H:%M} UTC. Each code signs you in once, instead of a texted code.",
        "Making new codes voids all of these. Keep them private.",
        "",
        *codes,
    ]
    return "\n".join(lines) + "\n"


def remaining(user: User) -> int:
    """Return how many unused recovery codes the user has (never the codes)."""
    return user.unused_recovery_codes or 0


def low_warning(user: User) -> str | None:
    """Say that the user is running out of recovery codes, or return None."""
    if not user.two_factor_enabled:
        return None
    left = remaining(user)
    if left >= LOW:
        return None
    if left == 0:
        return "You have no recovery codes left."
    return f"You have only {left} recovery code{'' if left == 1 else 's'} left."


def generate(user: User, client: Client) -> list[str]:
    """Replace the user's codes with a fresh set; return them for showing once."""
    if not user.two_factor_enabled:
        raise SecurityError("Turn on two-factor authentication first.")
    accounts.lock_row(user.id)
    plain = [_new_code() for _ in range(COUNT)]
    # The old set dies in the same transaction that creates the new one.
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    now = utcnow()
    db.session.add_all(RecoveryCode(user_id=user.id, digest=_digest(user.id, p), created_at=now) for p in plain)
    db.session.expire(user, RECOVERY_ATTRIBUTES)
    audit.record(audit.RECOVERY_CODES_GENERATED, client, user=user, count=COUNT)
    db.session.commit()
    notify.send_notice(None, notify.RECOVERY_CODES_GENERATED, user=user)
    return [display(p) for p in plain]


def _match(user: User, compact: str) -> RecoveryCode | None:
    rows = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    candidates = [_digest(user.id, compact, key) for key in _keys()]
    found = None
    # Compare against every row and key (constant time each, no early exit).
    for row in rows:
        for candidate in candidates:
            if hmac.compare_digest(row.digest, candidate):
                found = row
    return found


def sign_in_with(user: User, raw: str, client: Client, *, challenge_id: int | None) -> None:
    """Use up a recovery code for a pending sign-in; count a wrong one and raise; commits."""
    _use(user, raw, client, challenge_id, challenges.SIGN_IN, EXHAUSTED)


def reauthenticate_with(user: User, raw: str, client: Client, *, challenge_id: int | None) -> None:
    """Use up a recovery code as the second factor of a re-authentication; commits."""
    _use(user, raw, client, challenge_id, challenges.REAUTH, REAUTH_EXHAUSTED)


def _use(user: User, raw: str, client: Client, challenge_id: int | None, purpose: str, exhausted: str) -> None:
    compact = normalise(raw)
    if compact is None:
        raise SecurityError(FORMAT_HINT)
    max_tries = int(current_app.config["CODE_MAX_ATTEMPTS"])
    accounts.lock_row(user.id)
    db.session.refresh(user)  # the shared failure counter as of the lock
    if user.consecutive_code_failures >= int(current_app.config["CODE_FAILURE_CAP"]):
        db.session.rollback()
        raise SecurityError(codes.CAPPED)
    # Counted on the challenge's row before comparing: parallel tries on one session
    # share this count, so at most max_tries ever reach the comparison.
    attempt = challenges.take_recovery_try(challenge_id, user, purpose)
    if attempt is None:
        db.session.rollback()
        raise RecoveryTriesExhausted(exhausted)
    row = _match(user, compact)
    now = utcnow()
    # Conditional update: of two concurrent uses of one code only one wins.
    won = row is not None and db.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None)).values(used_at=now)
    ).rowcount == 1
    if not won:
        _count_failure(user, client, attempt, max_tries, exhausted, used=row is not None)
    db.session.expire(user, RECOVERY_ATTRIBUTES)
    db.session.execute(update(User).where(User.id == user.id).values(consecutive_code_failures=0))
    challenges.end(challenge_id)
    audit.record(audit.RECOVERY_CODE_USED, client, user=user, code_id=row.id, left=remaining(user), during=purpose)
    db.session.commit()
    # Best effort: the phone may be the very thing that is lost. At most one an hour.
    notify.send_notice(user.phone_e164, notify.RECOVERY_CODE_USED if purpose == challenges.SIGN_IN
                       else notify.RECOVERY_CODE_USED_TO_CONFIRM, user=user)


def _count_failure(user: User, client: Client, failed: int, max_tries: int, exhausted: str, *,
                   used: bool) -> NoReturn:
    db.session.execute(
        update(User).where(User.id == user.id).values(consecutive_code_failures=User.consecutive_code_failures + 1)
    )
    audit.record(audit.RECOVERY_CODE_FAILED, client, user=user, attempt=failed, already_used=used)
    db.session.commit()
    left = max_tries - failed
    if left <= 0:
        raise RecoveryTriesExhausted(exhausted)
    what = "That recovery code has already been used." if used else "That recovery code isn't right."
    raise WrongRecoveryCode(f"{what} {left} {'try' if left == 1 else 'tries'} left.")
