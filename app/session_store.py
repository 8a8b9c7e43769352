"""The session store's rules: an outage is a clean 503; anonymous sessions are small and short-lived."""

import logging
import secrets
from datetime import timedelta

import redis
from flask import Flask, Request, Response, current_app, request

log = logging.getLogger(__name__)

# Errors that mean "the store is not answering", as opposed to bad data.
STORE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_DOWN = "app.session_store_down"
# Set when the request brought no live session (no cookie, or one naming no stored record).
_FRESH = "app.session_fresh"


class SessionStoreUnavailable(RuntimeError):
    """The session store did not answer (reading or saving the session)."""


class _WithLifetime:
    """The app as Flask-Session sees it while saving, with this session's lifetime."""

    def __init__(self, app: Flask, lifetime: timedelta) -> None:
        self._app = app
        self.permanent_session_lifetime = lifetime

    def __getattr__(self, name: str):
        return getattr(self._app, name)


class GuardedSessionInterface:
    """Delegate to Flask-Session's interface, turning store errors into a known state.

    Opening: a failed read gives the request a stand-in session that is never saved,
    and marks the request so a before_request hook answers 503 before any work is done.
    Saving: a failed write raises SessionStoreUnavailable, which the error handlers
    answer with 503. A session that is neither signed in nor half signed in is stored
    for ANON_SESSION_TTL_SECONDS only (store and cookie), and a new one is not stored at
    all for an answer the new-session rate limit did not count (no such page, or 429).
    """

    def __init__(self, inner) -> None:
        self._inner = inner

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def open_session(self, app: Flask, req: Request):
        try:
            session = self._inner.open_session(app, req)
        except STORE_ERRORS as exc:
            log.error("Session store unavailable while opening a session: %s", type(exc).__name__)
            req.environ[_DOWN] = True
            inner = self._inner
            # Never saved, so any fresh id will do: made as Flask-Session makes its own.
            return inner.session_class(sid=secrets.token_urlsafe(inner.sid_length), permanent=inner.permanent)
        if session.sid != req.cookies.get(app.config["SESSION_COOKIE_NAME"]):
            req.environ[_FRESH] = True
        return session

    def save_session(self, app: Flask, session, response: Response) -> None:
        if request.environ.get(_DOWN):
            return  # the stand-in session must never overwrite the real one
        from app import signin_session  # here: signin_session imports the models, which import extensions

        lifetime = app.permanent_session_lifetime
        if not signin_session.holds_sign_in(session):
            if request.environ.get(_FRESH) and (request.url_rule is None or response.status_code == 429):
                return  # nobody can post from this answer; storing it would let records pile up uncounted
            lifetime = timedelta(seconds=int(app.config["ANON_SESSION_TTL_SECONDS"]))
        try:
            self._inner.save_session(_WithLifetime(app, lifetime), session, response)
        except STORE_ERRORS as exc:
            request.environ[_DOWN] = True
            raise SessionStoreUnavailable(type(exc).__name__) from exc


def guard_session_store(app: Flask) -> None:
    """Wrap the app's server-side session interface (refuse_while_down is its request hook)."""
    if not isinstance(app.session_interface, GuardedSessionInterface):
        app.session_interface = GuardedSessionInterface(app.session_interface)


def refuse_while_down() -> None:
    """Answer 503 when this request found the session store down."""
    # /healthz reports the outage itself; static files need no session.
    if unavailable() and request.endpoint not in ("static", "health.healthz"):
        raise SessionStoreUnavailable("session store did not answer")


def keeps_a_session() -> bool:
    """Tell whether this request brought a live session (so the new-session limit skips it)."""
    return not request.environ.get(_FRESH) or request.endpoint in ("static", "health.healthz", "health.livez")


def new_session_limit() -> str:
    """Per-IP limit on requests that arrive without a live session."""
    return current_app.config["RATELIMIT_NEW_SESSIONS"]


def unavailable() -> bool:
    """Tell whether this request found the session store down."""
    return bool(request.environ.get(_DOWN))
