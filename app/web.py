"""The web layer's request plumbing: trusted hosts, session rules, security headers (registered by the factory)."""

from urllib.parse import urlsplit

from flask import Flask, Request, Response, current_app, render_template, request, url_for
from werkzeug.exceptions import SecurityError as UntrustedHost
from werkzeug.routing import IntegerConverter

from app import signin_session
from app.htmx import hx_redirect
from app.security.audit import Client

# While a sign-in waits for its code, only these endpoints answer.
PENDING_ALLOWED = {
    "auth.verify",
    "auth.resend",
    "auth.cancel",
    "auth.recovery",
    "auth.app_code",
    "auth.another_way",
    "auth.text_me",
    "auth.passkey_step",
    "auth.passkey_step_options",
    "auth.sign_out_completely",
    "static",
    "health.healthz",
    "dev.outbox",
    "help.two_factor",  # someone who lost their phone reads it mid sign-in
    # Mailed (and texted) links, opened in whatever browser the mail app picks, which may be mid sign-in.
    # The link's token is their only authority and none of them signs anyone in.
    "email.cancel_staff_reset",
    "email.verify",
    "email.confirm_change",
    # A reset ends the half-finished sign-in here too: the next one needs the new password and the second factor.
    "email.reset_password",
}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def client() -> Client:
    """Describe the requesting browser for the audit trail."""
    return Client(ip=request.remote_addr, user_agent=request.headers.get("User-Agent", "")[:300].replace("\x00", ""))


def webotp_host() -> str:
    """Return the host named in the WebOTP line of a text: PUBLIC_URL's, never the request's."""
    return urlsplit(current_app.config["PUBLIC_URL"]).hostname


# A load balancer probes these with its own idea of the Host (often an IP address).
OPEN_PATHS = frozenset({"/livez", "/healthz"})


class HostCheckedRequest(Request):
    """A request whose Host must be on TRUSTED_HOSTS, except for the health endpoints."""

    _trusted_hosts: list[str] | None = None

    @property
    def trusted_hosts(self) -> list[str] | None:
        return None if self.path in OPEN_PATHS else self._trusted_hosts

    @trusted_hosts.setter
    def trusted_hosts(self, value: list[str] | None) -> None:
        self._trusted_hosts = value


def refuse_untrusted_host():
    """Answer a plain 400 to a Host outside TRUSTED_HOSTS."""
    # Flask found the Host outside TRUSTED_HOSTS; nothing else may run (no URL can be
    # built for that host), so answer a page that needs no url_for and no session.
    if isinstance(request.routing_exception, UntrustedHost):
        return render_template("errors/bad_host.html"), 400
    return None


class DatabaseId(IntegerConverter):
    """An <int:...> URL part that fits a database id; larger numbers don't match (404)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


class CookieSafeResponse(Response):
    """A response whose cookie deletions carry the attributes the cookie was set with."""

    def delete_cookie(self, key: str, path: str | None = "/", domain: str | None = None, secure: bool = False,
                      httponly: bool = False, samesite: str | None = None, partitioned: bool = False) -> None:
        # Flask-Session deletes the session cookie without Secure; browsers ignore a
        # __Host- cookie without Secure, so the deletion would never happen in production.
        cfg = current_app.config
        if key.startswith("__Host-") or key == cfg["SESSION_COOKIE_NAME"]:
            secure = secure or bool(cfg["SESSION_COOKIE_SECURE"]) or key.startswith("__Host-")
            httponly, samesite = True, samesite or cfg["SESSION_COOKIE_SAMESITE"]
        super().delete_cookie(key, path=path, domain=domain, secure=secure, httponly=httponly,
                              samesite=samesite, partitioned=partitioned)


def install_request_classes(app: Flask) -> None:
    """Use the host-checked request, the cookie-safe response and, if configured, ProxyFix."""
    app.response_class = CookieSafeResponse
    app.request_class = HostCheckedRequest
    if int(app.config.get("PROXY_FIX_X_FOR") or 0):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind N trusted proxies the socket peer is the proxy: take the client address
        # (per-IP limits, audit trail) from X-Forwarded-For, trusting only N hops.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]))


def session_rules() -> Response | None:
    """Apply the session timeouts, and keep a pending sign-in on its code screen."""
    if request.endpoint in ("static", "health.healthz"):
        return None
    signin_session.enforce_timeouts()
    if signin_session.pending() and request.endpoint not in PENDING_ALLOWED:
        return hx_redirect(url_for("auth.verify"))
    return None


def security_headers(response: Response) -> Response:
    """Add the security headers, and forbid storing anything but static files."""
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
    if current_app.config["APP_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response
