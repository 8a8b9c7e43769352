"""The issue's "done when", in chromium: add an authenticator app and a passkey, sign in with each and
with a passkey alone, fall back to a text with Try another way, and turn everything off with "Yes, disable"."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.methods.helpers import user_row
from tests.support import PHONE

pytestmark = pytest.mark.browser


def test_a_person_uses_every_method_and_then_turns_them_all_off(tab, live_server, fake_vonage, clock, auth,
                                                                  passkey_steps):
    user_id = auth.make_user(phone=PHONE, app=live_server.app)
    passkey_steps.sign_in_with_password(tab)
    passkey_steps.give_sms_code(tab)
    tab.goto("/account/two-factor")
    expect(tab.get_by_text("Text messages are the weakest method.")).to_be_visible()

    # An authenticator app: scan (or type) the key, prove it with a code.
    tab.get_by_role("button", name="Set up an authenticator app").click()
    expect(tab.locator(".qr svg")).to_be_visible()
    secret = re.sub(r"\s", "", tab.get_by_label("Setup key").inner_text())
    app = pyotp.TOTP(secret)
    tab.get_by_label("Code from the app").fill(app.now())
    tab.get_by_role("button", name="Verify and turn on").click()
    expect(tab.get_by_text("Your authenticator app is set up.")).to_be_visible()

    # A passkey, named.
    passkey_steps.add_passkey(tab, "Laptop")
    expect(tab.get_by_text("Your passkey was added.")).to_be_visible()
    expect(tab.get_by_text("Text messages are the weakest method.")).to_be_hidden()

    # Sign in with the passkey (the strongest method is asked first).
    passkey_steps.sign_out(tab)
    passkey_steps.sign_in_with_password(tab)
    tab.wait_for_url("**/signin/passkey-2fa")
    tab.get_by_role("button", name="Use my passkey").click()
    tab.wait_for_url("**/account")

    # Choose the app to be asked first, and sign in with it.
    tab.goto("/account/two-factor")
    tab.get_by_label("Authenticator app").check()
    tab.get_by_role("button", name="Save choice").click()
    expect(tab.get_by_text("Authenticator app will be asked first when you sign in.")).to_be_visible()
    passkey_steps.sign_out(tab)
    clock.shift(30)  # a new code: the one used to set the app up can't be used again
    texts = len(fake_vonage.sent_to(PHONE))
    passkey_steps.sign_in_with_password(tab)
    tab.wait_for_url("**/signin/app")
    tab.get_by_label("Code from the app").fill(app.now())
    tab.get_by_role("button", name="Verify").click()
    tab.wait_for_url("**/account")
    assert len(fake_vonage.sent_to(PHONE)) == texts  # no text for someone using the app

    # Try another way: a text, sent only now.
    passkey_steps.sign_out(tab)
    passkey_steps.sign_in_with_password(tab)
    tab.wait_for_url("**/signin/app")
    tab.get_by_text("Try another way").click()
    tab.get_by_role("button", name=re.compile("Text me a code at")).click()
    passkey_steps.give_sms_code(tab)
    assert len(fake_vonage.sent_to(PHONE)) == texts + 1

    # A passkey alone, from the sign-in page.
    passkey_steps.sign_out(tab)
    tab.get_by_role("button", name="Continue with a passkey").click()
    tab.wait_for_url("**/account")

    # Everything off.
    tab.goto("/account/two-factor")
    tab.get_by_role("link", name="Disable Two-Factor Authentication").click()
    expect(tab.get_by_text("Every method is removed")).to_be_visible()
    tab.get_by_role("button", name="Yes, disable").click()
    expect(tab.get_by_text("Two-factor authentication is off.")).to_be_visible()
    user = user_row(live_server.app, user_id)
    assert not user.two_factor_enabled and user.totp_credential is None and user.webauthn_credentials == []
    assert tab.console_errors == []


def test_the_authenticator_app_works_with_javascript_off(browser, live_server, fake_vonage, clock, auth,
                                                          passkey_steps):
    auth.make_user(phone=PHONE, app=live_server.app)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    tab = context.new_page()
    passkey_steps.sign_in_with_password(tab)
    passkey_steps.give_sms_code(tab)
    tab.goto("/account/two-factor")
    expect(tab.get_by_role("button", name="Add a passkey")).to_be_hidden()  # passkeys need JavaScript
    tab.get_by_role("button", name="Set up an authenticator app").click()
    app = pyotp.TOTP(re.sub(r"\s", "", tab.get_by_label("Setup key").inner_text()))
    tab.get_by_label("Code from the app").fill(app.now())
    tab.get_by_role("button", name="Verify and turn on").click()
    expect(tab.get_by_text("Your authenticator app is set up.")).to_be_visible()
    tab.get_by_role("button", name="Sign out", exact=True).first.click()
    clock.shift(30)
    passkey_steps.sign_in_with_password(tab)
    tab.wait_for_url("**/signin/app")
    tab.get_by_text("Try another way").click()  # <details> opens without JavaScript
    tab.get_by_role("link", name="Use a recovery code").click()
    tab.wait_for_url("**/signin/recovery")
    tab.go_back()
    tab.get_by_label("Code from the app").fill(app.now())
    tab.get_by_role("button", name="Verify").click()
    tab.wait_for_url("**/account")
    context.close()
