"""The Two-Factor Authentication screen: which step to show and with what."""

from flask import current_app, url_for
from flask_login import current_user

from app import ratelimits, signin_session
from app.account.method_context import enrolment_context, methods_context
from app.auth import trust_cookie
from app.forms import field
from app.htmx import after_post, is_htmx, render
from app.models import VerificationCode
from app.recent_password import check_password_again
from app.security import RateLimited, SecurityError, codes, devices, reauth, recovery, twofactor, wait_in_words
from app.security.phones import allowed_regions, calling_code_choices, mask, region_of
from app.sms import SmsSendError
from app.web import client, webotp_host

# Each step is its own page title, so a person (or a screen reader) knows where they are.
STEP_TITLES = {
    "off": "Turn on two-factor authentication",
    "verify": "Enter the code",
    "on": "Two-Factor Authentication",
    "change": "Change phone number",
    "disable": "Disable two-factor authentication",
    "codes": "Save your recovery codes",
    "reauth": "Confirm it's you",
    "app": "Set up an authenticator app",
    "add_sms": "Add text messages",
    "confirm": "Confirm it's you",
}
# What each change that needs a fresh second factor is called on the "Confirm it's you" step.
REAUTH_ACTIONS = {
    "disable": "turn off two-factor authentication",
    "number": "change your phone number",
    "recovery": "make new recovery codes",
    "app": "set up an authenticator app",
    "remove_app": "remove your authenticator app",
    "sms": "add text messages",
    "remove_sms": "stop using text messages",
    "passkey": "add a passkey",
    "remove_passkey": "remove a passkey",
    "staff": "enter the support area",
}


def current_step() -> str:
    """Pick the step from the user's state and any flow under way."""
    if current_user.two_factor_enabled and signin_session.reauth():
        return "reauth"
    if signin_session.flow():
        return "verify"
    if signin_session.totp_enrolment():
        return "app"
    if current_user.two_factor_enabled and signin_session.awaits_recovery_ack():
        return "codes"
    return "on" if current_user.two_factor_enabled else "off"


def default_country() -> str:
    """Preselect the current number's country, else the one just turned off, else DEFAULT_COUNTRY."""
    region = region_of(current_user.phone_e164) or signin_session.take_remembered_country()
    allowed = allowed_regions(current_app.config["SMS_ALLOWED_COUNTRIES"])
    return region if region in allowed else current_app.config["DEFAULT_COUNTRY"]


def phone_form(country: str | None = None) -> dict:
    """Echo what the user typed so a correction doesn't mean retyping; else preselect a country."""
    return {"country": field("country", 4) or country or default_country(), "phone": field("phone", 40)}


def start_flow(purpose: str, code: VerificationCode) -> None:
    """Remember which code the screen is waiting for (never the code itself)."""
    signin_session.start_flow(purpose, code.id, mask(code.phone_e164))


def _resend_wait(flow: dict, error) -> int:
    # A refusal's own wait, so the message and the countdown name the same seconds.
    if isinstance(error, RateLimited) and error.retry_after:
        return error.retry_after
    code = twofactor.flow_code(current_user, flow["code_id"]) if flow else None
    return codes.resend_wait(current_user, code.id, code.phone_e164) if code else 0


def reauthenticate(action: str, *, form: dict | None = None, allowance=ratelimits.take_sms_allowance,
                   on_error=None):
    """Check the password, then ask for a second factor (a texted code only when SMS is asked first).

    allowance spends the per-IP/global SMS allowance; views already limited by the SMS
    decorators pass None so one request is not counted twice. on_error(exc) answers a refusal
    on a page of the caller's own (else the step the change started from).
    """
    previous = signin_session.reauth() or {}
    try:
        check_password_again()
        started = reauth.start(current_user, client(), webotp_host(), allowance=allowance,
                               replaces=previous.get("code_id"))
    except SecurityError as exc:
        if on_error is not None:
            return on_error(exc)
        if action in CONFIRM_ENDPOINTS:
            return ask_password(action, exc, form=form)
        return respond(back_step(action), error=exc, form=form)
    signin_session.begin_reauth(action, started.challenge_id, started.code_id, form)
    return respond("reauth", error=started.send_error)


# Changes whose buttons carry no password field: the password is asked on the "confirm" step.
CONFIRM_ENDPOINTS = {"app": "account.app_start", "remove_app": "account.app_remove",
                     "remove_sms": "account.sms_remove", "passkey": "account.passkey_start",
                     "remove_passkey": "account.passkey_remove"}


def ask_password(action: str, error=None, *, form: dict | None = None):
    """Ask for the password before a change whose button carried none (then the second factor).

    form: the URL's values (which passkey).
    """
    url = url_for(CONFIRM_ENDPOINTS[action], **(form or {}))
    return respond("confirm", error=error,
                   confirm={"doing": REAUTH_ACTIONS[action], "url": url, "action": action, "form": form or {}})


def back_step(action: str) -> str:
    """Return the step a change started from, to go back to when its re-authentication ends."""
    if not current_user.two_factor_enabled:
        return current_step()
    return {"disable": "disable", "number": "change", "sms": "add_sms"}.get(action) or current_step()


