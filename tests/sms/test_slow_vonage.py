"""A slow Vonage can't stall the site: bounded sends per process, and an unanswered text keeps its code."""

import pytest

from app.sms import UNCONFIRMED
from tests.support import PHONE, htmx
from tests.twofactor_helpers import (
    COULD_NOT_SEND, SIGNIN_RESEND, SIGNIN_VERIFY, client_with_agent, event_rows, live_code_rows,
    redirects_to, signed_in, text,
)

# The SDK takes whole seconds; the fake answers just after the client gave up.
pytestmark = pytest.mark.settings(VONAGE_TIMEOUT=1)
LATE = 1.2


def sms_rows(app, uid):
    from app.extensions import db
    from app.models import SmsMessage

    with app.app_context():
        return db.session.query(SmsMessage).filter_by(user_id=uid).all()


@pytest.fixture
def unanswered(fake_vonage, monkeypatch):
    """Make the fake answer only after the client's timeout (it still records, i.e. delivers, the text)."""
    monkeypatch.setattr(fake_vonage, "slow_seconds", LATE)
    fake_vonage.failure = "slow"
    yield fake_vonage
    fake_vonage.wait_idle()


def test_an_unanswered_sign_in_text_keeps_its_code(app, fake_vonage, unanswered, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    response = auth.sign_in(client=browser)  # a plain form post: works with JavaScript off
    assert redirects_to(response, SIGNIN_VERIFY)
    page = text(browser.get(SIGNIN_VERIFY))
    assert UNCONFIRMED in page and 'name="code"' in page
    # The outcome is unknown: the code stays valid and the text stays counted toward the caps.
    assert len(live_code_rows(app, uid)) == 1 and len(sms_rows(app, uid)) == 1
    assert len(event_rows(app, uid, "code_send_unconfirmed")) == 1
    assert event_rows(app, uid, "code_send_failed") == []
    assert len(fake_vonage.requests) == 1  # one attempt, never a second text behind the person's back
    fake_vonage.wait_idle()  # ...and then the text arrives after all
    assert redirects_to(twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser), "/account")
    assert signed_in(browser)


def test_after_an_unanswered_text_resend_waits_for_the_cooldown(app, fake_vonage, unanswered, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    auth.sign_in(client=browser)
    fake_vonage.wait_idle()
    fake_vonage.failure = None
    too_soon = browser.post(SIGNIN_RESEND, headers=htmx())
    assert too_soon.status_code == 429 and len(fake_vonage.messages) == 1
    clock.shift(30)
    response = browser.post(SIGNIN_RESEND, headers=htmx())
    assert response.status_code == 200 and "We sent a new code" in text(response)
    assert len(live_code_rows(app, uid)) == 1  # the unanswered text's code died with the resend
    assert redirects_to(twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser), "/account")


def test_an_unanswered_resend_says_so_and_keeps_the_screen_working(app, fake_vonage, clock, monkeypatch, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    auth.sign_in(client=browser)
    clock.shift(30)
    monkeypatch.setattr(fake_vonage, "slow_seconds", LATE)
    fake_vonage.failure = "slow"
    response = browser.post(SIGNIN_RESEND, headers=htmx())
    fake_vonage.wait_idle()
    assert response.status_code == 200 and UNCONFIRMED in text(response) and 'name="code"' in text(response)
    (live,) = live_code_rows(app, uid)
    assert redirects_to(twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser), "/account")


def test_busy_send_slots_refuse_at_once_and_leave_nothing_behind(app, fake_vonage, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    slots = app.extensions["sms_slots"]
    held = [slots.acquire() for _ in range(slots.size)]  # other requests are texting right now
    assert all(held) and not slots.acquire()
    try:
        browser = client_with_agent(app)
        assert redirects_to(auth.sign_in(client=browser), SIGNIN_VERIFY)
        page = text(browser.get(SIGNIN_VERIFY))
    finally:
        for _ in held:
            slots.release()
    assert COULD_NOT_SEND in page and "Resend code" in page
    assert fake_vonage.requests == []
    assert live_code_rows(app, uid) == [] and sms_rows(app, uid) == []
    (failed,) = event_rows(app, uid, "code_send_failed")
    assert "busy" in failed.details
    # A slot is free again: Resend code works at once (no cooldown: no code was sent).
    response = browser.post(SIGNIN_RESEND)
    assert response.status_code == 303 and len(fake_vonage.messages) == 1
    assert redirects_to(twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser), "/account")


def test_every_send_gives_its_slot_back(app, fake_vonage, auth):
    auth.make_user(phone=PHONE)
    fake_vonage.failure = "http500"
    auth.sign_in(client=client_with_agent(app))
    fake_vonage.failure = None
    auth.sign_in(client=client_with_agent(app))
    slots = app.extensions["sms_slots"]
    held = [slots.acquire() for _ in range(slots.size)]
    assert all(held)
    for _ in held:
        slots.release()


def test_a_resend_while_the_send_slots_are_busy_gets_429_and_a_plain_message(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    auth.sign_in(client=browser)
    (first,) = live_code_rows(app, uid)
    clock.shift(30)
    slots = app.extensions["sms_slots"]
    held = [slots.acquire() for _ in range(slots.size)]
    try:
        response = browser.post(SIGNIN_RESEND, headers=htmx())
        plain = browser.post(SIGNIN_RESEND)  # JavaScript off: the full page, same answer
    finally:
        for _ in held:
            slots.release()
    for answer in (response, plain):
        assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
        assert COULD_NOT_SEND in text(answer) and "Too many codes" not in text(answer)
    assert "<html" in text(plain)
    # Nothing changed: the earlier code still works, and nothing more was texted.
    assert [row.id for row in live_code_rows(app, uid)] == [first.id] and len(fake_vonage.messages) == 1
    assert redirects_to(twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser), "/account")
