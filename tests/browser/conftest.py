"""Browser fixtures for the second-factor methods: a passkey-capable tab and the steps a person takes."""

import pytest

from tests.browser.passkey_support import PasskeySteps, open_passkey_tab


@pytest.fixture
def tab(browser, live_server):
    """A page on http://localhost:PORT with chromium's virtual authenticator (ctap2, internal, resident keys, UV)."""
    page = open_passkey_tab(browser, live_server)
    yield page
    page.context.close()


@pytest.fixture
def passkey_steps(fake_vonage):
    """Browser steps: .sign_in_with_password(tab), .give_sms_code(tab), .add_passkey(tab), .sign_out(tab)."""
    return PasskeySteps(fake_vonage)
