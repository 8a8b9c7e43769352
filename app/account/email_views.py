"""My Account Settings → Email address: confirm it (resend the link) or change it."""

from flask import Blueprint, flash, render_template, request, url_for
from flask_login import current_user, login_required

from app.forms import field
from app.htmx import hx_redirect
from app.security import SecurityError, signin, verification
from app.web import client

bp = Blueprint("account_email", __name__, url_prefix="/account/email")


@bp.before_request
@login_required
def require_login():
    """Every page here needs a fully signed-in user."""


@bp.route("", methods=["GET", "POST"])
def change():
    """Mail a link to a new address; it replaces the old one only once the link is followed."""
    errors, email, status = {}, field("email", 320), 200
    if request.method == "POST":
        try:
            # Counted and throttled like sign-in, so a stolen session can't guess the password here.
            signin.check_password(current_user.email, field("password", 1024, strip=False), client())
            sent_to = verification.start_change(current_user, email, field("password", 1024, strip=False), client())
        except signin.SignInFailed:
            errors["password"], status = "Your password isn't right.", 422
        except SecurityError as exc:
            errors[exc.field or "form"], status = exc.message, exc.status
        else:
            flash(f"We sent a link to {sent_to}. Your address changes when you follow it "
                  "(within 24 hours).", "success")
            return hx_redirect(url_for("account.settings"))
    return render_template("account/email.html", errors=errors, email=email, has_error=bool(errors)), status


@bp.post("/resend")
def resend():
    """Mail a new verification link to the account's address."""
    try:
        verification.resend_link(current_user, client())
    except SecurityError as exc:
        flash(exc.message, "error")
    else:
        flash(f"We sent a new link to {current_user.email}. It works for 24 hours.", "success")
    return hx_redirect(url_for("account.settings"))
