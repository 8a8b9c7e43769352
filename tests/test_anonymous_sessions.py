"""Anonymous sessions are small and short-lived, cookie-less visits are limited per IP, and an
expired sign-in or sign-up form comes back filled in (files and Redis alike)."""

import os
import re
import struct
import time
from email.utils import parsedate_to_datetime

import pytest

from tests.support import PASSWORD, PHONE, csrf_token, htmx

ANON_TTL = 600
IDLE = 1800
EXPIRED = "This page expired — we&#39;ve reloaded it."


def records(app) -> list[tuple[int, float]]:
    """(size in bytes, seconds until the store expires it) of every stored session."""
    now = time.time()
    if app.config["SESSION_TYPE"] == "redis":
        store = app.config["SESSION_REDIS"]
        keys = list(store.scan_iter(match=app.config["SESSION_KEY_PREFIX"] + "*"))
        return [(len(store.get(key) or b""), store.ttl(key)) for key in keys]
    cache = app.config["SESSION_CACHELIB"]
    found = []
    for name in cache._list_dir():
        with open(name, "rb") as fh:
            expires = struct.unpack("I", fh.read(4))[0]
        found.append((os.path.getsize(name) - 4, expires - now))
    return found


def expire_every_session(app) -> None:
    """Do what the store does when a session's lifetime ends: forget the record."""
    if app.config["SESSION_TYPE"] == "redis":
        store = app.config["SESSION_REDIS"]
        for key in list(store.scan_iter(match=app.config["SESSION_KEY_PREFIX"] + "*")):
            store.delete(key)
    else:
        app.config["SESSION_CACHELIB"].clear()
    assert records(app) == []


def test_a_cookie_less_page_load_stores_a_small_session_for_minutes(app, client):
    assert app.config["ANON_SESSION_TTL_SECONDS"] == ANON_TTL
    response = client.get("/signin")
    assert response.status_code == 200
    ((size, left),) = records(app)
    assert size < 300
    assert ANON_TTL - 5 <= left <= ANON_TTL
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", response.headers["Set-Cookie"]).group(1))
    assert expires.timestamp() - time.time() <= ANON_TTL + 1  # the cookie goes with it


def test_half_signed_in_and_signed_in_sessions_keep_the_idle_lifetime(app, client, fake_vonage, auth):
    auth.make_user(phone=PHONE)
    assert auth.sign_in().headers["Location"].endswith("/signin/verify")
    ((_, left),) = records(app)
    assert IDLE - 5 <= left <= IDLE
    response = client.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)})
    assert response.status_code == 303
    ((_, left),) = records(app)
    assert IDLE - 5 <= left <= IDLE


def test_signing_out_leaves_only_a_short_lived_message(app, client, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    client.post("/signout")
    ((_, left),) = records(app)  # holds the "You're signed out" message for the next page
    assert left <= ANON_TTL


LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_NEW_SESSIONS": "20 per minute", "WTF_CSRF_ENABLED": True}


@pytest.mark.settings(**LIMITED)
def test_a_thousand_cookie_less_gets_from_one_address_leave_a_bounded_number_of_records(app):
    statuses = [app.test_client().get("/signin").status_code for _ in range(1000)]
    assert statuses.count(200) == 20 and statuses.count(429) == 980
    found = records(app)
    assert len(found) == 20
    assert all(size < 300 and 0 < left <= ANON_TTL for size, left in found)


@pytest.mark.settings(**LIMITED)
def test_made_up_cookies_missing_pages_and_token_less_posts_store_nothing_beyond_the_limit(app):
    for i in range(300):
        visitor = app.test_client()
        visitor.set_cookie(app.config["SESSION_COOKIE_NAME"], f"made-up-{i}")
        visitor.get("/signup")
        app.test_client().get(f"/no-such-page-{i}")
        app.test_client().post("/signin", data={"email": f"x{i}@example.com", "password": "guess"})
    assert len(records(app)) <= 20


@pytest.mark.settings(**LIMITED)
def test_the_new_session_limit_leaves_live_sessions_alone(app, client):
    for _ in range(19):
        app.test_client().get("/signin")
    assert client.get("/signin").status_code == 200  # the 20th new session
    assert app.test_client().get("/signin").status_code == 429
    assert all(client.get("/signup").status_code == 200 for _ in range(50))  # a live session isn't counted


# ---------------------------------------------------------------- a form left open past the anonymous lifetime

CSRF_ON = {"WTF_CSRF_ENABLED": True}


def token_in(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.settings(**CSRF_ON)
@pytest.mark.parametrize("as_htmx", [False, True], ids=["no-js", "htmx"])
def test_an_expired_sign_in_form_comes_back_filled_in_except_the_password(app, client, fake_vonage, as_htmx, auth):
    auth.make_user()
    old = csrf_token(client, "/signin?next=/account/password")
    expire_every_session(app)
    typed = {"email": "Patient@Example.com", "password": PASSWORD, "csrf_token": old}
    response = client.post("/signin?next=/account/password", data=typed, headers=htmx() if as_htmx else {})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and EXPIRED in html
    assert ("<html" in html) is not as_htmx and 'id="signin-form"' in html
    assert 'value="Patient@Example.com"' in html and PASSWORD not in html
    fresh = token_in(html)
    assert fresh != old
    again = client.post("/signin?next=/account/password", data={**typed, "csrf_token": fresh},
                        headers=htmx() if as_htmx else {})
    where = again.headers["HX-Redirect"] if as_htmx else again.headers["Location"]
    assert where.endswith("/account/password")


@pytest.mark.settings(**CSRF_ON)
@pytest.mark.parametrize("as_htmx", [False, True], ids=["no-js", "htmx"])
def test_an_expired_sign_up_form_comes_back_filled_in_except_the_passwords(app, client, as_htmx):
    from app.security import accounts

    old = csrf_token(client, "/signup")
    expire_every_session(app)
    typed = {"email": "new.person@example.com", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": old}
    response = client.post("/signup", data=typed, headers=htmx() if as_htmx else {})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and EXPIRED in html and 'id="signup-form"' in html
    assert 'value="new.person@example.com"' in html and PASSWORD not in html
    with app.app_context():
        assert accounts.find_by_email("new.person@example.com") is None
    again = client.post("/signup", data={**typed, "csrf_token": token_in(html)}, headers=htmx() if as_htmx else {})
    assert again.status_code in (200, 303)
    with app.app_context():
        assert accounts.find_by_email("new.person@example.com") is not None


@pytest.mark.settings(**CSRF_ON)
def test_a_wrong_token_in_a_live_session_is_still_refused_plainly(app, client):
    csrf_token(client, "/signin")
    response = client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD,
                                            "csrf_token": "forged"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and EXPIRED not in html and "came from somewhere else" in html
