"""Two-Factor screen: adding, removing and choosing between the methods beside SMS."""

import json

from flask import jsonify, redirect, request, url_for
from flask_login import current_user

from app import signin_session
from app.account import changes, screen
from app.account.views import bp
from app.auth import trust_cookie
from app.forms import field
from app.htmx import render
from app.recent_password import check_password_again
from app.security import SecurityError, methods, passkeys, reauth, recovery, secretbox, totp
from app.web import client


@bp.post("/two-factor/app")
def app_start():
    """Start setting up an authenticator app (after the password, and a second factor if two-factor is on)."""
    if current_user.totp_credential is not None:
        return screen.respond(screen.current_step(), error="An authenticator app is already set up.")
    if not signin_session.recently_authenticated():
        if current_user.two_factor_enabled:
            return _reauthenticate("app")
        refused = _first_method_password("app")
        if refused:
            return refused
    return changes.start_app_enrolment(redirect_after=False)


@bp.post("/two-factor/app/confirm")
def app_confirm():
    """Save the authenticator app once a current code from it is entered."""
    encrypted = signin_session.totp_enrolment()
    if not encrypted:
        return screen.respond(screen.current_step(), error="Start again: set up the app once more.")
    try:
        first = totp.enrol(current_user, secretbox.decrypt(encrypted), field("code", 64), client())
    except SecurityError as exc:
        return screen.respond("app", error=exc, error_field="code")
    signin_session.end_totp_enrolment()
    return _added(first, "Your authenticator app is set up.")


def _added(first: bool, notice: str):
    if not first:
        return screen.done(notice)
    # Two-factor just turned on: as with a first number, recovery codes are shown this once.
    response = screen.show_recovery_codes(recovery.generate(current_user, client()), "setup",
                                          notice="Two-factor authentication is on.")
    trust_cookie.clear_on(response)  # every earlier trust was just forgotten
    return response


@bp.post("/two-factor/app/cancel")
def app_cancel():
    """Stop setting up the app; nothing was saved."""
    signin_session.end_totp_enrolment()
    return screen.done()


@bp.post("/two-factor/app/remove")
def app_remove():
    """Remove the authenticator app (the last method: the "Yes, disable" confirmation instead)."""
    return _remove(methods.TOTP, "remove_app", changes.remove_app)


@bp.post("/two-factor/sms/remove")
def sms_remove():
    """Stop texting codes (the last method: the "Yes, disable" confirmation instead)."""
    return _remove(methods.SMS, "remove_sms", changes.remove_sms)


def _remove(kind: str, action: str, remove):
    have = methods.available(current_user)
    if kind not in have:
        return screen.done()
    if have == [kind]:
        return screen.respond("disable")
    if not signin_session.recently_authenticated():
        return _reauthenticate(action)
    return remove(redirect_after=False)


def _reauthenticate(action: str, form: dict | None = None):
    # The buttons on the methods list carry no password field: ask for it on its own step first.
    if not field("password", 1024, strip=False):
        return screen.ask_password(action, form=form)
    return screen.reauthenticate(action, form=form)


def _first_method_password(action: str):
    # Two-factor off: the password alone (there is no second factor yet); None when it was right.
    if not field("password", 1024, strip=False):
        return screen.ask_password(action)
    try:
        check_password_again()
    except SecurityError as exc:
        return screen.ask_password(action, exc)
    signin_session.mark_reauthenticated()
    return None


@bp.post("/two-factor/passkeys/start")
def passkey_start():
    """Confirm it's you (if the sign-in is old), then show the Add a passkey form."""
    if not signin_session.recently_authenticated():
        if current_user.two_factor_enabled:
            return _reauthenticate("passkey")
        refused = _first_method_password("passkey")
        if refused:
            return refused
    return screen.done()


@bp.post("/two-factor/passkeys/options")
def passkey_options():
    """Give the browser the options (and keep the challenge) for registering a passkey."""
    if not signin_session.recently_authenticated():
        return jsonify(error="Confirm it's you first."), 403
    options, challenge = passkeys.registration_options(current_user)
    signin_session.keep_webauthn_challenge("register", passkeys.encode(challenge))
    return jsonify(publicKey=json.loads(options))


