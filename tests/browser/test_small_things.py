"""In a real browser: sign-out confirmations that survive Clear-Site-Data, other sessions, titles."""

import re

import pytest
from playwright.sync_api import expect

from tests.support import PASSWORD, PHONE, PHONE_NATIONAL

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Violet-Harbour-Thimble-58"


def new_tab(browser, live_server, *, javascript: bool = True):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda msg: tab.console_errors.append(msg.text) if msg.type == "error" else None)
    return tab


def sign_in(tab, password=PASSWORD):
    tab.goto("/signin")
    tab.get_by_label("Email address").fill("patient@example.com")
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/account")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_sign_out_completely_says_so_although_the_browser_drops_every_cookie(browser, live_server, javascript, auth):
    auth.make_user(app=live_server.app)
    tab = new_tab(browser, live_server, javascript=javascript)
    try:
        sign_in(tab)
        tab.get_by_role("button", name="Sign out completely").click()
        tab.wait_for_url("**/signed-out")
        expect(tab.get_by_text("You're signed out and this browser is forgotten.")).to_be_visible()
        expect(tab).to_have_title("Signed out · Health Records")
        expect(tab.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)
        # The page's own sign-in form works from here.
        sign_in(tab)
        expect(tab.get_by_role("heading", name="My Account Settings")).to_be_visible()
        assert not [e for e in tab.console_errors if "Content Security Policy" in e]
    finally:
        tab.context.close()


def test_sign_out_of_other_sessions_and_the_other_browser_is_told(browser, live_server, auth):
    auth.make_user(app=live_server.app)
    this, other = new_tab(browser, live_server), new_tab(browser, live_server)
    try:
        sign_in(this)
        sign_in(other)
        this.get_by_role("button", name="Sign out of all other sessions").click()
        expect(this.get_by_text("You're signed out of all other sessions.")).to_be_visible()
        this.reload()
        expect(this.get_by_role("heading", name="My Account Settings")).to_be_visible()  # still signed in here
        other.reload()
        other.wait_for_url(re.compile(r"/signin\?next="))
        expect(other.get_by_text("You were signed out here. Sign in again to continue.")).to_be_visible()
    finally:
        this.context.close()
        other.context.close()


def test_a_password_change_elsewhere_is_explained(browser, live_server, auth):
    auth.make_user(app=live_server.app)
    this, other = new_tab(browser, live_server), new_tab(browser, live_server)
    try:
        sign_in(this)
        sign_in(other)
        this.get_by_role("link", name="Change password").click()
        this.get_by_label("Current password").fill(PASSWORD)
        this.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        this.get_by_label("Confirm new password").fill(NEW_PASSWORD + "x")
        this.get_by_role("button", name="Change password").click()
        expect(this.get_by_text("The new passwords don't match.")).to_be_visible()
        expect(this).to_have_title("Error: Change password · Health Records")
        # The current password is still there; only the new ones must be typed again.
        expect(this.get_by_label("Current password")).to_have_value(PASSWORD)
        expect(this.get_by_label("New password", exact=True)).to_have_value("")
        this.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        this.get_by_label("Confirm new password").fill(NEW_PASSWORD)
        this.get_by_role("button", name="Change password").click()
        this.wait_for_url("**/account")
        other.get_by_role("link", name="Two-Factor Authentication").click()
        other.wait_for_url(re.compile(r"/signin\?next="))
        expect(other.get_by_text("Your password was changed, so you were signed out here.")).to_be_visible()
    finally:
        this.context.close()
        other.context.close()


def test_each_two_factor_step_titles_the_tab(browser, live_server, fake_vonage, auth):
    auth.make_user(app=live_server.app)
    tab = new_tab(browser, live_server)
    try:
        sign_in(tab)
        tab.get_by_role("link", name="Two-Factor Authentication").click()
        expect(tab).to_have_title("Turn on two-factor authentication · Health Records")
        tab.get_by_role("link", name="About two-factor authentication").click()
        expect(tab.get_by_role("heading", name="If you lose your phone")).to_be_visible()
        tab.go_back()
        tab.get_by_label("Phone number").fill(PHONE_NATIONAL)
        tab.get_by_role("button", name="Send code").click()
        expect(tab).to_have_title("Enter the code · Health Records")  # swapped in by htmx
        tab.get_by_label("Verification code").fill("000000")
        tab.get_by_role("button", name="Verify").click()
        expect(tab).to_have_title("Error: Enter the code · Health Records")
        tab.get_by_label("Verification code").fill(fake_vonage.last_code(PHONE))
        tab.get_by_role("button", name="Verify").click()
        expect(tab).to_have_title("Save your recovery codes · Health Records")
        assert not [e for e in tab.console_errors if "Content Security Policy" in e]
    finally:
        tab.context.close()
