"""Server-side sessions: sign out, password change, idle and absolute lifetimes, the cookie."""

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from tests.support import PASSWORD, htmx, session_cookie

NEW_PASSWORD = "Violet-Harbour-Thimble-58"


def replay(app, cookie_value):
    """A fresh client that sends only the given session cookie."""
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie_value)
    return other


def is_sent_to_sign_in(response) -> bool:
    return response.status_code in (302, 303) and urlsplit(response.headers["Location"]).path == "/signin"


def signed_in_client(auth, app):
    client = app.test_client()
    assert auth.sign_in(client=client).status_code == 303
    assert client.get("/account").status_code == 200
    return client


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, **kwargs):
    return client.post("/account/password", data={"current": current, "new": new, "confirm": new}, **kwargs)


# ---------------------------------------------------------------- sign out

def test_sign_out_makes_the_old_cookie_worthless(client, app, auth):
    auth.make_user()
    auth.sign_in()
    old = session_cookie(client, app)
    response = client.post("/signout")
    assert is_sent_to_sign_in(response)
    assert is_sent_to_sign_in(client.get("/account"))
    thief = replay(app, old)
    assert is_sent_to_sign_in(thief.get("/account"))
    page = thief.get("/signin")
    assert page.status_code == 200 and "<h1>Sign in</h1>" in page.get_data(as_text=True)
    assert "Sign out" not in page.get_data(as_text=True)


def test_sign_out_replaces_the_cookie_with_an_anonymous_one(client, app, auth):
    auth.make_user()
    auth.sign_in()
    old = session_cookie(client, app)
    client.post("/signout")
    # The browser keeps only a fresh, anonymous id (it carries the "signed out" notice).
    new = session_cookie(client, app)
    assert new != old
    assert "You&#39;re signed out." in client.get("/signin").get_data(as_text=True)
    store = app.session_interface
    assert store._retrieve_session_data(store._get_store_id(old)) is None
    assert "_user_id" not in (store._retrieve_session_data(store._get_store_id(new)) or {})


def test_sign_out_clears_cache_and_storage_but_not_cookies(client, app, auth):
    auth.make_user()
    auth.sign_in()
    response = client.post("/signout")
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert "cookies" not in response.headers["Clear-Site-Data"]


def test_htmx_sign_out_answers_hx_redirect(client, app, auth):
    auth.make_user()
    auth.sign_in()
    old = session_cookie(client, app)
    response = client.post("/signout", headers=htmx())
    assert urlsplit(response.headers["HX-Redirect"]).path == "/signin"
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert is_sent_to_sign_in(replay(app, old).get("/account"))


def test_sign_out_is_post_only(client, app, auth):
    auth.make_user()
    auth.sign_in()
    assert client.get("/signout").status_code == 405
    assert client.get("/account").status_code == 200


# ---------------------------------------------------------------- password change

def test_password_change_ends_other_sessions_and_keeps_this_one_under_a_new_id(app, auth):
    auth.make_user()
    here, elsewhere = signed_in_client(auth, app), signed_in_client(auth, app)
    before = session_cookie(here, app)
    response = change_password(here)
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/account"
    after = session_cookie(here, app)
    assert after and after != before
    page = here.get("/account")
    assert page.status_code == 200 and "Your password was changed." in page.get_data(as_text=True)
    assert is_sent_to_sign_in(elsewhere.get("/account"))
    assert is_sent_to_sign_in(replay(app, before).get("/account"))


def test_password_change_swaps_which_password_works(app, auth):
    auth.make_user()
    change_password(signed_in_client(auth, app))
    assert auth.sign_in(client=app.test_client()).status_code == 422
    assert auth.sign_in(password=NEW_PASSWORD, client=app.test_client()).status_code == 303


def test_htmx_password_change_answers_hx_redirect(app, auth):
    auth.make_user()
    here = signed_in_client(auth, app)
    response = change_password(here, headers=htmx())
    assert urlsplit(response.headers["HX-Redirect"]).path == "/account"
    assert here.get("/account").status_code == 200


