import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_sign_up_sign_in_settings_sign_out(page):
    page.goto("/signup")
    page.get_by_label("Email address").fill("walker@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/signin")
    page.get_by_label("Email address").fill("walker@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account")
    page.get_by_role("link", name="My Account Settings").click()
    assert page.get_by_role("heading", name="My Account Settings").is_visible()
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/signin")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
