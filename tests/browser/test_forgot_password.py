"""A real browser: forgot password → the mailed link → a new password → sign in with the texted code."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.mail.support import delivered_to, verify
from tests.support import PASSWORD, PHONE

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Green-Lantern-Harbor-77"


def test_forgot_password_then_sign_in_with_the_code(page, live_server, fake_vonage, auth):
    verify(live_server.app, auth.make_user(phone=PHONE, app=live_server.app))
    page.goto("/signin")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill("patient@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    (mail,) = delivered_to(live_server.app, "patient@example.com")
    (link,) = mail.links
    assert link.startswith("https://localhost/password/reset?token=")  # PUBLIC_URL, not the request's host
    parts = urlsplit(link)
    page.goto(f"{parts.path}?{parts.query}")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()

    # Not signed in: back at the sign-in form, told what happened.
    page.wait_for_url("**/signin")
    expect(page.get_by_text("Your password was changed")).to_be_visible()
    page.get_by_label("Email address").fill("patient@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Incorrect email or password.")).to_be_visible()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/signin/verify")
    page.get_by_label("Verification code").fill(fake_vonage.last_code(PHONE))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/account")
    expect(page.get_by_role("heading", name="My Account Settings")).to_be_visible()
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


def test_the_forms_work_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    tab = context.new_page()
    tab.goto("/password/forgot")
    tab.get_by_label("Email address").fill("nobody@example.com")
    tab.get_by_role("button", name="Send reset link").click()
    expect(tab.get_by_role("heading", name="Check your email")).to_be_visible()
    context.close()
