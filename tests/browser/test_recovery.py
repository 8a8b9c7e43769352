"""A real browser: save recovery codes at setup, then sign in with one when the phone is lost."""

import re

import pytest
from playwright.sync_api import expect

from tests.support import PASSWORD, PHONE, PHONE_NATIONAL

pytestmark = pytest.mark.browser

CODE = re.compile(r"^[2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4}$")


def sign_in_with_password(page):
    page.goto("/signin")
    page.get_by_label("Email address").fill("patient@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def turn_on_2fa_and_save_codes(page, fake_vonage) -> list[str]:
    page.get_by_role("link", name="Two-Factor Authentication").click()
    page.get_by_label("Phone number").fill(PHONE_NATIONAL)
    page.get_by_role("button", name="Send code").click()
    page.get_by_label("Verification code").wait_for()
    page.get_by_label("Verification code").fill(fake_vonage.last_code(PHONE))
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("heading", name="Save your recovery codes").wait_for()
    codes = [c.strip() for c in page.locator("#recovery-codes li").all_inner_texts()]
    assert len(codes) == 10 and all(CODE.match(c) for c in codes)
    # app.js revealed Copy and Print; Download is a plain link that works without it.
    assert page.get_by_role("button", name="Print").is_visible()
    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()").split() == codes
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    saved = open(download.value.path(), encoding="utf-8").read()
    assert all(code in saved for code in codes) and "patient@example.com" in saved
    # Finishing without the tick is refused by the browser; the codes stay on screen.
    page.get_by_role("button", name="Finish").click()
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_label("I have saved these codes").check()
    page.get_by_role("button", name="Finish").click()
    page.get_by_text("your recovery codes are saved").wait_for()
    assert "Recovery codes left: 10" in page.inner_text("main")
    assert not any(code in page.content() for code in codes)
    return codes


def test_sign_in_with_a_recovery_code_when_the_phone_is_lost(page, live_server, fake_vonage, auth):
    auth.make_user(app=live_server.app)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in_with_password(page)
    page.wait_for_url("**/account")
    codes = turn_on_2fa_and_save_codes(page, fake_vonage)
    page.get_by_role("button", name="Sign out completely").click()
    page.wait_for_url("**/signed-out")

    fake_vonage.failure = "http500"  # the phone is lost; no text arrives (and Vonage is down, too)
    sign_in_with_password(page)
    page.wait_for_url("**/signin/verify")
    banner = page.locator("#alerts").get_by_text("We couldn't send the code.")
    expect(banner).to_be_visible()
    expect(page).to_have_title("Verification code · Health Records")
    page.get_by_role("link", name="Use a recovery code instead").click()
    # The step changed in place: its own title, and the old banner is gone with the old step.
    expect(page).to_have_title("Use a recovery code · Health Records")
    expect(banner).to_have_count(0)
    page.get_by_label("Recovery code").fill("  " + codes[4].upper().replace("-", " ") + " ")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account")
    assert page.get_by_role("heading", name="My Account Settings").is_visible()
    assert page.get_by_text("You signed in with a recovery code.").is_visible()
    assert fake_vonage.messages[-1]["text"].startswith("Your Health Records verification code")
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
