"""CSRF on: a missing or wrong token gets a 400 page and changes nothing; htmx sends the header."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.support import PASSWORD, PHONE, csrf_token, htmx
from tests.twofactor_helpers import (
    SIGNIN_RESEND, SIGNIN_VERIFY, TWO_FACTOR, client_with_agent, device_rows, signed_in, user,
)

NEW_PASSWORD = "Violet-Harbour-Thimble-58"
EXPIRED = "Your form expired or came from somewhere else."


pytestmark = pytest.mark.settings(WTF_CSRF_ENABLED=True)


def user_count(app) -> int:
    from app.extensions import db
    from app.models import User

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def assert_csrf_refused(response) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert EXPIRED in html
    assert "Traceback" not in html and "CSRFError" not in html


def sign_in_with_token(client, password=PASSWORD):
    token = csrf_token(client, "/signin")
    response = client.post("/signin", data={"email": "patient@example.com", "password": password,
                                            "csrf_token": token})
    assert response.status_code == 303
    return response


def test_sign_up_without_token_is_refused_and_creates_no_user(client, app):
    csrf_token(client, "/signup")  # a live session, so the missing token is not an expired page
    response = client.post("/signup", data={"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD})
    assert_csrf_refused(response)
    assert "<html" in response.get_data(as_text=True)  # a full, clean error page
    assert user_count(app) == 0


def test_sign_up_without_any_session_reloads_the_form_and_creates_no_user(client, app):
    response = client.post("/signup", data={"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400 and "This page expired" in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_sign_up_with_token_works(client, app):
    token = csrf_token(client, "/signup")
    response = client.post("/signup", data={"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD,
                                            "csrf_token": token})
    assert response.status_code == 303
    assert user_count(app) == 1


def test_sign_in_without_token_is_refused(client, app, auth):
    auth.make_user()
    csrf_token(client, "/signin")
    assert_csrf_refused(client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD}))
    assert client.get("/account").status_code == 303


def test_password_change_without_token_changes_nothing(client, app, auth):
    auth.make_user()
    sign_in_with_token(client)
    response = client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD})
    assert_csrf_refused(response)
    other = app.test_client()
    sign_in_with_token(other)  # the old password still works
    assert client.get("/account").status_code == 200  # and this session was not ended


def test_password_change_with_wrong_token_changes_nothing(client, app, auth):
    auth.make_user()
    sign_in_with_token(client)
    good = csrf_token(client, "/account/password")
    for bad in ("", "not-a-token", good[:-2] + ("xx" if not good.endswith("xx") else "yy")):
        response = client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                          "confirm": NEW_PASSWORD, "csrf_token": bad})
        assert_csrf_refused(response)
    sign_in_with_token(app.test_client())


def test_token_from_another_session_is_refused(client, app, auth):
    auth.make_user()
    sign_in_with_token(client)
    attacker = app.test_client()
    foreign = csrf_token(attacker, "/signin")
    response = client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD, "csrf_token": foreign})
    assert_csrf_refused(response)


def test_token_from_before_sign_in_dies_with_that_session(client, app, auth):
    auth.make_user()
    before = csrf_token(client, "/signin")
    client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD, "csrf_token": before})
    response = client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD, "csrf_token": before})
    assert_csrf_refused(response)


def test_sign_out_without_token_keeps_the_session(client, app, auth):
    auth.make_user()
    sign_in_with_token(client)
    assert_csrf_refused(client.post("/signout"))
    assert client.get("/account").status_code == 200


def test_htmx_request_with_the_header_works(client, app, auth):
    auth.make_user()
    token = csrf_token(client, "/signin")
    response = client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD},
                           headers=htmx(**{"X-CSRFToken": token}))
    assert response.status_code == 200
    assert urlsplit(response.headers["HX-Redirect"]).path == "/account"
    # The page puts the same token on <body hx-headers> for every htmx request.
    page = client.get("/account/password").get_data(as_text=True)
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    response = client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD},
                           headers=htmx(**{"X-CSRFToken": header_token}))
    assert urlsplit(response.headers["HX-Redirect"]).path == "/account"


def test_htmx_request_with_a_wrong_header_gets_a_400_alert(client, app, auth):
    auth.make_user()
    csrf_token(client, "/signin")
    response = client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD},
                           headers=htmx(**{"X-CSRFToken": "forged"}))
    assert_csrf_refused(response)
    html = response.get_data(as_text=True)
    assert "<html" not in html  # an alert fragment, retargeted into the page's alert area
    assert response.headers["HX-Retarget"] == "#alerts"
    assert client.get("/account").status_code == 303


def test_every_form_carries_a_token(client, app):
    for path in ("/signin", "/signup"):
        html = client.get(path).get_data(as_text=True)
        forms = re.findall(r"<form\b.*?</form>", html, flags=re.S)
        assert forms and all('name="csrf_token"' in form for form in forms if 'method="post"' in form)


# ---------------------------------------------------------------- two-factor changes and the pending sign-in

def sign_in_with_code_and_token(browser, fake_vonage, *, trust=False):
    """Sign in with the password and the texted code, each post carrying its token."""
    token = csrf_token(browser, "/signin")
    browser.post("/signin", data={"email": "patient@example.com", "password": PASSWORD, "csrf_token": token})
    token = csrf_token(browser, SIGNIN_VERIFY)
    data = {"code": fake_vonage.last_code(PHONE), "csrf_token": token, **({"trust": "on"} if trust else {})}
    response = browser.post(SIGNIN_VERIFY, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def test_two_factor_changes_without_a_token_are_refused_and_change_nothing(app, fake_vonage, auth):
    uid = auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    sign_in_with_code_and_token(browser, fake_vonage, trust=True)
    (device,) = device_rows(app, uid)
    fake_vonage.reset()
    posts = {
        "/setup": {"country": "US", "phone": "201-555-0188"},
        "/number": {"country": "US", "phone": "201-555-0188"},
        "/verify": {"code": "123456"},
        "/resend": {},
        "/cancel": {},
        "/disable": {},
        f"/devices/{device.id}/forget": {},
        "/devices/forget-others": {},
    }
    for path, data in posts.items():
        for headers in ({}, htmx(), htmx(**{"X-CSRFToken": "not-the-token"})):
            response = browser.post(TWO_FACTOR + path, data=data, headers=headers)
            assert response.status_code == 400, (path, headers)
    assert browser.post("/signout/completely").status_code == 400
    assert user(app, uid).phone_e164 == PHONE
    assert [d.id for d in device_rows(app, uid)] == [device.id]
    assert fake_vonage.requests == []
    assert signed_in(browser)


def test_the_htmx_header_token_works(app, fake_vonage, auth):
    uid = auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    sign_in_with_code_and_token(browser, fake_vonage)
    token = csrf_token(browser, TWO_FACTOR)
    response = browser.post(TWO_FACTOR + "/disable", headers=htmx(**{"X-CSRFToken": token}))
    assert response.status_code == 200
    assert user(app, uid).phone_e164 is None


def test_pending_sign_in_posts_need_the_token(app, fake_vonage, auth):
    auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    token = csrf_token(browser, "/signin")
    browser.post("/signin", data={"email": "patient@example.com", "password": PASSWORD, "csrf_token": token})
    code = fake_vonage.last_code(PHONE)
    assert browser.post(SIGNIN_VERIFY, data={"code": code}).status_code == 400
    assert browser.post(SIGNIN_RESEND).status_code == 400
    assert len(fake_vonage.requests) == 1
    assert not signed_in(browser)
    # The same code with the token still works: the refused post used no try.
    data = {"code": code, "csrf_token": csrf_token(browser, SIGNIN_VERIFY)}
    assert browser.post(SIGNIN_VERIFY, data=data).status_code == 303
