"""Re-authentication before second-factor changes: the password AND a second factor once the sign-in is old."""

import pytest

from tests.support import OTHER_PHONE, PASSWORD, PHONE, htmx
from tests.twofactor_helpers import (
    DISABLE, FIREFOX_WINDOWS, NUMBER, TWO_FACTOR, VERIFY, client_with_agent, code_rows, device_rows,
    event_rows, is_partial, live_code_rows, signed_in, text, trust_token, user, wrong_code,
)

REAUTH = TWO_FACTOR + "/reauth"
RECOVERY_CODES = TWO_FACTOR + "/recovery-codes"
OTHER_NATIONAL = "201-555-0188"
CONFIRM = "Confirm it's you"
USED_TO_CONFIRM = "A recovery code was just used to confirm a change"


@pytest.fixture
def uid(app, auth):
    return auth.make_user(phone=PHONE)


@pytest.fixture
def recovery_codes(app, uid):
    from app.extensions import db
    from app.models import User
    from app.security import recovery
    from app.security.audit import SYSTEM

    with app.app_context():
        return recovery.generate(db.session.get(User, uid), SYSTEM)


@pytest.fixture
def stale(app, fake_vonage, uid, clock, auth):
    """A browser signed in longer ago than REAUTH_MAX_AGE_SECONDS (and another signed-in browser)."""
    browser = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=browser)
    clock.shift(31)
    browser.other = client_with_agent(app, FIREFOX_WINDOWS)
    auth.sign_in_fully(phone=PHONE, client=browser.other)
    clock.shift(app.config["REAUTH_MAX_AGE_SECONDS"] + 1)
    fake_vonage.reset()
    return browser


def reauth_codes(app, uid):
    return code_rows(app, uid, "reauth")


# ---------------------------------------------------------------- turning two-factor off


def test_disable_after_the_window_needs_the_password_and_a_texted_code(app, fake_vonage, uid, stale):
    asked = stale.post(DISABLE, data={"password": PASSWORD})
    assert asked.status_code == 200 and "<html" in text(asked) and CONFIRM in text(asked)
    assert "To turn off two-factor authentication, we need a second factor as well as your password." in text(asked)
    assert "We texted a 6-digit code to <strong>+1 ••• ••• 0123</strong>" in text(asked)
    assert 'autofocus="autofocus"' in text(asked) and "Recovery code" in text(asked)
    (row,) = reauth_codes(app, uid)
    code = fake_vonage.last_code(PHONE)
    assert row.phone_e164 == PHONE and code not in row.digest and len(row.digest) == 64
    assert user(app, uid).phone_e164 == PHONE and signed_in(stale.other)
    # Reloading the screen keeps the step; a wrong code is counted and changes nothing.
    assert CONFIRM in text(stale.get(TWO_FACTOR))
    wrong = stale.post(REAUTH, data={"code": wrong_code(code)})
    assert wrong.status_code == 422 and "That code isn't right. 4 tries left." in text(wrong)
    assert user(app, uid).phone_e164 == PHONE and user(app, uid).consecutive_code_failures == 1
    done = stale.post(REAUTH, data={"code": code})
    assert done.status_code == 303 and done.headers["Location"] == TWO_FACTOR
    assert any(h.startswith("trusted_device=;") for h in done.headers.getlist("Set-Cookie"))
    page = text(stale.get(TWO_FACTOR))
    assert "Two-factor authentication is off." in page and 'class="badge off">Off' in page
    assert user(app, uid).phone_e164 is None
    assert [e.type for e in event_rows(app, uid, "reauthenticated")] == ["reauthenticated"]
    # This session goes on; every other session of the account ended.
    assert signed_in(stale) and not signed_in(stale.other)
    assert fake_vonage.messages[-1]["text"].startswith("Two-factor authentication was turned off")


def test_disable_with_htmx_swaps_partials_then_redirects(app, fake_vonage, uid, stale):
    missing = stale.post(DISABLE, headers=htmx())
    assert missing.status_code == 422 and is_partial(missing) and "enter your password" in text(missing)
    assert fake_vonage.messages == []   # a stolen session alone makes the app text nothing
    asked = stale.post(DISABLE, data={"password": PASSWORD}, headers=htmx())
    assert asked.status_code == 200 and is_partial(asked) and CONFIRM in text(asked)
    assert text(asked).lstrip().startswith('<div id="twofactor"')
    done = stale.post(REAUTH, data={"method": "sms", "code": fake_vonage.last_code(PHONE)}, headers=htmx())
    assert done.status_code == 200 and done.headers["HX-Redirect"] == TWO_FACTOR
    assert user(app, uid).phone_e164 is None and not signed_in(stale.other)


