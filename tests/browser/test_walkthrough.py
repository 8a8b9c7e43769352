"""The help article's steps at full speed in chromium, twice in one frozen hour, on the shipped defaults.

Turn on, sign in on a second browser, sign out completely and back, change the number both ways
(Disable -> Yes, disable -> turn on with the new number; Change phone number), sign in with a
recovery code, disable. Every code arrives at once and every phone form preselects the right
country. Only the per-IP limits are switched on here (the test base turns them off); nothing is
loosened. The live server runs in a thread of this process, so the frozen clock holds there too.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from playwright.sync_api import expect

from tests.support import PASSWORD, PHONE

pytestmark = pytest.mark.browser

GB_PHONE, GB_NATIONAL = "+447400123456", "07400 123456"
US_NATIONAL = "201-555-0123"
SHIPPED_LIMITS = {"RATELIMIT_ENABLED": True}
START = datetime(2030, 3, 4, 10, 0, 0, tzinfo=UTC)


class Walk:
    """One person's run through the article, with a tally of the codes each number was sent."""

    def __init__(self, browser, server, fake_vonage):
        self.browser, self.server, self.fake = browser, server, fake_vonage

    def new_tab(self):
        context = self.browser.new_context(base_url=self.server.url)
        context.set_default_timeout(10_000)
        return context, context.new_page()

    def codes_to(self, number: str) -> int:
        return len([m for m in self.fake.sent_to(number) if "verification code is" in m["text"]])

    def expect_a_new_code(self, tab, number: str, before: int) -> str:
        """The code screen is up and its code was texted by this very click: no wait, no refusal."""
        expect(tab.get_by_label("Verification code")).to_be_visible()
        assert self.codes_to(number) == before + 1, "no code arrived"
        for refusal in ("Please wait", "couldn't text", "Too many"):
            expect(tab.get_by_text(refusal)).to_have_count(0)
        return self.fake.last_code(number)

    def sign_in(self, tab, *, expect_code: bool = True) -> str | None:
        before = self.codes_to(PHONE)
        tab.goto("/signin")
        tab.get_by_label("Email address").fill("patient@example.com")
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        if not expect_code:
            tab.wait_for_url("**/account")
            return None
        tab.wait_for_url("**/signin/verify")
        return self.expect_a_new_code(tab, PHONE, before)

    def give_code(self, tab, code: str, *, trust: bool = False) -> None:
        tab.get_by_label("Verification code").fill(code)
        if trust:
            tab.get_by_label("Trust this browser").check()
        tab.get_by_role("button", name="Verify").click()
        tab.wait_for_url("**/account")

    def turn_on(self, tab, *, country: str, preselected: str, national: str, number: str) -> list[str]:
        expect(tab.locator(".badge.off")).to_have_text("Off")
        self.prove_number(tab, preselected=preselected, country=country, national=national, number=number)
        expect(tab.get_by_text("Two-factor authentication is on.")).to_be_visible()
        saved = [c.strip() for c in tab.locator("#recovery-codes li").all_inner_texts()]
        tab.get_by_label("I have saved these codes").check()
        tab.get_by_role("button", name="Finish").click()
        expect(tab.locator(".badge.on")).to_have_text("On")
        return saved

    def change_number(self, tab, *, preselected: str, country: str, national: str, number: str) -> None:
        tab.get_by_role("link", name="Change phone number").click()
        self.prove_number(tab, preselected=preselected, country=country, national=national, number=number)
        expect(tab.get_by_text("Your number was changed.")).to_be_visible()

    def prove_number(self, tab, *, preselected: str, country: str, national: str, number: str) -> None:
        """Check the preselected country, type the number, and verify the code that arrives at once."""
        expect(tab.get_by_label("Country code")).to_have_value(preselected)
        tab.get_by_label("Country code").select_option(country)
        tab.get_by_label("Phone number").fill(national)
        before = self.codes_to(number)
        tab.get_by_role("button", name="Send code").click()
        code = self.expect_a_new_code(tab, number, before)
        tab.get_by_label("Verification code").fill(code)
        tab.get_by_role("button", name="Verify").click()

    def disable(self, tab, *, preselected_after: str) -> None:
        tab.goto("/account/two-factor")
        tab.get_by_role("link", name="Disable Two-Factor Authentication").click()
        tab.get_by_role("button", name="Yes, disable").click()
        expect(tab.get_by_text("Two-factor authentication is off.")).to_be_visible()
        expect(tab.get_by_label("Country code")).to_have_value(preselected_after)

    def second_browser(self) -> None:
        """Sign in elsewhere and trust it, sign out completely, and sign straight back in."""
        context, tab = self.new_tab()
        try:
            self.give_code(tab, self.sign_in(tab), trust=True)
            tab.get_by_role("button", name="Sign out completely").click()
            tab.wait_for_url("**/signed-out")
            self.give_code(tab, self.sign_in(tab))
            expect(tab.get_by_role("heading", name="My Account Settings")).to_be_visible()
        finally:
            context.close()

    def recovery_sign_in(self, recovery_code: str) -> None:
        context, tab = self.new_tab()
        try:
            self.sign_in(tab)
            tab.get_by_role("link", name="Use a recovery code instead").click()
            tab.get_by_label("Recovery code").fill(recovery_code)
            tab.get_by_role("button", name="Sign in").click()
            tab.wait_for_url("**/account")
            expect(tab.get_by_text("You signed in with a recovery code.")).to_be_visible()
        finally:
            context.close()


@pytest.mark.settings(**SHIPPED_LIMITS)
def test_the_help_article_twice_in_one_hour_at_full_speed(browser, live_server, fake_vonage, auth):
    config = live_server.app.config
    assert config["CODE_RESEND_COOLDOWN_SECONDS"] == 30 and config["RATELIMIT_ENABLED"]
    with time_machine.travel(START, tick=False):
        auth.make_user(app=live_server.app)
        walk = Walk(browser, live_server, fake_vonage)
        context, page = walk.new_tab()
        try:
            walk.sign_in(page, expect_code=False)
            page.get_by_role("link", name="Two-Factor Authentication").click()
            for _ in range(2):
                walk.turn_on(page, country="US", preselected="US", national=US_NATIONAL, number=PHONE)
                walk.second_browser()
                # The article's way to change number: disable, then turn on at once with the new one.
                walk.disable(page, preselected_after="US")
                saved = walk.turn_on(page, country="GB", preselected="US", national=GB_NATIONAL, number=GB_PHONE)
                # The direct way back.
                walk.change_number(page, preselected="GB", country="US", national=US_NATIONAL, number=PHONE)
                walk.recovery_sign_in(saved[0])
                walk.disable(page, preselected_after="US")
        finally:
            context.close()
    # Every code arrived at once (checked at each step); the notices went out too.
    notices_off = [m for m in fake_vonage.sent_to(PHONE) if m["text"].startswith("Two-factor authentication was")]
    assert len(notices_off) == 4
