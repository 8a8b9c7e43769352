"""Sign-in state kept in the server-side session: pending, full, re-authenticated."""

import time
from datetime import UTC, datetime

from flask import current_app, flash, session
from flask_login import login_user, logout_user

from app import adapters
from app.models import User
from app.security import challenges

PENDING = "pending"
AUTH_AT = "auth_at"
CREATED_AT = "created_at"
SEEN_AT = "seen_at"
FLOW = "twofa_flow"
REAUTH = "reauth"
SIGNUP_EMAIL = "signup_email"
PHONE_COUNTRY = "phone_country"
# Set while new recovery codes wait for "I have saved these codes"; holds why, never the codes.
RECOVERY_ACK = "recovery_ack"
# An authenticator-app secret waiting for its first code (encrypted, as at rest).
TOTP_ENROL = "totp_enrol"
# WebAuthn challenges waiting for the browser's answer, by purpose; each is used once.
WEBAUTHN = "webauthn"
# The second factor this session last proved (methods.SMS, TOTP, WEBAUTHN, "recovery"); none after a
# trusted browser or a password alone. The staff area may require an app or a passkey here.
SECOND_FACTOR = "second_factor"

PASSWORD_CHANGED_HERE = "Your password was changed, so you were signed out here."
SIGNED_OUT_HERE = "You were signed out here. Sign in again to continue."


def now() -> float:
    """Return the wall clock in seconds (moved by tests' clock)."""
    return time.time()


def regenerate() -> None:
    """Give the session a new id and delete the old server record.

    Flask-Session regenerates only a non-empty session, so call this before clearing.
    """
    current_app.session_interface.regenerate(session)


def begin_pending(user: User, code_id: int | None, *, challenge_id: int | None,
                  next_url: str | None = None, method: str | None = None) -> None:
    """After a right password: remember who is half signed in, and nothing more."""
    regenerate()
    session.clear()
    session[PENDING] = {
        "uid": user.id,
        "ver": user.session_version,
        "code_id": code_id,
        # Its database row counts recovery-code tries (a count here would not survive parallel requests).
        "challenge": challenge_id,
        "exp": now() + int(current_app.config["PENDING_SIGNIN_TTL_SECONDS"]),
        "next": next_url,
        "auth_at": now(),
        # The second factor asked first (its screen); Try another way leads to the others.
        "method": method,
    }
    session[CREATED_AT] = now()


def is_current(user: User | None, version: int) -> bool:
    """Tell whether a session may act for this user: it exists, is unlocked, and the version still matches.

    The one rule behind both the signed-in user (auth_loader.load_user) and pending_user().
    """
    return user is not None and user.session_version == version and not user.is_locked


def pending_user() -> tuple[dict, User] | tuple[None, None]:
    """Return the live pending sign-in and its user, or (None, None) when there is none to finish."""
    state = pending()
    if not state:
        return None, None
    user, live = challenges.user_and_liveness(state["uid"], state.get("challenge"), challenges.SIGN_IN,
                                              state.get("code_id"))
    if not is_current(user, state["ver"]) or not user.two_factor_enabled:
        return None, None
    # Out of recovery-code tries (or answered) in any request sharing this session: over.
    if not live:
        return None, None
    return state, user


def holds_sign_in(data) -> bool:
    """Tell whether session data belongs to someone signed in or half signed in."""
    return bool(adapters.signed_in_id(data) or data.get(PENDING))


def pending() -> dict | None:
    """Return the live pending sign-in, dropping an expired one."""
    state = session.get(PENDING)
    if not state:
        return None
    if now() > state["exp"]:
        session.pop(PENDING, None)
        return None
    return state


def end_pending() -> None:
    """Abandon a half-finished sign-in, keeping the rest of the session (its messages)."""
    if PENDING in session:
        regenerate()
        session.pop(PENDING, None)


