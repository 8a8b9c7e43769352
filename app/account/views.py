"""My Account Settings: password, and the Two-Factor Authentication screen."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from app import ratelimits, signin_session
from app.account import changes, screen
from app.auth import trust_cookie
from app.forms import checkbox, field, keep_typed
from app.htmx import hx_redirect, render
from app.security import (SecurityError, accounts, challenges, codes, devices, methods, reauth, recovery, signin,
                          twofactor)
from app.sms import SmsSendError
from app.web import client, webotp_host

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
@login_required
def require_login():
    """Every account page needs a fully signed-in user."""


# Per-IP and site-wide ceilings on SMS-sending requests (toll-fraud protection), shared with auth.
sms_sending = ratelimits.sms_sending


@bp.get("")
def settings():
    """Show My Account Settings."""
    return render("account/settings.html", "account/settings.html", twofa_on=current_user.two_factor_enabled)


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """Change the password; every other session and trusted browser ends."""
    errors, status, retry, typed = {}, 200, None, {}
    if request.method == "POST":
        typed = {name: field(name, 1024, strip=False) for name in ("current", "new", "confirm")}
        current = typed["current"]
        try:
            # Counted and throttled like sign-in, so a stolen session can't guess the password here.
            signin.check_password(current_user.email, current, client())
            accounts.change_password(current_user, current, typed["new"], typed["confirm"], client())
        except signin.SignInFailed:
            errors["current"], status = "Your current password isn't right.", 422
        except SecurityError as exc:
            errors[exc.field or "current"], status, retry = exc.message, exc.status, exc.retry_after
        else:
            signin_session.start_full_session(current_user, second_factor=signin_session.second_factor())
            flash("Your password was changed. Other sessions and trusted browsers were signed out.", "success")
            response = hx_redirect(url_for("account.settings"))
            trust_cookie.clear_on(response)
            return response
    return render("account/password.html", "account/_password_form.html", status, retry_after=retry, errors=errors,
                  typed=keep_typed(typed, errors, {"current": ["current"], "new": ["new", "confirm"],
                                                   "confirm": ["new", "confirm"]}))


@bp.post("/sessions/end-others")
def end_other_sessions():
    """Sign out every other session; this one stays signed in (under a new id)."""
    this = devices.find_trusted(current_user, trust_cookie.read())
    forgotten = accounts.end_other_sessions(current_user, client(), forget_browsers=checkbox("forget_browsers"),
                                            keep_device_id=this.id if this else None)
    signin_session.keep_signed_in(current_user._get_current_object())
    also = f" Forgot {forgotten} other browser{'s' if forgotten != 1 else ''}." if forgotten else ""
    flash(f"You're signed out of all other sessions.{also}", "success")
    return hx_redirect(url_for("account.settings"))


@bp.get("/two-factor")
def two_factor():
    """Show the Two-Factor Authentication screen at its current step."""
    return screen.respond(screen.current_step())


@bp.post("/two-factor/setup")
@sms_sending
def setup_send():
    """Send a code to the number the user wants to use (beside another method: after re-authentication)."""
    if current_user.two_factor_enabled and not signin_session.recently_authenticated():
        # Already limited as an SMS request by the decorators: spend no second allowance.
        return screen.reauthenticate("sms", form=screen.phone_form(), allowance=None)
    try:
        code = twofactor.start_setup(current_user, field("country", 4), field("phone", 40), client(), webotp_host())
    except (SecurityError, SmsSendError) as exc:
        return screen.respond(screen.back_step("sms"), error=exc, form=screen.phone_form())
    screen.start_flow(codes.SETUP, code)
    return screen.done()


@bp.post("/two-factor/number")
@sms_sending
def number_send():
    """Send a code to a new number; the old one stays until it is verified."""
    form = screen.phone_form()
    try:
        twofactor.check_new_number(current_user, form["country"], form["phone"])
    except SecurityError as exc:
        return screen.respond("change", error=exc, form=form)
    if not signin_session.recently_authenticated():
        # Already limited as an SMS request by the decorators: spend no second allowance.
        return screen.reauthenticate("number", form=form, allowance=None)
    return changes.send_to_new_number(form, redirect_after=False)


@bp.post("/two-factor/verify")
def verify():
    """Check the code of the setup or number-change flow."""
    flow = signin_session.flow()
    if not flow:
        return screen.respond(screen.current_step(), error="Start again: send a new code.")
    confirm = twofactor.confirm_setup if flow["purpose"] == codes.SETUP else twofactor.confirm_number_change
    try:
        first = confirm(current_user, flow["code_id"], field("code", 64), client())
    except SecurityError as exc:
        return screen.respond("verify", error=exc, error_field="code")
    signin_session.end_flow()
    # Trusted only when asked, as at sign-in: this may be a shared computer.
    token, device = devices.trust_this_browser(current_user, client()) if checkbox("trust") else (None, None)
    if flow["purpose"] == codes.NUMBER_CHANGE:
        signin_session.keep_signed_in(current_user)  # the other sessions ended with the old number
    if flow["purpose"] == codes.SETUP and not first:
        response = screen.done("Text messages were added as a two-factor method.",
                               this_device_id=device.id if device else None)
    elif flow["purpose"] == codes.SETUP:
        # The one success that is not redirected: the codes exist only in this answer (never stored).
        response = screen.show_recovery_codes(recovery.generate(current_user, client()), "setup",
                                              notice="Two-factor authentication is on.",
                                              this_device_id=device.id if device else None)
    else:
        response = screen.done("Your number was changed.", this_device_id=device.id if device else None)
    if token:
        trust_cookie.set_on(response, token)
    elif first is not False:
        trust_cookie.clear_on(response)  # every earlier trust was just forgotten
    return response


@bp.post("/two-factor/resend")
@sms_sending
def resend():
    """Send a new code for the flow under way (the old code dies)."""
    flow = signin_session.flow()
    if not flow:
        return screen.respond(screen.current_step())
    try:
        code = twofactor.resend(current_user, flow["purpose"], flow["code_id"], client(), webotp_host())
    except (SecurityError, SmsSendError) as exc:
        return screen.respond("verify", error=exc)
    screen.start_flow(flow["purpose"], code)
    return screen.done("We sent a new code. Earlier codes no longer work.")


@bp.post("/two-factor/cancel")
def cancel():
    """Leave the flow under way; nothing was saved and its code dies."""
    flow = signin_session.end_flow()
    if flow:
        codes.revoke(current_user, flow.get("code_id"))
    return screen.done()


@bp.get("/two-factor/change-number")
def change_number():
    """Ask for the new number."""
    if not current_user.two_factor_enabled:
        return redirect(url_for("account.two_factor"))
    return screen.respond("change", form=screen.phone_form())


@bp.route("/two-factor/disable", methods=["GET", "POST"])
def disable():
    """Ask "Are you sure?", then turn two-factor off."""
    if not current_user.two_factor_enabled:
        return hx_redirect(url_for("account.two_factor"))
    if request.method == "GET":
        return screen.respond("disable")
    if not signin_session.recently_authenticated():
        return screen.reauthenticate("disable")
    return changes.turn_off(redirect_after=False)


@bp.post("/two-factor/recovery-codes")
def recovery_generate():
    """Replace the recovery codes (both factors again if the sign-in is old)."""
    if not signin_session.recently_authenticated():
        if not current_user.two_factor_enabled:
            return screen.respond(screen.current_step(), error="Turn on two-factor authentication first.")
        return screen.reauthenticate("recovery")
    return changes.new_recovery_codes()


@bp.post("/two-factor/reauth")
def reauth_confirm():
    """Take the second factor of a re-authentication, then make the change it was for."""
    state = signin_session.reauth()
    if not state:
        return screen.respond(screen.current_step(), error=reauth.EXPIRED)
    typed = {"recovery": "recovery_code", "totp": "app_code"}.get(field("method", 16), "code")
    try:
        if typed == "recovery_code":
            reauth.confirm_with_recovery_code(current_user, state["challenge"], field("recovery_code", 64), client())
        elif typed == "app_code":
            reauth.confirm_with_app_code(current_user, state["challenge"], field("app_code", 64), client())
        else:
            reauth.confirm_with_code(current_user, state["challenge"], state["code_id"], field("code", 64), client())
    except (reauth.ReauthExpired, challenges.TriesExhausted) as exc:
        signin_session.end_reauth()
        return screen.respond(screen.back_step(state["action"]), error=exc, form=state["form"] or None)
    except SecurityError as exc:
        return screen.respond("reauth", error=exc, error_field=typed)
    signin_session.end_reauth()
    # Only an app code counts toward the staff area's strong method (a text or recovery code doesn't).
    signin_session.mark_reauthenticated(methods.TOTP if typed == "app_code" else None)
    return changes.after_reauthentication(state["action"], state["form"])


@bp.post("/two-factor/reauth/resend")
@sms_sending
def reauth_resend():
    """Text a new code for the re-authentication under way (the old code dies)."""
    state = signin_session.reauth()
    if not state:
        return screen.respond(screen.current_step(), error=reauth.EXPIRED)
    try:
        code = reauth.resend(current_user, state["challenge"], client(), webotp_host(), replaces=state["code_id"])
    except reauth.ReauthExpired as exc:
        signin_session.end_reauth()
        return screen.respond(screen.back_step(state["action"]), error=exc, form=state["form"] or None)
    except (SecurityError, SmsSendError) as exc:
        return screen.respond("reauth", error=exc)
    signin_session.set_reauth_code(code.id)
    return screen.respond("reauth", notice="We sent a new code. Earlier codes no longer work.")


@bp.post("/two-factor/reauth/cancel")
def reauth_cancel():
    """Leave the re-authentication; nothing changes and its code dies."""
    state = signin_session.end_reauth()
    if state:
        reauth.cancel(current_user, state["challenge"], state["code_id"])
    return screen.respond(screen.current_step())


@bp.post("/two-factor/recovery-codes/saved")
def recovery_saved():
    """Finish once the user says the codes are saved."""
    if not checkbox("saved"):
        return screen.respond_recovery_ack("Tick “I have saved these codes” to finish.")
    why = signin_session.take_recovery_ack()
    if why:
        flash("Two-factor authentication is on and your recovery codes are saved." if why == "setup"
              else "Your new recovery codes are saved.", "success")
    return hx_redirect(url_for("account.two_factor"))


@bp.post("/two-factor/devices/<int:device_id>/forget")
def forget_device(device_id: int):
    """Forget one trusted browser."""
    if not devices.forget(current_user, device_id, client()):
        abort(404)
    return screen.devices_done("That browser will be asked for a code next time.")


@bp.post("/two-factor/devices/forget-others")
def forget_other_devices():
    """Forget every trusted browser except this one."""
    this = devices.find_trusted(current_user, trust_cookie.read())
    count = devices.forget_others(current_user, client(), keep_id=this.id if this else None)
    return screen.devices_done(f"Forgot {count} other browser{'s' if count != 1 else ''}.")

