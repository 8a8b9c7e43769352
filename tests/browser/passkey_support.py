"""Browser helpers for the second-factor methods: a tab with chromium's virtual authenticator, sign-in steps."""

import pytest

from tests.support import PASSWORD, PHONE


@pytest.fixture
def tab(browser, live_server):
    """A page on http://localhost:PORT (a relying-party id can't be 127.0.0.1), with a virtual authenticator."""
    port = live_server.url.rsplit(":", 1)[1]
    origin = f"http://localhost:{port}"
    live_server.app.config["PUBLIC_URL"] = origin  # the canonical origin the passkeys are bound to
    context = browser.new_context(base_url=origin)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    page.goto("/signin")
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})
    page.authenticator = (cdp, added["authenticatorId"])
    yield page
    context.close()


def sign_in_with_password(tab, email="patient@example.com"):
    tab.goto("/signin")
    tab.get_by_label("Email address").fill(email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in", exact=True).click()


def give_sms_code(tab, fake_vonage):
    tab.wait_for_url("**/signin/verify")
    tab.get_by_label("Verification code").fill(fake_vonage.last_code(PHONE))
    tab.get_by_role("button", name="Verify").click()
    tab.wait_for_url("**/account")


def add_passkey(tab, name="MacBook Touch ID"):
    tab.goto("/account/two-factor")
    tab.get_by_label("Name this passkey").fill(name)
    tab.get_by_role("button", name="Add a passkey").click()


def sign_out(tab):
    tab.goto("/account")
    tab.get_by_role("button", name="Sign out", exact=True).first.click()
    tab.wait_for_url("**/signin")