def set_pending_code(code_id: int | None, *, retry_after: int | None = None) -> None:
    """Point the pending sign-in at its current code; retry_after: a limit refused another for that long."""
    state = dict(session[PENDING])
    state["code_id"] = code_id
    state["retry_at"] = now() + retry_after if retry_after else None
    session[PENDING] = state


def set_pending_method(method: str) -> None:
    """Note the second factor the pending sign-in switched to (Try another way)."""
    session[PENDING] = {**session[PENDING], "method": method}


def begin_totp_enrolment(encrypted_secret: str) -> None:
    """Keep a new authenticator-app secret (encrypted) until a code from the app proves it."""
    session[TOTP_ENROL] = {"secret": encrypted_secret, "exp": now() + int(current_app.config["PENDING_SIGNIN_TTL_SECONDS"])}


def totp_enrolment() -> str | None:
    """Return the encrypted secret being enrolled, dropping an expired one."""
    state = session.get(TOTP_ENROL)
    if state and now() > state["exp"]:
        session.pop(TOTP_ENROL, None)
        return None
    return state["secret"] if state else None


def end_totp_enrolment() -> None:
    """Forget the secret being enrolled."""
    session.pop(TOTP_ENROL, None)


def keep_webauthn_challenge(purpose: str, challenge: str) -> None:
    """Keep a WebAuthn challenge (base64url) for one purpose until the browser answers it."""
    kept = {**(session.get(WEBAUTHN) or {}), purpose: {"challenge": challenge, "exp": now() + 5 * 60}}
    session[WEBAUTHN] = kept


def take_webauthn_challenge(purpose: str) -> str | None:
    """Return (once) the live WebAuthn challenge kept for purpose, if any."""
    kept = dict(session.get(WEBAUTHN) or {})
    entry = kept.pop(purpose, None)
    if entry is not None:
        session[WEBAUTHN] = kept
    return entry["challenge"] if entry and now() <= entry["exp"] else None


def refused_for(state: dict) -> int:
    """Return the seconds a limit still refuses codes to this pending sign-in (0 when none)."""
    retry_at = state.get("retry_at")
    return max(0, int(retry_at - now() + 0.999)) if retry_at else 0


def start_full_session(user: User, *, password_at: float | None = None, second_factor: str | None = None) -> None:
    """Make the session fully signed in, under a new id (the audit record is signin.record_success)."""
    # Flask-Login must hold the user itself: given the current_user proxy it would resolve to itself.
    user = getattr(user, "_get_current_object", lambda: user)()
    regenerate()
    session.clear()
    login_user(user)
    session[AUTH_AT] = password_at or now()
    session[CREATED_AT] = now()
    session[SEEN_AT] = now()
    if second_factor:
        session[SECOND_FACTOR] = second_factor


def second_factor() -> str | None:
    """Return the second factor this session last proved (None: a trusted browser or a password alone)."""
    return session.get(SECOND_FACTOR)


def keep_signed_in(user: User) -> None:
    """Stay signed in here after the user's session version moved on, under a new id.

    The password time and the session's absolute lifetime are kept: nothing was re-checked.
    """
    # Flask-Login must hold the user itself: given the current_user proxy it would resolve to itself.
    user = getattr(user, "_get_current_object", lambda: user)()
    regenerate()
    login_user(user)
    session[SEEN_AT] = now()


def end_stale(password_changed_at: datetime | None) -> None:
    """Empty a session whose account ended it elsewhere, and say why on the next page.

    Called from the user loader, so it must not touch current_user (logout_user would).
    """
    created = session.get(CREATED_AT) or 0
    changed = password_changed_at.replace(tzinfo=UTC).timestamp() if password_changed_at else 0
    regenerate()
    session.clear()
    flash(PASSWORD_CHANGED_HERE if changed > created else SIGNED_OUT_HERE, "info")


def remember_country(region: str) -> None:
    """Keep the country of a number just turned off, for the next phone form."""
    session[PHONE_COUNTRY] = region


