"""Issue 10 items 1-3 over HTTP: a resend cooldown per flow, the right country, caps a person never meets."""

import re

import pytest

from tests.admin.helpers import make_staff, staff_client
from tests.support import OTHER_PHONE, PHONE, PHONE_NATIONAL, make_user, sign_in, sign_in_fully
from tests.twofactor_helpers import (
    DISABLE, NUMBER, RESEND, SIGNIN_RESEND, SIGNIN_VERIFY, TWO_FACTOR, VERIFY, answer_code, begin_sign_in,
    client_with_agent, code_rows, codes_in, event_rows, htmx, redirects_to, send_setup_code, signed_in, text,
    turn_on, wrong_code,
)

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


def test_a_new_sign_in_right_after_a_finished_one_gets_its_code_at_once(app, fake_vonage, clock):
    make_user(app, phone=PHONE)
    browser = begin_sign_in(app)
    assert answer_code(browser, fake_vonage.last_code(PHONE)).status_code == 303
    browser.post("/signout")
    clock.shift(5)
    assert redirects_to(sign_in(browser), SIGNIN_VERIFY)
    assert len(codes_in(fake_vonage)) == 2
    page = text(browser.get(SIGNIN_VERIFY))
    assert "We texted a 6-digit code" in page
    assert "Please wait" not in page and "couldn't text" not in page
    assert answer_code(browser, fake_vonage.last_code(PHONE)).status_code == 303


def test_disable_then_turn_on_at_once_with_a_new_number(app, fake_vonage, clock):
    make_user(app)
    browser = client_with_agent(app)
    sign_in_fully(browser, fake_vonage)
    turn_on(browser, fake_vonage)
    clock.shift(2)
    assert browser.post(DISABLE).status_code == 303
    clock.shift(2)
    sent = send_setup_code(browser, "201-555-0188")
    assert sent.status_code == 200 and "Please wait" not in text(sent)
    assert browser.post(VERIFY, data={"code": fake_vonage.last_code(OTHER_PHONE)}).status_code == 200


def test_use_a_different_number_starts_a_new_flow_at_once(app, fake_vonage, clock):
    make_user(app)
    browser = client_with_agent(app)
    sign_in_fully(browser, fake_vonage)
    assert send_setup_code(browser).status_code == 200
    browser.post(TWO_FACTOR + "/cancel")
    assert send_setup_code(browser, "201-555-0188").status_code == 200
    assert len(fake_vonage.sent_to(OTHER_PHONE)) == 1


def test_the_cooldown_still_holds_resends_within_one_flow_and_message_and_countdown_agree(app, fake_vonage, clock):
    make_user(app, phone=PHONE)
    browser = begin_sign_in(app)
    clock.shift(10)
    early = browser.post(SIGNIN_RESEND, headers=htmx())
    assert early.status_code == 429 and early.headers["Retry-After"] == "20"
    assert "Please wait 20 seconds before asking for another code." in text(early)
    assert countdown(early) == 20 and '<span data-countdown="20">20</span>' in text(early)
    # The page shown later counts down from the same clock.
    clock.shift(5)
    assert countdown(browser.get(SIGNIN_VERIFY)) == 15
    assert len(codes_in(fake_vonage)) == 1


def test_account_screen_cooldown_message_and_countdown_agree(app, fake_vonage, clock):
    make_user(app)
    browser = client_with_agent(app)
    sign_in_fully(browser, fake_vonage)
    send_setup_code(browser)
    clock.shift(12)
    early = browser.post(RESEND, headers=htmx())
    assert early.status_code == 429 and "Please wait 18 seconds" in text(early) and countdown(early) == 18


def test_a_resend_revokes_only_the_codes_of_its_own_flow(app, fake_vonage, clock):
    uid = make_user(app, phone=PHONE)
    first = begin_sign_in(app)
    first_code = fake_vonage.last_code(PHONE)
    second = begin_sign_in(app)
    old_second_code = fake_vonage.last_code(PHONE)
    clock.shift(30)
    assert second.post(SIGNIN_RESEND).status_code == 303
    new_second_code = fake_vonage.last_code(PHONE)
    revoked = [row for row in code_rows(app, uid) if row.revoked_at is not None]
    assert len(revoked) == 1  # only the second browser's earlier code
    if old_second_code != new_second_code:
        refused = answer_code(second, old_second_code)
        assert refused.status_code == 422
    assert answer_code(second, new_second_code).status_code == 303
    # Another browser's still-live code keeps working in that browser.
    assert answer_code(first, first_code).status_code == 303
    assert signed_in(first) and signed_in(second)


def test_wrong_code_messages_name_the_resend_button_as_labelled(app, fake_vonage, clock):
    make_user(app, phone=PHONE)
    browser = begin_sign_in(app)
    right = fake_vonage.last_code(PHONE)
    for _ in range(5):
        response = answer_code(browser, wrong_code(right))
    body = text(response)
    assert "Too many wrong tries for this code. Use Resend code to get a new one." in body
    assert "Resend code</button>" in body
    assert "Send a new code" not in body


# ---------------------------------------------------------------- item 2: the country


@pytest.mark.settings(DEFAULT_COUNTRY="US")
def test_turn_on_preselects_the_default_country_not_the_first_in_the_list(app, fake_vonage):
    make_user(app)
    browser = client_with_agent(app)
    sign_in_fully(browser, fake_vonage)
    assert selected_country(browser.get(TWO_FACTOR)) == "US"
    refused = send_setup_code(browser, "12")
    assert selected_country(refused) == "US"