def test_disable_with_a_recovery_code_instead_of_the_phone(app, fake_vonage, uid, stale, recovery_codes):
    fake_vonage.failure = "http500"   # the phone is lost, or texts don't arrive
    asked = stale.post(DISABLE, data={"password": PASSWORD})
    assert asked.status_code == 503 and "We couldn't text a code to" in text(asked) and CONFIRM in text(asked)
    fake_vonage.failure = None
    bad = stale.post(REAUTH, data={"method": "recovery", "recovery_code": "2345-6789-abcd"})
    assert bad.status_code == 422 and "That recovery code isn't right. 4 tries left." in text(bad)
    done = stale.post(REAUTH, data={"method": "recovery", "recovery_code": recovery_codes[4].upper()})
    assert done.status_code == 303 and user(app, uid).phone_e164 is None
    assert [e for e in event_rows(app, uid, "recovery_code_used") if '"reauth"' in e.details]
    assert any(USED_TO_CONFIRM in m["text"] for m in fake_vonage.sent_to(PHONE))


def test_five_wrong_recovery_codes_end_the_re_authentication(app, fake_vonage, uid, stale, recovery_codes):
    stale.post(DISABLE, data={"password": PASSWORD})
    for _ in range(4):
        assert stale.post(REAUTH, data={"method": "recovery", "recovery_code": "2345-6789-abcd"}).status_code == 422
    over = stale.post(REAUTH, data={"method": "recovery", "recovery_code": "2345-6789-abcd"}, headers=htmx())
    assert over.status_code == 422 and "Enter your password to start over." in text(over)
    assert "Are you sure" in text(over) and 'name="password"' in text(over)
    # The texted code of that attempt is dead with it; the password is needed again.
    again = stale.post(REAUTH, data={"code": fake_vonage.last_code(PHONE)})
    assert again.status_code == 422 and "expired" in text(again)
    assert user(app, uid).phone_e164 == PHONE and signed_in(stale.other)


# ---------------------------------------------------------------- the code's rules


def test_the_re_authentication_code_dies_after_five_wrong_tries(app, fake_vonage, uid, stale, clock):
    stale.post(DISABLE, data={"password": PASSWORD})
    code = fake_vonage.last_code(PHONE)
    for _ in range(5):
        stale.post(REAUTH, data={"code": wrong_code(code)})
    dead = stale.post(REAUTH, data={"code": code})
    assert dead.status_code == 422 and "Too many wrong tries for this code. Use Resend code to get a new one." in text(dead)
    clock.shift(31)
    resent = stale.post(REAUTH + "/resend", headers=htmx())
    assert resent.status_code == 200 and "We sent a new code." in text(resent)
    assert len(live_code_rows(app, uid, "reauth")) == 1
    assert stale.post(REAUTH, data={"code": fake_vonage.last_code(PHONE)}).status_code == 303
    assert user(app, uid).phone_e164 is None


def test_the_re_authentication_code_expires_and_resends_wait_their_turn(app, fake_vonage, uid, stale, clock):
    stale.post(DISABLE, data={"password": PASSWORD})
    too_soon = stale.post(REAUTH + "/resend")
    assert too_soon.status_code == 429 and "Please wait" in text(too_soon) and too_soon.headers["Retry-After"]
    clock.shift(app.config["CODE_TTL_SECONDS"])
    late = stale.post(REAUTH, data={"code": fake_vonage.last_code(PHONE)})
    assert late.status_code == 422 and "That code has expired. Use Resend code to get a new one." in text(late)
    assert user(app, uid).phone_e164 == PHONE


def test_a_password_sent_twice_keeps_the_code_already_texted(app, fake_vonage, uid, stale):
    stale.post(DISABLE, data={"password": PASSWORD})
    code = fake_vonage.last_code(PHONE)
    twice = stale.post(DISABLE, data={"password": PASSWORD})
    assert twice.status_code == 429 and "Please wait" in text(twice) and CONFIRM in text(twice)
    assert len(reauth_codes(app, uid)) == 1
    assert stale.post(REAUTH, data={"code": code}).status_code == 303
    assert user(app, uid).phone_e164 is None


def test_the_confirmation_expires_with_its_pending_time(app, fake_vonage, uid, stale, clock):
    stale.post(DISABLE, data={"password": PASSWORD})
    clock.shift(app.config["PENDING_SIGNIN_TTL_SECONDS"] + 1)
    late = stale.post(REAUTH, data={"code": fake_vonage.last_code(PHONE)})
    assert late.status_code == 422 and "This confirmation has expired. Enter your password to start again." in text(late)
    assert user(app, uid).phone_e164 == PHONE


