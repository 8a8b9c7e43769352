"""Re-authentication before second-factor changes: the password, then a second factor.

The second factor is the user's own: a texted code, an authenticator-app code or a recovery
code. A code is texted only when SMS is the method asked first (or the user asks for one).

NIST SP 800-63B treats turning two-factor off, changing the number and making new recovery
codes as binding an authenticator, so a sign-in older than REAUTH_MAX_AGE_SECONDS must show
both factors again. The password is checked first (throttled like sign-in); only then is a
code texted to the current number, so a stolen session alone can't make the app send texts.
"""

from collections.abc import Callable
from dataclasses import dataclass

from app.extensions import db
from app.models import User, VerificationCode
from app.security import SecurityError, audit, challenges, codes, methods, passkeys, recovery, totp
from app.security.audit import Client
from app.sms import SmsSendError

EXPIRED = "This confirmation has expired. Enter your password to start again."


class ReauthExpired(SecurityError):
    """The re-authentication is over (expired, answered or out of tries); start from the password."""


@dataclass
class Started:
    """A re-authentication waiting for its second factor."""

    challenge_id: int
    code_id: int | None
    send_error: SecurityError | SmsSendError | None = None


def send_reauth_code(user: User, client: Client, host: str | None,
                     allowance: Callable[[], int | None] | None = None, *,
                     replaces: int | None = None) -> VerificationCode:
    """Text a re-authentication code to the current number (every such text goes through here)."""
    return codes.send_code(user, codes.REAUTH, user.phone_e164, client, host, allowance=allowance,
                           replaces=replaces)


def start(user: User, client: Client, host: str | None,
          allowance: Callable[[], int | None] | None = None, *, replaces: int | None = None) -> Started:
    """After a right password: open a challenge and, when SMS is asked first, text a code (commits).

    A failed send is reported, not raised.

    replaces: the code of a re-authentication already under way (a form sent twice); it stays
    the one to enter when the resend cooldown refuses a new one.
    """
    if not user.two_factor_enabled:
        raise SecurityError("Two-factor authentication is off.")
    challenge_id = challenges.open_challenge(user, challenges.REAUTH)
    if methods.preferred(user) != methods.SMS:
        return Started(challenge_id, replaces)
    try:
        code = send_reauth_code(user, client, host, allowance, replaces=replaces)
    except (SecurityError, SmsSendError) as exc:
        # A recovery code still works: the phone may be the very thing that is missing.
        return Started(challenge_id, replaces, exc)
    return Started(challenge_id, code.id)


def resend(user: User, challenge_id: int | None, client: Client, host: str | None,
           allowance: Callable[[], int | None] | None = None, *, replaces: int | None = None) -> VerificationCode:
    """Text a fresh code for a live re-authentication (replaces, its current code, dies; cooldown from it)."""
    _require_live(user, challenge_id)
    if not user.has_sms:
        raise SecurityError("Text messages aren't set up. Use your authenticator app or a recovery code.")
    return send_reauth_code(user, client, host, allowance, replaces=replaces)


def confirm_with_code(user: User, challenge_id: int | None, code_id: int | None, raw: str, client: Client) -> None:
    """Accept the texted code as the second factor; commits."""
    _require_live(user, challenge_id)
    codes.verify_code(user, code_id, codes.REAUTH, raw, client)
    _finish(user, challenge_id, client, "sms")


def confirm_with_app_code(user: User, challenge_id: int | None, raw: str, client: Client) -> None:
    """Accept an authenticator-app code as the second factor; commits."""
    _require_live(user, challenge_id)
    totp.verify(user, raw, client, purpose=codes.REAUTH, challenge_id=challenge_id)
    _finish(user, challenge_id, client, methods.TOTP)


def confirm_with_passkey(user: User, response: str, challenge: bytes | None, client: Client) -> None:
    """Accept one of the user's passkeys, with user verification, in place of password and code; commits.

    A verified passkey is multi-factor on its own, as at sign-in.
    """
    passkeys.authenticate(response, challenge, client, user=user, require_uv=True)
    audit.record(audit.REAUTHENTICATED, client, user=user, method=methods.WEBAUTHN)
    db.session.commit()


def confirm_with_recovery_code(user: User, challenge_id: int | None, raw: str, client: Client) -> None:
    """Use up a recovery code as the second factor; commits."""
    _require_live(user, challenge_id)
    recovery.reauthenticate_with(user, raw, client, challenge_id=challenge_id)
    _finish(user, challenge_id, client, "recovery")


def cancel(user: User, challenge_id: int | None, code_id: int | None) -> None:
    """Abandon a re-authentication: its code and challenge die; commits."""
    challenges.end(challenge_id)
    db.session.commit()
    codes.revoke(user, code_id)


def _require_live(user: User, challenge_id: int | None) -> None:
    if not user.two_factor_enabled or not challenges.is_live(challenge_id, user, challenges.REAUTH):
        raise ReauthExpired(EXPIRED)


def _finish(user: User, challenge_id: int | None, client: Client, method: str) -> None:
    challenges.end(challenge_id)
    audit.record(audit.REAUTHENTICATED, client, user=user, method=method)
    db.session.commit()
