"""Passkeys in real chromium with a CDP virtual authenticator (ctap2, internal, resident keys, UV)."""

import pytest
from playwright.sync_api import expect

from tests.support import PHONE

pytestmark = pytest.mark.browser


def test_register_sign_in_both_ways_and_remove(tab, live_server, fake_vonage, auth, passkey_steps):
    auth.make_user(phone=PHONE, app=live_server.app)
    passkey_steps.sign_in_with_password(tab)
    passkey_steps.give_sms_code(tab)
    passkey_steps.add_passkey(tab)
    expect(tab.get_by_text("Your passkey was added.")).to_be_visible()
    expect(tab.locator(".method-list")).to_contain_text("MacBook Touch ID")
    cdp, authenticator_id = tab.authenticator
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]) == 1

    # As the second factor: asked first, and no text goes out.
    texts = len(fake_vonage.sent_to(PHONE))
    passkey_steps.sign_out(tab)
    passkey_steps.sign_in_with_password(tab)
    tab.wait_for_url("**/signin/passkey-2fa")
    tab.get_by_role("button", name="Use my passkey").click()
    tab.wait_for_url("**/account")
    assert len(fake_vonage.sent_to(PHONE)) == texts

    # On its own from the sign-in page: no password, no code.
    passkey_steps.sign_out(tab)
    tab.get_by_role("button", name="Continue with a passkey").click()
    tab.wait_for_url("**/account")

    tab.goto("/account/two-factor")
    expect(tab.locator(".method-list")).to_contain_text("last used")
    tab.get_by_role("button", name="Remove MacBook Touch ID").click()
    expect(tab.get_by_text("The passkey was removed.")).to_be_visible()
    expect(tab.locator(".method-list")).not_to_contain_text("MacBook Touch ID")
    assert tab.console_errors == []


def test_another_users_passkey_does_not_sign_in(tab, live_server, fake_vonage, auth, passkey_steps):
    auth.make_user("alice@example.com", phone=PHONE, app=live_server.app)
    auth.make_user("bob@example.com", app=live_server.app)
    passkey_steps.sign_in_with_password(tab, "alice@example.com")
    passkey_steps.give_sms_code(tab)
    passkey_steps.add_passkey(tab, "Alice's key")
    expect(tab.get_by_text("Your passkey was added.")).to_be_visible()
    passkey_steps.sign_out(tab)
    # Bob has no two-factor: his password signs in; Alice's passkey never finishes anyone else's sign-in.
    passkey_steps.sign_in_with_password(tab, "bob@example.com")
    tab.wait_for_url("**/account")
    passkey_steps.sign_out(tab)
    tab.get_by_role("button", name="Continue with a passkey").click()
    tab.wait_for_url("**/account")
    expect(tab.get_by_text("Signed in as alice@example.com")).to_be_visible()  # the mail banner names it too


def test_passkey_buttons_stay_hidden_without_webauthn(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/signin")
    expect(page.get_by_role("button", name="Continue with a passkey")).to_be_hidden()
    context.close()
