"""The one module that relies on libraries' private internals (each pinned by tests/test_adapters.py).

Flask-Login, Flask-Session and cachelib offer no public way to do these few things; an upgrade that
changes them fails those tests instead of silently breaking sign-in state, the staff session count or
the session-file cleanup.
"""

import time

from flask import g

# Flask-Login's session key for the signed-in user's id ("<id>:<session_version>"); login_user writes it.
FLASK_LOGIN_USER_ID = "_user_id"


def signed_in_id(data) -> str | None:
    """Return the Flask-Login user id kept in session data (a live session or a stored record)."""
    return data.get(FLASK_LOGIN_USER_ID)


def forget_loaded_user(anonymous_user) -> None:
    """Make current_user anonymous for this request without loading anyone (Flask-Login's g cache)."""
    g._login_user = anonymous_user()


def remove_expired_session_files(cache) -> int:
    """Delete expired cachelib session files (cachelib's own expiry sweep); return how many went."""
    before = sum(1 for _ in cache._list_dir())
    cache._remove_expired(time.time())
    return max(0, before - sum(1 for _ in cache._list_dir()))