@bp.post("/two-factor/passkeys")
def passkey_add():
    """Save the passkey the browser just made."""
    if not signin_session.recently_authenticated():
        return screen.respond(screen.current_step(), error="Confirm it's you first: choose Add a passkey again.")
    challenge = passkeys.decode(signin_session.take_webauthn_challenge("register"))
    try:
        first = passkeys.register(current_user, field("name", 200), field("credential", 16 * 1024, strip=False),
                                  challenge, client())
    except SecurityError as exc:
        return screen.respond(screen.current_step(), error=exc)
    return _added(first, "Your passkey was added.")


@bp.post("/two-factor/passkeys/<int:credential_id>/rename")
def passkey_rename(credential_id: int):
    """Rename one passkey."""
    try:
        passkeys.rename(current_user, credential_id, field("name", 200), client())
    except SecurityError as exc:
        return screen.respond(screen.current_step(), error=exc)
    return screen.done("The passkey was renamed.")


@bp.post("/two-factor/passkeys/<int:credential_id>/remove")
def passkey_remove(credential_id: int):
    """Remove one passkey (the last method: the "Yes, disable" confirmation instead)."""
    if passkeys.owned(current_user, credential_id) is None:
        return screen.done()
    if methods.available(current_user) == [methods.WEBAUTHN] and len(current_user.webauthn_credentials) == 1:
        return screen.respond("disable")
    if not signin_session.recently_authenticated():
        return _reauthenticate("remove_passkey", {"credential_id": credential_id})
    return changes.remove_passkey(credential_id, redirect_after=False)


@bp.get("/two-factor/sms")
def sms_add():
    """Ask for a number to add text messages beside another method."""
    if current_user.has_sms or not current_user.two_factor_enabled:
        return redirect(url_for("account.two_factor"))
    return screen.respond("add_sms", form=screen.phone_form())


@bp.post("/two-factor/preferred")
def preferred():
    """Choose the method asked first at sign-in."""
    try:
        methods.choose_preferred(current_user, field("method", 16), client())
    except SecurityError as exc:
        return screen.respond(screen.current_step(), error=exc)
    return screen.done(f"{methods.LABELS[current_user.preferred_method]} will be asked first when you sign in.")


@bp.route("/confirm-strong", methods=["GET", "POST"])
def confirm_strong():
    """Ask a staff member to confirm with a passkey or the app (password first) to enter the support area."""
    if request.method == "POST":
        return screen.reauthenticate("staff", on_error=_confirm_strong_page)
    return _confirm_strong_page()


def _confirm_strong_page(error: SecurityError | None = None):
    # A refused password is shown on this page, at its field (not on the Two-Factor screen).
    return render("account/confirm_strong.html", "account/confirm_strong.html",
                  getattr(error, "status", 422) if error else 200, retry_after=getattr(error, "retry_after", None),
                  have=methods.available(current_user), needs_password=True, reauth_method=methods.TOTP,
                  error=error.message if error else None, error_field=getattr(error, "field", None))


@bp.post("/two-factor/reauth/passkey/options")
def reauth_passkey_options():
    """Give the browser a challenge for confirming it's you with one of your passkeys (verification required)."""
    options, challenge = passkeys.authentication_options(current_user, require_uv=True)
    signin_session.keep_webauthn_challenge("reauth", passkeys.encode(challenge))
    return jsonify(publicKey=json.loads(options))


@bp.post("/two-factor/reauth/passkey")
def reauth_passkey():
    """Confirm it's you with a passkey (in place of password and code), then make the change."""
    state = signin_session.reauth()
    action = state["action"] if state else field("action", 20)
    form = state["form"] if state else ({"credential_id": int(field("credential_id", 12))}
                                        if field("credential_id", 12).isdigit() else {})
    if action not in screen.REAUTH_ACTIONS:
        return screen.respond(screen.current_step(), error=reauth.EXPIRED)
    try:
        reauth.confirm_with_passkey(current_user, field("credential", 16 * 1024, strip=False),
                                    passkeys.decode(signin_session.take_webauthn_challenge("reauth")), client())
    except SecurityError as exc:
        return screen.respond(screen.current_step(), error=exc)
    if state:
        signin_session.end_reauth()
        reauth.cancel(current_user, state["challenge"], state["code_id"])  # its code and challenge die
    signin_session.mark_reauthenticated(methods.WEBAUTHN)
    return changes.after_reauthentication(action, form)
