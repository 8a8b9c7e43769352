"""Who may see the support area: signed-in staff with two-factor on (optionally a strong method), nobody else."""

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user

from app import session_store, signin_session
from app.htmx import hx_redirect
from app.security import methods


def _in_staff_area(path: str) -> bool:
    prefix = current_app.blueprints["admin"].url_prefix
    return path == prefix or path.startswith(prefix + "/")


def is_staff() -> bool:
    """Tell whether a fully signed-in staff member is asking."""
    return bool(current_user.is_authenticated and current_user.is_staff)


def hide_staff_area() -> None:
    """Answer 404 for every /admin URL (even unknown ones) to anyone but staff."""
    if not _in_staff_area(request.path) or session_store.unavailable():
        return  # in a session-store outage the next hook answers 503 on every URL alike
    # Apply timeouts first, so an expired staff session counts as anonymous.
    signin_session.enforce_timeouts()
    if not is_staff():
        abort(404)


def require_staff_with_two_factor():
    """Refuse non-staff; send staff without two-factor to set it up."""
    if not is_staff():
        abort(404)
    if not current_user.two_factor_enabled:
        flash("Turn on two-factor authentication to use the support area.", "warning")
        return hx_redirect(url_for("account.two_factor"))
    if current_app.config["STAFF_REQUIRE_STRONG_METHOD"] and not methods.has_strong(current_user):
        # Text messages alone can be diverted (SIM swap); staff accounts open everyone's records.
        flash("Add a passkey or an authenticator app to use the support area.", "warning")
        return hx_redirect(url_for("account.two_factor"))
    if current_app.config["STAFF_REQUIRE_STRONG_METHOD"] and not methods.is_strong(signin_session.second_factor()):
        # Having one is not enough: this session must have proved it (not a text, not a trusted browser).
        return hx_redirect(url_for("account.confirm_strong"))
    return None
