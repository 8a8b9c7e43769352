"""With CSRF on: every two-factor state change needs the token (form field or htmx header)."""

import pytest

from tests.support import PASSWORD, PHONE, csrf_token, htmx, make_user
from tests.twofactor_helpers import (
    SIGNIN_RESEND, SIGNIN_VERIFY, TWO_FACTOR, client_with_agent, device_rows, signed_in, user,
)


pytestmark = pytest.mark.settings(WTF_CSRF_ENABLED=True)


def sign_in_with_token(browser, fake_vonage, *, trust=False):
    token = csrf_token(browser, "/signin")
    browser.post("/signin", data={"email": "patient@example.com", "password": PASSWORD, "csrf_token": token})
    token = csrf_token(browser, SIGNIN_VERIFY)
    data = {"code": fake_vonage.last_code(PHONE), "csrf_token": token, **({"trust": "on"} if trust else {})}
    response = browser.post(SIGNIN_VERIFY, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def test_two_factor_changes_without_a_token_are_refused_and_change_nothing(app, fake_vonage):
    uid = make_user(app, phone=PHONE)
    browser = client_with_agent(app)
    sign_in_with_token(browser, fake_vonage, trust=True)
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


def test_the_htmx_header_token_works(app, fake_vonage):
    uid = make_user(app, phone=PHONE)
    browser = client_with_agent(app)
    sign_in_with_token(browser, fake_vonage)
    token = csrf_token(browser, TWO_FACTOR)
    response = browser.post(TWO_FACTOR + "/disable", headers=htmx(**{"X-CSRFToken": token}))
    assert response.status_code == 200
    assert user(app, uid).phone_e164 is None


def test_pending_sign_in_posts_need_the_token(app, fake_vonage):
    make_user(app, phone=PHONE)
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