def _context(step: str, error=None, notice=None, form=None, error_field: str | None = None) -> dict:
    cfg = current_app.config
    regions = allowed_regions(cfg["SMS_ALLOWED_COUNTRIES"])
    flow = signin_session.flow() or {}
    message = error.message if isinstance(error, SecurityError) else (
        error.user_message if isinstance(error, SmsSendError) else error)
    return {
        "step": step,
        "step_title": "Confirm your new number" if step == "verify" and flow.get("purpose") == codes.NUMBER_CHANGE
        else STEP_TITLES[step],
        "error": message,
        "error_field": error_field or getattr(error, "field", None),
        "notice": notice,
        "form": form or {"country": default_country(), "phone": ""},
        "countries": calling_code_choices(regions),
        "masked": mask(current_user.phone_e164),
        "flow": flow,
        "resend_wait": _resend_wait(flow, error) if step == "verify" else 0,
        "needs_password": not signin_session.recently_authenticated(),
        **_reauth_context(),
        **_devices_context(),
        **_recovery_context(),
        **methods_context(),
        **(enrolment_context() if step == "app" else {"enrol": None}),
    }


def _reauth_context() -> dict:
    state = signin_session.reauth() if current_user.two_factor_enabled else None
    if not state:
        return {"reauth": None}
    max_age = int(current_app.config["REAUTH_MAX_AGE_SECONDS"])
    return {"reauth": {"doing": REAUTH_ACTIONS[state["action"]], "has_code": bool(state["code_id"]),
                       "has_sms": current_user.has_sms, "has_app": current_user.has_app,
                       "since": wait_in_words(max_age),
                       "resend_wait": codes.resend_wait(current_user, state["code_id"], current_user.phone_e164)}}


def _recovery_context() -> dict:
    on = current_user.two_factor_enabled
    return {"recovery_left": recovery.remaining(current_user) if on else 0,
            "recovery_warning": recovery.low_warning(current_user), "recovery_codes": None}


def _devices_context() -> dict:
    this = devices.find_trusted(current_user, trust_cookie.read()) if current_user.two_factor_enabled else None
    listed = devices.list_devices(current_user) if current_user.two_factor_enabled else []
    return {"devices": listed, "this_device_id": this.id if this else None}


def _status_for(error) -> int:
    if error is None:
        return 200
    if isinstance(error, SmsSendError):
        return 503
    return getattr(error, "status", 422)


def respond(step: str, *, error=None, notice=None, form=None, this_device_id: int | None = None,
            recovery_codes: list[str] | None = None, error_field: str | None = None, confirm: dict | None = None):
    """Render the screen (full page) or its partial (htmx) at the given step.

    error_field: the input the error is about (a code typed), shown and described at that field;
    confirm: the "confirm" step's form.
    """
    context = _context(step, error, notice, form, error_field)
    context["confirm"] = confirm
    if recovery_codes:
        context["recovery_codes"] = recovery_codes
        context["recovery_text"] = recovery.as_text(recovery_codes, current_app.config["APP_NAME"],
                                                    current_user.email)
    if this_device_id:
        # The trust cookie is only being set by this response; mark the device anyway.
        context["this_device_id"] = this_device_id
    return render("account/two_factor.html", "account/_twofactor.html", _status_for(error),
                  retry_after=getattr(error, "retry_after", None), **context)


def done(notice: str | None = None, *, this_device_id: int | None = None):
    """Answer a successful POST: htmx swaps in the current step; a plain form is redirected to it."""
    return after_post(url_for("account.two_factor"),
                      lambda: respond(current_step(), notice=notice, this_device_id=this_device_id), notice)


def end_flow() -> None:
    """Forget the flow under way and any recovery codes awaiting "saved" (two-factor went off)."""
    signin_session.end_flow()
    signin_session.take_recovery_ack()
    signin_session.end_totp_enrolment()



def devices_done(notice: str):
    """Answer a successful change to the trusted browsers (partial for htmx, else redirect)."""
    return after_post(url_for("account.two_factor"), lambda: respond_devices(notice), notice)


def respond_devices(notice: str | None = None):
    """Render the trusted-browsers list (htmx) or the whole screen."""
    context = _context(current_step(), notice=notice)
    # htmx swaps in only the list, so the notice must be inside it; the full page shows it at the top.
    context["devices_notice"] = notice if is_htmx() else None
    return render("account/two_factor.html", "account/_devices.html", 200, **context)


def show_recovery_codes(plain: list[str], why: str, *, notice: str, this_device_id: int | None = None):
    """Show freshly made recovery codes, this once, and wait for "I have saved these codes".

    The one successful POST answered in place rather than redirected: the plain codes exist only in
    this no-store answer; keeping them for a redirect would mean storing them.
    """
    signin_session.await_recovery_ack(why)
    return respond("codes", notice=notice, recovery_codes=plain, this_device_id=this_device_id)


def respond_recovery_ack(error: str):
    """Re-ask for the tick: htmx swaps only the form, so the codes above stay on screen."""
    context = {**_context("codes"), "ack_error": error}
    return render("account/two_factor.html", "account/_recovery_ack.html", 422, **context)
