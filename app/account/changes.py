"""The second-factor changes, made right away or once a re-authentication succeeds."""

from flask import flash, url_for
from flask_login import current_user

from app import ratelimits, signin_session
from app.account import screen
from app.auth import trust_cookie
from app.htmx import hx_redirect
from app.security import SecurityError, codes, passkeys, recovery, secretbox, totp, twofactor
from app.sms import SmsSendError
from app.web import client, webotp_host

TURNED_OFF = "Two-factor authentication is off."
NEW_CODES = "Your new recovery codes are ready. The old ones no longer work."


def turn_off(*, redirect_after: bool):
    """Turn two-factor off; this session stays signed in, every other one ends."""
    # The number about to go: turning on again starts from its country.
    signin_session.remember_country(screen.default_country())
    twofactor.disable(current_user, client())
    signin_session.keep_signed_in(current_user)
    screen.end_flow()
    if redirect_after:
        flash(TURNED_OFF, "success")
        response = hx_redirect(url_for("account.two_factor"))
    else:
        response = screen.done(TURNED_OFF)
    trust_cookie.clear_on(response)
    return response


def send_to_new_number(form: dict, *, redirect_after: bool, allowance=None):
    """Text a code to the new number and wait for it; the old number stays until it is entered."""
    try:
        code = twofactor.start_number_change(current_user, form.get("country", ""), form.get("phone", ""),
                                             client(), webotp_host(), allowance=allowance)
    except (SecurityError, SmsSendError) as exc:
        return screen.respond("change", error=exc, form=form)
    screen.start_flow(codes.NUMBER_CHANGE, code)
    return hx_redirect(url_for("account.two_factor")) if redirect_after else screen.done()


def new_recovery_codes():
    """Replace the recovery codes and show the new ones, this once."""
    try:
        plain = recovery.generate(current_user, client())
    except SecurityError as exc:
        return screen.respond(screen.current_step(), error=exc)
    # Shown in this answer, not after a redirect: nothing keeps the plain codes to show later.
    return screen.show_recovery_codes(plain, "new", notice=NEW_CODES)


def start_app_enrolment(*, redirect_after: bool):
    """Make a new secret and show it (QR code and groups) until a code from the app proves it."""
    signin_session.begin_totp_enrolment(secretbox.encrypt(totp.new_secret()))
    return hx_redirect(url_for("account.two_factor")) if redirect_after else screen.done()


def remove_app(*, redirect_after: bool):
    """Remove the authenticator app (another method remains)."""
    return _removed(lambda: totp.remove(current_user, client()), "Your authenticator app was removed.",
                    redirect_after)


def remove_sms(*, redirect_after: bool):
    """Stop texting codes (another method remains)."""
    return _removed(lambda: twofactor.remove_sms(current_user, client()),
                    "Text messages are no longer a two-factor method.", redirect_after)


def remove_passkey(credential_id: int, *, redirect_after: bool):
    """Remove one passkey (another method remains)."""
    return _removed(lambda: passkeys.remove(current_user, credential_id, client()), "The passkey was removed.",
                    redirect_after)


def _removed(remove, notice: str, redirect_after: bool):
    try:
        remove()
    except SecurityError as exc:
        return screen.respond(screen.current_step(), error=exc)
    if redirect_after:
        flash(notice, "success")
        return hx_redirect(url_for("account.two_factor"))
    return screen.done(notice)


def send_setup_code(form: dict, *, redirect_after: bool, allowance=None):
    """Text a code to the number being added as a method; nothing is saved until it is entered."""
    try:
        code = twofactor.start_setup(current_user, form.get("country", ""), form.get("phone", ""), client(),
                                     webotp_host(), allowance=allowance)
    except (SecurityError, SmsSendError) as exc:
        return screen.respond(screen.back_step("sms"), error=exc, form=form)
    screen.start_flow(codes.SETUP, code)
    return hx_redirect(url_for("account.two_factor")) if redirect_after else screen.done()


def after_reauthentication(action: str, form: dict):
    """Make the change a re-authentication was for, then redirect (recovery codes excepted)."""
    if action == "disable":
        return turn_off(redirect_after=True)
    if action in ("number", "sms"):
        # The confirming request isn't limited as an SMS request, so the text spends the allowance here.
        send = send_to_new_number if action == "number" else send_setup_code
        return send(form, redirect_after=True, allowance=ratelimits.take_sms_allowance)
    if action == "app":
        return start_app_enrolment(redirect_after=True)
    if action in ("remove_app", "remove_sms"):
        return (remove_app if action == "remove_app" else remove_sms)(redirect_after=True)
    if action == "remove_passkey":
        return remove_passkey(int(form.get("credential_id") or 0), redirect_after=True)
    if action == "passkey":
        return hx_redirect(url_for("account.two_factor"))
    if action == "staff":
        return hx_redirect(url_for("admin.users"))
    return new_recovery_codes()