def take_remembered_country() -> str | None:
    """Return (once) the country remember_country kept, if any."""
    return session.pop(PHONE_COUNTRY, None)


def remember_email(email: str) -> None:
    """Keep a just-registered email for the sign-in form."""
    session[SIGNUP_EMAIL] = email


def take_remembered_email() -> str:
    """Return (once) the email remember_email kept, or ""."""
    return session.pop(SIGNUP_EMAIL, "") if SIGNUP_EMAIL in session else ""


def begin_reauth(action: str, challenge_id: int, code_id: int | None, form: dict | None = None) -> None:
    """After a right password: remember the change waiting for a second factor (never a code)."""
    session[REAUTH] = {
        "action": action,
        "challenge": challenge_id,
        "code_id": code_id,
        # What the person typed for the change (a new number), so they needn't type it again.
        "form": form or {},
        "exp": now() + int(current_app.config["PENDING_SIGNIN_TTL_SECONDS"]),
    }


def reauth() -> dict | None:
    """Return the re-authentication under way, dropping an expired one."""
    state = session.get(REAUTH)
    if state and now() > state["exp"]:
        session.pop(REAUTH, None)
        return None
    return state or None


def set_reauth_code(code_id: int | None) -> None:
    """Point the re-authentication at a newly sent code."""
    session[REAUTH] = {**session[REAUTH], "code_id": code_id}


def end_reauth() -> dict | None:
    """Forget the re-authentication under way; return what it was."""
    return session.pop(REAUTH, None)


def start_flow(purpose: str, code_id: int, masked: str) -> None:
    """Remember which code the Two-Factor screen waits for (never the code itself)."""
    session[FLOW] = {"purpose": purpose, "code_id": code_id, "masked": masked}


def flow() -> dict | None:
    """Return the setup or number-change flow under way, if any."""
    return session.get(FLOW) or None


def end_flow() -> dict | None:
    """Forget the flow under way; return what it was."""
    return session.pop(FLOW, None)


def await_recovery_ack(why: str) -> None:
    """Note that new recovery codes wait for "I have saved these codes" (why: "setup" or "new")."""
    session[RECOVERY_ACK] = why


def awaits_recovery_ack() -> bool:
    """Tell whether new recovery codes still wait for "I have saved these codes"."""
    return bool(session.get(RECOVERY_ACK))


def take_recovery_ack() -> str | None:
    """Forget the wait for "I have saved these codes"; return why it was (None when none)."""
    return session.pop(RECOVERY_ACK, None)


def mark_reauthenticated(second_factor: str | None = None) -> None:
    """Note a fresh check (and the second factor it proved, if any); privilege rises, so the id changes."""
    regenerate()
    session[AUTH_AT] = now()
    if second_factor:
        session[SECOND_FACTOR] = second_factor


def recently_authenticated() -> bool:
    """Tell whether the last full authentication was within REAUTH_MAX_AGE_SECONDS."""
    at = session.get(AUTH_AT)
    return bool(at) and now() - at <= int(current_app.config["REAUTH_MAX_AGE_SECONDS"])


def end() -> None:
    """Sign out: delete the server record and empty the session."""
    regenerate()
    logout_user()
    session.clear()


def enforce_timeouts() -> bool:
    """End a session past its idle or absolute lifetime; return True if it ended."""
    if not session:
        return False
    t = now()
    created = session.get(CREATED_AT, t)
    seen = session.get(SEEN_AT, t)
    cfg = current_app.config
    if t - created > int(cfg["SESSION_ABSOLUTE_TIMEOUT"]) or t - seen > int(cfg["SESSION_IDLE_TIMEOUT"]):
        end()
        return True
    # Touch at most once a minute so a page view doesn't always rewrite the session.
    if t - seen > 60 or SEEN_AT not in session:
        session[SEEN_AT] = t
    session.setdefault(CREATED_AT, t)
    return False

