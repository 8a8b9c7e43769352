"""Keyboard only, in a real browser: Tab, Shift+Tab, Enter and Space (and typing into fields).

After each htmx swap document.activeElement is checked: the field in error, the new step's field or
message, never the page itself. Also: a code can be pasted, the resend countdown is announced twice
rather than every second, and without JavaScript no dead button shows.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.admin.helpers import PATIENT_EMAIL, STAFF_EMAIL, STAFF_PHONE
from tests.support import PASSWORD, PHONE, PHONE_NATIONAL
from tests.twofactor_helpers import user

pytestmark = pytest.mark.browser

COUNT_SWAPS = """
window.__swaps = 0;
document.addEventListener("htmx:afterSettle", function () { window.__swaps += 1; });
"""


@pytest.fixture
def keys(page):
    page.add_init_script(COUNT_SWAPS)
    return Keyboard(page)


class Keyboard:
    """Drive a tab with Tab, Shift+Tab, Enter and Space only, checking where focus is."""

    def __init__(self, tab):
        self.tab = tab

    def focused(self, selector: str) -> bool:
        return self.tab.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector)

    def active(self) -> str:
        return self.tab.evaluate("document.activeElement ? document.activeElement.outerHTML.slice(0, 160) : ''")

    def to(self, selector: str, *, back: bool = False) -> None:
        """Press Tab (or Shift+Tab) until the element matching selector has focus."""
        key = "Shift+Tab" if back else "Tab"
        for _ in range(60):
            if self.focused(selector):
                return
            self.tab.keyboard.press(key)
        raise AssertionError(f"{key} never reached {selector}")

    def type(self, text: str) -> None:
        self.tab.keyboard.type(text)

    def swap(self, focus: str, *, typing: str = "") -> None:
        """Press Enter (or type), wait for htmx to swap new content in, and check where focus landed."""
        before = self.tab.evaluate("window.__swaps")
        if typing:
            self.type(typing)
        else:
            self.tab.keyboard.press("Enter")
        self.tab.wait_for_function(f"() => window.__swaps > {before}")
        assert self.focused(focus), (focus, self.active())

    def navigate(self, key: str) -> None:
        """Press key on something that loads a whole page (a link, or a form answered with a redirect)."""
        with self.tab.expect_navigation():
            self.tab.keyboard.press(key)

    def sign_in(self, email: str) -> None:
        self.tab.goto("/signin")
        self.to("#f-email")
        self.type(email)
        self.tab.keyboard.press("Tab")
        assert self.focused("#f-password")
        self.type(PASSWORD)
        self.navigate("Enter")


def sign_in_by_mouse(tab, lands_on: str) -> None:
    """Sign patient@example.com in the ordinary way, for the tests about something else."""
    tab.goto("/signin")
    tab.get_by_label("Email address").fill("patient@example.com")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(lands_on)


def test_a_patient_signs_in_turns_two_factor_on_uses_a_recovery_code_and_turns_it_off(page, keys, live_server,
                                                                                         fake_vonage, auth):
    uid = auth.make_user(app=live_server.app)
    keys.sign_in("patient@example.com")
    assert page.url.endswith("/account")

    # Turn two-factor on: each step lands on the field or message that matters.
    keys.to("a[href$='/account/two-factor']")
    keys.navigate("Enter")
    keys.to("#f-phone")
    keys.type(PHONE_NATIONAL)
    keys.swap("#f-code")  # Send code
    keys.type("000000")
    keys.swap("#f-code[aria-invalid=true]")  # a wrong code: back at the field
    assert page.get_attribute("#f-code", "aria-describedby") == "code-sent f-code-error"
    keys.type(fake_vonage.last_code(PHONE))
    keys.swap(".alert-success")  # "Two-factor authentication is on."
    codes = [c.strip() for c in page.locator("#recovery-codes li").all_inner_texts()]
    keys.to("#f-saved")
    page.keyboard.press("Space")
    assert page.is_checked("#f-saved")
    keys.to("#recovery-ack button[type=submit]")
    keys.navigate("Enter")
    expect(page.locator(".badge.on")).to_have_text("On")
    keys.to("form[action$='/signout'] button")
    keys.navigate("Enter")

    # Sign in with a texted code: the code screen opens with its field focused.
    keys.sign_in("patient@example.com")
    assert page.url.endswith("/signin/verify") and keys.focused("#f-code")
    keys.type("000000")
    keys.swap("#f-code[aria-invalid=true]")
    keys.type(fake_vonage.last_code(PHONE))
    keys.navigate("Enter")
    assert page.url.endswith("/account")
    keys.to("form[action$='/signout'] button")
    keys.navigate("Enter")

    # The phone is lost: a recovery code instead.
    keys.sign_in("patient@example.com")
    keys.to("a[href$='/signin/recovery']")
    keys.swap("#recovery #f-code")
    keys.type("aaaa-bbbb-cccc")
    keys.swap("#f-code[aria-invalid=true]")
    assert page.get_attribute("#f-code", "aria-describedby") == "f-code-hint f-code-error"
    keys.type(codes[0])
    keys.navigate("Enter")
    assert page.url.endswith("/account")

    # Turn two-factor off: asked, cancelled, asked again, done.
    keys.to("a[href$='/account/two-factor']")
    keys.navigate("Enter")
    keys.to("a[href$='/two-factor/disable']")
    keys.swap("#disable-title")
    keys.to(".confirm a[href$='/account/two-factor']")  # Cancel
    keys.swap(".status[data-focus]")
    keys.to("a[href$='/two-factor/disable']")
    keys.swap("#disable-title")
    keys.to(".confirm a[href$='/account/two-factor']")
    keys.to(".confirm button.danger", back=True)  # Shift+Tab back to "Yes, disable"
    keys.swap(".alert-success")  # "Two-factor authentication is off."
    assert user(live_server.app, uid).phone_e164 is None


def test_staff_find_a_patient_and_lock_the_account_by_keyboard(page, keys, live_server, fake_vonage, admin_helper):
    patient = admin_helper.make_patient(app=live_server.app)
    admin_helper.make_staff(app=live_server.app)
    keys.sign_in(STAFF_EMAIL)
    assert keys.focused("#f-code")
    keys.type(fake_vonage.last_code(STAFF_PHONE))
    keys.navigate("Enter")

    keys.to("a[href$='/admin/']")
    keys.navigate("Enter")
    keys.to("#f-q")
    keys.swap("#f-q", typing=PATIENT_EMAIL[:5])  # live results; typing goes on
    keys.to(f"#user-results a[href$='/admin/users/{patient}']")
    keys.navigate("Enter")
    keys.to("a[href$='/actions/lock']")
    keys.swap("#f-reason")  # the confirmation's first field
    keys.to("#user-action button.danger")
    keys.swap("#f-reason[aria-invalid=true]")  # no reason: back at the field
    keys.type("Asked by the patient on the phone, ticket 271")
    keys.to("#user-action button.danger")
    keys.navigate("Enter")
    expect(page.get_by_text("The account is locked.")).to_be_visible()


def test_the_code_field_takes_a_pasted_code_and_no_field_blocks_paste(page, live_server, fake_vonage, auth):
    auth.make_user(phone=PHONE, app=live_server.app)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in_by_mouse(page, "**/signin/verify")

    # WCAG 3.3.8: one field for the whole code (no box per digit), which the browser may fill in.
    code_form = page.locator("form", has=page.locator("#f-code"))
    assert code_form.locator("input:not([type=hidden]):not([type=checkbox])").count() == 1
    field = page.locator("#f-code")
    assert field.get_attribute("autocomplete") == "one-time-code"
    assert int(field.get_attribute("maxlength")) >= 7 and field.get_attribute("onpaste") is None
    expect(field).to_be_focused()

    page.evaluate("text => navigator.clipboard.writeText(text)", "123 456")
    page.keyboard.press("Control+V")
    expect(field).to_have_value("123 456")
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    code = fake_vonage.last_code(PHONE)
    page.evaluate("text => navigator.clipboard.writeText(text)", f"{code[:3]} {code[3:]}")
    page.keyboard.press("Control+V")
    page.keyboard.press("Enter")
    page.wait_for_url("**/account")


def test_the_resend_countdown_is_announced_when_it_starts_and_ends_not_every_second(page, live_server,
                                                                                     fake_vonage, auth):
    auth.make_user(phone=PHONE, app=live_server.app)
    page.clock.install()
    sign_in_by_mouse(page, "**/signin/verify")
    announcer = page.locator("#announcer")
    expect(announcer).to_have_text(re.compile(r"^Resend code will be available in \d+ seconds\.$"))
    assert page.evaluate("() => document.querySelector('[data-countdown]').closest('[aria-live]')") is None
    page.evaluate("""() => {
      window.__said = [];
      const live = "[aria-live], [role=status], [role=alert], [role=log], [role=timer]";
      new MutationObserver(records => records.forEach(record => {
        const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
        const region = node && node.closest(live);
        if (region && region.textContent.trim()) { window.__said.push(region.textContent.trim()); }
      })).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    page.clock.run_for(31_000)
    expect(page.get_by_role("button", name="Resend code")).to_be_enabled()
    expect(page.get_by_text("You can ask for a new code in")).to_be_hidden()   # it did count down
    assert page.evaluate("window.__said") == ["Resend code is available now."]


def test_without_javascript_the_recovery_codes_show_no_buttons_that_do_nothing(browser, live_server, fake_vonage,
                                                                                auth):
    auth.make_user(app=live_server.app)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        sign_in_by_mouse(tab, "**/account")
        tab.goto("/account/two-factor")
        tab.get_by_label("Phone number").fill(PHONE_NATIONAL)
        tab.get_by_role("button", name="Send code").click()
        tab.get_by_label("Verification code").fill(fake_vonage.last_code(PHONE))
        tab.get_by_role("button", name="Verify").click()
        expect(tab.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
        expect(tab.get_by_role("link", name="Download")).to_be_visible()
        # [hidden] wins over .button { display: inline-block }: Copy and Print need app.js.
        expect(tab.locator("[data-copy-target]")).to_be_hidden()
        expect(tab.locator("[data-print]")).to_be_hidden()
    finally:
        context.close()
