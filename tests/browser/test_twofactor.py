"""Two-factor in a real browser (Debian's chromium), clicking what a person reads; CSRF is on."""

import pytest
from playwright.sync_api import expect

from tests.support import PASSWORD, PHONE, PHONE_NATIONAL
from tests.twofactor_helpers import device_rows, user

pytestmark = pytest.mark.browser


def sign_in(tab, email="patient@example.com"):
    tab.goto("/signin")
    tab.get_by_label("Email address").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()


def give_code(tab, fake_vonage, *, trust: bool):
    tab.wait_for_url("**/signin/verify")
    tab.get_by_label("Verification code").fill(fake_vonage.last_code(PHONE))
    if trust:
        tab.get_by_label("Trust this browser").check()
    tab.get_by_role("button", name="Verify").click()
    tab.wait_for_url("**/account")


def set_up_two_factor(tab, fake_vonage):
    """From My Account Settings, turn two-factor on by the labels on the screen."""
    tab.get_by_role("link", name="Two-Factor Authentication").click()
    tab.wait_for_url("**/account/two-factor")
    expect(tab.locator(".badge.off")).to_have_text("Off")
    tab.get_by_label("Country code").select_option(label="United States (+1)")
    tab.get_by_label("Phone number").fill(PHONE_NATIONAL)
    tab.get_by_role("button", name="Send code").click()
    code_field = tab.get_by_label("Verification code")
    expect(code_field).to_be_visible()
    code_field.fill(fake_vonage.last_code(PHONE))
    tab.get_by_label("Trust this browser").check()
    tab.get_by_role("button", name="Verify").click()
    expect(tab.get_by_text("Two-factor authentication is on.")).to_be_visible()
    tab.get_by_label("I have saved these codes").check()
    tab.get_by_role("button", name="Finish").click()
    expect(tab.get_by_text("+1 ••• ••• 0123")).to_be_visible()


def trust_cookie(context):
    return next((c for c in context.cookies() if c["name"] == "trusted_device"), None)


def no_csp_errors(tab) -> bool:
    return not [e for e in tab.console_errors if "Content Security Policy" in e]


def test_set_up_two_factor_by_clicking_the_labels(page, live_server, fake_vonage, auth):
    uid = auth.make_user(app=live_server.app)
    sign_in(page)
    page.wait_for_url("**/account")
    page.get_by_role("link", name="Two-Factor Authentication").click()
    expect(page.locator(".badge.off")).to_have_text("Off")
    expect(page.get_by_label("Country code")).to_have_value("US")
    page.get_by_label("Phone number").fill(PHONE_NATIONAL)
    page.get_by_role("button", name="Send code").click()
    code_field = page.get_by_label("Verification code")
    expect(code_field).to_have_attribute("autocomplete", "one-time-code")
    # Resend code waits out its cooldown, visibly; nothing is saved yet.
    expect(page.get_by_role("button", name="Resend code")).to_be_disabled()
    expect(page.get_by_text("You can ask for a new code in")).to_be_visible()
    assert user(live_server.app, uid).phone_e164 is None
    code_field.fill(fake_vonage.last_code(PHONE))
    # Trust is asked, as at sign-in, never assumed.
    expect(page.get_by_label("Trust this browser")).not_to_be_checked()
    expect(page.get_by_text("Don't tick this on a shared computer.")).to_be_visible()
    page.get_by_label("Trust this browser").check()
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible()
    assert page.url.endswith("/account/two-factor")  # swapped in place by htmx, no reload
    page.get_by_label("I have saved these codes").check()
    page.get_by_role("button", name="Finish").click()
    expect(page.locator(".badge.on")).to_have_text("On")
    expect(page.get_by_text("+1 ••• ••• 0123")).to_be_visible()
    assert user(live_server.app, uid).phone_e164 == PHONE
    assert trust_cookie(page.context) is not None
    assert no_csp_errors(page)


