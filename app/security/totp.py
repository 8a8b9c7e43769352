"""The authenticator-app method (RFC 6238 TOTP): enrol, check a code, remove.

30-second steps, 6 digits, SHA-1: the defaults every authenticator app supports. A code one
step early or late is accepted (clock drift); each time step is accepted once per account
(last_step), so an overheard code can't be replayed. Wrong codes count toward the account's
shared failure cap, like texted and recovery codes, and each sign-in or re-authentication
allows CODE_MAX_ATTEMPTS tries (counted on its challenge row, shared with recovery codes).
The secret is stored encrypted (app.security.secretbox), never logged, and shown only while enrolling.
"""

import hmac
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import or_, update

from app.extensions import db
from app.models import METHOD_ATTRIBUTES, TotpCredential, User, utcnow
from app.security import SecurityError, audit, challenges, codes, methods, secretbox, twofactor
from app.security.audit import Client

INTERVAL = 30
DRIFT_STEPS = 1
WRONG = "That code isn't right. Check the time on your phone, then try the newest code."
REUSED = "That code was already used. Wait for the next one in your app."
FORMAT = "Enter the 6-digit code from your authenticator app."
EXHAUSTED = "Too many wrong codes. Sign in again to start over."
REAUTH_EXHAUSTED = "Too many wrong codes. Enter your password to start over."


def new_secret() -> str:
    """Return a fresh base32 secret (160 bits, from secrets)."""
    return pyotp.random_base32(32)


def grouped(secret: str) -> str:
    """Format a secret in groups of four for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, email: str) -> str:
    """Return the otpauth:// URI an app scans."""
    issuer = current_app.config.get("TOTP_ISSUER") or current_app.config["APP_NAME"]
    return pyotp.TOTP(secret, interval=INTERVAL).provisioning_uri(name=email, issuer_name=issuer)


def qr_path(uri: str) -> tuple[int, str]:
    """Return the QR code of the URI as (size, SVG path data), for an inline <svg> in the page.

    Made here, so no outside service sees the secret; plain path data, so the template needs no |safe.
    """
    qr = segno.make(uri, error="m")
    rows = list(qr.matrix_iter(border=4))
    path = "".join(f"M{x} {y}h1v1h-1z" for y, row in enumerate(rows) for x, dark in enumerate(row) if dark)
    return len(rows), path


def _matching_step(secret: str, candidate: str, now: float) -> int | None:
    # Every step in the window is compared (constant time each), the newest match wins.
    totp = pyotp.TOTP(secret, interval=INTERVAL)
    current = int(now) // INTERVAL
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), candidate):
            found = step
    return found


def enrol(user: User, secret: str, raw: str, client: Client) -> bool:
    """Save the app once a current code proves it; return whether two-factor just turned on; commits."""
    if user.totp_credential is not None:
        raise SecurityError("An authenticator app is already set up. Remove it first to set up another.")
    candidate = codes.normalise_code(raw)
    if candidate is None:
        raise SecurityError(FORMAT)
    step = _matching_step(secret, candidate, time.time())
    if step is None:
        raise SecurityError(WRONG)
    first = not user.two_factor_enabled
    db.session.add(TotpCredential(user_id=user.id, secret_encrypted=secretbox.encrypt(secret), last_step=step))
    db.session.flush()
    db.session.expire(user, METHOD_ATTRIBUTES)
    twofactor.method_added(user, methods.TOTP, client, first=first)
    return first


def verify(user: User, raw: str, client: Client, purpose: str = codes.SIGN_IN, *,
           challenge_id: int | None = None) -> None:
    """Accept a current app code once, or count the failure (committed) and raise.

    Success is left uncommitted, like codes.verify_code: the caller commits it with what it was for.
    Raises challenges.TriesExhausted once the challenge's tries are used up (the step is over).
    """
    credential = user.totp_credential
    if credential is None:
        raise SecurityError("No authenticator app is set up.")
    candidate = codes.normalise_code(raw)
    if candidate is None:
        raise SecurityError(FORMAT)
    cap = int(current_app.config["CODE_FAILURE_CAP"])
    # Counted before comparing, with a conditional update, as for texted codes (codes._reserve_check).
    reserved = db.session.execute(
        update(User).where(User.id == user.id, User.consecutive_code_failures < cap)
        .values(consecutive_code_failures=User.consecutive_code_failures + 1)
    ).rowcount
    if reserved != 1:
        db.session.rollback()
        raise SecurityError(codes.CAPPED)
    exhausted = EXHAUSTED if purpose == codes.SIGN_IN else REAUTH_EXHAUSTED
    # Per step, as for texted codes: at most CODE_MAX_ATTEMPTS guesses reach the comparison.
    attempt = challenges.take_recovery_try(
        challenge_id, user, challenges.SIGN_IN if purpose == codes.SIGN_IN else challenges.REAUTH)
    if attempt is None:
        db.session.rollback()
        raise challenges.TriesExhausted(exhausted)
    step = _matching_step(secretbox.decrypt(credential.secret_encrypted), candidate, time.time())
    # Conditional update: a step (and any older one) is accepted once, even by parallel requests.
    won = step is not None and db.session.execute(
        update(TotpCredential)
        .where(TotpCredential.id == credential.id,
               or_(TotpCredential.last_step.is_(None), TotpCredential.last_step < step))
        .values(last_step=step, last_used_at=utcnow())
    ).rowcount == 1
    if not won:
        audit.record(audit.CODE_FAILED, client, user=user, purpose=purpose, method=methods.TOTP,
                     **({"reused": True} if step is not None else {}))
        db.session.commit()
        left = int(current_app.config["CODE_MAX_ATTEMPTS"]) - attempt
        if left <= 0:
            raise challenges.TriesExhausted(exhausted)
        raise SecurityError(f"{REUSED if step is not None else WRONG} {left} {'try' if left == 1 else 'tries'} left.")
    db.session.execute(update(User).where(User.id == user.id).values(consecutive_code_failures=0))
    audit.record(audit.CODE_VERIFIED, client, user=user, purpose=purpose, method=methods.TOTP)


def remove(user: User, client: Client) -> None:
    """Remove the app (another method remains; the last one goes with two-factor off); commits."""
    credential = user.totp_credential
    twofactor.remove_method(user, methods.TOTP, client, lambda: db.session.delete(credential))


def reencrypt_all() -> int:
    """Re-encrypt every stored secret with the newest key; return how many; commits."""
    count = 0
    for credential in db.session.query(TotpCredential).all():
        credential.secret_encrypted = secretbox.rotate(credential.secret_encrypted)
        count += 1
    db.session.commit()
    return count
