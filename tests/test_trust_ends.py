"""Every way a trusted browser stops being trusted (and the one way it doesn't)."""

import pytest

from tests.support import OTHER_PHONE, PASSWORD, PHONE, htmx
from tests.twofactor_helpers import (DISABLE, FIREFOX_WINDOWS, NUMBER, SIGNIN_VERIFY, TWO_FACTOR, VERIFY,
                                     client_with_agent, device_rows, event_rows, is_partial, redirects_to, signed_in,
                                     text, trust_token)

NEW_PASSWORD = "Violet-Harbor-Lantern-77"


@pytest.fixture
def uid(app, auth):
    """An account with two-factor on."""
    return auth.make_user(phone=PHONE)


def asks_for_code(auth, browser, password=PASSWORD, email="patient@example.com") -> bool:
    """Sign out, then tell whether signing in again on this browser wants a code."""
    browser.post("/signin/cancel")
    browser.post("/signout")
    return redirects_to(auth.sign_in(email, password, client=browser), SIGNIN_VERIFY)


def test_sign_out_keeps_the_browser_trusted(app, fake_vonage, uid, clock, auth, twofactor):
    browser = twofactor.trusted_browser()
    token = trust_token(browser, app)
    response = browser.post("/signout")
    assert response.status_code == 303
    assert "cookies" not in response.headers.get("Clear-Site-Data", "")
    assert trust_token(browser, app) == token
    assert len(device_rows(app, uid)) == 1
    sent = len(fake_vonage.messages)
    assert redirects_to(auth.sign_in(client=browser), "/account")
    assert len(fake_vonage.messages) == sent


def test_sign_out_completely_forgets_this_browser(app, fake_vonage, uid, clock, auth, twofactor):
    browser = twofactor.trusted_browser()
    token = trust_token(browser, app)
    response = browser.post("/signout/completely", headers=htmx())
    assert response.headers["HX-Redirect"] == "/signed-out"
    assert '"cookies"' in response.headers["Clear-Site-Data"]
    assert any(h.startswith("trusted_device=;") for h in response.headers.getlist("Set-Cookie"))
    assert trust_token(browser, app) is None
    assert device_rows(app, uid) == []
    assert not signed_in(browser)
    assert len(event_rows(app, uid, "signout_completely")) == 1
    clock.shift(31)
    assert redirects_to(auth.sign_in(client=browser), SIGNIN_VERIFY)
    # A copy of the old cookie (a browser that ignored the deletion) is worth nothing either.
    browser.post("/signin/cancel")
    browser.set_cookie("trusted_device", token)
    assert redirects_to(auth.sign_in(client=browser), SIGNIN_VERIFY)


@pytest.mark.parametrize("state", ["expired", "signed out", "half signed in"])
def test_sign_out_completely_forgets_the_browser_whatever_the_session_state(app, fake_vonage, uid, clock, state, auth,
                                                                            twofactor):
    auth.make_user("second@example.com", phone=OTHER_PHONE)
    browser = twofactor.trusted_browser()
    token = trust_token(browser, app)
    if state == "expired":
        clock.shift(app.config["SESSION_IDLE_TIMEOUT"] + 1)
    elif state == "signed out":
        browser.post("/signout")
    else:  # someone else's password entered on this browser: their code is awaited
        browser.post("/signout")
        clock.shift(31)
        assert redirects_to(auth.sign_in("second@example.com", client=browser), SIGNIN_VERIFY)
    assert not signed_in(browser)
    response = browser.post("/signout/completely")
    assert response.status_code == 303 and redirects_to(response, "/signed-out")
    assert "this browser is forgotten" in text(browser.get("/signed-out"))
    assert trust_token(browser, app) is None
    assert device_rows(app, uid) == []
    (forgotten,) = event_rows(app, uid, "device_forgotten")
    assert '"sign out completely"' in forgotten.details
    # A copy of the cookie, kept from before, no longer skips the code.
    copy = client_with_agent(app)
    copy.set_cookie("trusted_device", token)
    clock.shift(31)
    assert redirects_to(auth.sign_in(client=copy), SIGNIN_VERIFY)


def test_sign_out_completely_with_a_cookie_naming_nothing_changes_nothing(app, fake_vonage, uid, clock, twofactor):
    twofactor.trusted_browser()
    stranger = client_with_agent(app)
    stranger.set_cookie("trusted_device", "not-a-token-anyone-was-given")
    response = stranger.post("/signout/completely")
    assert response.status_code == 303 and trust_token(stranger, app) is None
    assert len(device_rows(app, uid)) == 1 and event_rows(app, uid, "device_forgotten") == []


def test_sign_out_completely_leaves_other_trusted_browsers_alone(app, fake_vonage, uid, clock, auth, twofactor):
    this = twofactor.trusted_browser()
    other = twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    this.post("/signout/completely")
    assert [d.name for d in device_rows(app, uid)] == ["Firefox on Windows"]
    assert not asks_for_code(auth, other)


def test_erasing_the_cookie_makes_the_browser_new(app, fake_vonage, uid, clock, auth, twofactor):
    browser = twofactor.trusted_browser()
    browser.post("/signout")
    browser.delete_cookie("trusted_device")
    clock.shift(31)
    assert redirects_to(auth.sign_in(client=browser), SIGNIN_VERIFY)


