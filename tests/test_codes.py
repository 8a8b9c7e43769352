"""SMS codes: shape, storage, lifetime, single use, tries, resend, hourly caps, purpose, text."""

import hashlib

import pytest
from sqlalchemy import text as sql

from tests.support import OTHER_PHONE, PHONE, PHONE_NATIONAL, htmx, stored_sessions
from tests.twofactor_helpers import (NUMBER, RESEND, SIGNIN_RESEND, SIGNIN_VERIFY, VERIFY, client_with_agent, code_rows,
                                     event_rows, is_partial, live_code_rows, redirects_to, signed_in, text, user,
                                     wrong_code)

SETUP_CODE = "setup"


@pytest.fixture
def setup_client(signed_in_client):
    """A signed-in browser on an account with two-factor off (ready to set it up): the suite's signed_in_client."""
    return signed_in_client


def verify(setup_client, code: str, *, as_htmx: bool = True):
    """Post a code to the setup/number-change Verification code form."""
    return setup_client.post(VERIFY, data={"code": code}, headers=htmx() if as_htmx else {})


def resend(setup_client, *, as_htmx: bool = True):
    """Press Resend code on the Two-Factor Authentication screen."""
    return setup_client.post(RESEND, headers=htmx() if as_htmx else {})


def service_call(app, fn, *args, **kwargs):
    """Run a security service inside the app; return its result or the SecurityError it raised."""
    from app.security import SecurityError

    with app.app_context():
        try:
            return fn(*args, **kwargs)
        except SecurityError as exc:
            return exc


def committed(result):
    """Commit what a service did, as the views around it do; return its result."""
    from app.extensions import db

    db.session.commit()
    db.session.refresh(result)
    db.session.expunge(result)
    return result


def load_user(uid):
    from app.extensions import db
    from app.models import User

    return db.session.get(User, uid)


# ---------------------------------------------------------------- shape and storage


def test_codes_are_six_digits_from_secrets_with_leading_zeros_kept(app, fake_vonage, setup_client, monkeypatch,
                                                                   twofactor):
    from app.security import codes

    asked = []
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: asked.append(n) or 42)
    twofactor.send_setup_code(client=setup_client)
    assert asked == [10**6]
    assert fake_vonage.last_code(PHONE) == "000042"
    assert verify(setup_client, "000042").status_code == 200
    assert user(app, setup_client.user_id).phone_e164 == PHONE


def test_texted_codes_look_random(app, fake_vonage, clock, auth, twofactor):
    # Five accounts, five codes: all six digits, and not all the same.
    seen = []
    for n in range(5):
        auth.make_user(f"p{n}@example.com")
        signed = client_with_agent(app)
        auth.sign_in_fully(f"p{n}@example.com", client=signed)
        twofactor.send_setup_code(f"201-555-01{n:02d}", client=signed)
        seen.append(fake_vonage.last_code())
    assert all(len(c) == 6 and c.isdigit() for c in seen)
    assert len(set(seen)) > 1


def test_code_is_stored_only_as_a_keyed_digest(app, fake_vonage, setup_client, twofactor):
    twofactor.send_setup_code(client=setup_client)
    plain = fake_vonage.last_code(PHONE)
    from app.extensions import db

    with app.app_context():
        rows = db.session.execute(sql("SELECT * FROM verification_codes")).mappings().all()
    assert len(rows) == 1
    row = rows[0]
    assert all(plain not in str(value) for value in row.values())
    assert len(row["digest"]) == 64 and int(row["digest"], 16) >= 0
    assert row["digest"] != hashlib.sha256(plain.encode()).hexdigest()
    # Nor is it in the session record or the page.
    records = stored_sessions(app)
    assert records, "the session store should hold this browser's session"
    assert all(plain.encode() not in record for record in records)
    assert plain not in text(setup_client.get("/account/two-factor"))


# ---------------------------------------------------------------- lifetime


@pytest.mark.parametrize(("seconds", "accepted"), [(599, True), (600, False)])
def test_code_lives_ten_minutes(app, fake_vonage, setup_client, clock, seconds, accepted, twofactor):
    twofactor.send_setup_code(client=setup_client)
    clock.shift(seconds)
    response = verify(setup_client, fake_vonage.last_code(PHONE))
    if accepted:
        assert response.status_code == 200 and user(app, setup_client.user_id).phone_e164 == PHONE
    else:
        assert response.status_code == 422 and "That code has expired. Use Resend code to get a new one." in text(response)
        assert user(app, setup_client.user_id).phone_e164 is None


