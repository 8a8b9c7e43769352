"""A sign-in form left open past the anonymous session's lifetime, in a real browser (htmx and no JavaScript)."""

import pytest
from playwright.sync_api import expect

from tests.support import PASSWORD
from tests.test_anonymous_sessions import expire_every_session

pytestmark = pytest.mark.browser

EMAIL = "patient@example.com"


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_an_expired_sign_in_form_is_reloaded_and_then_works(browser, live_server, javascript, auth):
    auth.make_user(app=live_server.app)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/signin")
        page.get_by_label("Email address").fill("Patient@Example.com")
        page.get_by_label("Password").fill(PASSWORD)
        expire_every_session(live_server.app)  # the form stood open past ANON_SESSION_TTL_SECONDS
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("This page expired — we've reloaded it.")).to_be_visible()
        expect(page.get_by_label("Email address")).to_have_value("Patient@Example.com")
        expect(page.get_by_label("Password")).to_have_value("")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/account")
    finally:
        context.close()
