"""Issue 11 item 1: every text, notices included, spends the per-number, per-account and site-wide budgets."""

import re

import pytest

from tests.admin.helpers import cheap_password_hashing
from tests.support import PHONE
from tests.security.support import LIMITS_ON
from tests.twofactor_helpers import (DISABLE, SIGNIN_VERIFY, TWO_FACTOR, client_with_agent, event_rows, redirects_to,
                                     text)

RECOVERY_NOTICE = "A recovery code was just used"
NOTICE_OFF = "Two-factor authentication was turned off"

RECOVERY_CODE = re.compile(r"\b[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}\b")


def texts_to(fake_vonage, starting: str, number: str = PHONE) -> int:
    return len([m for m in fake_vonage.sent_to(number) if m["text"].startswith(starting)])


def signed_in_with_code(twofactor, app, fake_vonage):
    browser = twofactor.begin_sign_in(app=app)
    assert twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser).status_code == 303
    return browser


def new_recovery_codes(browser) -> list[str]:
    shown = text(browser.post(TWO_FACTOR + "/recovery-codes"))
    browser.post(TWO_FACTOR + "/recovery-codes/saved", data={"saved": "on"})
    return RECOVERY_CODE.findall(shown)


def test_the_recovery_code_sign_in_loop_sends_at_most_the_cap(app, fake_vonage, clock, monkeypatch, auth, twofactor):
    """Sign in -> recovery code -> sign out, over and over (new codes when low): the number gets at most the cap."""
    cheap_password_hashing(monkeypatch)
    auth.make_user(phone=PHONE)
    cap = app.config["SMS_MAX_PER_NUMBER_PER_HOUR"]
    owner = signed_in_with_code(twofactor, app, fake_vonage)
    spare = new_recovery_codes(owner)
    for _ in range(cap + 3):
        if len(spare) < 3:
            spare = new_recovery_codes(owner)
        browser = client_with_agent(app)
        assert redirects_to(auth.sign_in(client=browser), SIGNIN_VERIFY)
        assert browser.post("/signin/recovery", data={"code": spare.pop()}).status_code == 303
        browser.post("/signout")
        clock.shift(3)
    assert len(fake_vonage.sent_to(PHONE)) <= cap
    assert texts_to(fake_vonage, RECOVERY_NOTICE) == 1
    # An hour on, the next use is texted again.
    clock.shift(3600)
    owner = client_with_agent(app)
    assert redirects_to(auth.sign_in(client=owner), SIGNIN_VERIFY)
    assert owner.post("/signin/recovery", data={"code": spare.pop()}).status_code == 303
    assert texts_to(fake_vonage, RECOVERY_NOTICE) == 2


@pytest.mark.settings(SMS_MAX_PER_NUMBER_PER_HOUR=2)
def test_notices_spend_the_per_number_budget(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    browser = signed_in_with_code(twofactor, app, fake_vonage)                  # 1: the sign-in code
    assert browser.post(DISABLE).status_code == 303                  # 2: the notice
    assert texts_to(fake_vonage, NOTICE_OFF) == 1
    refused = twofactor.send_setup_code(client=browser)
    assert refused.status_code == 429 and "Too many codes were sent" in text(refused)
    assert len(fake_vonage.sent_to(PHONE)) == 2


@pytest.mark.settings(SMS_MAX_PER_NUMBER_PER_HOUR=1)
def test_one_off_notices_are_counted_but_never_refused(app, fake_vonage, clock, auth, twofactor):
    from app.extensions import db
    from app.models import SmsMessage

    auth.make_user(phone=PHONE)
    browser = signed_in_with_code(twofactor, app, fake_vonage)                  # the number's whole budget
    assert browser.post(DISABLE).status_code == 303
    assert texts_to(fake_vonage, NOTICE_OFF) == 1
    with app.app_context():
        kinds = sorted(db.session.scalars(db.select(SmsMessage.kind)))
    assert kinds == ["code_signin", "notice_two_factor_off"]


@pytest.mark.settings(SMS_MAX_PER_NUMBER_PER_HOUR=1)
def test_repeatable_notices_are_refused_over_the_budget(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    owner = signed_in_with_code(twofactor, app, fake_vonage)
    spare = new_recovery_codes(owner)
    browser = client_with_agent(app)
    assert redirects_to(auth.sign_in(client=browser), SIGNIN_VERIFY)             # no code: the budget is spent
    assert browser.post("/signin/recovery", data={"code": spare[0]}).status_code == 303
    assert texts_to(fake_vonage, RECOVERY_NOTICE) == 0
    assert len(event_rows(app, uid, "recovery_code_used")) == 1     # the audit log has it


@pytest.mark.settings(**LIMITS_ON, RATELIMIT_SMS_GLOBAL="3 per minute")
def test_notices_spend_the_site_wide_budget(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    auth.make_user("other@example.com")
    browser = signed_in_with_code(twofactor, app, fake_vonage)                  # 1: sign-in code
    assert browser.post(DISABLE).status_code == 303                  # 2: the notice
    assert twofactor.send_setup_code(client=browser).status_code == 200               # 3
    other = client_with_agent(app)
    assert auth.sign_in("other@example.com", client=other).status_code == 303    # no code: spends nothing
    assert twofactor.send_setup_code("201-555-0188", client=other).status_code == 429
    clock.shift(60)
    assert twofactor.send_setup_code("201-555-0188", client=other).status_code == 200


@pytest.mark.settings(**LIMITS_ON, RATELIMIT_SMS_GLOBAL="1 per minute")
def test_one_off_notices_go_out_even_past_the_site_wide_ceiling(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    browser = signed_in_with_code(twofactor, app, fake_vonage)                  # the whole minute's ceiling
    assert browser.post(DISABLE).status_code == 303
    assert texts_to(fake_vonage, NOTICE_OFF) == 1


def test_a_notice_that_fails_to_send_is_not_counted(app, fake_vonage, clock, auth, twofactor):
    from app.extensions import db
    from app.models import SmsMessage

    auth.make_user(phone=PHONE)
    browser = signed_in_with_code(twofactor, app, fake_vonage)
    fake_vonage.failure = "http500"
    assert browser.post(DISABLE).status_code == 303
    with app.app_context():
        assert list(db.session.scalars(db.select(SmsMessage.kind))) == ["code_signin"]