def test_sign_in_code_expires_at_ten_minutes_too(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    pending = twofactor.begin_sign_in()
    clock.shift(600)
    response = twofactor.answer_code(fake_vonage.last_code(PHONE), client=pending)
    assert response.status_code == 422 and "That code has expired. Use Resend code to get a new one." in text(response)
    assert not signed_in(pending)


@pytest.mark.settings(CODE_TTL_SECONDS=300)
def test_code_lifetime_is_configurable(app, fake_vonage, setup_client, clock, twofactor):
    page = text(twofactor.send_setup_code(client=setup_client))
    assert "It expires in 5 minutes." in page
    assert "It expires in 5 minutes. Don't share it." in fake_vonage.messages[-1]["text"]
    clock.shift(300)
    assert "That code has expired." in text(verify(setup_client, fake_vonage.last_code(PHONE)))


# ---------------------------------------------------------------- single use


def test_a_code_works_once(app, fake_vonage, auth):
    from app.security import codes
    from app.security.audit import SYSTEM

    uid = auth.make_user(phone=PHONE)
    with app.app_context():
        code_id = codes.send_code(load_user(uid), codes.SIGN_IN, PHONE, SYSTEM, "localhost").id
    plain = fake_vonage.last_code(PHONE)
    first = service_call(app, lambda: committed(codes.verify_code(load_user(uid), code_id, codes.SIGN_IN, plain,
                                                                  SYSTEM)))
    assert first.consumed_at is not None
    again = service_call(app, lambda: codes.verify_code(load_user(uid), code_id, codes.SIGN_IN, plain, SYSTEM))
    assert again.message == "That code has already been used or replaced. Use Resend code to get a new one."


def test_two_browsers_signing_in_at_once_each_get_their_own_code(app, fake_vonage, auth, twofactor):
    """Each pending sign-in is a flow with its own code, texted at once; a code works only where it was asked for."""
    auth.make_user(phone=PHONE)
    first = twofactor.begin_sign_in()
    first_code = fake_vonage.last_code(PHONE)
    second = twofactor.begin_sign_in()
    assert len(fake_vonage.messages) == 2
    second_code = fake_vonage.last_code(PHONE)
    if first_code != second_code:
        refused = twofactor.answer_code(first_code, client=second)
        assert refused.status_code == 422 and "That code isn't right." in text(refused)
    # The newest code works, and the first browser's still-live code keeps working for it.
    assert twofactor.answer_code(second_code, client=second).status_code == 303
    assert twofactor.answer_code(first_code, client=first).status_code == 303
    assert signed_in(first) and signed_in(second)


def test_a_used_setup_code_cannot_be_replayed(app, fake_vonage, setup_client, twofactor):
    twofactor.send_setup_code(client=setup_client)
    code = fake_vonage.last_code(PHONE)
    assert verify(setup_client, code).status_code == 200
    replay = verify(setup_client, code)
    assert replay.status_code == 422 and "Two-factor authentication is already on." not in text(replay)
    assert len(event_rows(app, setup_client.user_id, "2fa_enabled")) == 1


# ---------------------------------------------------------------- five tries


def test_four_wrong_tries_still_leave_the_right_code_working(app, fake_vonage, setup_client, twofactor):
    twofactor.send_setup_code(client=setup_client)
    right = fake_vonage.last_code(PHONE)
    left = []
    for _ in range(4):
        response = verify(setup_client, wrong_code(right))
        assert response.status_code == 422 and is_partial(response)
        left.append(text(response).split("That code isn't right. ")[1].split(" left.")[0])
    assert left == ["4 tries", "3 tries", "2 tries", "1 try"]
    assert verify(setup_client, right).status_code == 200
    assert user(app, setup_client.user_id).phone_e164 == PHONE


def test_the_fifth_wrong_try_kills_the_code(app, fake_vonage, setup_client, clock, twofactor):
    twofactor.send_setup_code(client=setup_client)
    right = fake_vonage.last_code(PHONE)
    for _ in range(4):
        verify(setup_client, wrong_code(right))
    fifth = verify(setup_client, wrong_code(right))
    assert fifth.status_code == 422 and "Too many wrong tries for this code. Use Resend code to get a new one." in text(fifth)
    after = verify(setup_client, right)
    assert after.status_code == 422 and "Too many wrong tries for this code." in text(after)
    assert user(app, setup_client.user_id).phone_e164 is None
    (row,) = code_rows(app, setup_client.user_id)
    assert row.attempts == 5 and row.consumed_at is None
    assert len(event_rows(app, setup_client.user_id, "code_failed")) == 5
    assert len(event_rows(app, setup_client.user_id, "code_locked")) == 1
    # A new code gets a new set of tries.
    clock.shift(30)
    resend(setup_client)
    assert verify(setup_client, fake_vonage.last_code(PHONE)).status_code == 200


def test_the_fifth_wrong_try_kills_a_sign_in_code(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    pending = twofactor.begin_sign_in()
    right = fake_vonage.last_code(PHONE)
    for _ in range(5):
        twofactor.answer_code(wrong_code(right), client=pending)
    assert "Too many wrong tries" in text(twofactor.answer_code(right, client=pending))
    assert not signed_in(pending)
    clock.shift(30)
    pending.post(SIGNIN_RESEND)
    assert twofactor.answer_code(fake_vonage.last_code(PHONE), client=pending).status_code == 303


@pytest.mark.settings(CODE_MAX_ATTEMPTS=2)
def test_tries_per_code_are_configurable(app, fake_vonage, setup_client, twofactor):
    twofactor.send_setup_code(client=setup_client)
    right = fake_vonage.last_code(PHONE)
    assert "1 try left" in text(verify(setup_client, wrong_code(right)))
    assert "Too many wrong tries" in text(verify(setup_client, wrong_code(right)))
    assert "Too many wrong tries" in text(verify(setup_client, right))


@pytest.mark.parametrize("raw", ["12345", "1234567", "abcdef", "١٢٣٤٥٦", "１２３４５６", "12.345", ""])
def test_input_that_is_not_six_digits_is_refused_without_using_a_try(app, fake_vonage, setup_client, raw, twofactor):
    twofactor.send_setup_code(client=setup_client)
    response = verify(setup_client, raw)
    assert response.status_code == 422 and "Enter the 6-digit code from the text message." in text(response)
    (row,) = code_rows(app, setup_client.user_id)
    assert row.attempts == 0
    assert user(app, setup_client.user_id).consecutive_code_failures == 0


@pytest.mark.parametrize("shape", ["{a} {b}", "{a}-{b}", "  {a}{b}  ", "{a}\u00a0{b}", "{c1} {c2} {c3}"])
def test_spaces_and_dashes_in_the_code_are_fine(app, fake_vonage, setup_client, shape, twofactor):
    twofactor.send_setup_code(client=setup_client)
    code = fake_vonage.last_code(PHONE)
    typed = shape.format(a=code[:3], b=code[3:], c1=code[:2], c2=code[2:4], c3=code[4:])
    assert verify(setup_client, typed).status_code == 200
    assert user(app, setup_client.user_id).phone_e164 == PHONE


def test_spaces_and_dashes_work_at_sign_in(app, fake_vonage, auth, twofactor):
    auth.make_user(phone=PHONE)
    pending = twofactor.begin_sign_in()
    code = fake_vonage.last_code(PHONE)
    assert twofactor.answer_code(f"{code[:3]}-{code[3:]}", client=pending).status_code == 303


# ---------------------------------------------------------------- resend


def test_resend_makes_a_new_code_and_kills_the_old(app, fake_vonage, setup_client, clock, twofactor):
    from app.security import codes
    from app.security.audit import SYSTEM

    twofactor.send_setup_code(client=setup_client)
    old = fake_vonage.last_code(PHONE)
    (old_row,) = code_rows(app, setup_client.user_id)
    clock.shift(30)
    response = resend(setup_client)
    assert response.status_code == 200 and is_partial(response)
    assert "We sent a new code. Earlier codes no longer work." in text(response)
    new = fake_vonage.last_code(PHONE)
    assert len(fake_vonage.messages) == 2
    old_row, new_row = code_rows(app, setup_client.user_id)
    assert old_row.revoked_at is not None and new_row.revoked_at is None
    refused = service_call(app, lambda: codes.verify_code(load_user(setup_client.user_id), old_row.id, codes.SETUP,
                                                          old, SYSTEM))
    assert refused.message == "That code has already been used or replaced. Use Resend code to get a new one."
    if old != new:
        assert verify(setup_client, old).status_code == 422
    assert verify(setup_client, new).status_code == 200


@pytest.mark.parametrize(("wait", "allowed"), [(29, False), (30, True)])
def test_resend_cooldown_is_thirty_seconds(app, fake_vonage, setup_client, clock, wait, allowed, twofactor):
    sent = twofactor.send_setup_code(client=setup_client)
    assert 'data-cooldown="30"' in text(sent) and "You can ask for a new code in" in text(sent)
    clock.shift(wait)
    response = resend(setup_client)
    if allowed:
        assert response.status_code == 200 and len(fake_vonage.requests) == 2
        return
    assert response.status_code == 429 and is_partial(response)
    assert response.headers["Retry-After"] == "1"
    assert "Please wait 1 second before asking for another code." in text(response)
    assert len(fake_vonage.requests) == 1


def test_resend_button_shows_the_time_left(app, fake_vonage, setup_client, clock, twofactor):
    twofactor.send_setup_code(client=setup_client)
    clock.shift(10)
    page = text(setup_client.get("/account/two-factor"))
    assert 'data-cooldown="20"' in page and '<span data-countdown="20">20</span>' in page


def test_sign_in_resend_cooldown(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    pending = twofactor.begin_sign_in()
    clock.shift(29)
    early = pending.post(SIGNIN_RESEND, headers=htmx())
    assert early.status_code == 429 and "Please wait 1 second" in text(early)
    assert len(fake_vonage.requests) == 1
    # The code already texted still works.
    assert twofactor.answer_code(fake_vonage.last_code(PHONE), client=pending).status_code == 303


@pytest.mark.settings(CODE_RESEND_COOLDOWN_SECONDS=60)
def test_resend_cooldown_is_configurable(app, fake_vonage, setup_client, clock, twofactor):
    twofactor.send_setup_code(client=setup_client)
    clock.shift(59)
    assert resend(setup_client).status_code == 429
    clock.shift(1)
    assert resend(setup_client).status_code == 200


# ---------------------------------------------------------------- hourly caps


@pytest.mark.settings(SMS_MAX_PER_USER_PER_HOUR=5, SMS_MAX_PER_NUMBER_PER_HOUR=5)
def test_at_most_five_codes_per_user_per_hour(app, fake_vonage, setup_client, clock, twofactor):
    twofactor.send_setup_code(client=setup_client)
    for _ in range(4):
        clock.shift(30)
        assert resend(setup_client).status_code == 200
    assert len(fake_vonage.requests) == 5
    clock.shift(30)
    capped = resend(setup_client)
    assert capped.status_code == 429 and is_partial(capped)
    assert "Too many codes were sent. Try again in 58 minutes." in text(capped)
    assert capped.headers["Retry-After"] == str(3600 - 150 + 1)
    plain = resend(setup_client, as_htmx=False)
    assert plain.status_code == 429 and "<html" in text(plain) and "Too many codes were sent." in text(plain)
    assert len(fake_vonage.requests) == 5
    # The code texted last still works meanwhile.
    last = fake_vonage.last_code(PHONE)
    for _ in range(2):
        clock.shift(1200)  # a page view now and then keeps the session from idling out
        assert setup_client.get("/account/two-factor").status_code == 200
    clock.shift(3599 - 150 - 2400)
    assert resend(setup_client).status_code == 429
    assert len(fake_vonage.requests) == 5
    clock.shift(1)
    assert resend(setup_client).status_code == 200
    assert len(fake_vonage.requests) == 6
    assert fake_vonage.last_code(PHONE) != last or len(fake_vonage.messages) == 6


@pytest.mark.settings(SMS_MAX_PER_USER_PER_HOUR=5, SMS_MAX_PER_NUMBER_PER_HOUR=5)
def test_the_user_cap_spans_every_flow(app, fake_vonage, clock, auth):
    uid = auth.make_user(phone=PHONE)
    signed = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=signed)
    for _ in range(4):
        clock.shift(30)
        assert signed.post(NUMBER, data={"country": "US", "phone": OTHER_PHONE}).status_code == 303
    assert len(fake_vonage.requests) == 5
    # A sign-in elsewhere now gets no text, a clear message, and no way around the cap.
    pending = client_with_agent(app)
    response = auth.sign_in(client=pending)
    assert redirects_to(response, SIGNIN_VERIFY)
    page = text(pending.get(SIGNIN_VERIFY))
    assert "Too many codes were sent. Try again in" in page
    assert len(fake_vonage.requests) == 5
    assert live_code_rows(app, uid, "signin") == []


@pytest.mark.settings(SMS_MAX_PER_USER_PER_HOUR=5, SMS_MAX_PER_NUMBER_PER_HOUR=5)
def test_at_most_five_codes_per_number_per_hour(app, fake_vonage, auth, twofactor):
    browsers = []
    for n in range(6):
        auth.make_user(f"p{n}@example.com")
        signed = client_with_agent(app)
        auth.sign_in_fully(f"p{n}@example.com", client=signed)
        browsers.append(signed)
    for signed in browsers[:5]:
        assert twofactor.send_setup_code(as_htmx=True, client=signed).status_code == 200
    capped = twofactor.send_setup_code(as_htmx=True, client=browsers[5])
    assert capped.status_code == 429 and "Too many codes were sent. Try again in 60 minutes." in text(capped)
    assert len(fake_vonage.requests) == 5
    # Another number is not capped.
    assert twofactor.send_setup_code("201-555-0199", as_htmx=True, client=browsers[5]).status_code == 200


@pytest.mark.settings(SMS_MAX_PER_USER_PER_HOUR=2)
def test_hourly_cap_is_configurable(app, fake_vonage, setup_client, clock, twofactor):
    twofactor.send_setup_code(client=setup_client)
    clock.shift(30)
    assert resend(setup_client).status_code == 200
    clock.shift(30)
    assert resend(setup_client).status_code == 429
    assert len(fake_vonage.requests) == 2


# ---------------------------------------------------------------- failures across resends


def test_failures_do_not_reset_on_resend(app, fake_vonage, setup_client, clock, twofactor):
    twofactor.send_setup_code(client=setup_client)
    for _ in range(3):
        verify(setup_client, wrong_code(fake_vonage.last_code(PHONE)))
    assert user(app, setup_client.user_id).consecutive_code_failures == 3
    clock.shift(30)
    resend(setup_client)
    assert user(app, setup_client.user_id).consecutive_code_failures == 3
    verify(setup_client, wrong_code(fake_vonage.last_code(PHONE)))
    assert user(app, setup_client.user_id).consecutive_code_failures == 4
    assert verify(setup_client, fake_vonage.last_code(PHONE)).status_code == 200
    assert user(app, setup_client.user_id).consecutive_code_failures == 0


@pytest.mark.settings(CODE_FAILURE_CAP=6)
def test_account_wide_failure_cap_holds_across_resends(app, fake_vonage, setup_client, clock, twofactor):
    twofactor.send_setup_code(client=setup_client)
    for _ in range(5):
        verify(setup_client, wrong_code(fake_vonage.last_code(PHONE)))
    clock.shift(30)
    resend(setup_client)
    verify(setup_client, wrong_code(fake_vonage.last_code(PHONE)))
    refused = verify(setup_client, fake_vonage.last_code(PHONE))
    assert refused.status_code == 422
    assert "Too many wrong codes on this account. Contact support to get back in." in text(refused)
    assert user(app, setup_client.user_id).phone_e164 is None


# ---------------------------------------------------------------- purpose


def test_a_code_only_works_for_its_own_purpose(app, fake_vonage, auth):
    from app.security import codes
    from app.security.audit import SYSTEM

    uid = auth.make_user(phone=PHONE)
    issued = {}
    for purpose, phone in ((codes.SETUP, OTHER_PHONE), (codes.SIGN_IN, PHONE), (codes.NUMBER_CHANGE, OTHER_PHONE)):
        with app.app_context():
            code_id = codes.send_code(load_user(uid), purpose, phone, SYSTEM, "localhost").id
        issued[purpose] = (code_id, fake_vonage.last_code(phone))
    for purpose, (code_id, plain) in issued.items():
        for other in codes.PURPOSES:
            if other == purpose:
                continue
            refused = service_call(app, lambda: codes.verify_code(load_user(uid), code_id, other, plain, SYSTEM))
            assert refused.message == "That code isn't valid any more. Use Resend code to get a new one.", (purpose, other)
    for purpose, (code_id, plain) in issued.items():
        used = service_call(app, lambda: committed(codes.verify_code(load_user(uid), code_id, purpose, plain, SYSTEM)))
        assert used.consumed_at is not None, purpose


def test_a_number_change_code_does_not_work_at_sign_in(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    signed = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=signed)
    clock.shift(30)
    pending = twofactor.begin_sign_in()
    signed.post(NUMBER, data={"country": "US", "phone": PHONE_NATIONAL.replace("0123", "0188")})
    change_code = fake_vonage.last_code(OTHER_PHONE)
    sign_in_code = fake_vonage.last_code(PHONE)
    if change_code != sign_in_code:
        refused = twofactor.answer_code(change_code, client=pending)
        assert refused.status_code == 422 and "That code isn't right." in text(refused)
        assert not signed_in(pending)
    assert twofactor.answer_code(sign_in_code, client=pending).status_code == 303
    # And the sign-in code does not confirm the new number.
    if change_code != sign_in_code:
        assert signed.post(VERIFY, data={"code": sign_in_code}).status_code == 422
    assert user(app, uid).phone_e164 == PHONE


def test_a_code_is_bound_to_its_user(app, fake_vonage, auth):
    from app.security import codes
    from app.security.audit import SYSTEM

    a = auth.make_user(phone=PHONE)
    b = auth.make_user("second@example.com", phone=OTHER_PHONE)
    with app.app_context():
        code_id = codes.send_code(load_user(a), codes.SIGN_IN, PHONE, SYSTEM, "localhost").id
    plain = fake_vonage.last_code(PHONE)
    refused = service_call(app, lambda: codes.verify_code(load_user(b), code_id, codes.SIGN_IN, plain, SYSTEM))
    assert refused.message == "That code isn't valid any more. Use Resend code to get a new one."


# ---------------------------------------------------------------- the text message


def test_sms_text_is_exactly_as_specified(app, fake_vonage, setup_client, twofactor):
    twofactor.send_setup_code(client=setup_client)
    (message,) = fake_vonage.messages
    code = fake_vonage.last_code(PHONE)
    assert message["text"] == (
        f"Your Health Records verification code is {code}. It expires in 10 minutes. Don't share it."
        f"\n\n@localhost #{code}"
    )
    assert message["to"] == "12015550123" and message["from"] == "HealthRec"


@pytest.mark.settings(APP_NAME="Clinic Portal", VONAGE_SMS_FROM="Clinic", PUBLIC_URL="https://records.example.org:8443")
def test_sms_names_the_app_and_the_host_without_its_port(app, fake_vonage, auth):
    auth.make_user(phone=PHONE)
    pending = client_with_agent(app)
    pending.post("/signin", data={"email": "patient@example.com", "password": "Blue-Kettle-Orbit-42"})
    (message,) = fake_vonage.messages
    code = fake_vonage.last_code(PHONE)
    assert message["text"].startswith(f"Your Clinic Portal verification code is {code}.")
    assert message["text"].endswith(f"\n\n@records.example.org #{code}")
    assert message["from"] == "Clinic"


def test_cancelled_flow_code_is_revoked(client, app, fake_vonage, auth):
    """Use a different number: the abandoned setup code can no longer turn 2FA on."""
    from tests.support import PHONE, PHONE_NATIONAL

    auth.make_user()
    auth.sign_in_fully()
    client.post("/account/two-factor/setup", data={"country": "US", "phone": PHONE_NATIONAL})
    code = fake_vonage.last_code(PHONE)
    client.post("/account/two-factor/cancel")
    from app.models import VerificationCode

    with app.app_context():
        row = VerificationCode.query.filter_by(phone_e164=PHONE).one()
        assert row.revoked_at is not None
    response = client.post("/account/two-factor/verify", data={"code": code})
    assert "Two-factor authentication is on" not in response.get_data(as_text=True)
    with app.app_context():
        from app.models import User

        assert User.query.one().phone_e164 is None