def test_wrong_current_password_changes_nothing(app, auth):
    auth.make_user()
    here, elsewhere = signed_in_client(auth, app), signed_in_client(auth, app)
    response = change_password(here, current="Not-The-Password-99")
    assert response.status_code == 422
    assert "Your current password isn" in response.get_data(as_text=True)
    assert elsewhere.get("/account").status_code == 200
    assert auth.sign_in(client=app.test_client()).status_code == 303


def test_new_password_follows_the_sign_up_rules(app, auth):
    auth.make_user()
    here = signed_in_client(auth, app)
    for new, message in [("short-pass", "Use at least 12 characters."),
                         ("password1234", "common passwords"),
                         ("patient@example.com", "can&#39;t be your email address"),
                         (PASSWORD, "different from your current one")]:
        response = change_password(here, new=new, headers=htmx())
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html and "<html" not in html
    mismatch = here.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": "other"})
    assert mismatch.status_code == 422 and "don&#39;t match" in mismatch.get_data(as_text=True)
    assert auth.sign_in(client=app.test_client()).status_code == 303


# ---------------------------------------------------------------- lifetimes

START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def test_idle_timeout_ends_the_session_on_the_server(app, auth):
    auth.make_user()
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in_client(auth, app)
        cookie = session_cookie(client, app)
        clock.shift(timedelta(minutes=29))
        assert client.get("/account").status_code == 200
        clock.shift(timedelta(minutes=29))  # 58 minutes in, but active 29 minutes ago
        assert client.get("/account").status_code == 200
        cookie = session_cookie(client, app)
        clock.shift(timedelta(minutes=31))
        # Replay the id by hand: a browser might drop the expired cookie; the server must refuse it.
        assert is_sent_to_sign_in(replay(app, cookie).get("/account"))


def test_absolute_lifetime_ends_even_an_active_session(app, auth):
    auth.make_user()
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in_client(auth, app)
        elapsed = timedelta()
        while elapsed + timedelta(minutes=25) < timedelta(hours=12):
            clock.shift(timedelta(minutes=25))
            elapsed += timedelta(minutes=25)
            assert client.get("/account").status_code == 200, elapsed
        cookie = session_cookie(client, app)
        clock.shift(timedelta(hours=12) - elapsed + timedelta(minutes=1))
        assert is_sent_to_sign_in(replay(app, cookie).get("/account"))


def test_timeouts_follow_configuration(app, auth):
    app.config.update(SESSION_IDLE_TIMEOUT=60, SESSION_ABSOLUTE_TIMEOUT=300)
    auth.make_user()
    with time_machine.travel(START, tick=False) as clock:
        client = signed_in_client(auth, app)
        clock.shift(timedelta(seconds=61))
        assert is_sent_to_sign_in(client.get("/account"))


# ---------------------------------------------------------------- the cookie

def test_session_cookie_is_httponly_lax_and_opaque(client, app, auth):
    auth.make_user()
    response = auth.sign_in()
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1
    header = cookies[0]
    name, _, rest = header.partition("=")
    value = rest.split(";", 1)[0]
    assert name == "session"
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Secure" not in header  # development/test profile; production is checked below
    # 32 random bytes, nothing else: no email, no user id, no signed payload.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)
    for text in (value, _b64(value)):
        assert "patient" not in text and "example.com" not in text and "_user_id" not in text


def _b64(value: str) -> str:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("latin-1")
    except (binascii.Error, ValueError):
        return ""


@pytest.mark.settings(APP_ENV="production", VONAGE_SMS_FROM_BY_COUNTRY={"1": "12015550100"})
def test_production_cookie_is_secure_and_host_prefixed(client, app, auth):
    auth.make_user()
    response = auth.sign_in()
    header = response.headers["Set-Cookie"]
    assert header.startswith("__Host-session=")
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Domain=" not in header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_data_lives_on_the_server(client, app, auth):
    auth.make_user()
    auth.sign_in()
    store = app.session_interface
    data = store._retrieve_session_data(store._get_store_id(session_cookie(client, app)))
    assert data["_user_id"] == "1:1"  # "<id>:<session version>", kept server-side only
