"""Every way Vonage can fail, in every flow that texts a code: a clear message and nothing changed."""

import logging
import re

import pytest

from tests.support import OTHER_PHONE, PHONE, htmx
from tests.twofactor_helpers import (BAD_NUMBER, COULD_NOT_SEND, NUMBER, RESEND, SIGNIN_RESEND, SIGNIN_VERIFY,
                                     TWO_FACTOR, VERIFY, client_with_agent, code_rows, event_rows, is_partial,
                                     live_code_rows, redirects_to, signed_in, text, user)

# failure mode of the fake -> (what the person reads, what the log says about the provider)
MODES = {
    "1": (COULD_NOT_SEND, "error code 1: Throttled"),
    "4": (COULD_NOT_SEND, "error code 4: Invalid Credentials"),
    "9": (COULD_NOT_SEND, "error code 9: Partner Quota Violation"),
    "7": (BAD_NUMBER, "error code 7: Number Barred"),
    "29": (BAD_NUMBER, "error code 29: Non-Whitelisted Destination"),
    "http500": (COULD_NOT_SEND, "ServerError"),
    "close": (COULD_NOT_SEND, "ConnectionError"),
    "slow": (COULD_NOT_SEND, "Timeout"),
    "garbage": (COULD_NOT_SEND, "KeyError"),
}
FULL_NUMBERS = (PHONE, PHONE.lstrip("+"), OTHER_PHONE, OTHER_PHONE.lstrip("+"), "2015550123", "2015550188")


# A short SDK timeout, so the "slow" fake times out quickly.
pytestmark = pytest.mark.settings(VONAGE_TIMEOUT=1)


# A sign-in keeps the code of a text Vonage never answered for (tests/sms/test_slow_vonage.py);
# every other failure is certain, and leaves nothing behind in every flow.
CERTAIN = [mode for mode in MODES if mode != "slow"]


def _failing(request, fake_vonage, monkeypatch, caplog):
    monkeypatch.setattr(fake_vonage, "slow_seconds", 1.5)
    caplog.set_level(logging.DEBUG)
    mode = request.param

    def start():
        fake_vonage.requests.clear()
        caplog.clear()
        fake_vonage.failure = mode
        return (mode, *MODES[mode])

    return start


@pytest.fixture(params=list(MODES))
def failing(request, fake_vonage, monkeypatch, caplog):
    """Make the fake fail one way from now on; yield (mode, message shown, provider detail logged)."""
    return _failing(request, fake_vonage, monkeypatch, caplog)


@pytest.fixture(params=CERTAIN)
def failing_for_certain(request, fake_vonage, monkeypatch, caplog):
    """As failing, but only the ways that surely sent nothing (no timeout)."""
    return _failing(request, fake_vonage, monkeypatch, caplog)


def assert_logged_without_secrets(caplog, fake_vonage, detail: str) -> None:
    """The provider's error is in the log; the code and the number are not."""
    warnings = [r.getMessage() for r in caplog.records
                if r.name == "app.sms.vonage_backend" and r.levelno >= logging.WARNING]
    assert any(detail in line for line in warnings), warnings
    # One send, one request: nothing retried behind our back (a retry can mean a second SMS).
    assert len(fake_vonage.requests) == 1
    attempted = re.search(r"code is (\d{6})", fake_vonage.requests[0]["form"]["text"]).group(1)
    logged = caplog.text
    assert not re.search(rf"(?<!\d){attempted}(?!\d)", logged)
    for number in FULL_NUMBERS:
        assert number not in logged


def assert_failure_recorded(app, uid: int, detail: str) -> None:
    (event,) = event_rows(app, uid, "code_send_failed")
    assert detail in event.details


def test_setup_send_failure_changes_nothing(app, fake_vonage, caplog, failing, signed_in_client, twofactor):
    mode, message, detail = failing()
    response = twofactor.send_setup_code(as_htmx=True, client=signed_in_client)
    assert response.status_code == 503 and is_partial(response)
    assert message in text(response)
    assert user(app, signed_in_client.user_id).phone_e164 is None
    assert code_rows(app, signed_in_client.user_id) == []
    # Still on the first step, with what was typed kept for another go.
    assert "Send code" in text(response) and 'value="201-555-0123"' in text(response)
    assert 'class="badge off">Off' in text(signed_in_client.get(TWO_FACTOR))
    assert_logged_without_secrets(caplog, fake_vonage, detail)
    assert_failure_recorded(app, signed_in_client.user_id, detail)