def test_password_change_forgets_every_browser_and_ends_other_sessions(app, fake_vonage, uid, clock, auth, twofactor):
    this = twofactor.trusted_browser()
    other = twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    response = this.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert device_rows(app, uid) == []
    assert trust_token(this, app) is None
    assert signed_in(this)
    assert not signed_in(other)
    assert len(event_rows(app, uid, "password_changed")) == 1
    clock.shift(31)
    assert redirects_to(auth.sign_in(password=NEW_PASSWORD, client=other), SIGNIN_VERIFY)


def test_turning_two_factor_off_forgets_every_browser(app, fake_vonage, uid, clock, auth, twofactor):
    this = twofactor.trusted_browser()
    other = twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    assert this.post(DISABLE).status_code == 303
    assert device_rows(app, uid) == []
    # Turned on again later, the old trust does not come back.
    clock.shift(31)
    twofactor.turn_on(client=this)
    assert len(device_rows(app, uid)) == 1
    clock.shift(31)
    assert asks_for_code(auth, other)


def test_changing_the_number_forgets_every_other_browser(app, fake_vonage, uid, clock, auth, twofactor):
    this = twofactor.trusted_browser()
    other = twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    this.post(NUMBER, data={"country": "US", "phone": OTHER_PHONE})
    this.post(VERIFY, data={"code": fake_vonage.last_code(OTHER_PHONE), "trust": "on"})
    assert [d.name for d in device_rows(app, uid)] == ["Chrome on Linux"]
    clock.shift(31)
    assert asks_for_code(auth, other)
    assert fake_vonage.sent_to(OTHER_PHONE)[-1]["text"].startswith("Your Health Records verification code")


def test_the_screen_lists_trusted_browsers_with_this_one_marked(app, fake_vonage, uid, clock, twofactor):
    this = twofactor.trusted_browser()
    twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    page = text(this.get(TWO_FACTOR))
    assert "Trusted browsers" in page
    assert "Chrome on Linux</strong> <span class=\"badge\">This browser</span>" in page
    assert "Firefox on Windows</strong>" in page and "Firefox on Windows</strong> <span" not in page
    assert page.count("Last used ") == 2
    assert 'aria-label="Forget Firefox on Windows">Forget</button>' in page
    assert "Forget all other browsers" in page


def test_forget_one_browser(app, fake_vonage, uid, clock, auth, twofactor):
    this = twofactor.trusted_browser()
    other = twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    firefox = next(d for d in device_rows(app, uid) if d.name == "Firefox on Windows")
    response = this.post(f"{TWO_FACTOR}/devices/{firefox.id}/forget", headers=htmx())
    assert response.status_code == 200 and is_partial(response)
    assert text(response).lstrip().startswith('<section id="devices"')
    assert "That browser will be asked for a code next time." in text(response)
    assert "Firefox on Windows" not in text(response)
    assert [d.name for d in device_rows(app, uid)] == ["Chrome on Linux"]
    clock.shift(31)
    assert asks_for_code(auth, other)
    assert not asks_for_code(auth, this)


def test_forget_with_a_plain_form_post_shows_the_whole_screen(app, fake_vonage, uid, clock, twofactor):
    this = twofactor.trusted_browser()
    (device,) = device_rows(app, uid)
    response = this.post(f"{TWO_FACTOR}/devices/{device.id}/forget")
    assert response.status_code == 303 and response.headers["Location"] == TWO_FACTOR  # Post/Redirect/Get
    response = this.get(TWO_FACTOR)
    assert response.status_code == 200 and "<html" in text(response)
    assert "That browser will be asked for a code next time." in text(response)
    assert device_rows(app, uid) == []


def test_nobody_can_forget_someone_elses_browser(app, fake_vonage, uid, clock, auth, twofactor):
    auth.make_user("second@example.com", phone=OTHER_PHONE)
    mine = twofactor.trusted_browser()
    theirs = twofactor.trusted_browser(email="second@example.com", phone=OTHER_PHONE)
    (their_device,) = [d for d in device_rows(app) if d.user_id != uid]
    assert mine.post(f"{TWO_FACTOR}/devices/{their_device.id}/forget").status_code == 404
    assert len(device_rows(app)) == 2
    assert not asks_for_code(auth, theirs, email="second@example.com")


def test_forget_all_other_browsers_keeps_this_one(app, fake_vonage, uid, clock, auth, twofactor):
    this = twofactor.trusted_browser()
    firefox = twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    third = twofactor.trusted_browser()
    response = this.post(f"{TWO_FACTOR}/devices/forget-others", headers=htmx())
    assert response.status_code == 200 and is_partial(response)
    assert "Forgot 2 other browsers." in text(response)
    (kept,) = device_rows(app, uid)
    assert trust_token(this, app) and kept.name == "Chrome on Linux"
    clock.shift(31)
    assert asks_for_code(auth, firefox)
    clock.shift(31)
    assert asks_for_code(auth, third)
    assert not asks_for_code(auth, this)
