"""Request hooks: session lifetimes, the pending-sign-in gate, security headers."""

from flask import Flask, Response, request, url_for

from app import signin_session
from app.htmx import hx_redirect
from app.security.audit import Client

# While a sign-in waits for its code, only these endpoints answer.
PENDING_ALLOWED = {
    "auth.verify",
    "auth.resend",
    "auth.cancel",
    "auth.recovery",
    "static",
    "health.healthz",
    "dev.outbox",
}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def client() -> Client:
    """Describe the requesting browser for the audit trail."""
    return Client(ip=request.remote_addr, user_agent=request.headers.get("User-Agent", "")[:300])


def request_host() -> str:
    """Return the host this request was addressed to (for the WebOTP line)."""
    return request.host


def register_request_hooks(app: Flask) -> None:
    """Install the before/after request hooks."""
    app.before_request(_session_rules)
    app.after_request(_security_headers)


def _session_rules() -> Response | None:
    if request.endpoint in ("static", "health.healthz"):
        return None
    signin_session.enforce_timeouts()
    if signin_session.pending() and request.endpoint not in PENDING_ALLOWED:
        return hx_redirect(url_for("auth.verify"))
    return None


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), otp-credentials=(self)")
    if request.endpoint != "static":
        # Personal data and auth pages must never be stored by browsers or proxies.
        headers["Cache-Control"] = "no-store"
        headers.setdefault("Pragma", "no-cache")
    from flask import current_app

    if current_app.config["APP_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response
