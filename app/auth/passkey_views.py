"""Passkeys at sign-in: as the second factor, and on their own from the sign-in page."""

import json

from flask import flash, jsonify, request, url_for

from app import signin_session
from app.auth.views import _second_factor_step, _suggest_new_recovery_codes, bp
from app.auth.ways import other_methods
from app.forms import field, safe_next
from app.htmx import hx_redirect, render
from app.models import User
from app.security import SecurityError, methods, passkeys, signin
from app.web import client

SIGN_IN = "signin"  # challenge purposes
SECOND_FACTOR = "second_factor"
MAX_RESPONSE = 16 * 1024


def _options(user: User | None, purpose: str):
    options, challenge = passkeys.authentication_options(user)
    signin_session.keep_webauthn_challenge(purpose, passkeys.encode(challenge))
    return jsonify(publicKey=json.loads(options))


@bp.post("/signin/passkey/options")
def passkey_options():
    """Give the browser a challenge for signing in with any passkey (discoverable, verification required)."""
    return _options(None, SIGN_IN)


@bp.post("/signin/passkey")
def passkey_signin():
    """Sign in with a passkey alone: with user verification it is multi-factor by itself."""
    challenge = passkeys.decode(signin_session.take_webauthn_challenge(SIGN_IN))
    try:
        user = passkeys.authenticate(field("credential", MAX_RESPONSE, strip=False), challenge, client())
    except SecurityError as exc:
        flash(exc.message, "error")
        return hx_redirect(url_for("auth.sign_in", next=safe_next(request.values.get("next"))))
    signin.record_success(user, client(), method="passkey")
    signin_session.start_full_session(user, second_factor=methods.WEBAUTHN)
    _suggest_new_recovery_codes(user)
    return hx_redirect(safe_next(request.values.get("next")) or url_for("account.settings"))


@bp.post("/signin/passkey-2fa/options", endpoint="passkey_step_options")
def passkey_step_options():
    """Give the browser a challenge for the pending user's own passkeys."""
    state, user = signin_session.pending_user()
    if user is None:
        return jsonify(error="Sign in again."), 409
    return _options(user, SECOND_FACTOR)


@bp.route("/signin/passkey-2fa", methods=["GET", "POST"], endpoint="passkey_step")
def passkey_step():
    """Take the pending user's passkey as the second factor."""
    return _second_factor_step(
        lambda user, state: passkeys.authenticate(
            field("credential", MAX_RESPONSE, strip=False),
            passkeys.decode(signin_session.take_webauthn_challenge(SECOND_FACTOR)), client(), user=user),
        lambda user, state, error, status: render("auth/passkey.html", "auth/_passkey.html", status, error=error,
                                                  others=other_methods(user, methods.WEBAUTHN)),
        method=methods.WEBAUTHN)

