"""A person in a real browser: sign up, sign in, My Account Settings, change password, sign out."""

import re

import pytest
from playwright.sync_api import expect

from tests.support import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "walker@example.com"
NEW_PASSWORD = "Violet-Harbour-Thimble-58"


def sign_up(page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/signin")
    expect(page.get_by_text("Your account is ready.")).to_be_visible()


def sign_in(page, password: str) -> None:
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def change_password(page) -> None:
    page.get_by_role("link", name="My Account Settings").click()
    page.wait_for_url("**/account")
    expect(page.get_by_role("heading", name="My Account Settings")).to_be_visible()
    expect(page.get_by_role("link", name="Two-Factor Authentication")).to_be_visible()
    page.get_by_role("link", name="Change password").click()
    page.wait_for_url("**/account/password")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url("**/account")
    expect(page.get_by_text("Your password was changed.")).to_be_visible()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/signin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("You're signed out.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)


def test_sign_up_sign_in_change_password_sign_out(page):
    sign_up(page)
    sign_in(page, "Not-My-Password-00")
    # htmx swaps the form in place with the message; the page does not change.
    expect(page.get_by_text("Incorrect email or password.")).to_be_visible()
    assert page.url.endswith("/signin")
    sign_in(page, PASSWORD)
    page.wait_for_url("**/account")
    change_password(page)
    sign_out(page)
    page.goto("/account")
    page.wait_for_url(re.compile(r"/signin\?next=(/|%2F)account$"))  # signed out for real
    sign_in(page, NEW_PASSWORD)
    page.wait_for_url("**/account")
    expect(page.get_by_role("heading", name="My Account Settings")).to_be_visible()
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


def test_the_same_flow_works_with_javascript_off(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_up(page)
        sign_in(page, PASSWORD)
        page.wait_for_url("**/account")
        change_password(page)
        sign_out(page)
    finally:
        context.close()
