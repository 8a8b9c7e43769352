"""Sign out of all other sessions, and a browser told why its session ended elsewhere."""

import pytest

from tests.support import PASSWORD, PHONE, htmx, session_cookie
from tests.twofactor_helpers import (FIREFOX_WINDOWS, SIGNIN_VERIFY, client_with_agent, device_rows, event_rows,
                                     redirects_to, signed_in, text, trust_token, user)

END_OTHERS = "/account/sessions/end-others"
NEW_PASSWORD = "Violet-Harbour-Thimble-58"
PASSWORD_MESSAGE = "Your password was changed, so you were signed out here."
GENERIC_MESSAGE = "You were signed out here. Sign in again to continue."


def asks_for_code(auth, browser) -> bool:
    browser.post("/signout")
    return redirects_to(auth.sign_in(client=browser), SIGNIN_VERIFY)


def test_settings_offer_it_with_the_browser_option_when_two_factor_is_on(app, fake_vonage, auth):
    auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=browser)
    page = text(browser.get("/account"))
    assert "Sign out of all other sessions" in page and f'action="{END_OTHERS}"' in page
    assert "Also forget all other trusted browsers" in page


def test_without_two_factor_there_are_no_browsers_to_offer(app, client, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    page = text(client.get("/account"))
    assert "Sign out of all other sessions" in page and "Also forget" not in page


@pytest.mark.parametrize("as_htmx", [False, True])
def test_it_ends_every_other_session_and_keeps_this_one_under_a_new_id(app, fake_vonage, as_htmx, auth):
    uid = auth.make_user()
    this, other, third = (client_with_agent(app) for _ in range(3))
    for browser in (this, other, third):
        auth.sign_in_fully(client=browser)
    version, old_id = user(app, uid).session_version, session_cookie(this, app)
    response = this.post(END_OTHERS, headers=htmx() if as_htmx else {})
    if as_htmx:
        assert response.status_code == 200 and response.headers["HX-Redirect"] == "/account"
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/account"  # Post/Redirect/Get
    assert user(app, uid).session_version == version + 1
    assert session_cookie(this, app) != old_id  # a new id for the surviving session
    assert "You're signed out of all other sessions." in text(this.get("/account"))
    assert signed_in(this)
    assert not signed_in(other) and not signed_in(third)
    [event] = event_rows(app, uid, "sessions_ended")
    assert event.ip == "127.0.0.1" and '"browsers_forgotten": 0' in event.details


def test_trusted_browsers_stay_trusted_unless_also_forgotten(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    this = twofactor.trusted_browser()
    other = twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    this.post(END_OTHERS)
    assert not signed_in(other) and len(device_rows(app, uid)) == 2
    assert not asks_for_code(auth, other)  # the password alone, as before: trust was kept


def test_ticked_it_forgets_every_other_browser_but_this_one(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    this = twofactor.trusted_browser()
    other = twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    response = this.post(END_OTHERS, data={"forget_browsers": "on"}, follow_redirects=True)
    assert "Forgot 1 other browser." in text(response)
    assert [d.name for d in device_rows(app, uid)] == ["Chrome on Linux"] and trust_token(this, app)
    assert signed_in(this)
    clock.shift(31)
    assert asks_for_code(auth, other)
    assert '"browsers_forgotten": 1' in event_rows(app, uid, "sessions_ended")[0].details


def test_it_keeps_the_password_time_so_sensitive_changes_still_ask_when_due(app, fake_vonage, clock, auth):
    auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=browser)
    clock.shift(16 * 60)
    browser.post(END_OTHERS)
    refused = browser.post("/account/two-factor/disable")
    assert refused.status_code == 422 and "enter your password" in text(refused)


# ---------------------------------------------------------------- told why

def test_a_browser_signed_out_by_a_password_change_is_told_why(app, fake_vonage, clock, auth):
    auth.make_user()
    this, other = client_with_agent(app), client_with_agent(app, FIREFOX_WINDOWS)
    auth.sign_in_fully(client=this)
    auth.sign_in_fully(client=other)
    clock.shift(5)
    changed = this.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert changed.status_code == 303
    response = other.get("/account")
    assert response.status_code in (302, 303) and "/signin" in response.headers["Location"]
    page = text(other.get(response.headers["Location"]))
    assert PASSWORD_MESSAGE in page
    # Said once: the stale session is gone, not re-read at every request.
    assert PASSWORD_MESSAGE not in text(other.get("/signin"))
    assert PASSWORD_MESSAGE not in text(this.get("/account"))


def test_sessions_ended_another_way_get_the_general_words(app, fake_vonage, clock, auth):
    auth.make_user()
    this, other = client_with_agent(app), client_with_agent(app, FIREFOX_WINDOWS)
    auth.sign_in_fully(client=this)
    auth.sign_in_fully(client=other)
    clock.shift(5)
    this.post(END_OTHERS)
    page = text(other.get("/signin"))
    assert GENERIC_MESSAGE in page and PASSWORD_MESSAGE not in page


def test_a_session_begun_after_the_change_is_not_told(app, fake_vonage, clock, auth):
    auth.make_user()
    browser = client_with_agent(app)
    auth.sign_in_fully(client=browser)
    clock.shift(5)
    browser.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    page = text(browser.get("/account"))
    assert PASSWORD_MESSAGE not in page and GENERIC_MESSAGE not in page
