"""Keep a session-store outage from becoming a crash: it becomes a clean 503."""

import logging

import redis
from flask import Flask, Request, Response, request

log = logging.getLogger(__name__)

# Errors that mean "the store is not answering", as opposed to bad data.
STORE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_DOWN = "app.session_store_down"


class SessionStoreUnavailable(RuntimeError):
    """The session store did not answer (reading or saving the session)."""


class GuardedSessionInterface:
    """Delegate to Flask-Session's interface, turning store errors into a known state.

    Opening: a failed read gives the request a stand-in session that is never saved,
    and marks the request so a before_request hook answers 503 before any work is done.
    Saving: a failed write raises SessionStoreUnavailable, which the error handlers
    answer with 503.
    """

    def __init__(self, inner) -> None:
        self._inner = inner

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def open_session(self, app: Flask, req: Request):
        try:
            return self._inner.open_session(app, req)
        except STORE_ERRORS as exc:
            log.error("Session store unavailable while opening a session: %s", type(exc).__name__)
            req.environ[_DOWN] = True
            inner = self._inner
            return inner.session_class(sid=inner._generate_sid(inner.sid_length), permanent=inner.permanent)

    def save_session(self, app: Flask, session, response: Response) -> None:
        if request.environ.get(_DOWN):
            return  # the stand-in session must never overwrite the real one
        try:
            self._inner.save_session(app, session, response)
        except STORE_ERRORS as exc:
            request.environ[_DOWN] = True
            raise SessionStoreUnavailable(type(exc).__name__) from exc


def guard_session_store(app: Flask) -> None:
    """Wrap the app's server-side session interface and refuse work while it is down."""
    if not isinstance(app.session_interface, GuardedSessionInterface):
        app.session_interface = GuardedSessionInterface(app.session_interface)
        # Ahead of CSRF and rate-limit checks, so an outage reads as 503, not "form expired".
        app.before_request_funcs.setdefault(None, []).insert(0, _refuse_while_down)


def _refuse_while_down() -> None:
    # /healthz reports the outage itself; static files need no session.
    if unavailable() and request.endpoint not in ("static", "health.healthz"):
        raise SessionStoreUnavailable("session store did not answer")


def unavailable() -> bool:
    """Tell whether this request found the session store down."""
    return bool(request.environ.get(_DOWN))
