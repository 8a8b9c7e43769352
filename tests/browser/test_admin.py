"""A staff member, in a real browser, finds a patient who lost their phone and resets their two-factor."""

import pytest
from playwright.sync_api import expect

from tests.admin.helpers import PATIENT_EMAIL, STAFF_EMAIL, STAFF_PHONE
from tests.support import PASSWORD, PHONE

pytestmark = pytest.mark.browser

REASON = "Lost phone; identity checked by video call, ticket 314"


def test_staff_finds_a_patient_resets_two_factor_and_sees_it_in_the_audit_log(page, live_server, fake_vonage, auth,
                                                                              admin_helper):
    app = live_server.app
    admin_helper.make_patient(app=app)
    auth.make_user("another@example.com", PASSWORD, phone="+12015550188", app=app)
    admin_helper.make_staff(app=app)

    page.goto("/signin")
    page.get_by_label("Email address").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/signin/verify")
    page.get_by_label("Verification code").fill(fake_vonage.last_code(STAFF_PHONE))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/account")

    page.get_by_role("link", name="Support").click()
    page.wait_for_url("**/admin/")
    results = page.locator("#user-results")
    expect(results.get_by_role("link", name="another@example.com")).to_be_visible()
    # Live search: typing is enough, no button press.
    page.get_by_label("Email or last 4 digits of phone").press_sequentially(PHONE[-4:])
    expect(results.get_by_role("link", name="another@example.com")).to_have_count(0)
    expect(results.get_by_text("+1 ••• ••• 0123")).to_be_visible()
    results.get_by_role("link", name=PATIENT_EMAIL).click()

    expect(page.get_by_role("heading", name=PATIENT_EMAIL)).to_be_visible()
    page.get_by_role("link", name="Reset two-factor").click()
    expect(page.get_by_role("heading", name=f"Reset two-factor for {PATIENT_EMAIL}?")).to_be_visible()
    page.get_by_role("button", name="Yes, reset two-factor").click()
    expect(page.get_by_text("Write down why you're doing this")).to_be_visible()  # a reason is required
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Yes, reset two-factor").click()
    expect(page.get_by_text("Two-factor authentication was reset.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Off")
    assert any("turned off" in m["text"] for m in fake_vonage.sent_to(PHONE))

    page.get_by_role("link", name="All events for this account in the audit log").click()
    page.wait_for_url("**/admin/audit?user=*")
    expect(page.locator("tr", has_text="Account created")).to_contain_text(PATIENT_EMAIL)  # the patient's history
    page.get_by_role("link", name="Audit log", exact=True).click()
    page.wait_for_url("**/admin/audit")
    row = page.locator("tr", has_text="Support reset two-factor")
    expect(row).to_contain_text(PATIENT_EMAIL)
    expect(row).to_contain_text(STAFF_EMAIL)
    expect(row).to_contain_text(REASON)
    assert PHONE not in page.content() and "2015550123" not in page.content()
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
