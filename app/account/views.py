"""My Account Settings: password, and the Two-Factor Authentication screen."""

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required

from app import signin_session
from app.account import screen
from app.auth import trust_cookie
from app.extensions import db, limiter
from app.forms import field
from app.htmx import hx_redirect, render
from app.security import SecurityError, accounts, codes, devices, twofactor
from app.sms import SmsSendError
from app.web import client, request_host

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
@login_required
def require_login():
    """Every account page needs a fully signed-in user."""


# Per-IP and site-wide ceilings on SMS-sending requests (toll-fraud protection).
sms_limited = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_SMS_GLOBAL"], scope="sms-global", key_func=lambda: "all"
)
sms_per_ip = limiter.shared_limit(lambda: current_app.config["RATELIMIT_SMS_PER_IP"], scope="sms-ip")


@bp.get("")
def settings():
    """Show My Account Settings."""
    return render("account/settings.html", "account/settings.html", twofa_on=current_user.two_factor_enabled)


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    """Change the password; every other session and trusted browser ends."""
    errors = {}
    if request.method == "POST":
        try:
            accounts.change_password(current_user, field("current", 1024, strip=False),
                                     field("new", 1024, strip=False), field("confirm", 1024, strip=False), client())
        except SecurityError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            signin_session.complete_sign_in(current_user)
            flash("Your password was changed. Other sessions and trusted browsers were signed out.", "success")
            response = hx_redirect(url_for("account.settings"))
            trust_cookie.clear_on(response)
            return response
    return render("account/password.html", "account/_password_form.html", 422 if errors else 200, errors=errors)


@bp.get("/two-factor")
def two_factor():
    """Show the Two-Factor Authentication screen at its current step."""
    return screen.respond(screen.current_step())


@bp.post("/two-factor/setup")
@sms_limited
@sms_per_ip
def setup_send():
    """Send a code to the number the user wants to use."""
    try:
        code = twofactor.start_setup(current_user, field("country", 4), field("phone", 40), client(), request_host())
    except (SecurityError, SmsSendError) as exc:
        return screen.respond("off", error=exc, form=screen.phone_form())
    screen.start_flow(codes.SETUP, code)
    return screen.respond("verify")


@bp.post("/two-factor/number")
@sms_limited
@sms_per_ip
def number_send():
    """Send a code to a new number; the old one stays until it is verified."""
    try:
        screen.require_recent_password()
        code = twofactor.start_number_change(current_user, field("country", 4), field("phone", 40), client(),
                                             request_host())
    except (SecurityError, SmsSendError) as exc:
        return screen.respond("change", error=exc, form=screen.phone_form())
    screen.start_flow(codes.NUMBER_CHANGE, code)
    return screen.respond("verify")


@bp.post("/two-factor/verify")
def verify():
    """Check the code of the setup or number-change flow."""
    flow = session.get(signin_session.FLOW)
    if not flow:
        return screen.respond(screen.current_step(), error="Start again: send a new code.")
    confirm = twofactor.confirm_setup if flow["purpose"] == codes.SETUP else twofactor.confirm_number_change
    try:
        confirm(current_user, flow["code_id"], field("code", 32), client())
    except SecurityError as exc:
        return screen.respond("verify", error=exc)
    session.pop(signin_session.FLOW, None)
    token, _ = devices.trust_browser(current_user, client())
    db.session.commit()
    done = "Two-factor authentication is on." if flow["purpose"] == codes.SETUP else "Your number was changed."
    response = screen.respond("on", notice=done)
    trust_cookie.set_on(response, token)
    return response


@bp.post("/two-factor/resend")
@sms_limited
@sms_per_ip
def resend():
    """Send a new code for the flow under way (the old code dies)."""
    flow = session.get(signin_session.FLOW)
    if not flow:
        return screen.respond(screen.current_step())
    try:
        code = screen.resend(flow, client(), request_host())
    except (SecurityError, SmsSendError) as exc:
        return screen.respond("verify", error=exc)
    screen.start_flow(flow["purpose"], code)
    return screen.respond("verify", notice="We sent a new code. Earlier codes no longer work.")


@bp.post("/two-factor/cancel")
def cancel():
    """Leave the flow under way; nothing was saved."""
    session.pop(signin_session.FLOW, None)
    return screen.respond(screen.current_step())


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
    try:
        screen.require_recent_password()
        twofactor.disable(current_user, client())
    except SecurityError as exc:
        return screen.respond("disable", error=exc)
    session.pop(signin_session.FLOW, None)
    response = screen.respond("off", notice="Two-factor authentication is off.", form=screen.phone_form())
    trust_cookie.clear_on(response)
    return response


@bp.post("/two-factor/devices/<int:device_id>/forget")
def forget_device(device_id: int):
    """Forget one trusted browser."""
    if not devices.forget(current_user, device_id, client()):
        abort(404)
    db.session.commit()
    return screen.respond_devices(notice="That browser will be asked for a code next time.")


@bp.post("/two-factor/devices/forget-others")
def forget_other_devices():
    """Forget every trusted browser except this one."""
    this = devices.find_trusted(current_user, trust_cookie.read())
    count = devices.forget_all(current_user, client(), keep_id=this.id if this else None, reason="forget others")
    db.session.commit()
    return screen.respond_devices(notice=f"Forgot {count} other browser{'s' if count != 1 else ''}.")

