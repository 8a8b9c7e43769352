"""Friendly error pages for every error status; never a stack trace."""

import logging
from collections.abc import Callable

from flask import Flask, current_app, request, session
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.htmx import render_alert
from app.security.passwords import HashingBusy

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "Something in that request wasn't right. Go back, reload the page and try again."),
    403: ("Not allowed", "You don't have permission to do that."),
    404: ("Page not found", "We couldn't find that page. Check the address or go back to your account."),
    405: ("Not allowed", "That action isn't available here."),
    413: ("Too much data", "That request was too large. Shorten what you entered and try again."),
    429: ("Too many requests", "You've made too many requests. Wait a little and try again."),
    500: ("Something went wrong", "Sorry, something went wrong on our side. Try again in a moment."),
    503: ("Temporarily unavailable", "The service is briefly unavailable. Try again in a minute."),
}


BUSY = "Many people are signing in right now. Nothing was changed — try again in a few seconds."

PAGE_EXPIRED = "This page expired — we've reloaded it. Check what you entered, type your password again and send it."

# Forms answered with themselves, filled in again, when their session (and so their CSRF
# token) expired while the page stood open: endpoint -> function rendering the form.
_RELOADERS: dict[str, Callable[[str], object]] = {}


def reload_when_expired(endpoint: str):
    """Register a function that re-renders endpoint's form (minus passwords) with a message."""

    def register(render_form: Callable[[str], object]):
        _RELOADERS[endpoint] = render_form
        return render_form

    return register


def render_error(status: int, message: str | None = None, retry_after: int | None = None):
    """Render the error page (or an alert fragment for htmx) with the right status."""
    title, default = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    return render_alert("errors/error.html", "errors/_alert.html", status, retry_after=retry_after,
                        status=status, title=title, message=message or default, has_error=True)


def register_error_handlers(app: Flask) -> None:
    """Answer every HTTP error and any unexpected exception with a clean page."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        reload = _RELOADERS.get(request.endpoint)
        if reload and not session.get(current_app.config["WTF_CSRF_FIELD_NAME"]):
            # The session that held the token is gone (anonymous sessions are short-lived):
            # nothing was done; show the form again with a fresh token and what was typed.
            response = current_app.make_response(reload(PAGE_EXPIRED))
            response.status_code = 400
            return response
        return render_error(400, "Your form expired or came from somewhere else. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429:
            # Flask-Limiter's per-IP or global limits: say when the broken limit lets requests through.
            from app.ratelimits import breached_retry_after
            from app.security import wait_in_words

            wait = breached_retry_after()
            return render_error(429, f"Too many requests from your network. Try again in {wait_in_words(wait)}.", wait)
        if _is_store_outage(getattr(error, "original_exception", None)):
            # Raised while saving the session, after the view: Flask wraps it in a 500.
            log.error("Session store unavailable while saving: %s", type(error.original_exception).__name__)
            return render_outage()
        response = render_error(error.code or 500)
        # HTTP requires 405 to name the allowed methods (werkzeug's own page would).
        allow = dict(error.get_headers()).get("Allow") if error.code == 405 else None
        if allow:
            response.headers["Allow"] = allow
        return response

    @app.errorhandler(HashingBusy)
    def hashing_busy(error: HashingBusy):
        from app.extensions import db

        db.session.rollback()
        log.warning("Password hashing slots busy: answered 503")
        return render_error(503, BUSY, error.retry_after)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        from app.extensions import db

        db.session.rollback()
        if _is_store_outage(error):
            log.error("Session or database store unavailable: %s", type(error).__name__)
            return render_outage()
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)


def render_outage():
    """Answer 503 for a store outage, rendering as for a visitor who is not signed in."""
    from app.adapters import forget_loaded_user
    from app.extensions import login_manager

    # Loading the signed-in user for the page header would query the failing store again.
    forget_loaded_user(login_manager.anonymous_user)
    return render_error(503, None, 30)


def _is_store_outage(error: Exception) -> bool:
    from sqlalchemy.exc import OperationalError

    from app.session_store import STORE_ERRORS, SessionStoreUnavailable

    return isinstance(error, (*STORE_ERRORS, SessionStoreUnavailable, OperationalError))
