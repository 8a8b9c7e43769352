"""What a person notices on the screens: titles, banners, kept input, redirects, trust asked, help."""

import re

import pytest

from tests.support import OTHER_PHONE, PASSWORD, PHONE, PHONE_NATIONAL, htmx
from tests.twofactor_helpers import (DISABLE, FIREFOX_WINDOWS, NUMBER, RESEND, SETUP, SIGNIN_RESEND, SIGNIN_VERIFY,
                                     TWO_FACTOR, VERIFY, client_with_agent, device_rows, text, trust_token)

NEW_PASSWORD = "Violet-Harbour-Thimble-58"
APP = "Health Records"


def title(response) -> str:
    found = re.findall(r"<title>([^<]*)</title>", text(response))
    assert len(found) == 1, found
    return found[0]


def alerts(response) -> str:
    """The #alerts region a page or an htmx answer (out of band) carries."""
    found = re.search(r'<div id="alerts"[^>]*>(.*?)</div>', text(response), re.S)
    assert found, "no #alerts region"
    return found.group(1).strip()


# ---------------------------------------------------------------- sign out completely

def test_sign_out_completely_confirms_on_a_page_that_needs_no_session(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    browser = twofactor.trusted_browser()
    response = browser.post("/signout/completely")
    assert response.status_code == 303 and response.headers["Location"] == "/signed-out"
    assert response.headers["Clear-Site-Data"] == '"cookies", "storage"'
    # What the browser does with Clear-Site-Data: every cookie is gone, the session with it.
    browser.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    page = browser.get("/signed-out")
    assert page.status_code == 200 and "You're signed out and this browser is forgotten." in text(page)
    assert title(page) == f"Signed out · {APP}" and 'id="signin-form"' in text(page)


def test_sign_out_completely_with_htmx_is_sent_to_the_same_page(app, client, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    response = client.post("/signout/completely", headers=htmx())
    assert response.headers["HX-Redirect"] == "/signed-out"


def test_the_signed_out_page_sends_a_signed_in_browser_to_its_account(app, client, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    assert client.get("/signed-out").headers["Location"] == "/account"


# ---------------------------------------------------------------- typed input kept

def test_after_your_account_is_ready_the_sign_in_form_holds_the_email(client):
    response = client.post("/signup", data={"email": "New.Person@Example.com", "password": PASSWORD,
                                            "confirm": PASSWORD}, follow_redirects=True)
    assert "Your account is ready." in text(response)
    assert 'name="email" type="email" value="new.person@example.com"' in text(response)
    assert 'value="new.person@example.com"' not in text(client.get("/signin"))  # once


def test_a_taken_email_gets_the_same_filled_in_form(app, client, auth):
    auth.make_user()
    response = client.post("/signup", data={"email": "patient@example.com", "password": PASSWORD,
                                            "confirm": PASSWORD}, follow_redirects=True)
    assert 'name="email" type="email" value="patient@example.com"' in text(response)


def field_value(response, name: str) -> str:
    return re.search(rf'name="{name}" type="password" value="([^"]*)"', text(response)).group(1)


@pytest.mark.parametrize("as_htmx", [False, True])
@pytest.mark.parametrize(("form", "kept", "emptied"), [
    ({"current": "Not-My-Password-00", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}, ["new", "confirm"], ["current"]),
    ({"current": PASSWORD, "new": "short", "confirm": "short"}, ["current"], ["new", "confirm"]),
    ({"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}, ["current"], ["new", "confirm"]),
    ({"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD}, ["current"], ["new", "confirm"]),
])
def test_a_password_error_keeps_what_was_typed_except_what_failed(app, client, fake_vonage, form, kept, emptied,
                                                                 as_htmx, auth):
    auth.make_user()
    auth.sign_in_fully()
    response = client.post("/account/password", data=form, headers=htmx() if as_htmx else {})
    assert response.status_code == 422
    for name in kept:
        assert field_value(response, name) == form[name], name
    for name in emptied:
        assert field_value(response, name) == "", name


@pytest.mark.parametrize(("form", "kept", "emptied"), [
    ({"email": "not-an-email", "password": PASSWORD, "confirm": PASSWORD}, ["password", "confirm"], []),
    ({"email": "a@example.com", "password": "short", "confirm": "short"}, [], ["password", "confirm"]),
    ({"email": "a@example.com", "password": PASSWORD, "confirm": PASSWORD + "x"}, [], ["password", "confirm"]),
])
def test_a_sign_up_error_keeps_what_was_typed_except_a_password_that_failed(client, form, kept, emptied):
    response = client.post("/signup", data=form)
    assert response.status_code == 422 and f'value="{form["email"]}"' in text(response)
    for name in kept:
        assert field_value(response, name) == form[name], name
    for name in emptied:
        assert field_value(response, name) == "", name


# ---------------------------------------------------------------- titles

def test_every_two_factor_step_has_its_own_title(app, client, fake_vonage, clock, auth):
    auth.make_user()
    auth.sign_in_fully()
    seen = {"off": title(client.get(TWO_FACTOR))}
    sent = client.post(SETUP, data={"country": "US", "phone": PHONE_NATIONAL}, headers=htmx())
    seen["verify (htmx)"] = title(sent)
    seen["verify"] = title(client.get(TWO_FACTOR))
    seen["codes"] = title(client.post(VERIFY, data={"code": fake_vonage.last_code(PHONE)}))
    client.post("/account/two-factor/recovery-codes/saved", data={"saved": "on"})
    seen["on"] = title(client.get(TWO_FACTOR))
    seen["change"] = title(client.get(TWO_FACTOR + "/change-number"))
    seen["disable"] = title(client.get(DISABLE, headers=htmx()))
    clock.shift(31)
    client.post(NUMBER, data={"country": "US", "phone": OTHER_PHONE})
    seen["number verify"] = title(client.get(TWO_FACTOR))
    assert seen == {
        "off": f"Turn on two-factor authentication · {APP}",
        "verify (htmx)": f"Enter the code · {APP}",
        "verify": f"Enter the code · {APP}",
        "codes": f"Save your recovery codes · {APP}",
        "on": f"Two-Factor Authentication · {APP}",
        "change": f"Change phone number · {APP}",
        "disable": f"Disable two-factor authentication · {APP}",
        "number verify": f"Confirm your new number · {APP}",
    }


def test_the_recovery_step_is_not_titled_verification_code(app, fake_vonage, auth, twofactor):
    auth.make_user(phone=PHONE)
    browser = twofactor.begin_sign_in()
    assert title(browser.get(SIGNIN_VERIFY)) == f"Verification code · {APP}"
    assert title(browser.get("/signin/recovery")) == f"Use a recovery code · {APP}"
    assert title(browser.get("/signin/recovery", headers=htmx())) == f"Use a recovery code · {APP}"


def test_titles_of_pages_showing_an_error_are_marked(app, client, fake_vonage, auth, twofactor):
    auth.make_user(phone=PHONE)
    refused = auth.sign_in(password="Not-My-Password-00")
    assert refused.status_code == 401 or refused.status_code >= 400
    assert title(refused) == f"Error: Sign in · {APP}"
    assert title(auth.sign_in(password="wrong-again", headers=htmx())) == f"Error: Sign in · {APP}"
    assert title(client.get("/nowhere")) == f"Error: Page not found · {APP}"
    assert title(client.get("/signin")) == f"Sign in · {APP}"  # no error, no mark
    browser = twofactor.begin_sign_in()
    wrong = browser.post(SIGNIN_VERIFY, data={"code": "000000"}, headers=htmx())
    assert title(wrong) == f"Error: Verification code · {APP}"


# ---------------------------------------------------------------- stale banners

def test_a_stale_banner_goes_when_the_step_changes(app, fake_vonage, auth):
    auth.make_user(phone=PHONE)
    fake_vonage.failure = "9"
    browser = client_with_agent(app)
    auth.sign_in(client=browser)
    page = browser.get(SIGNIN_VERIFY)
    assert "We couldn't send the code" in alerts(page)  # flashed by the sign-in, shown once
    fake_vonage.failure = None
    step = browser.get("/signin/recovery", headers=htmx())
    assert '<div id="alerts" hx-swap-oob="innerHTML">' in text(step)
    assert alerts(step) == ""  # the banner is swapped away with the step


def test_htmx_answers_carry_messages_flashed_for_them(app, client, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    client.post("/account/sessions/end-others")  # flashes, then redirects
    assert "You're signed out of all other sessions." in alerts(client.get(TWO_FACTOR, headers=htmx()))


# ---------------------------------------------------------------- Post/Redirect/Get without JavaScript

def test_plain_form_successes_on_the_two_factor_screen_redirect(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    this = twofactor.trusted_browser()
    twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    firefox = next(d for d in device_rows(app, uid) if d.name == "Firefox on Windows")
    steps = [
        (NUMBER, {"country": "US", "phone": OTHER_PHONE}, None),
        (RESEND, {}, "We sent a new code. Earlier codes no longer work."),
        (TWO_FACTOR + "/cancel", {}, None),
        (f"{TWO_FACTOR}/devices/{firefox.id}/forget", {}, "That browser will be asked for a code next time."),
        (NUMBER, {"country": "US", "phone": OTHER_PHONE}, None),
        (VERIFY, "code", "Your number was changed."),
        (DISABLE, {}, "Two-factor authentication is off."),
    ]
    for path, data, notice in steps:
        clock.shift(31)
        if data == "code":
            data = {"code": fake_vonage.last_code(OTHER_PHONE)}
        response = this.post(path, data=data)
        assert response.status_code == 303 and response.headers["Location"] == TWO_FACTOR, path
        page = this.get(TWO_FACTOR)
        if notice:
            assert notice in alerts(page), path


def test_forget_other_browsers_redirects_too(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    this = twofactor.trusted_browser()
    twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    response = this.post(TWO_FACTOR + "/devices/forget-others")
    assert response.status_code == 303 and response.headers["Location"] == TWO_FACTOR
    assert "Forgot 1 other browser." in alerts(this.get(TWO_FACTOR))


def test_sign_in_resend_redirects_a_plain_form_and_swaps_for_htmx(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    browser = twofactor.begin_sign_in()
    clock.shift(31)
    response = browser.post(SIGNIN_RESEND)
    assert response.status_code == 303 and response.headers["Location"] == SIGNIN_VERIFY
    assert "We sent a new code." in alerts(browser.get(SIGNIN_VERIFY))
    clock.shift(31)
    swapped = browser.post(SIGNIN_RESEND, headers=htmx())
    assert swapped.status_code == 200 and "We sent a new code." in text(swapped) and "<html" not in text(swapped)


def test_htmx_still_gets_partials(app, client, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    sent = client.post(SETUP, data={"country": "US", "phone": PHONE_NATIONAL}, headers=htmx())
    assert sent.status_code == 200 and text(sent).lstrip().startswith('<div id="twofactor"')
    assert "Enter the code" in text(sent)


def test_new_recovery_codes_are_the_one_answer_shown_in_place_and_never_stored(app, client, fake_vonage, auth):
    from tests.support import stored_sessions

    auth.make_user()
    auth.sign_in_fully()
    client.post(SETUP, data={"country": "US", "phone": PHONE_NATIONAL})
    shown = client.post(VERIFY, data={"code": fake_vonage.last_code(PHONE)})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4})</code></li>", text(shown))
    assert len(codes) == 10
    assert not [code for code in codes for record in stored_sessions(app) if code.encode() in record]


# ---------------------------------------------------------------- trust asked, not assumed

def test_turning_two_factor_on_asks_before_trusting_this_browser(app, client, fake_vonage, auth):
    uid = auth.make_user()
    auth.sign_in_fully()
    screen = client.post(SETUP, data={"country": "US", "phone": PHONE_NATIONAL}, follow_redirects=True)
    assert 'name="trust" value="on">' in text(screen)  # offered, not ticked
    assert "Trust this browser" in text(screen) and "Don't tick this on a shared computer." in text(screen)
    done = client.post(VERIFY, data={"code": fake_vonage.last_code(PHONE)})
    assert "Two-factor authentication is on." in text(done)
    assert device_rows(app, uid) == [] and trust_token(client, app) is None


def test_ticking_trust_at_setup_trusts_this_browser(app, client, fake_vonage, auth):
    uid = auth.make_user()
    auth.sign_in_fully()
    client.post(SETUP, data={"country": "US", "phone": PHONE_NATIONAL})
    client.post(VERIFY, data={"code": fake_vonage.last_code(PHONE), "trust": "on"})
    assert len(device_rows(app, uid)) == 1 and trust_token(client, app)


def test_a_number_change_keeps_the_answer_this_browser_gave(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    untrusted = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=untrusted)
    screen = untrusted.post(NUMBER, data={"country": "US", "phone": OTHER_PHONE}, follow_redirects=True)
    assert 'name="trust" value="on">' in text(screen)
    untrusted.post(VERIFY, data={"code": fake_vonage.last_code(OTHER_PHONE)})
    assert device_rows(app, uid) == []  # never trusted silently

    clock.shift(31)
    trusted = twofactor.trusted_browser(phone=OTHER_PHONE)
    clock.shift(31)
    screen = trusted.post(NUMBER, data={"country": "US", "phone": PHONE}, follow_redirects=True)
    assert 'name="trust" value="on" checked>' in text(screen)


# ---------------------------------------------------------------- forget others

def test_forget_all_other_browsers_is_offered_only_when_there_are_others(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    this = twofactor.trusted_browser()
    assert "Forget all other browsers" not in text(this.get(TWO_FACTOR))
    twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    assert "Forget all other browsers" in text(this.get(TWO_FACTOR))
    untrusted = client_with_agent(app)
    clock.shift(31)
    auth.sign_in_fully(phone=PHONE, client=untrusted)
    assert "Forget all other browsers" in text(untrusted.get(TWO_FACTOR))  # both are others here


# ---------------------------------------------------------------- help

def test_the_help_page_explains_two_factor_to_anyone(client):
    page = client.get("/help/two-factor")
    assert page.status_code == 200 and title(page) == f"About two-factor authentication · {APP}"
    for heading in ("What it is", "Trusted browsers", "Recovery codes", "Changing your number",
                    "If you lose your phone"):
        assert f">{heading}</h2>" in text(page), heading


def test_the_help_page_is_linked_from_the_two_factor_screen_and_mid_sign_in(app, client, fake_vonage, auth, twofactor):
    auth.make_user(phone=PHONE)
    auth.sign_in_fully(phone=PHONE)
    assert 'href="/help/two-factor">About two-factor authentication</a>' in text(client.get(TWO_FACTOR))
    browser = twofactor.begin_sign_in()
    assert 'href="/help/two-factor#lost-phone"' in text(browser.get(SIGNIN_VERIFY))
    assert browser.get("/help/two-factor").status_code == 200  # reachable while half signed in
