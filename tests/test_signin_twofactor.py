"""Sign-in with two-factor on: the pending state, the code, trusted browsers."""

import hashlib
from datetime import timedelta

import pytest
from flask import url_for

from tests.support import OTHER_PHONE, PASSWORD, PHONE, htmx, session_cookie
from tests.twofactor_helpers import (FIREFOX_WINDOWS, SIGNIN_RESEND, SIGNIN_VERIFY, client_with_agent, device_rows,
                                     event_rows, is_partial, redirects_to, signed_in, text, trust_token, wrong_code)
from app.web import PENDING_ALLOWED


@pytest.fixture
def uid(app, auth):
    """An account with two-factor on."""
    return auth.make_user(phone=PHONE)


# ---------------------------------------------------------------- pending


def test_right_password_on_an_untrusted_browser_texts_a_code_and_asks_for_it(app, fake_vonage, uid, auth):
    browser = client_with_agent(app)
    response = auth.sign_in(client=browser)
    assert response.status_code == 303 and redirects_to(response, SIGNIN_VERIFY)
    assert [m["to"] for m in fake_vonage.messages] == [PHONE.lstrip("+")]

    page = browser.get(SIGNIN_VERIFY)
    assert page.status_code == 200
    body = text(page)
    assert '<label for="f-code">Verification code</label>' in body
    assert 'autocomplete="one-time-code"' in body and 'inputmode="numeric"' in body
    assert '<label for="f-trust">Trust this browser</label>' in body
    assert ">Resend code</button>" in body and ">Sign out</button>" in body
    assert "+1 ••• ••• 0123" in body and PHONE not in body
    assert not signed_in(browser)


def test_htmx_sign_in_is_told_to_go_to_the_verify_screen(app, fake_vonage, uid):
    browser = client_with_agent(app)
    response = browser.post("/signin", data={"email": "patient@example.com", "password": PASSWORD}, headers=htmx())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == SIGNIN_VERIFY
    partial = browser.get(SIGNIN_VERIFY, headers=htmx())
    assert partial.status_code == 200 and is_partial(partial)
    assert text(partial).lstrip().startswith('<div id="verify" hx-target="this" hx-swap="outerHTML">')


def _rule_url(app, rule) -> str:
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: 1 for name in rule.arguments})


def test_pending_session_reaches_no_other_page(app, fake_vonage, uid, twofactor):
    browser = twofactor.begin_sign_in()
    checked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PENDING_ALLOWED:
            continue
        url = _rule_url(app, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for headers in ({}, htmx()):
                response = browser.open(url, method=method, headers=headers)
                label = f"{method} {url} {'htmx' if headers else 'plain'}"
                if rule.endpoint.startswith("admin."):
                    # The support area answers 404 to everyone but staff, pending or not.
                    assert response.status_code == 404, label
                elif headers:
                    assert response.status_code == 200, label
                    assert response.headers.get("HX-Redirect") == SIGNIN_VERIFY, label
                else:
                    assert response.status_code == 303, label
                    assert response.headers["Location"] == SIGNIN_VERIFY, label
                checked.append(label)
    assert any(label.startswith("GET /account ") for label in checked)
    assert any(label.startswith("POST /account/two-factor/disable") for label in checked)
    # Still pending and still able to finish: nothing above signed anybody in or changed anything.
    assert browser.get(SIGNIN_VERIFY).status_code == 200
    assert twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser).status_code == 303
    assert signed_in(browser)


def test_unknown_urls_also_send_a_pending_session_back(app, fake_vonage, uid, twofactor):
    browser = twofactor.begin_sign_in()
    response = browser.get("/no-such-page")
    assert response.status_code == 303 and response.headers["Location"] == SIGNIN_VERIFY


def test_sign_out_on_the_verify_screen_abandons_the_sign_in(app, fake_vonage, uid, twofactor):
    browser = twofactor.begin_sign_in()
    response = browser.post("/signin/cancel", headers=htmx())
    assert response.headers["HX-Redirect"] == "/signin"
    assert redirects_to(browser.get(SIGNIN_VERIFY), "/signin")
    assert redirects_to(browser.get("/account"), "/signin")


@pytest.mark.parametrize(("seconds", "still_pending"), [(600, True), (601, False)])
def test_pending_sign_in_expires_after_ten_minutes(app, fake_vonage, uid, clock, seconds, still_pending, twofactor):
    browser = twofactor.begin_sign_in()
    code = fake_vonage.last_code(PHONE)
    clock.shift(seconds)
    page = browser.get(SIGNIN_VERIFY)
    if still_pending:
        assert page.status_code == 200 and "Verification code" in text(page)
        return
    assert redirects_to(page, "/signin") and not redirects_to(page, SIGNIN_VERIFY)
    response = twofactor.answer_code(code, client=browser)
    assert redirects_to(response, "/signin") and not redirects_to(response, SIGNIN_VERIFY)
    assert not signed_in(browser)
    assert event_rows(app, uid, "signin_success") == []