def test_setup_then_sign_in_elsewhere_trust_sign_out_and_sign_out_completely(page, browser, live_server,
                                                                             fake_vonage, auth):
    uid = auth.make_user(app=live_server.app)
    sign_in(page)
    page.wait_for_url("**/account")
    set_up_two_factor(page, fake_vonage)
    assert user(live_server.app, uid).phone_e164 == PHONE
    cookie = trust_cookie(page.context)
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    expect(page.get_by_text("This browser")).to_be_visible()

    second = browser.new_context(base_url=live_server.url)
    second.set_default_timeout(10_000)
    tab = second.new_page()
    tab.console_errors = []
    tab.on("console", lambda msg: tab.console_errors.append(msg.text) if msg.type == "error" else None)
    try:
        sign_in(tab)
        give_code(tab, fake_vonage, trust=True)
        expect(tab.get_by_role("heading", name="My Account Settings")).to_be_visible()
        assert trust_cookie(second) and len(device_rows(live_server.app, uid)) == 2

        texted = len(fake_vonage.messages)
        tab.get_by_role("button", name="Sign out", exact=True).click()
        tab.wait_for_url("**/signin")
        sign_in(tab)
        tab.wait_for_url("**/account")
        assert len(fake_vonage.messages) == texted

        tab.get_by_role("button", name="Sign out completely").click()
        tab.wait_for_url("**/signed-out")
        # Said by the page itself: Clear-Site-Data took the session a flashed message would ride on.
        expect(tab.get_by_text("You're signed out and this browser is forgotten.")).to_be_visible()
        assert trust_cookie(second) is None
        sign_in(tab)
        tab.wait_for_url("**/signin/verify")
        expect(tab.get_by_label("Verification code")).to_be_visible()
        assert len(fake_vonage.messages) == texted + 1
        assert no_csp_errors(tab)
    finally:
        second.close()
    assert no_csp_errors(page)


def test_disable_with_yes_disable(page, live_server, fake_vonage, auth):
    uid = auth.make_user(phone=PHONE, app=live_server.app)
    sign_in(page)
    give_code(page, fake_vonage, trust=False)
    page.get_by_role("link", name="Two-Factor Authentication").click()
    page.get_by_role("link", name="Disable Two-Factor Authentication").click()
    expect(page.get_by_role("heading", name="Are you sure you want to disable two-factor authentication?")) \
        .to_be_visible()
    page.get_by_role("button", name="Yes, disable").click()
    expect(page.get_by_text("Two-factor authentication is off.")).to_be_visible()
    expect(page.locator(".badge.off")).to_have_text("Off")
    assert user(live_server.app, uid).phone_e164 is None
    assert fake_vonage.sent_to(PHONE)[-1]["text"].startswith("Two-factor authentication was turned off")
    assert no_csp_errors(page)


def test_cancel_keeps_two_factor_on(page, live_server, fake_vonage, auth):
    uid = auth.make_user(phone=PHONE, app=live_server.app)
    sign_in(page)
    give_code(page, fake_vonage, trust=False)
    page.goto("/account/two-factor")
    page.get_by_role("link", name="Disable Two-Factor Authentication").click()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("link", name="Disable Two-Factor Authentication")).to_be_visible()
    assert user(live_server.app, uid).phone_e164 == PHONE


def test_whole_run_with_javascript_off(browser, live_server, fake_vonage, auth):
    uid = auth.make_user(app=live_server.app)
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        sign_in(tab)
        tab.wait_for_url("**/account")
        set_up_two_factor(tab, fake_vonage)
        assert user(live_server.app, uid).phone_e164 == PHONE
        tab.get_by_role("button", name="Sign out", exact=True).click()
        tab.wait_for_url("**/signin")
        tab.context.clear_cookies()  # a new browser as far as the server knows
        sign_in(tab)
        give_code(tab, fake_vonage, trust=True)
        expect(tab.get_by_role("heading", name="My Account Settings")).to_be_visible()
        assert trust_cookie(context) is not None
    finally:
        context.close()


@pytest.mark.settings(REAUTH_MAX_AGE_SECONDS=0)   # every change counts as "later"
@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_turning_two_factor_off_later_asks_for_the_password_and_a_texted_code(browser, live_server, fake_vonage,
                                                                              javascript, auth):
    uid = auth.make_user(phone=PHONE, app=live_server.app)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        sign_in(tab)
        give_code(tab, fake_vonage, trust=False)
        tab.goto("/account/two-factor")
        tab.get_by_role("link", name="Disable Two-Factor Authentication").click()
        confirm = tab.get_by_role("alertdialog", name="Are you sure you want to disable two-factor authentication?")
        confirm.get_by_label("Password").fill(PASSWORD)
        confirm.get_by_role("button", name="Yes, disable").click()
        expect(tab.get_by_role("heading", name="Confirm it's you")).to_be_visible()
        code_field = tab.get_by_label("Verification code")
        expect(code_field).to_be_focused()
        code_field.fill(fake_vonage.last_code(PHONE))
        tab.get_by_role("button", name="Confirm", exact=True).click()
        expect(tab.get_by_text("Two-factor authentication is off.")).to_be_visible()
        expect(tab.locator(".badge.off")).to_have_text("Off")
        assert tab.url.endswith("/account/two-factor")
        assert user(live_server.app, uid).phone_e164 is None
    finally:
        context.close()
