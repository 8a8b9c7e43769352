"""Browser steps for the second-factor methods (the `passkey_steps` fixture): sign in, add a passkey, sign out."""

from tests.support import PASSWORD, PHONE


class PasskeySteps:
    """Steps a person takes in a tab, by the labels on the screen."""

    def __init__(self, fake_vonage):
        self.fake_vonage = fake_vonage

    def sign_in_with_password(self, tab, email="patient@example.com"):
        """Fill in and send the password form."""
        tab.goto("/signin")
        tab.get_by_label("Email address").fill(email)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in", exact=True).click()

    def give_sms_code(self, tab):
        """Answer the texted code and land on the account."""
        tab.wait_for_url("**/signin/verify")
        tab.get_by_label("Verification code").fill(self.fake_vonage.last_code(PHONE))
        tab.get_by_role("button", name="Verify").click()
        tab.wait_for_url("**/account")

    def add_passkey(self, tab, name="MacBook Touch ID"):
        """Name and add a passkey from the two-factor screen."""
        tab.goto("/account/two-factor")
        tab.get_by_label("Name this passkey").fill(name)
        tab.get_by_role("button", name="Add a passkey").click()

    def sign_out(self, tab):
        """Sign out from the account page."""
        tab.goto("/account")
        tab.get_by_role("button", name="Sign out", exact=True).first.click()
        tab.wait_for_url("**/signin")


def open_passkey_tab(browser, live_server):
    """Open a page on http://localhost:PORT (a relying-party id can't be 127.0.0.1) with a virtual authenticator."""
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
    return page