def test_yes_disable_preselects_the_country_of_the_number_turned_off(app, fake_vonage):
    make_user(app, phone=GB_PHONE)
    browser = client_with_agent(app)
    sign_in_fully(browser, fake_vonage, phone=GB_PHONE)
    assert selected_country(browser.get(DISABLE)) is None  # no phone form on "Are you sure?"
    response = browser.post(DISABLE, follow_redirects=True)
    assert "Two-factor authentication is off." in text(response) and selected_country(response) == "GB"
    # The form shown again later still starts from the default.
    assert selected_country(browser.get(TWO_FACTOR)) == app.config["DEFAULT_COUNTRY"]


def test_change_phone_number_preselects_the_current_numbers_country(app, fake_vonage):
    make_user(app, phone=GB_PHONE)
    browser = client_with_agent(app)
    sign_in_fully(browser, fake_vonage, phone=GB_PHONE)
    assert selected_country(browser.get(TWO_FACTOR + "/change-number")) == "GB"
    assert selected_country(browser.get(TWO_FACTOR + "/change-number", headers=htmx())) == "GB"
    refused = browser.post(NUMBER, data={"country": "", "phone": "12"})
    assert refused.status_code == 422 and selected_country(refused) == "GB"


@pytest.mark.parametrize(("country", "typed", "e164"), [
    ("US", "44 7400 123456", GB_PHONE),
    ("GB", "1 201 555 0123", PHONE),
    ("AU", "1-201-555-0123", PHONE),
])
def test_a_number_valid_with_a_leading_plus_is_taken_as_typed(app, fake_vonage, country, typed, e164):
    make_user(app)
    browser = client_with_agent(app)
    sign_in_fully(browser, fake_vonage)
    assert send_setup_code(browser, typed, country).status_code == 200
    assert len(fake_vonage.sent_to(e164)) == 1


def test_a_number_invalid_either_way_is_still_refused(app, fake_vonage):
    make_user(app)
    browser = client_with_agent(app)
    sign_in_fully(browser, fake_vonage)
    refused = send_setup_code(browser, "312-555-01", "AU")
    assert refused.status_code == 422 and "isn't a valid phone number for the country you chose" in text(refused)
    assert fake_vonage.messages == []


# ---------------------------------------------------------------- item 3: caps a person never meets


def test_the_whole_walk_through_twice_in_an_hour_stays_under_the_default_caps(app, fake_vonage, clock):
    """Turn on, second browser, sign out completely and back, change number both ways, recovery code, disable."""
    uid = make_user(app)
    first = client_with_agent(app)
    sign_in_fully(first, fake_vonage)
    for _ in range(2):
        before = len(fake_vonage.messages)
        turn_on(first, fake_vonage)
        first.post(TWO_FACTOR + "/recovery-codes/saved", data={"saved": "on"})
        second = begin_sign_in(app)
        assert answer_code(second, fake_vonage.last_code(PHONE), trust=True).status_code == 303
        second.post("/signout/completely")
        assert redirects_to(sign_in(second), SIGNIN_VERIFY)
        assert answer_code(second, fake_vonage.last_code(PHONE)).status_code == 303
        # The article's way to change number: turn off, then on at once with the new one.
        assert first.post(DISABLE).status_code == 303
        shown = turn_on(first, fake_vonage, "201-555-0188", e164=OTHER_PHONE)
        recovery_codes = RECOVERY_CODE.findall(text(shown))
        first.post(TWO_FACTOR + "/recovery-codes/saved", data={"saved": "on"})
        # And the direct way back.
        assert first.post(NUMBER, data={"country": "US", "phone": PHONE_NATIONAL}).status_code == 303
        assert first.post(VERIFY, data={"code": fake_vonage.last_code(PHONE)}).status_code == 303
        third = begin_sign_in(app)
        assert third.post("/signin/recovery", data={"code": recovery_codes[0]}).status_code == 303
        assert first.post(DISABLE).status_code == 303
        assert len(fake_vonage.messages) - before >= 9
    assert not event_rows(app, uid, "code_refused")
    assert len(fake_vonage.sent_to(PHONE)) < app.config["SMS_MAX_PER_NUMBER_PER_HOUR"]
    assert len(fake_vonage.messages) < app.config["SMS_MAX_PER_USER_PER_HOUR"]


CAP_OF_TWO = {"SMS_MAX_PER_USER_PER_HOUR": 2}


@pytest.mark.settings(**CAP_OF_TWO)
def test_a_sign_in_over_the_cap_says_when_and_points_to_a_recovery_code(app, fake_vonage, clock):
    uid = make_user(app, phone=PHONE)
    for _ in range(2):
        browser = begin_sign_in(app)
        assert answer_code(browser, fake_vonage.last_code(PHONE)).status_code == 303
        clock.shift(60)
    late = client_with_agent(app)
    assert redirects_to(sign_in(late), SIGNIN_VERIFY)
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
def test_a_resend_over_the_cap_disables_resend_for_the_real_wait(app, fake_vonage, clock):
    uid = make_user(app, phone=PHONE)
    browser = begin_sign_in(app)
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
    assert answer_code(browser, fake_vonage.last_code(PHONE)).status_code == 303


@pytest.mark.settings(**CAP_OF_TWO)
def test_support_sees_why_a_code_never_came(app, fake_vonage, clock):
    make_staff(app)
    uid = make_user(app, phone=PHONE)
    staff = staff_client(app, fake_vonage)
    for _ in range(3):
        begin_sign_in(app)
        clock.shift(60)
    assert len(event_rows(app, uid, "code_refused")) == 1
    export = staff.get("/admin/audit.csv?type=code_refused&user=patient@example.com")
    rows = text(export).strip().splitlines()
    assert export.status_code == 200 and len(rows) == 2
    assert "user_cap" in rows[1] and "0123" not in rows[1]
