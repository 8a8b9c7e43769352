"""Codes and full phone numbers never reach the logs or the audit trail; every event is audited."""

import logging
import re

import pytest

from tests.support import OTHER_PHONE, PASSWORD, PHONE
from tests.twofactor_helpers import (DISABLE, FIREFOX_WINDOWS, NUMBER, RESEND, SIGNIN_RESEND, client_with_agent,
                                     event_rows, text, wrong_code)

NUMBER_FORMS = [
    PHONE, PHONE.lstrip("+"), "2015550123", "201-555-0123", "(201) 555-0123", "201 555 0123",
    OTHER_PHONE, OTHER_PHONE.lstrip("+"), "2015550188", "201-555-0188", "(201) 555-0188", "201 555 0188",
]
LOGGERS = (None, "app", "app.security", "vonage", "urllib3", "sqlalchemy", "sqlalchemy.engine", "werkzeug")


@pytest.fixture
def all_logs(caplog):
    """Capture every logger at DEBUG, the SDK's and urllib3's included."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def every_code(fake_vonage) -> set[str]:
    """Each code texted, or attempted, during the test."""
    found = set()
    for request in fake_vonage.requests:
        found.update(re.findall(r"code is (\d{6})", request["form"].get("text", "")))
    return found


def assert_no_secrets(haystack: str, codes: set[str]) -> None:
    assert codes, "the flow should have texted codes"
    for code in codes:
        assert not re.search(rf"(?<!\d){code}(?!\d)", haystack), f"code {code} leaked"
    for number in NUMBER_FORMS:
        assert number not in haystack, f"number {number} leaked"


def run_every_flow(auth, twofactor, app, fake_vonage, clock):
    """Set up, sign in with a code (a wrong one first), resend, change number, disable, a failed send."""
    auth.make_user(app=app)
    this = client_with_agent(app)
    auth.sign_in_fully(client=this)
    twofactor.send_setup_code("(201) 555-0123", client=this)
    this.post("/account/two-factor/verify", data={"code": wrong_code(fake_vonage.last_code(PHONE))})
    this.post("/account/two-factor/verify", data={"code": fake_vonage.last_code(PHONE)})

    other = twofactor.begin_sign_in(user_agent=FIREFOX_WINDOWS, app=app)
    twofactor.answer_code(wrong_code(fake_vonage.last_code(PHONE)), client=other)
    clock.shift(30)
    other.post(SIGNIN_RESEND)
    assert twofactor.answer_code(fake_vonage.last_code(PHONE), trust=True, client=other).status_code == 303

    this.post(NUMBER, data={"country": "US", "phone": "201 555 0188"})
    this.post("/account/two-factor/verify", data={"code": fake_vonage.last_code(OTHER_PHONE)})
    fake_vonage.failure = "29"
    other.post("/signout")
    clock.shift(31)
    auth.sign_in(client=other)
    other.post("/signin/cancel")
    fake_vonage.failure = None
    assert this.post(DISABLE).status_code == 303
    return this


@pytest.mark.parametrize("log_json", [pytest.param(False, marks=pytest.mark.settings(LOG_JSON=False)),
                                      pytest.param(True, marks=pytest.mark.settings(LOG_JSON=True))])
def test_full_flows_log_no_code_and_no_number(app, fake_vonage, all_logs, clock, log_json, auth, twofactor):
    run_every_flow(auth, twofactor, app, fake_vonage, clock)
    logged = all_logs.text
    # The capture really ran at DEBUG and saw the SMS traffic and the security events.
    assert "security event" in logged or '"event": ' in logged
    assert "/sms/json" in logged
    assert any(r.name.startswith("sqlalchemy.engine") for r in all_logs.records)
    assert any(r.name == "app.sms.vonage_backend" and "error code 29" in r.getMessage() for r in all_logs.records)
    assert_no_secrets(logged, every_code(fake_vonage))
    # Nor hidden in a record's arguments or extras.
    for record in all_logs.records:
        assert_no_secrets(repr(record.args) + repr(record.__dict__.get("extra", "")), every_code(fake_vonage))


def test_audit_rows_hold_no_code_and_no_number(app, fake_vonage, clock, auth, twofactor):
    run_every_flow(auth, twofactor, app, fake_vonage, clock)
    rows = event_rows(app)
    assert len(rows) > 10
    stored = "\n".join(f"{r.type} {r.details} {r.subject} {r.user_agent} {r.ip}" for r in rows)
    assert_no_secrets(stored, every_code(fake_vonage))
    changed = event_rows(app, event_type="number_changed")[0]
    assert '"new_last4": "0188"' in changed.details and '"old_last4": "0123"' in changed.details


def test_the_audit_trail_refuses_secret_fields(app):
    from app.security import audit

    with app.app_context():
        for key in ("code", "phone", "phone_e164", "password", "token", "secret"):
            with pytest.raises(ValueError):
                audit.record(audit.CODE_SENT, audit.SYSTEM, **{key: "x"})


def test_the_console_backend_never_logs_the_message(app, caplog, capsys):
    from app.sms.console import ConsoleSender

    caplog.set_level(logging.DEBUG)
    ConsoleSender().send(PHONE, "Your Health Records verification code is 654321.")
    assert "654321" not in caplog.text and PHONE not in caplog.text
    assert "654321" in capsys.readouterr().out


ISSUE_EVENTS = {
    "2fa_enabled", "2fa_disabled", "number_changed", "code_sent", "code_failed", "code_locked",
    "signin_success", "signin_failed", "device_trusted", "device_forgotten", "password_changed",
    "signout", "signout_completely",
}


def test_every_security_event_of_the_issue_is_recorded(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user()
    this = client_with_agent(app)
    assert auth.sign_in(password="Not-The-Password-99", client=this).status_code == 422
    auth.sign_in_fully(client=this)
    twofactor.send_setup_code(client=this)
    for _ in range(5):
        this.post("/account/two-factor/verify", data={"code": wrong_code(fake_vonage.last_code(PHONE))})
    clock.shift(30)
    this.post(RESEND)
    turn_on_code = fake_vonage.last_code(PHONE)
    assert "Two-factor authentication is on." in text(this.post("/account/two-factor/verify",
                                                                data={"code": turn_on_code}))
    other = twofactor.trusted_browser(user_agent=FIREFOX_WINDOWS)
    other.post("/signout")  # before the number change, which ends every other session
    this.post(NUMBER, data={"country": "US", "phone": OTHER_PHONE})
    this.post("/account/two-factor/verify", data={"code": fake_vonage.last_code(OTHER_PHONE)})
    this.post("/signout/completely")
    auth.sign_in(client=this)
    this.post("/signin/cancel")
    clock.shift(31)
    auth.sign_in_fully(phone=OTHER_PHONE, client=this)
    this.post("/account/password", data={"current": PASSWORD, "new": "Violet-Harbor-Lantern-77",
                                         "confirm": "Violet-Harbor-Lantern-77"})
    assert this.post(DISABLE).status_code == 303

    rows = [r for r in event_rows(app, uid) if r.type != "signup"]  # make_user's own sign-up has no browser
    missing = ISSUE_EVENTS - {r.type for r in rows}
    assert not missing, missing
    for row in rows:
        assert row.created_at is not None and row.user_id == uid and row.actor_id == uid
        assert row.ip == "127.0.0.1" and row.user_agent, row.type
    assert {r.user_agent for r in rows if r.type == "device_trusted"} >= {FIREFOX_WINDOWS}
