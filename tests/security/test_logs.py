"""Secrets never reach the logs; each security event is one JSON line when LOG_JSON is on."""

import json
import logging
import re

import pytest

from tests.support import OTHER_PHONE, PASSWORD, PHONE, htmx
from tests.security.support import advance

NEW_PASSWORD = "Violet-Harbour-Thimble-58"
NUMBERS = [PHONE, PHONE.lstrip("+"), PHONE[2:], "201-555-0123", "201 555 0123",
           OTHER_PHONE, OTHER_PHONE.lstrip("+"), OTHER_PHONE[2:], "201-555-0188"]


# The flow texts codes and notices within the hour; the shipped caps leave room for all of them.
pytestmark = pytest.mark.settings(LOG_JSON=True)



@pytest.fixture
def every_logger_at_debug(caplog):
    """Every logger that exists, the SDK's and urllib3's included, at DEBUG for the test."""
    names = [None, *logging.root.manager.loggerDict]
    for name in names:
        if isinstance(logging.getLogger(name), logging.Logger):
            caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def full_flow(auth, app, client, fake_vonage, clock) -> dict[str, set[str]]:
    """Sign up, turn 2FA on, sign in with a code and trust, change number and password, turn 2FA off."""
    secrets: dict[str, set[str]] = {"code": set(), "password": {PASSWORD, NEW_PASSWORD}, "token": set()}
    client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36"
    assert client.post("/signup", data={"email": "pat@example.com", "password": PASSWORD,
                                        "confirm": PASSWORD}).status_code == 303
    assert auth.sign_in("pat@example.com", client=client).status_code == 303
    client.post("/account/two-factor/setup", data={"country": "US", "phone": "201-555-0123"}, headers=htmx())
    client.post("/account/two-factor/verify", data={"code": "000000"}, headers=htmx())
    page = client.post("/account/two-factor/verify", data={"code": fake_vonage.last_code(PHONE), "trust": "on"},
                       headers=htmx())
    recovery = set(re.findall(r"\b[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}\b", page.get_data(as_text=True)))
    assert len(recovery) >= 8
    secrets["recovery code"] = recovery | {code.replace("-", "") for code in recovery}
    client.post("/account/two-factor/recovery-codes/saved", data={"saved": "on"})
    secrets["token"].add(client.get_cookie(app.config["TRUST_COOKIE_NAME"]).value)
    client.post("/signout/completely")

    auth.sign_in("pat@example.com", client=client)
    client.post("/signin/verify", data={"code": "999999"})
    clock.shift(31)
    client.post("/signin/resend")
    client.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE), "trust": "on"})
    secrets["token"].add(client.get_cookie(app.config["TRUST_COOKIE_NAME"]).value)
    secrets["session"] = {client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value}

    advance(clock, 901, client)
    client.post("/account/two-factor/number", data={"country": "US", "phone": "201-555-0188", "password": PASSWORD})
    client.post("/account/two-factor/reauth", data={"code": "000000"})   # the second factor, wrong then right
    client.post("/account/two-factor/reauth", data={"code": fake_vonage.last_code(PHONE)})
    client.post("/account/two-factor/verify", data={"code": fake_vonage.last_code(OTHER_PHONE)})
    fake_vonage.failure = "29"
    clock.shift(31)
    client.post("/account/two-factor/number", data={"country": "US", "phone": "201-555-0123"})
    fake_vonage.failure = None
    client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post("/account/two-factor/disable", data={"password": NEW_PASSWORD})
    for _ in range(11):
        auth.sign_in("pat@example.com", "Wrong-Password-Entirely-1", client=app.test_client())
    secrets["code"] |= {m for r in fake_vonage.requests for m in re.findall(r"code is (\d{6})", r["form"].get("text", ""))}
    assert len(secrets["code"]) >= 5 and len(secrets["token"]) == 2
    return secrets


def logged_text(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_owasp_logs_hold_no_code_password_token_or_number(app, client, fake_vonage, clock, every_logger_at_debug, auth):
    secrets = full_flow(auth, app, client, fake_vonage, clock)
    text = logged_text(every_logger_at_debug)
    assert "code_sent" in text and "signin_failed" in text
    for kind, values in secrets.items():
        for value in values:
            assert not re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", text), f"{kind} leaked"
    for number in NUMBERS:
        assert number not in text, f"number {number} leaked"


def test_owasp_audit_rows_hold_no_code_password_token_or_number(app, client, fake_vonage, clock, auth):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import SecurityEvent

    secrets = full_flow(auth, app, client, fake_vonage, clock)
    with app.app_context():
        rows = db.session.scalars(select(SecurityEvent)).all()
        stored = "\n".join(f"{r.type} {r.subject} {r.details} {r.user_agent}" for r in rows)
    for kind, values in secrets.items():
        for value in values:
            assert not re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", stored), f"{kind} leaked"
    for number in NUMBERS:
        assert number not in stored


def test_rule_one_json_line_per_security_event(app, client, fake_vonage, clock, caplog, auth):
    caplog.set_level(logging.INFO, logger="app.security")
    full_flow(auth, app, client, fake_vonage, clock)
    lines = [r for r in caplog.records if r.name == "app.security"]
    assert len(lines) > 20
    for record in lines:
        message = record.getMessage()
        assert "\n" not in message
        event = json.loads(message)
        assert event["event"] and "user_id" in event and "ip" in event
    events = {json.loads(r.getMessage())["event"] for r in lines}
    assert {"signup", "signin_success", "signin_failed", "code_sent", "code_failed", "code_verified",
            "2fa_enabled", "2fa_disabled", "number_changed", "password_changed", "device_trusted",
            "code_send_failed"} <= events

    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import SecurityEvent

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SecurityEvent)) == len(lines)


def test_rule_audit_refuses_secret_fields():
    from app.security import audit

    for key in ("code", "password", "token", "phone", "phone_e164", "secret"):
        with pytest.raises(ValueError):
            audit.record(audit.SIGNUP, audit.SYSTEM, **{key: "x"})
