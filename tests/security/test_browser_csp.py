"""Every page and every htmx swap in a real browser: no CSP violation, no console error (CSRF on)."""

import pytest
from playwright.sync_api import expect

from tests.support import PASSWORD, PHONE, PHONE_NATIONAL

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


class Watch:
    """Collect CSP violations (from the DOM event and the console) and console errors, page by page."""

    def __init__(self, tab):
        self.tab = tab
        self.seen: list[str] = []
        tab.add_init_script(RECORD_VIOLATIONS)

    def check(self, where: str) -> None:
        self.tab.wait_for_load_state("networkidle")
        violations = self.tab.evaluate("window.__cspViolations || []")
        # Chromium also reports a document's own 4xx status as "Failed to load resource":
        # that is the page being an error page, not a fault in it.
        errors = [e for e in self.tab.console_errors if "Failed to load resource" not in e]
        assert violations == [], (where, violations)
        assert errors == [], (where, errors)
        self.seen.append(where)


def test_owasp_no_csp_violation_or_console_error_on_any_page(page, live_server, fake_vonage):
    watch = Watch(page)

    page.goto("/signup")
    watch.check("sign-up")
    page.get_by_label("Email address").fill("walker@example.com")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Confirm password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Use at least 12 characters.")).to_be_visible()
    watch.check("sign-up refused (htmx 422 swap)")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/signin")
    watch.check("sign-in")

    page.get_by_label("Email address").fill("walker@example.com")
    page.get_by_label("Password").fill("Wrong-Password-Entirely-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Incorrect email or password.")).to_be_visible()
    watch.check("sign-in refused (htmx 422 swap)")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account")
    watch.check("My Account Settings")

    page.get_by_role("link", name="Change password").click()
    page.wait_for_url("**/account/password")
    watch.check("change password")
    page.get_by_label("Current password").fill("Wrong-Password-Entirely-1")
    page.get_by_label("New password", exact=True).fill("Violet-Harbour-Thimble-58")
    page.get_by_label("Confirm new password").fill("Violet-Harbour-Thimble-58")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your current password isn't right.")).to_be_visible()
    watch.check("change password refused (htmx 422 swap)")

    page.goto("/account/two-factor")
    watch.check("2FA screen: off")
    page.get_by_label("Phone number").fill("12")
    page.get_by_role("button", name="Send code").click()
    expect(page.locator("#twofactor .error, #twofactor .alert-error").first).to_be_visible()
    watch.check("2FA: bad number (htmx 422 swap)")
    page.get_by_label("Country code").select_option(label="United States (+1)")
    page.get_by_label("Phone number").fill(PHONE_NATIONAL)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("Verification code")).to_be_visible()
    watch.check("2FA screen: verify (htmx swap)")
    # The button waits out the cooldown; submit its form anyway to see the 429 answer swapped in.
    page.locator("form[action$='/two-factor/resend']").evaluate("f => f.requestSubmit()")
    expect(page.get_by_text("Please wait")).to_be_visible()
    watch.check("2FA: resend refused (htmx 429 swap)")
    page.reload()
    watch.check("2FA screen: verify (full page)")
    page.get_by_label("Verification code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code isn't right.")).to_be_visible()
    watch.check("2FA: wrong code (htmx 422 swap)")
    page.get_by_label("Verification code").fill(fake_vonage.last_code(PHONE))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible()
    watch.check("2FA screen: recovery codes")
    page.reload()
    watch.check("2FA screen: recovery codes (full page)")
    page.get_by_label("I have saved these codes").check()
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("link", name="Change phone number")).to_be_visible()
    watch.check("2FA screen: on")
    page.get_by_role("link", name="Change phone number").click()
    expect(page.get_by_role("heading", name="Change phone number")).to_be_visible()
    watch.check("2FA screen: change number (htmx swap)")
    page.goto("/account/two-factor/change-number")
    watch.check("2FA screen: change number (full page)")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name="Disable Two-Factor Authentication").click()
    expect(page.get_by_role("heading", name="Are you sure you want to disable two-factor authentication?")).to_be_visible()
    watch.check("2FA screen: disable (htmx swap)")
    page.goto("/account/two-factor/disable")
    watch.check("2FA screen: disable (full page)")
    page.goto("/account/two-factor")

    # Completely: turning 2FA on trusted this browser, and the code screen is next on the list.
    page.get_by_role("button", name="Sign out completely").click()
    page.wait_for_url("**/signed-out")
    watch.check("signed out completely")
    page.get_by_label("Email address").fill("walker@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/signin/verify")
    watch.check("sign-in code screen")
    page.get_by_label("Verification code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code isn't right.")).to_be_visible()
    watch.check("sign-in wrong code (htmx 422 swap)")
    page.get_by_role("link", name="Use a recovery code instead").click()
    expect(page.get_by_label("Recovery code")).to_be_visible()
    watch.check("recovery code (htmx swap)")
    page.goto("/signin/recovery")
    watch.check("recovery code (full page)")
    page.goto("/signin/verify")
    page.get_by_label("Verification code").fill(fake_vonage.last_code(PHONE))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/account")
    watch.check("signed in with a code")

    page.goto("/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    watch.check("404 page")
    page.goto("/signout")
    expect(page.get_by_text("Error 405")).to_be_visible()
    watch.check("405 page")
    page.goto("/account")
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url("**/signin")
    watch.check("signed out")
    assert len(watch.seen) == 29


def test_owasp_csp_blocks_injected_inline_code_and_the_watch_sees_it(page, live_server):
    """The check above can fail: markup injected into a page is blocked and reported."""
    watch = Watch(page)
    page.goto("/signin")
    page.evaluate("""() => {
        const div = document.createElement("div");
        div.innerHTML = '<img src="/static/css/app.css" onerror="window.__ran = 1">';
        document.body.appendChild(div);
        const script = document.createElement("script");
        script.textContent = "window.__ran = 2";
        document.body.appendChild(script);
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran") is None
    violations = page.evaluate("window.__cspViolations")
    assert any("script-src" in v for v in violations), violations
    with pytest.raises(AssertionError):
        watch.check("after injection")