@pytest.mark.settings(PENDING_SIGNIN_TTL_SECONDS=120)
def test_pending_lifetime_is_configurable(app, fake_vonage, uid, clock, twofactor):
    browser = twofactor.begin_sign_in()
    clock.shift(121)
    assert redirects_to(browser.get(SIGNIN_VERIFY), "/signin")


def test_pending_sign_in_ends_when_the_password_changes_meanwhile(app, fake_vonage, uid, twofactor):
    from app.extensions import db
    from app.models import User

    browser = twofactor.begin_sign_in()
    with app.app_context():
        db.session.get(User, uid).session_version += 1
        db.session.commit()
    assert redirects_to(twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser), "/signin")
    assert not signed_in(browser)


# ---------------------------------------------------------------- the code


def test_right_code_signs_in_under_a_new_session_id(app, fake_vonage, uid, twofactor):
    browser = twofactor.begin_sign_in()
    pending_id = session_cookie(browser, app)
    response = twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser)
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert session_cookie(browser, app) not in (None, pending_id)
    assert signed_in(browser)
    # The pending session's id is worthless now.
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], pending_id)
    assert not signed_in(thief)
    assert redirects_to(thief.get(SIGNIN_VERIFY), "/signin")
    success = event_rows(app, uid, "signin_success")
    assert len(success) == 1 and '"method": "sms"' in success[0].details


def test_right_code_with_htmx_answers_hx_redirect(app, fake_vonage, uid, twofactor):
    browser = twofactor.begin_sign_in()
    response = twofactor.answer_code(fake_vonage.last_code(PHONE), as_htmx=True, client=browser)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/account"
    assert signed_in(browser)


def test_wrong_code_keeps_the_session_pending(app, fake_vonage, uid, twofactor):
    browser = twofactor.begin_sign_in()
    response = twofactor.answer_code(wrong_code(fake_vonage.last_code(PHONE)), as_htmx=True, client=browser)
    assert response.status_code == 422 and is_partial(response)
    assert "That code isn't right. 4 tries left." in text(response)
    assert not signed_in(browser)
    assert len(event_rows(app, uid, "code_failed")) == 1


def test_next_page_survives_the_code_step(app, fake_vonage, uid, twofactor):
    browser = client_with_agent(app)
    response = browser.post("/signin?next=/account/two-factor",
                            data={"email": "patient@example.com", "password": PASSWORD})
    assert redirects_to(response, SIGNIN_VERIFY)
    done = twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser)
    assert done.headers["Location"] == "/account/two-factor"


def test_verify_screen_after_signing_in_does_not_sign_out(app, fake_vonage, uid, twofactor):
    browser = twofactor.begin_sign_in()
    twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser)
    # e.g. the back button: the verify page again must not end a full session.
    response = browser.get(SIGNIN_VERIFY)
    assert redirects_to(response, "/account")
    assert signed_in(browser)


def test_resend_on_the_verify_screen_texts_a_new_code(app, fake_vonage, uid, clock, twofactor):
    browser = twofactor.begin_sign_in()
    first = fake_vonage.last_code(PHONE)
    assert 'data-cooldown="30"' in text(browser.get(SIGNIN_VERIFY))
    clock.shift(30)
    response = browser.post(SIGNIN_RESEND, headers=htmx())
    assert response.status_code == 200 and is_partial(response)
    assert "We sent a new code. Earlier codes no longer work." in text(response)
    second = fake_vonage.last_code(PHONE)
    assert len(fake_vonage.messages) == 2
    if first != second:
        assert twofactor.answer_code(first, client=browser).status_code == 422
    assert twofactor.answer_code(second, client=browser).status_code == 303


# ---------------------------------------------------------------- trusting this browser


