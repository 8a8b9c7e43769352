"""Sign up, sign in (password, then code), sign out."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import ratelimits, signin_session
from app.auth import trust_cookie
from app.auth.ways import other_methods
from app.errors import reload_when_expired
from app.extensions import limiter
from app.forms import checkbox, field, keep_typed, safe_next
from app.htmx import after_post, hx_redirect, render
from app.models import User
from app.security import (SecurityError, accounts, challenges, codes, devices, methods, recovery, signin, verification,
                          wait_in_words)
from app.security.phones import mask
from app.web import client, webotp_host

bp = Blueprint("auth", __name__)


def _signin_limit() -> str:
    return current_app.config["RATELIMIT_SIGNIN"]


@bp.get("/")
def index():
    """Send people to their account or to sign in."""
    target = "account.settings" if current_user.is_authenticated else "auth.sign_in"
    return redirect(url_for(target))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def sign_up():
    """Create an account; a taken email gets the same answer as a new one."""
    if current_user.is_authenticated:
        return redirect(url_for("account.settings"))
    errors, email, typed = {}, field("email", 320), {}
    if request.method == "POST":
        typed = {name: field(name, 1024, strip=False) for name in ("password", "confirm")}
        password = typed["password"]
        if password != typed["confirm"]:
            errors["confirm"] = "The passwords don't match."
        else:
            try:
                user = accounts.create_user(email, password, client())
                verification.send_link(user, client())
            except accounts.AccountExists:
                # Answer as for a new account, by the same mail path: sign-up must not reveal who has one.
                verification.take_the_same_path()
            except SecurityError as exc:
                errors[exc.field or "form"] = exc.message
        if not errors:
            flash("Your account is ready. Sign in with your email and password. "
                  "We sent you a link to confirm your email address.", "success")
            signin_session.remember_email(accounts.normalise_email(email))  # taken or new alike
            return hx_redirect(url_for("auth.sign_in"))
    # A new password that failed a rule is emptied; otherwise what was typed stays.
    typed = keep_typed(typed, errors, {"password": ["password", "confirm"], "confirm": ["password", "confirm"]})
    return render("auth/signup.html", "auth/_signup_form.html", 422 if errors else 200,
                  errors=errors, email=email, typed=typed)


@reload_when_expired("auth.sign_up")
def _sign_up_expired(message: str):
    # Passwords are never echoed into a reloaded form.
    return render("auth/signup.html", "auth/_signup_form.html", 400, errors={"form": message},
                  email=field("email", 320), typed={})


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def sign_in():
    """Check email and password, then sign in or ask for a code."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("account.settings"))
    email, error, status, retry = field("email", 320), None, 200, None
    if request.method == "GET":
        email = signin_session.take_remembered_email()  # just signed up: the form holds the email
    if request.method == "POST":
        try:
            user = signin.check_password(email, field("password", 1024, strip=False), client())
        except SecurityError as exc:
            error, status, retry = exc.message, exc.status, exc.retry_after
        else:
            return _after_password(user, email, next_url)
    return render("auth/signin.html", "auth/_signin_form.html", status, retry_after=retry if status == 429 else None,
                  error=error, email=email, next_url=next_url)


@reload_when_expired("auth.sign_in")
def _sign_in_expired(message: str):
    return render("auth/signin.html", "auth/_signin_form.html", 400, error=message, email=field("email", 320),
                  next_url=safe_next(request.values.get("next")))


def _after_password(user: User, email: str, next_url: str | None):
    # Only a sign-in that texts a code spends the per-IP/global SMS allowance.
    outcome = signin.after_password(user, trust_cookie.read(), client(), webotp_host(),
                                    allowance=ratelimits.take_sms_allowance)
    if not outcome.needs_code:
        signin.record_success(user, client(), email)
        signin_session.start_full_session(user)
        _suggest_new_recovery_codes(user)
        return hx_redirect(next_url or url_for("account.settings"))
    signin_session.begin_pending(user, outcome.code_id, challenge_id=outcome.challenge_id, next_url=next_url,
                                 method=outcome.method)
    if outcome.method in (methods.TOTP, methods.WEBAUTHN):
        return hx_redirect(url_for("auth.app_code" if outcome.method == methods.TOTP else "auth.passkey_step"))
    _show_send_outcome(outcome)
    return hx_redirect(url_for("auth.verify"))


def _show_send_outcome(outcome: signin.PasswordOutcome) -> None:
    """Before the code screen: remember a limit on this person, else flash why no text went (busy senders too)."""
    if outcome.send_status == 429 and outcome.refusal != signin.SENDERS_BUSY:
        # A limit is shown by the code screen itself (one message, with the wait).
        signin_session.set_pending_code(outcome.code_id, retry_after=outcome.retry_after)
    elif outcome.send_error:
        flash(outcome.send_error, "error")


def _no_pending_sign_in():
    # A signed-in user (e.g. the back button) goes on to the account; anyone else starts over.
    if current_user.is_authenticated:
        return hx_redirect(url_for("account.settings"))
    signin_session.end()
    return hx_redirect(url_for("auth.sign_in"))


@bp.route("/signin/verify", methods=["GET", "POST"])
def verify():
    """Take the SMS code of a pending sign-in."""
    state, user = signin_session.pending_user()
    if user is not None and not user.has_sms:
        return hx_redirect(url_for("auth.another_way"))
    return _second_factor_step(
        lambda user, state: signin.verify_signin_code(user, state["code_id"], field("code", 64), client()),
        lambda user, state, error, status: _verify_screen(user, state, code_error=error, status=status),
        method="sms", pending=(state, user))