@pytest.mark.parametrize("mode", ["29", "http500"])
def test_setup_send_failure_as_a_plain_form_post(app, fake_vonage, signed_in_client, mode, twofactor):
    message = MODES[mode][0]
    fake_vonage.failure = mode
    response = twofactor.send_setup_code(client=signed_in_client)
    assert response.status_code == 503 and "<html" in text(response) and message in text(response)
    assert user(app, signed_in_client.user_id).phone_e164 is None


def test_number_change_send_failure_keeps_the_old_number(app, fake_vonage, caplog, failing, protected_client):
    mode, message, detail = failing()
    response = protected_client.post(NUMBER, data={"country": "US", "phone": "201-555-0188"}, headers=htmx())
    assert response.status_code == 503 and is_partial(response)
    assert message in text(response) and "Change phone number" in text(response)
    assert user(app, protected_client.user_id).phone_e164 == PHONE
    assert live_code_rows(app, protected_client.user_id, "number_change") == []
    assert 'class="badge on">On' in text(protected_client.get(TWO_FACTOR))
    assert_logged_without_secrets(caplog, fake_vonage, detail)


def test_sign_in_send_failure_leaves_the_session_pending_without_a_code(app, fake_vonage, caplog,
                                                                        failing_for_certain, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    mode, message, detail = failing_for_certain()
    browser = client_with_agent(app)
    response = auth.sign_in(client=browser)
    assert redirects_to(response, SIGNIN_VERIFY)
    page = text(browser.get(SIGNIN_VERIFY))
    assert message in page
    assert "We couldn't text a code to" in page and "Resend code" in page
    assert live_code_rows(app, uid) == []
    assert not signed_in(browser)
    assert event_rows(app, uid, "signin_success") == []
    refused = twofactor.answer_code("123456", client=browser)
    assert refused.status_code == 422 and not signed_in(browser)
    assert_logged_without_secrets(caplog, fake_vonage, detail)
    assert_failure_recorded(app, uid, detail)


def test_setup_resend_failure_keeps_the_old_code_valid(app, fake_vonage, caplog, failing, signed_in_client, clock,
                                                       twofactor):
    twofactor.send_setup_code(client=signed_in_client)
    old = fake_vonage.last_code(PHONE)
    clock.shift(30)
    mode, message, detail = failing()
    response = signed_in_client.post(RESEND, headers=htmx())
    assert response.status_code == 503 and is_partial(response) and message in text(response)
    assert "Verification code" in text(response)
    assert len(live_code_rows(app, signed_in_client.user_id)) == 1
    assert_logged_without_secrets(caplog, fake_vonage, detail)
    fake_vonage.failure = None
    assert signed_in_client.post(VERIFY, data={"code": old}).status_code == 200
    assert user(app, signed_in_client.user_id).phone_e164 == PHONE


def test_sign_in_resend_failure_keeps_the_old_code_valid(app, fake_vonage, caplog, failing_for_certain, clock, auth,
                                                         twofactor):
    auth.make_user(phone=PHONE)
    browser = twofactor.begin_sign_in()
    old = fake_vonage.last_code(PHONE)
    clock.shift(30)
    mode, message, detail = failing_for_certain()
    response = browser.post(SIGNIN_RESEND, headers=htmx())
    assert response.status_code == 503 and is_partial(response) and message in text(response)
    assert_logged_without_secrets(caplog, fake_vonage, detail)
    fake_vonage.failure = None
    assert twofactor.answer_code(old, client=browser).status_code == 303
    assert signed_in(browser)


def test_a_failed_send_does_not_count_toward_the_hourly_cap(app, fake_vonage, signed_in_client, clock, twofactor):
    fake_vonage.failure = "http500"
    for _ in range(6):
        assert twofactor.send_setup_code(client=signed_in_client).status_code == 503
    fake_vonage.failure = None
    assert twofactor.send_setup_code(client=signed_in_client).status_code == 200
    assert len(fake_vonage.messages) == 1