def test_trust_ticked_sets_an_httponly_lax_cookie_and_records_the_device(app, fake_vonage, uid, clock, twofactor):
    browser = twofactor.begin_sign_in()
    response = twofactor.answer_code(fake_vonage.last_code(PHONE), trust=True, client=browser)
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("trusted_device=")]
    assert len(headers) == 1
    cookie = headers[0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert f"Max-Age={90 * 86400}" in cookie
    assert "Secure" not in cookie  # development/testing over http; production is tested below
    token = trust_token(browser, app)
    (device,) = device_rows(app, uid)
    assert device.name == "Chrome on Linux"
    assert device.ip == "127.0.0.1"
    assert device.token_digest == hashlib.sha256(token.encode()).hexdigest() and token not in device.token_digest
    assert device.created_at == device.last_used_at
    assert device.expires_at - device.created_at == timedelta(days=90)
    assert len(event_rows(app, uid, "device_trusted")) == 1


@pytest.mark.parametrize(("user_agent", "name"), [
    (FIREFOX_WINDOWS, "Firefox on Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", "Mobile Safari on iOS"),
    ("", "Unknown browser"),
])
def test_device_name_comes_from_the_user_agent(app, fake_vonage, uid, user_agent, name, twofactor):
    browser = twofactor.begin_sign_in(user_agent=user_agent)
    twofactor.answer_code(fake_vonage.last_code(PHONE), trust=True, client=browser)
    assert [d.name for d in device_rows(app, uid)] == [name]


@pytest.mark.settings(TRUSTED_DEVICE_DAYS=7)
def test_trust_lifetime_is_configurable_and_ends(app, fake_vonage, uid, clock, auth, twofactor):
    browser = twofactor.begin_sign_in()
    response = twofactor.answer_code(fake_vonage.last_code(PHONE), trust=True, client=browser)
    assert f"Max-Age={7 * 86400}" in response.headers["Set-Cookie"]
    browser.post("/signout")
    clock.shift(timedelta(days=6))
    assert redirects_to(auth.sign_in(client=browser), "/account")
    browser.post("/signout")
    clock.shift(timedelta(days=1, seconds=1))
    assert redirects_to(auth.sign_in(client=browser), SIGNIN_VERIFY)


def test_trust_cookie_is_secure_in_production(tmp_path, fake_vonage, auth):
    from tests.support import US_SENDER, build_app

    fake_vonage.reset()
    prod = build_app(tmp_path, fake_vonage, APP_ENV="production", **US_SENDER)
    auth.make_user(phone=PHONE, app=prod)
    browser = prod.test_client()
    response = browser.post("/signin", base_url="https://localhost",
                            data={"email": "patient@example.com", "password": PASSWORD})
    assert redirects_to(response, SIGNIN_VERIFY)
    done = browser.post(SIGNIN_VERIFY, base_url="https://localhost",
                        data={"code": fake_vonage.last_code(PHONE), "trust": "on"})
    (cookie,) = [h for h in done.headers.getlist("Set-Cookie") if h.startswith("__Host-trusted_device=")]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Domain" not in cookie


def test_unticked_trust_means_the_next_sign_in_asks_again(app, fake_vonage, uid, clock, auth, twofactor):
    browser = twofactor.begin_sign_in()
    response = twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser)
    assert response.status_code == 303 and trust_token(browser, app) is None
    assert device_rows(app, uid) == []
    browser.post("/signout")
    clock.shift(31)
    assert redirects_to(auth.sign_in(client=browser), SIGNIN_VERIFY)
    assert len(fake_vonage.messages) == 2


def test_trusted_browser_signs_in_with_the_password_alone(app, fake_vonage, uid, clock, auth, twofactor):
    browser = twofactor.trusted_browser()
    (before,) = device_rows(app, uid)
    browser.post("/signout")
    sent = len(fake_vonage.messages)
    clock.shift(3600)
    response = auth.sign_in(client=browser)
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert signed_in(browser)
    assert len(fake_vonage.messages) == sent
    (after,) = device_rows(app, uid)
    assert after.last_used_at - before.last_used_at == timedelta(hours=1)


def test_trusted_browser_still_needs_the_right_password(app, fake_vonage, uid, clock, auth, twofactor):
    browser = twofactor.trusted_browser()
    browser.post("/signout")
    response = auth.sign_in(password="Not-The-Password-99", client=browser)
    assert response.status_code == 422 and "Incorrect email or password." in text(response)
    assert not signed_in(browser)


def test_trust_cookie_of_user_a_does_not_help_user_b(app, fake_vonage, uid, clock, auth, twofactor):
    b_id = auth.make_user("second@example.com", phone=OTHER_PHONE)
    browser = twofactor.trusted_browser()
    token = trust_token(browser, app)
    browser.post("/signout")
    assert trust_token(browser, app) == token
    response = auth.sign_in("second@example.com", client=browser)
    assert redirects_to(response, SIGNIN_VERIFY)
    assert fake_vonage.sent_to(OTHER_PHONE)
    assert not signed_in(browser)
    assert device_rows(app, b_id) == []


def test_trust_cookie_alone_never_signs_anybody_in(app, fake_vonage, uid, clock, twofactor):
    browser = twofactor.trusted_browser()
    token = trust_token(browser, app)
    stranger = client_with_agent(app)
    stranger.set_cookie(app.config["TRUST_COOKIE_NAME"], token)
    assert not signed_in(stranger)
    assert redirects_to(stranger.get(SIGNIN_VERIFY), "/signin")
    assert redirects_to(stranger.post(SIGNIN_VERIFY, data={"code": "123456"}), "/signin")
    assert redirects_to(stranger.get("/account/two-factor"), "/signin")
    assert not signed_in(stranger)
