"""Pin the library internals app/adapters.py relies on, so an upgrade that changes them fails here."""

from datetime import UTC, datetime

import time_machine
from cachelib import FileSystemCache
from flask import Flask, session
from flask_login import LoginManager, UserMixin, current_user, login_user

from app import adapters


class _User(UserMixin):
    def __init__(self, uid: str) -> None:
        self.id = uid


def _login_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "adapter-test"
    manager = LoginManager(app)
    manager.user_loader(lambda uid: _User(uid))
    return app


def test_flask_login_keeps_the_signed_in_id_under_the_key_the_adapter_reads():
    app = _login_app()
    with app.test_request_context():
        login_user(_User("7:3"))
        assert adapters.signed_in_id(session) == "7:3"
        assert adapters.signed_in_id({}) is None


def test_forget_loaded_user_makes_current_user_anonymous_without_touching_the_session():
    app = _login_app()
    with app.test_request_context():
        login_user(_User("7:3"))
        assert current_user.is_authenticated
        adapters.forget_loaded_user(app.login_manager.anonymous_user)
        assert not current_user.is_authenticated
        assert adapters.signed_in_id(session) == "7:3"  # the session itself is untouched


def test_remove_expired_session_files_deletes_only_expired_files(tmp_path):
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        cache = FileSystemCache(str(tmp_path), threshold=0)
        cache.set("short", {"a": 1}, timeout=60)
        cache.set("long", {"b": 2}, timeout=3600)
        cache.set("forever", {"c": 3}, timeout=0)
        assert adapters.remove_expired_session_files(cache) == 0
        traveller.shift(61)
        assert adapters.remove_expired_session_files(cache) == 1
        assert cache.get("short") is None and cache.get("long") == {"b": 2} and cache.get("forever") == {"c": 3}
