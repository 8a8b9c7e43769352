"""Hot-path rules found by the benchmarks: page views neither rewrite the session nor
queue for SQLite's write lock."""

import sqlite3
from datetime import timedelta

import pytest
import time_machine



def count_session_writes(app, monkeypatch) -> list:
    inner = app.session_interface._inner  # Flask-Session's interface behind the outage guard
    writes = []
    real = inner._upsert_session

    def upsert(*args, **kwargs):
        writes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(inner, "_upsert_session", upsert)
    return writes


def test_page_views_do_not_rewrite_the_session(app, client, fake_vonage, monkeypatch, auth):
    auth.make_user()
    auth.sign_in_fully()
    client.get("/account")
    writes = count_session_writes(app, monkeypatch)
    for _ in range(5):
        response = client.get("/account")
        assert response.status_code == 200
        assert not [c for c in response.headers.getlist("Set-Cookie")
                    if c.startswith(app.config["SESSION_COOKIE_NAME"] + "=")]
    assert writes == []


def test_activity_still_keeps_the_session_alive(app, client, fake_vonage, monkeypatch, auth):
    auth.make_user()
    auth.sign_in_fully()
    writes = count_session_writes(app, monkeypatch)
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    with time_machine.travel(timedelta(seconds=idle * 2 // 3)) as clock:
        # After a minute or more, a page view moves the idle clock: one write, a fresh expiry.
        assert client.get("/account").status_code == 200
        assert len(writes) == 1
        clock.shift(timedelta(seconds=idle * 2 // 3))  # 40 min after sign-in, 20 after the last view
        assert client.get("/account").status_code == 200
        clock.shift(timedelta(seconds=idle + 60))  # now idle for longer than the timeout
        response = client.get("/account")
        assert response.status_code in (302, 303) and "/signin" in response.headers["Location"]


@pytest.mark.settings(SQLITE_BUSY_TIMEOUT_MS=200)
def test_get_requests_do_not_wait_for_the_sqlite_write_lock(app, client, fake_vonage, auth):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL readers never wait for writers")
    auth.make_user()
    auth.sign_in_fully()
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # someone else holds the write lock
        page = client.get("/account")
        assert page.status_code == 200 and "My Account Settings" in page.get_data(as_text=True)
        # A state change still queues for the lock; past the busy timeout it is a clean 503.
        response = client.post("/signout")
        assert response.status_code == 503
        assert "Temporarily unavailable" in response.get_data(as_text=True)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert client.post("/signout").status_code == 303


def test_the_stored_session_holds_no_password(app, client, fake_vonage, auth):
    from tests.support import PASSWORD, stored_sessions

    auth.make_user()
    auth.sign_in_fully()
    records = stored_sessions(app)  # session files, or Redis records under this run's prefix
    assert records and all(PASSWORD.encode() not in record for record in records)