def test_a_code_is_single_use_and_bound_to_its_purpose(app, fake_vonage, uid, stale, clock, monkeypatch, auth):
    from app.security import codes

    drawn = iter([111111, 222222])
    monkeypatch.setattr(codes.secrets, "randbelow", lambda _: next(drawn))
    stale.post(DISABLE, data={"password": PASSWORD})
    # A sign-in code texted to the same number can't stand in for the re-authentication code.
    clock.shift(31)
    auth.sign_in(client=client_with_agent(app))
    assert fake_vonage.last_code(PHONE) == "222222"
    assert stale.post(REAUTH, data={"code": "222222"}).status_code == 422
    assert stale.post(REAUTH, data={"code": "111111"}).status_code == 303
    (row,) = reauth_codes(app, uid)
    assert row.consumed_at is not None and "111111" not in row.digest
    # Used once: it can't confirm anything again.
    assert stale.post(REAUTH, data={"code": "111111"}).status_code == 422


def test_cancel_changes_nothing_and_kills_the_code(app, fake_vonage, uid, stale):
    stale.post(DISABLE, data={"password": PASSWORD})
    code = fake_vonage.last_code(PHONE)
    back = stale.post(REAUTH + "/cancel", headers=htmx())
    assert back.status_code == 200 and CONFIRM not in text(back) and "Disable Two-Factor Authentication" in text(back)
    (row,) = reauth_codes(app, uid)
    assert row.revoked_at is not None
    assert stale.post(REAUTH, data={"code": code}).status_code == 422
    assert user(app, uid).phone_e164 == PHONE


# ---------------------------------------------------------------- changing the number


def test_change_number_after_the_window_keeps_the_typed_number(app, fake_vonage, uid, stale):
    bad = stale.post(NUMBER, data={"country": "US", "phone": "020 7946 0018", "password": PASSWORD})
    assert bad.status_code == 422 and fake_vonage.messages == []   # a typo is caught before any text
    asked = stale.post(NUMBER, data={"country": "US", "phone": OTHER_NATIONAL, "password": PASSWORD}, headers=htmx())
    assert asked.status_code == 200 and "To change your phone number" in text(asked)
    assert [m["to"] for m in fake_vonage.messages] == [PHONE.lstrip("+")]
    done = stale.post(REAUTH, data={"code": fake_vonage.last_code(PHONE)})
    assert done.status_code == 303 and done.headers["Location"] == TWO_FACTOR
    page = text(stale.get(TWO_FACTOR))
    assert "Confirm your new number" in page and "+1 ••• ••• 0188" in page
    assert user(app, uid).phone_e164 == PHONE and signed_in(stale.other)
    verified = stale.post(VERIFY, data={"code": fake_vonage.last_code(OTHER_PHONE)}, follow_redirects=True)
    assert verified.status_code == 200 and "Your number was changed." in text(verified)
    assert user(app, uid).phone_e164 == OTHER_PHONE
    assert signed_in(stale) and not signed_in(stale.other)


def test_a_failed_send_to_the_new_number_after_re_authentication_keeps_the_form(app, fake_vonage, uid, stale):
    stale.post(NUMBER, data={"country": "US", "phone": OTHER_NATIONAL, "password": PASSWORD})
    code = fake_vonage.last_code(PHONE)
    fake_vonage.failure = "http500"
    failed = stale.post(REAUTH, data={"code": code})
    assert failed.status_code == 503 and f'value="{OTHER_NATIONAL}"' in text(failed)
    # Re-authenticated now: the retry needs neither the password nor another code to the old number.
    fake_vonage.failure = None
    retry = stale.post(NUMBER, data={"country": "US", "phone": OTHER_NATIONAL})
    assert retry.status_code == 303 and fake_vonage.sent_to(OTHER_PHONE)


# ---------------------------------------------------------------- recovery codes


def test_new_recovery_codes_after_the_window_need_a_second_factor(app, fake_vonage, uid, stale, recovery_codes, auth):
    asked = stale.post(RECOVERY_CODES, data={"password": PASSWORD}, headers=htmx())
    assert asked.status_code == 200 and "To make new recovery codes" in text(asked)
    shown = stale.post(REAUTH, data={"method": "recovery", "recovery_code": recovery_codes[0]}, headers=htmx())
    assert shown.status_code == 200 and "Your new recovery codes are ready." in text(shown)
    # The old set is gone (including the code just used), and other sessions stay: no authenticator removed.
    again = client_with_agent(app)
    auth.sign_in(client=again)
    assert again.post("/signin/recovery", data={"code": recovery_codes[1]}).status_code == 422
    assert signed_in(stale.other)


# ---------------------------------------------------------------- within the window


def test_within_the_window_disable_still_ends_other_sessions(app, fake_vonage, uid, clock, auth):
    this = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=this)
    clock.shift(31)
    other = client_with_agent(app, FIREFOX_WINDOWS)
    auth.sign_in_fully(phone=PHONE, client=other)
    fake_vonage.reset()
    response = this.post(DISABLE, headers=htmx())
    assert response.status_code == 200 and "Two-factor authentication is off." in text(response)
    assert reauth_codes(app, uid) == [] and len(fake_vonage.messages) == 1   # only the notice
    assert signed_in(this) and not signed_in(other)
    assert trust_token(this, app) is None and device_rows(app, uid) == []
