"""Issue 11 item 1: every text, notices included, spends the per-number, per-account and site-wide budgets."""

import re

import pytest

from tests.admin.helpers import cheap_password_hashing
from tests.support import PHONE, make_user, sign_in
from tests.security.support import LIMITS_ON
from tests.twofactor_helpers import (
    DISABLE, SIGNIN_VERIFY, TWO_FACTOR, answer_code, begin_sign_in, client_with_agent, event_rows,
    redirects_to, send_setup_code, text,
)

RECOVERY_NOTICE = "A recovery code was just used"
NOTICE_OFF = "Two-factor authentication was turned off"

RECOVERY_CODE = re.compile(r"\b[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}\b")


def texts_to(fake_vonage, starting: str, number: str = PHONE) -> int:
    return len([m for m in fake_vonage.sent_to(number) if m["text"].startswith(starting)])


def signed_in_with_code(app, fake_vonage):
    browser = begin_sign_in(app)
    assert answer_code(browser, fake_vonage.last_code(PHONE)).status_code == 303
    return browser


def new_recovery_codes(browser) -> list[str]:
    shown = text(browser.post(TWO_FACTOR + "/recovery-codes"))
    browser.post(TWO_FACTOR + "/recovery-codes/saved", data={"saved": "on"})
    return RECOVERY_CODE.findall(shown)


def test_the_recovery_code_sign_in_loop_sends_at_most_the_cap(app, fake_vonage, clock, monkeypatch):
    """Sign in -> recovery code -> sign out, over and over (new codes when low): the number gets at most the cap."""
    cheap_password_hashing(monkeypatch)
    make_user(app, phone=PHONE)
    cap = app.config["SMS_MAX_PER_NUMBER_PER_HOUR"]
    owner = signed_in_with_code(app, fake_vonage)
    spare = new_recovery_codes(owner)
    for _ in range(cap + 3):
        if len(spare) < 3:
            spare = new_recovery_codes(owner)
        browser = client_with_agent(app)
        assert redirects_to(sign_in(browser), SIGNIN_VERIFY)
        assert browser.post("/signin/recovery", data={"code": spare.pop()}).status_code == 303
        browser.post("/signout")
        clock.shift(3)
    assert len(fake_vonage.sent_to(PHONE)) <= cap
    assert texts_to(fake_vonage, RECOVERY_NOTICE) == 1
    # An hour on, the next use is texted again.
    clock.shift(3600)
    owner = client_with_agent(app)
    assert redirects_to(sign_in(owner), SIGNIN_VERIFY)
    assert owner.post("/signin/recovery", data={"code": spare.pop()}).status_code == 303
    assert texts_to(fake_vonage, RECOVERY_NOTICE) == 2


@pytest.mark.settings(SMS_MAX_PER_NUMBER_PER_HOUR=2)
def test_notices_spend_the_per_number_budget(app, fake_vonage, clock):
    make_user(app, phone=PHONE)
    browser = signed_in_with_code(app, fake_vonage)                  # 1: the sign-in code
    assert browser.post(DISABLE).status_code == 303                  # 2: the notice
    assert texts_to(fake_vonage, NOTICE_OFF) == 1
    refused = send_setup_code(browser)
    assert refused.status_code == 429 and "Too many codes were sent" in text(refused)
    assert len(fake_vonage.sent_to(PHONE)) == 2


@pytest.mark.settings(SMS_MAX_PER_NUMBER_PER_HOUR=1)
def test_one_off_notices_are_counted_but_never_refused(app, fake_vonage, clock):
    from app.extensions import db
    from app.models import SmsMessage

    make_user(app, phone=PHONE)
    browser = signed_in_with_code(app, fake_vonage)                  # the number's whole budget
    assert browser.post(DISABLE).status_code == 303
    assert texts_to(fake_vonage, NOTICE_OFF) == 1
    with app.app_context():
        kinds = sorted(db.session.scalars(db.select(SmsMessage.kind)))
    assert kinds == ["code_signin", "notice_two_factor_off"]


@pytest.mark.settings(SMS_MAX_PER_NUMBER_PER_HOUR=1)
def test_repeatable_notices_are_refused_over_the_budget(app, fake_vonage, clock):
    uid = make_user(app, phone=PHONE)
    owner = signed_in_with_code(app, fake_vonage)
    spare = new_recovery_codes(owner)
    browser = client_with_agent(app)
    assert redirects_to(sign_in(browser), SIGNIN_VERIFY)             # no code: the budget is spent
    assert browser.post("/signin/recovery", data={"code": spare[0]}).status_code == 303
    assert texts_to(fake_vonage, RECOVERY_NOTICE) == 0
    assert len(event_rows(app, uid, "recovery_code_used")) == 1     # the audit log has it


@pytest.mark.settings(**LIMITS_ON, RATELIMIT_SMS_GLOBAL="3 per minute")
def test_notices_spend_the_site_wide_budget(app, fake_vonage, clock):
    make_user(app, phone=PHONE)
    make_user(app, "other@example.com")
    browser = signed_in_with_code(app, fake_vonage)                  # 1: sign-in code
    assert browser.post(DISABLE).status_code == 303                  # 2: the notice
    assert send_setup_code(browser).status_code == 200               # 3
    other = client_with_agent(app)
    assert sign_in(other, "other@example.com").status_code == 303    # no code: spends nothing
    assert send_setup_code(other, "201-555-0188").status_code == 429
    clock.shift(60)
    assert send_setup_code(other, "201-555-0188").status_code == 200


@pytest.mark.settings(**LIMITS_ON, RATELIMIT_SMS_GLOBAL="1 per minute")
def test_one_off_notices_go_out_even_past_the_site_wide_ceiling(app, fake_vonage, clock):
    make_user(app, phone=PHONE)
    browser = signed_in_with_code(app, fake_vonage)                  # the whole minute's ceiling
    assert browser.post(DISABLE).status_code == 303
    assert texts_to(fake_vonage, NOTICE_OFF) == 1


def test_a_notice_that_fails_to_send_is_not_counted(app, fake_vonage, clock):
    from app.extensions import db
    from app.models import SmsMessage

    make_user(app, phone=PHONE)
    browser = signed_in_with_code(app, fake_vonage)
    fake_vonage.failure = "http500"
    assert browser.post(DISABLE).status_code == 303
    with app.app_context():
        assert list(db.session.scalars(db.select(SmsMessage.kind))) == ["code_signin"]
