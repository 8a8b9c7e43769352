"""Issue 10 items 1-3 over HTTP: a resend cooldown per flow, the right country, caps a person never meets."""

import re

import pytest

from tests.support import OTHER_PHONE, PHONE, PHONE_NATIONAL
from tests.twofactor_helpers import (DISABLE, NUMBER, RESEND, SIGNIN_RESEND, SIGNIN_VERIFY, TWO_FACTOR, VERIFY,
                                     client_with_agent, code_rows, codes_in, event_rows, htmx, redirects_to, signed_in,
                                     text, wrong_code)

GB_PHONE = "+447400123456"
GB_NATIONAL = "07400 123456"

RECOVERY_CODE = re.compile(r"\b[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}\b")


def selected_country(response) -> str | None:
    """The country the phone form preselects."""
    found = re.search(r'<option value="([A-Z]{2})" selected>', response.get_data(as_text=True))
    return found.group(1) if found else None


def countdown(response) -> int | None:
    """The seconds the Resend code button waits, as the page tells app.js."""
    found = re.search(r'data-cooldown="(\d+)"', response.get_data(as_text=True))
    return int(found.group(1)) if found else None


# ---------------------------------------------------------------- item 1: flows


def test_a_new_sign_in_right_after_a_finished_one_gets_its_code_at_once(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    browser = twofactor.begin_sign_in()
    assert twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser).status_code == 303
    browser.post("/signout")
    clock.shift(5)
    assert redirects_to(auth.sign_in(client=browser), SIGNIN_VERIFY)
    assert len(codes_in(fake_vonage)) == 2
    page = text(browser.get(SIGNIN_VERIFY))
    assert "We texted a 6-digit code" in page
    assert "Please wait" not in page and "couldn't text" not in page
    assert twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser).status_code == 303


def test_disable_then_turn_on_at_once_with_a_new_number(app, fake_vonage, clock, auth, twofactor):
    auth.make_user()
    browser = client_with_agent(app)
    auth.sign_in_fully(client=browser)
    twofactor.turn_on(client=browser)
    clock.shift(2)
    assert browser.post(DISABLE).status_code == 303
    clock.shift(2)
    sent = twofactor.send_setup_code("201-555-0188", client=browser)
    assert sent.status_code == 200 and "Please wait" not in text(sent)
    assert browser.post(VERIFY, data={"code": fake_vonage.last_code(OTHER_PHONE)}).status_code == 200


def test_use_a_different_number_starts_a_new_flow_at_once(app, fake_vonage, clock, auth, twofactor):
    auth.make_user()
    browser = client_with_agent(app)
    auth.sign_in_fully(client=browser)
    assert twofactor.send_setup_code(client=browser).status_code == 200
    browser.post(TWO_FACTOR + "/cancel")
    assert twofactor.send_setup_code("201-555-0188", client=browser).status_code == 200
    assert len(fake_vonage.sent_to(OTHER_PHONE)) == 1


def test_the_cooldown_still_holds_resends_within_one_flow_and_message_and_countdown_agree(app, fake_vonage, clock, auth,
                                                                                          twofactor):
    auth.make_user(phone=PHONE)
    browser = twofactor.begin_sign_in()
    clock.shift(10)
    early = browser.post(SIGNIN_RESEND, headers=htmx())
    assert early.status_code == 429 and early.headers["Retry-After"] == "20"
    assert "Please wait 20 seconds before asking for another code." in text(early)
    assert countdown(early) == 20 and '<span data-countdown="20">20</span>' in text(early)
    # The page shown later counts down from the same clock.
    clock.shift(5)
    assert countdown(browser.get(SIGNIN_VERIFY)) == 15
    assert len(codes_in(fake_vonage)) == 1


def test_account_screen_cooldown_message_and_countdown_agree(app, fake_vonage, clock, auth, twofactor):
    auth.make_user()
    browser = client_with_agent(app)
    auth.sign_in_fully(client=browser)
    twofactor.send_setup_code(client=browser)
    clock.shift(12)
    early = browser.post(RESEND, headers=htmx())
    assert early.status_code == 429 and "Please wait 18 seconds" in text(early) and countdown(early) == 18


