"""Sign-in steps of the other second factors: the authenticator app, and Try another way."""

from flask import request, url_for

from app import ratelimits, signin_session
from app.auth.views import _no_pending_sign_in, _second_factor_step, _show_send_outcome, bp
from app.auth.ways import other_methods
from app.forms import field
from app.htmx import hx_redirect, render
from app.models import User
from app.security import SecurityError, methods, signin
from app.web import client, webotp_host


@bp.route("/signin/app", methods=["GET", "POST"], endpoint="app_code")
def app_code():
    """Take a code from the authenticator app."""
    return _second_factor_step(
        lambda user, state: _check_app_code(user, state),
        lambda user, state, error, status: render("auth/app_code.html", "auth/_app_code.html", status,
                                                  code_error=error, others=other_methods(user, methods.TOTP)),
        method=methods.TOTP)


def _check_app_code(user: User, state: dict) -> None:
    if user.totp_credential is None:
        # Removed meanwhile (in another browser): nothing to check, nothing counted.
        raise SecurityError("No authenticator app is set up. Try another way.")
    signin.verify_signin_app_code(user, field("code", 64), client(), state.get("challenge"))


@bp.get("/signin/another-way")
def another_way():
    """List the other ways to finish signing in."""
    state, user = signin_session.pending_user()
    if user is None:
        return _no_pending_sign_in()
    current = request.args.get("from") if request.args.get("from") in methods.ORDER else state.get("method")
    return render("auth/another_way.html", "auth/_another_way.html", 200, others=other_methods(user, current))


@bp.post("/signin/text-me")
@ratelimits.sms_sending
def text_me():
    """Switch this sign-in to a texted code: send one now (only now), then ask for it."""
    state, user = signin_session.pending_user()
    if user is None or not user.has_sms:
        return _no_pending_sign_in() if user is None else hx_redirect(url_for("auth.another_way"))
    signin_session.set_pending_method(methods.SMS)
    if not state.get("code_id"):
        # Already limited as an SMS request by the decorator: spend no second allowance.
        outcome = signin.send_signin_code(user, client(), webotp_host())
        signin_session.set_pending_code(outcome.code_id)
        _show_send_outcome(outcome)
    return hx_redirect(url_for("auth.verify"))