def _second_factor_step(check, show, *, method: str, pending=None):
    # The shape both second factors share: a pending sign-in, check(user, state) on POST, else show
    # (with the refusal of the code typed, which the screen ties to its field). pending: the
    # caller's own signin_session.pending_user(), not loaded twice.
    state, user = pending or signin_session.pending_user()
    if user is None:
        return _no_pending_sign_in()
    error, status = None, 200
    if request.method == "POST":
        try:
            check(user, state)
        except challenges.TriesExhausted as exc:
            signin_session.end()
            flash(exc.message, "error")
            return hx_redirect(url_for("auth.sign_in"))
        except SecurityError as exc:
            error, status = exc.message, exc.status
        else:
            return _finish_with_code(user, state, trust=checkbox("trust"), method=method)
    return show(user, state, error, status)


def _finish_with_code(user: User, state: dict, *, trust: bool, method: str = methods.SMS):
    token = signin.record_success(user, client(), method=method, challenge_id=state.get("challenge"), trust=trust)
    signin_session.start_full_session(user, password_at=state["auth_at"], second_factor=method)
    if method == "recovery":
        flash("You signed in with a recovery code. It can't be used again.", "info")
    _suggest_new_recovery_codes(user)
    response = hx_redirect(state.get("next") or url_for("account.settings"))
    if token:
        trust_cookie.set_on(response, token)
    return response


def _suggest_new_recovery_codes(user: User) -> None:
    warning = recovery.low_warning(user)
    if warning:
        flash(f"{warning} Generate new ones under My Account Settings → Two-Factor Authentication.", "warning")


@bp.route("/signin/recovery", methods=["GET", "POST"], endpoint="recovery")
def recovery_code():
    """Take a recovery code instead of the texted one."""
    return _second_factor_step(
        lambda user, state: recovery.sign_in_with(user, field("code", 64), client(),
                                                  challenge_id=state.get("challenge")),
        lambda user, state, error, status: render("auth/recovery.html", "auth/_recovery.html", status, error=error,
                                                  others=other_methods(user, "recovery")),
        method="recovery")


def _refused(wait: int) -> str:
    return (f"Too many codes were sent. Try again in {wait_in_words(wait)}, "
            "or use a recovery code instead.")


def _verify_screen(user: User, state: dict, *, error=None, code_error=None, notice=None, status=200,
                   retry_after=None):
    # One wait for the message and the Resend countdown: a refusal's own, else the flow's cooldown,
    # an hourly cap, or a limit that refused this sign-in earlier.
    wait = retry_after or max(codes.resend_wait(user, state.get("code_id"), user.phone_e164),
                              signin_session.refused_for(state))
    has_code = bool(state.get("code_id"))
    if error is None and code_error is None and not has_code and wait:
        error = _refused(wait)
    return render("auth/verify.html", "auth/_verify.html", status, retry_after=retry_after, error=error,
                  code_error=code_error, notice=notice, masked=mask(user.phone_e164), has_code=has_code,
                  resend_wait=wait,
                  others=other_methods(user, methods.SMS) if len(methods.available(user)) > 1 else [])


@bp.post("/signin/resend")
def resend():
    """Send a fresh code for this sign-in (its earlier code dies; other browsers' codes don't)."""
    state, user = signin_session.pending_user()
    if user is None:
        return _no_pending_sign_in()
    outcome = signin.send_signin_code(user, client(), webotp_host(), allowance=ratelimits.take_sms_allowance,
                                      replaces=state.get("code_id"))
    # A limit on this person (not the cooldown, nor busy send slots) is remembered for the code screen.
    limited = outcome.send_status == 429 and outcome.refusal != signin.SENDERS_BUSY
    signin_session.set_pending_code(outcome.code_id, retry_after=outcome.retry_after if limited else None)
    state = signin_session.pending()
    if outcome.send_error:
        error = _refused(outcome.retry_after) if limited and outcome.refusal != "cooldown" else outcome.send_error
        return _verify_screen(user, state, error=error, status=outcome.send_status,
                              retry_after=outcome.retry_after)
    notice = "We sent a new code. Earlier codes no longer work."
    return after_post(url_for("auth.verify"), lambda: _verify_screen(user, state, notice=notice), notice)


@bp.post("/signin/cancel")
def cancel():
    """Abandon a pending sign-in."""
    signin_session.end()
    return hx_redirect(url_for("auth.sign_in"))


@bp.post("/signout")
def sign_out():
    """End this session; a trusted browser stays trusted."""
    if current_user.is_authenticated:
        signin.record_sign_out(current_user, client())
    signin_session.end()
    flash("You're signed out.", "success")
    response = hx_redirect(url_for("auth.sign_in"))
    # Not "cookies": that would delete the trust cookie too (see docs/architecture.md).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.get("/signed-out")
def signed_out():
    """Confirm "Sign out completely" on a page that needs no session to say so."""
    if current_user.is_authenticated:
        return redirect(url_for("account.settings"))
    return render_template("auth/signed_out.html", email="", error=None, next_url=None)


@bp.post("/signout/completely")
def sign_out_completely():
    """End this session and forget this browser, whatever state the session is in."""
    # The record goes even when the session is anonymous, half signed in or expired, so
    # the page's promise holds and a copied cookie is worth nothing.
    devices.forget_this_browser(trust_cookie.read(), client())
    if current_user.is_authenticated:
        signin.record_sign_out(current_user, client(), completely=True)
    signin_session.end()
    # Not flashed: Clear-Site-Data "cookies" drops the session that would carry the message.
    response = hx_redirect(url_for("auth.signed_out"))
    trust_cookie.clear_on(response)
    response.headers["Clear-Site-Data"] = '"cookies", "storage"'
    return response

