"""Links that arrive by mail: forgot password and reset, confirm an address, confirm a new address."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import signin_session
from app.extensions import limiter
from app.forms import field, keep_typed
from app.htmx import hx_redirect
from app.security import SecurityError, mail_links, password_reset, staff_resets, verification
from app.web import client

bp = Blueprint("email", __name__)


def _reset_limit() -> str:
    return current_app.config["RATELIMIT_PASSWORD_RESET"]


def _token() -> str:
    # From the link (query string: not in the access log) or the form that carries it on.
    return (request.form.get("token") or request.args.get("token") or "")[:mail_links.MAX_TOKEN]


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    email, error = field("email", 320), None
    if request.method == "POST":
        if not email:
            error = "Enter your email address."
        else:
            password_reset.request_link(email, client())
            return hx_redirect(url_for("email.forgot_sent"))
    return render_template("auth/forgot.html", email=email, error=error, has_error=bool(error)), 422 if error else 200


@bp.get("/password/forgot/sent")
def forgot_sent():
    """Say what happens next, identically for every address."""
    minutes = int(current_app.config["PASSWORD_RESET_TTL_SECONDS"]) // 60
    return render_template("auth/forgot_sent.html", minutes=minutes)


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    """Set a new password from a mailed link; every session ends and nobody is signed in."""
    token, errors, typed = _token(), {}, {}
    if request.method == "POST":
        typed = {name: field(name, 1024, strip=False) for name in ("new", "confirm")}
        try:
            password_reset.reset(token, typed["new"], typed["confirm"], client())
        except SecurityError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            signin_session.end_pending()  # begun with the old password: sign in afresh, second factor and all
            flash("Your password was changed and every session was signed out. Sign in with your new password.",
                  "success")
            return hx_redirect(url_for("auth.sign_in"))
    live = "form" not in errors and password_reset.link_is_live(token)
    typed = keep_typed(typed, errors, {"new": ["new", "confirm"], "confirm": ["new", "confirm"]})
    status = 200 if live and not errors else (422 if live else 410)
    return render_template("auth/reset.html", token=token if live else "", live=live, errors=errors,
                           typed=typed, has_error=status != 200), status


def _confirm_link(purpose: str, action, done: str, title: str, button: str):
    # A GET shows a button (mail scanners follow links); the POST uses the link up.
    token = _token()
    if request.method == "POST":
        try:
            action(token, client())
        except SecurityError as exc:
            return render_template("auth/email_link.html", live=False, error=exc.message, title=title,
                                   has_error=True), 410
        flash(done, "success")
        return redirect(url_for("account.settings" if current_user.is_authenticated else "auth.sign_in"), code=303)
    live = verification.link_is_live(purpose, token)
    return render_template("auth/email_link.html", live=live, token=token if live else "", title=title,
                           button=button, error=None if live else verification.DEAD_LINK,
                           has_error=not live), 200 if live else 410


@bp.route("/email/verify", methods=["GET", "POST"])
def verify():
    """Confirm the account's address from the mailed link."""
    return _confirm_link(mail_links.VERIFY, verification.confirm, "Your email address is confirmed.",
                         "Confirm your email address", "Confirm my email address")


@bp.route("/email/change/confirm", methods=["GET", "POST"])
def confirm_change():
    """Make the new address the account's, from the link mailed to it."""
    return _confirm_link(mail_links.EMAIL_CHANGE, verification.confirm_change,
                         "Your email address was changed.", "Confirm your new email address",
                         "Use this email address")


@bp.route("/two-factor/reset/cancel", methods=["GET", "POST"])
def cancel_staff_reset():
    """Cancel a scheduled staff reset of two-factor from the link texted and mailed to the owner."""
    return _confirm_link(mail_links.CANCEL_STAFF_RESET, staff_resets.cancel,
                         "The reset of your two-factor authentication was cancelled. Nothing changed.",
                         "Cancel the reset of your two-factor authentication", "Cancel the reset")