def test_a_resend_revokes_only_the_codes_of_its_own_flow(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    first = twofactor.begin_sign_in()
    first_code = fake_vonage.last_code(PHONE)
    second = twofactor.begin_sign_in()
    old_second_code = fake_vonage.last_code(PHONE)
    clock.shift(30)
    assert second.post(SIGNIN_RESEND).status_code == 303
    new_second_code = fake_vonage.last_code(PHONE)
    revoked = [row for row in code_rows(app, uid) if row.revoked_at is not None]
    assert len(revoked) == 1  # only the second browser's earlier code
    if old_second_code != new_second_code:
        refused = twofactor.answer_code(old_second_code, client=second)
        assert refused.status_code == 422
    assert twofactor.answer_code(new_second_code, client=second).status_code == 303
    # Another browser's still-live code keeps working in that browser.
    assert twofactor.answer_code(first_code, client=first).status_code == 303
    assert signed_in(first) and signed_in(second)


def test_wrong_code_messages_name_the_resend_button_as_labelled(app, fake_vonage, clock, auth, twofactor):
    auth.make_user(phone=PHONE)
    browser = twofactor.begin_sign_in()
    right = fake_vonage.last_code(PHONE)
    for _ in range(5):
        response = twofactor.answer_code(wrong_code(right), client=browser)
    body = text(response)
    assert "Too many wrong tries for this code. Use Resend code to get a new one." in body
    assert "Resend code</button>" in body
    assert "Send a new code" not in body


# ---------------------------------------------------------------- item 2: the country


@pytest.mark.settings(DEFAULT_COUNTRY="US")
def test_turn_on_preselects_the_default_country_not_the_first_in_the_list(app, fake_vonage, auth, twofactor):
    auth.make_user()
    browser = client_with_agent(app)
    auth.sign_in_fully(client=browser)
    assert selected_country(browser.get(TWO_FACTOR)) == "US"
    refused = twofactor.send_setup_code("12", client=browser)
    assert selected_country(refused) == "US"


def test_yes_disable_preselects_the_country_of_the_number_turned_off(app, fake_vonage, auth):
    auth.make_user(phone=GB_PHONE)
    browser = client_with_agent(app)
    auth.sign_in_fully(phone=GB_PHONE, client=browser)
    assert selected_country(browser.get(DISABLE)) is None  # no phone form on "Are you sure?"
    response = browser.post(DISABLE, follow_redirects=True)
    assert "Two-factor authentication is off." in text(response) and selected_country(response) == "GB"
    # The form shown again later still starts from the default.
    assert selected_country(browser.get(TWO_FACTOR)) == app.config["DEFAULT_COUNTRY"]


def test_change_phone_number_preselects_the_current_numbers_country(app, fake_vonage, auth):
    auth.make_user(phone=GB_PHONE)
    browser = client_with_agent(app)
    auth.sign_in_fully(phone=GB_PHONE, client=browser)
    assert selected_country(browser.get(TWO_FACTOR + "/change-number")) == "GB"
    assert selected_country(browser.get(TWO_FACTOR + "/change-number", headers=htmx())) == "GB"
    refused = browser.post(NUMBER, data={"country": "", "phone": "12"})
    assert refused.status_code == 422 and selected_country(refused) == "GB"


@pytest.mark.parametrize(("country", "typed", "e164"), [
    ("US", "44 7400 123456", GB_PHONE),
    ("GB", "1 201 555 0123", PHONE),
    ("AU", "1-201-555-0123", PHONE),
])
def test_a_number_valid_with_a_leading_plus_is_taken_as_typed(app, fake_vonage, country, typed, e164, auth, twofactor):
    auth.make_user()
    browser = client_with_agent(app)
    auth.sign_in_fully(client=browser)
    assert twofactor.send_setup_code(typed, country, client=browser).status_code == 200
    assert len(fake_vonage.sent_to(e164)) == 1


def test_a_number_invalid_either_way_is_still_refused(app, fake_vonage, auth, twofactor):
    auth.make_user()
    browser = client_with_agent(app)
    auth.sign_in_fully(client=browser)
    refused = twofactor.send_setup_code("312-555-01", "AU", client=browser)
    assert refused.status_code == 422 and "isn't a valid phone number for the country you chose" in text(refused)
    assert fake_vonage.messages == []


# ---------------------------------------------------------------- item 3: caps a person never meets


def test_the_whole_walk_through_twice_in_an_hour_stays_under_the_default_caps(app, fake_vonage, clock, auth, twofactor):
    """Turn on, second browser, sign out completely and back, change number both ways, recovery code, disable."""
    uid = auth.make_user()
    first = client_with_agent(app)
    auth.sign_in_fully(client=first)
    for _ in range(2):
        before = len(fake_vonage.messages)
        twofactor.turn_on(client=first)
        first.post(TWO_FACTOR + "/recovery-codes/saved", data={"saved": "on"})
        second = twofactor.begin_sign_in()
        assert twofactor.answer_code(fake_vonage.last_code(PHONE), trust=True, client=second).status_code == 303
        second.post("/signout/completely")
        assert redirects_to(auth.sign_in(client=second), SIGNIN_VERIFY)
        assert twofactor.answer_code(fake_vonage.last_code(PHONE), client=second).status_code == 303
        # The article's way to change number: turn off, then on at once with the new one.
        assert first.post(DISABLE).status_code == 303
        shown = twofactor.turn_on("201-555-0188", e164=OTHER_PHONE, client=first)
        recovery_codes = RECOVERY_CODE.findall(text(shown))
        first.post(TWO_FACTOR + "/recovery-codes/saved", data={"saved": "on"})
        # And the direct way back.
        assert first.post(NUMBER, data={"country": "US", "phone": PHONE_NATIONAL}).status_code == 303
        assert first.post(VERIFY, data={"code": fake_vonage.last_code(PHONE)}).status_code == 303
        third = twofactor.begin_sign_in()
        assert third.post("/signin/recovery", data={"code": recovery_codes[0]}).status_code == 303
        assert first.post(DISABLE).status_code == 303
        assert len(fake_vonage.messages) - before >= 9
    assert not event_rows(app, uid, "code_refused")
    assert len(fake_vonage.sent_to(PHONE)) < app.config["SMS_MAX_PER_NUMBER_PER_HOUR"]
    assert len(fake_vonage.messages) < app.config["SMS_MAX_PER_USER_PER_HOUR"]


CAP_OF_TWO = {"SMS_MAX_PER_USER_PER_HOUR": 2}


@pytest.mark.settings(**CAP_OF_TWO)
def test_a_sign_in_over_the_cap_says_when_and_points_to_a_recovery_code(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    for _ in range(2):
        browser = twofactor.begin_sign_in()
        assert twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser).status_code == 303
        clock.shift(60)
    late = client_with_agent(app)
    assert redirects_to(auth.sign_in(client=late), SIGNIN_VERIFY)
    page = late.get(SIGNIN_VERIFY)
    body = text(page)
    message = "Too many codes were sent. Try again in 59 minutes, or use a recovery code instead."
    assert body.count(message) == 1
    assert "Use <strong>Resend code</strong> to try again" not in body and "couldn't text" not in body
    assert "Use a recovery code instead</a>" in body
    assert countdown(page) == 3600 - 120 + 1  # the real wait, not the 30 s cooldown
    assert ">59</span>\xa0<span data-countdown-unit>min</span>" in body
    # Pressing Resend code anyway gives the same single message and wait.
    again = late.post(SIGNIN_RESEND, headers=htmx())
    assert again.status_code == 429 and again.headers["Retry-After"] == str(3600 - 120 + 1)
    assert text(again).count(message) == 1 and countdown(again) == 3600 - 120 + 1
    refusals = event_rows(app, uid, "code_refused")
    assert [r.details for r in refusals] == ['{"purpose": "signin", "reason": "user_cap"}'] * 2
    assert all("0123" not in (r.details or "") for r in refusals)


@pytest.mark.settings(SMS_MAX_PER_NUMBER_PER_HOUR=2)
def test_a_resend_over_the_cap_disables_resend_for_the_real_wait(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    browser = twofactor.begin_sign_in()
    clock.shift(30)
    assert browser.post(SIGNIN_RESEND).status_code == 303
    clock.shift(30)
    refused = browser.post(SIGNIN_RESEND, headers=htmx())
    assert refused.status_code == 429 and refused.headers["Retry-After"] == str(3600 - 60 + 1)
    assert "Too many codes were sent. Try again in 60 minutes, or use a recovery code instead." in text(refused)
    assert countdown(refused) == 3600 - 60 + 1
    # The code already texted in this sign-in still works.
    assert "We texted a 6-digit code" in text(refused)
    assert event_rows(app, uid, "code_refused")[-1].details == '{"purpose": "signin", "reason": "number_cap"}'
    assert twofactor.answer_code(fake_vonage.last_code(PHONE), client=browser).status_code == 303


@pytest.mark.settings(**CAP_OF_TWO)
def test_support_sees_why_a_code_never_came(app, fake_vonage, clock, auth, twofactor, admin_helper):
    admin_helper.make_staff()
    uid = auth.make_user(phone=PHONE)
    staff = admin_helper.staff_client()
    for _ in range(3):
        twofactor.begin_sign_in()
        clock.shift(60)
    assert len(event_rows(app, uid, "code_refused")) == 1
    export = staff.get("/admin/audit.csv?type=code_refused&user=patient@example.com")
    rows = text(export).strip().splitlines()
    assert export.status_code == 200 and len(rows) == 2
    assert "user_cap" in rows[1] and "0123" not in rows[1]
