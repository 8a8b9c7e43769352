"""Two-Factor Authentication screen: status, set up, change number, disable."""

import hashlib

import pytest

from tests.support import OTHER_PHONE, PASSWORD, PHONE, PHONE_NATIONAL, htmx
from tests.twofactor_helpers import (DISABLE, NUMBER, TWO_FACTOR, VERIFY, client_with_agent, code_rows, device_rows,
                                     event_rows, is_partial, live_code_rows, text, trust_token, user, wrong_code)

MASKED = "+1 ••• ••• 0123"
FULL_FORMS = (PHONE, PHONE.lstrip("+"), PHONE_NATIONAL, "2015550123")
OTHER_NATIONAL = "201-555-0188"
TURNED_OFF_NOTICE = ("Two-factor authentication was turned off for your Health Records account. "
                     "If this wasn't you, contact support.")
NUMBER_CHANGED_NOTICE = ("The phone number for two-factor authentication on your Health Records account was changed. "
                         "If this wasn't you, contact support.")


@pytest.fixture
def protected_client(protected_client, fake_vonage):
    """The shared protected_client, with the SMS log emptied: these tests count only the texts they cause."""
    fake_vonage.reset()
    return protected_client


# ---------------------------------------------------------------- the screen


def test_screen_shows_off_with_a_note_and_the_setup_form(signed_in_client):
    page = text(signed_in_client.get(TWO_FACTOR))
    assert "Two-Factor Authentication" in page
    assert 'Status: <span class="badge off">Off</span>' in page
    assert "Text messages can be intercepted" in page
    assert '<label for="f-country">Country code</label>' in page
    assert '<label for="f-phone">Phone number</label>' in page
    assert '<option value="US" selected>United States (+1)</option>' in page
    assert "Send code" in page


def test_country_select_offers_only_allowed_countries(app, signed_in_client):
    page = text(signed_in_client.get(TWO_FACTOR))
    for region in app.config["SMS_ALLOWED_COUNTRIES"].split(","):
        assert f'<option value="{region}"' in page
    assert 'value="JP"' not in page and "Japan" not in page


@pytest.mark.settings(DEFAULT_COUNTRY="GB")
def test_default_country_comes_from_config(signed_in_client):
    page = text(signed_in_client.get(TWO_FACTOR))
    assert '<option value="GB" selected>United Kingdom (+44)</option>' in page
    assert '<option value="US" selected>' not in page


def test_screen_shows_on_with_the_masked_number(protected_client):
    page = text(protected_client.get(TWO_FACTOR))
    assert 'Status: <span class="badge on">On</span>' in page
    assert MASKED in page
    for form in FULL_FORMS:
        assert form not in page
    assert "Change phone number" in page and "Disable Two-Factor Authentication" in page


# ---------------------------------------------------------------- set up


def test_setup_with_plain_form_posts_answers_full_pages(app, fake_vonage, signed_in_client, twofactor):
    sent = twofactor.send_setup_code(client=signed_in_client)
    assert sent.status_code == 200
    page = text(sent)
    assert "<html" in page
    assert '<label for="f-code">Verification code</label>' in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert "Resend code" in page and "Use a different number" in page
    assert MASKED in page
    assert [m["to"] for m in fake_vonage.messages] == [PHONE.lstrip("+")]

    done = signed_in_client.post(VERIFY, data={"code": fake_vonage.last_code(PHONE)})
    assert done.status_code == 200
    assert "<html" in text(done) and "Two-factor authentication is on." in text(done)
    assert user(app, signed_in_client.user_id).phone_e164 == PHONE
    assert 'class="badge on">On</span>' in text(signed_in_client.get("/account"))


def test_setup_with_htmx_answers_partials(app, fake_vonage, signed_in_client, twofactor):
    form = signed_in_client.get(TWO_FACTOR, headers=htmx())
    assert form.status_code == 200 and is_partial(form)
    assert text(form).lstrip().startswith('<div id="twofactor" hx-target="this" hx-swap="outerHTML">')

    sent = twofactor.send_setup_code(as_htmx=True, client=signed_in_client)
    assert sent.status_code == 200 and is_partial(sent)
    assert "HX-Request" in sent.headers["Vary"]
    assert '<div id="twofactor"' in text(sent) and "Verification code" in text(sent)

    wrong = signed_in_client.post(VERIFY, data={"code": wrong_code(fake_vonage.last_code())}, headers=htmx())
    assert wrong.status_code == 422 and is_partial(wrong)
    assert "That code isn't right. 4 tries left." in text(wrong)

    done = signed_in_client.post(VERIFY, data={"code": fake_vonage.last_code(PHONE)}, headers=htmx())
    assert done.status_code == 200 and is_partial(done)
    assert "Two-factor authentication is on." in text(done)
    assert user(app, signed_in_client.user_id).two_factor_enabled


BAD_NUMBERS = [
    ("US", "abc-def-ghij", "Enter a phone number using digits only."),
    ("US", "", "Enter your mobile phone number."),
    ("US", "1" * 40, "Enter a phone number using digits only."),
    ("US", "123", "That isn't a valid phone number for the country you chose."),
    ("US", "555-0100", "That isn't a valid phone number for the country you chose."),
    ("GB", "020 7946 0018", "That number can't receive text messages. Use a mobile number."),
    ("US", "+44 20 7946 0018", "That number can't receive text messages. Use a mobile number."),
    ("US", "800-253-0000", "That number can't receive text messages. Use a mobile number."),
    ("US", "+1 900 555 0123", "Premium-rate numbers can't receive codes. Use your mobile number."),
    ("GB", "09098 790000", "Premium-rate numbers can't receive codes. Use your mobile number."),
    ("JP", "090-1234-5678", "Text messages can't be sent to that country."),
    ("US", "+81 90 1234 5678", "Text messages can't be sent to that country."),
    ("US", "+1 264 235 1234", "Text messages can't be sent to that country."),  # Anguilla shares +1
    ("ZZ", "201-555-0123", "Text messages can't be sent to that country."),
]


@pytest.mark.parametrize(("country", "phone", "message"), BAD_NUMBERS)
def test_bad_numbers_get_a_message_and_no_sms(app, fake_vonage, signed_in_client, country, phone, message, twofactor):
    response = twofactor.send_setup_code(phone, country, as_htmx=True, client=signed_in_client)
    assert response.status_code == 422 and is_partial(response)
    assert f'<p class="error" id="f-phone-error" role="alert">{message}</p>' in text(response)
    assert 'aria-invalid="true"' in text(response)
    assert fake_vonage.requests == []
    assert code_rows(app) == []
    assert not user(app, signed_in_client.user_id).two_factor_enabled


def test_bad_number_as_plain_post_answers_the_full_page_with_the_input_kept(fake_vonage, signed_in_client, twofactor):
    response = twofactor.send_setup_code("020 7946 0018", "GB", client=signed_in_client)
    assert response.status_code == 422
    page = text(response)
    assert "<html" in page and "That number can't receive text messages." in page
    assert 'value="020 7946 0018"' in page and '<option value="GB" selected>' in page
    assert fake_vonage.requests == []


@pytest.mark.parametrize(("country", "phone", "e164"), [
    ("US", "(201) 555-0123", PHONE),
    ("US", "+1 201 555 0123", PHONE),
    ("US", "2015550123", PHONE),
    ("GB", "07400 123456", "+447400123456"),
    ("US", "+44 7400 123456", "+447400123456"),
    ("DE", "01512 3456789", "+4915123456789"),
])
def test_mobile_numbers_in_any_common_format_are_texted_in_e164(app, fake_vonage, signed_in_client, country, phone,
                                                              e164, twofactor):
    assert twofactor.send_setup_code(phone, country, client=signed_in_client).status_code == 200
    assert [m["to"] for m in fake_vonage.messages] == [e164.lstrip("+")]
    assert [c.phone_e164 for c in code_rows(app)] == [e164]


def test_number_is_saved_only_after_its_code_is_verified(app, fake_vonage, signed_in_client, auth, twofactor):
    twofactor.send_setup_code(client=signed_in_client)
    between = user(app, signed_in_client.user_id)
    assert between.phone_e164 is None and between.phone_last4 is None
    assert [c.phone_e164 for c in code_rows(app)] == [PHONE]
    assert 'class="badge off">Off</span>' in text(signed_in_client.get("/account"))
    # Meanwhile a sign-in elsewhere needs no code: two-factor is not on yet.
    other = client_with_agent(app)
    assert auth.sign_in(client=other).headers["Location"].endswith("/account")

    wrong = signed_in_client.post(VERIFY, data={"code": wrong_code(fake_vonage.last_code())})
    assert wrong.status_code == 422
    assert user(app, signed_in_client.user_id).phone_e164 is None

    signed_in_client.post(VERIFY, data={"code": fake_vonage.last_code(PHONE)})
    after = user(app, signed_in_client.user_id)
    assert after.phone_e164 == PHONE and after.phone_last4 == "0123"
    assert [e.type for e in event_rows(app, after.id, "2fa_enabled")] == ["2fa_enabled"]


def test_setup_makes_this_browser_trusted(app, fake_vonage, signed_in_client, auth, twofactor):
    done = twofactor.turn_on(client=signed_in_client)
    set_cookie = [h for h in done.headers.getlist("Set-Cookie") if h.startswith("trusted_device=")]
    assert len(set_cookie) == 1 and "HttpOnly" in set_cookie[0] and "SameSite=Lax" in set_cookie[0]
    token = trust_token(signed_in_client, app)
    rows = device_rows(app, signed_in_client.user_id)
    assert len(rows) == 1
    assert rows[0].name == "Chrome on Linux"
    assert rows[0].token_digest == hashlib.sha256(token.encode()).hexdigest() != token
    # Signing out and in again on this browser needs no code.
    signed_in_client.post("/signout")
    fake_vonage.reset()
    assert auth.sign_in(client=signed_in_client).headers["Location"].endswith("/account")
    assert fake_vonage.messages == []


def test_a_different_number_can_be_chosen_before_verifying(app, fake_vonage, signed_in_client, clock, twofactor):
    twofactor.send_setup_code(client=signed_in_client)
    first = fake_vonage.last_code(PHONE)
    back = signed_in_client.post(TWO_FACTOR + "/cancel", headers=htmx())
    assert back.status_code == 200 and "Send code" in text(back) and 'class="badge off">Off' in text(back)
    clock.shift(30)
    twofactor.send_setup_code(OTHER_NATIONAL, client=signed_in_client)
    refused = signed_in_client.post(VERIFY, data={"code": first})
    assert refused.status_code == 422 and user(app, signed_in_client.user_id).phone_e164 is None
    signed_in_client.post(VERIFY, data={"code": fake_vonage.last_code(OTHER_PHONE)})
    assert user(app, signed_in_client.user_id).phone_e164 == OTHER_PHONE


def test_setup_is_refused_when_two_factor_is_already_on(fake_vonage, protected_client, twofactor):
    response = twofactor.send_setup_code(OTHER_NATIONAL, as_htmx=True, client=protected_client)
    assert response.status_code == 422
    assert "Two-factor authentication is already on." in text(response)
    assert fake_vonage.requests == []


def test_account_pages_need_a_signed_in_user(client, app, auth):
    auth.make_user()
    assert client.get(TWO_FACTOR).status_code == 303
    response = client.post(TWO_FACTOR + "/setup", data={"country": "US", "phone": PHONE_NATIONAL}, headers=htmx())
    assert response.headers.get("HX-Redirect", "").startswith("/signin")


# ---------------------------------------------------------------- change number


def test_change_number_keeps_the_old_one_until_the_new_one_is_verified(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    this = client_with_agent(app)
    auth.sign_in_fully(trust=True, phone=PHONE, client=this)
    other = twofactor.trusted_browser()
    assert len(device_rows(app, uid)) == 2
    fake_vonage.reset()

    form = this.get(TWO_FACTOR + "/change-number", headers=htmx())
    assert form.status_code == 200 and is_partial(form)
    assert "Change phone number" in text(form) and "Phone number" in text(form)

    sent = this.post(NUMBER, data={"country": "US", "phone": OTHER_NATIONAL}, headers=htmx())
    assert sent.status_code == 200 and is_partial(sent) and "Verification code" in text(sent)
    assert [m["to"] for m in fake_vonage.messages] == [OTHER_PHONE.lstrip("+")]
    assert user(app, uid).phone_e164 == PHONE

    # Until then the old number is the one in force: sign-in codes still go there.
    clock.shift(31)
    other.post("/signout")
    pending = twofactor.begin_sign_in()
    assert fake_vonage.sent_to(PHONE) and fake_vonage.last_code(PHONE)
    pending.post("/signin/cancel")

    # This browser was trusted, so "Trust this browser" comes ticked; it stays ticked here.
    done = this.post(VERIFY, data={"code": fake_vonage.last_code(OTHER_PHONE), "trust": "on"}, headers=htmx())
    assert done.status_code == 200 and is_partial(done)
    assert "Your number was changed." in text(done) and "+1 ••• ••• 0188" in text(done)
    assert user(app, uid).phone_e164 == OTHER_PHONE
    assert fake_vonage.sent_to(PHONE)[-1]["text"] == NUMBER_CHANGED_NOTICE
    # Every trusted browser is forgotten; only this one, which just proved the new number, is trusted again.
    rows = device_rows(app, uid)
    assert len(rows) == 1 and rows[0].token_digest == hashlib.sha256(trust_token(this, app).encode()).hexdigest()
    assert [e.type for e in event_rows(app, uid, "number_changed")] == ["number_changed"]


def test_change_number_with_plain_form_posts(app, fake_vonage, protected_client):
    form = protected_client.get(TWO_FACTOR + "/change-number")
    assert "<html" in text(form) and "Change phone number" in text(form)
    sent = protected_client.post(NUMBER, data={"country": "US", "phone": OTHER_NATIONAL})
    assert sent.status_code == 303 and sent.headers["Location"] == TWO_FACTOR  # Post/Redirect/Get
    sent = protected_client.get(TWO_FACTOR)
    assert sent.status_code == 200 and "<html" in text(sent) and "Confirm your new number" in text(sent)
    done = protected_client.post(VERIFY, data={"code": fake_vonage.last_code(OTHER_PHONE)}, follow_redirects=True)
    assert done.status_code == 200 and "<html" in text(done) and "Your number was changed." in text(done)
    assert done.request.path == TWO_FACTOR
    assert user(app, protected_client.user_id).phone_e164 == OTHER_PHONE


def test_an_abandoned_number_change_changes_nothing(app, fake_vonage, protected_client):
    protected_client.post(NUMBER, data={"country": "US", "phone": OTHER_NATIONAL})
    protected_client.post(TWO_FACTOR + "/cancel")
    assert user(app, protected_client.user_id).phone_e164 == PHONE
    refused = protected_client.post(VERIFY, data={"code": fake_vonage.last_code(OTHER_PHONE)})
    assert "Start again" in text(refused)
    assert user(app, protected_client.user_id).phone_e164 == PHONE


@pytest.mark.parametrize(("phone", "message"), [
    (PHONE_NATIONAL, "That's already your number. Enter a different one."),
    ("020 7946 0018", "That isn't a valid phone number for the country you chose."),
    ("+1 900 555 0123", "Premium-rate numbers can't receive codes."),
])
def test_change_number_refuses_bad_or_same_numbers_without_sms(app, fake_vonage, protected_client, phone, message):
    response = protected_client.post(NUMBER, data={"country": "US", "phone": phone}, headers=htmx())
    assert response.status_code == 422 and is_partial(response)
    assert message in text(response)
    assert fake_vonage.requests == []
    assert user(app, protected_client.user_id).phone_e164 == PHONE


def test_change_number_asks_for_the_password_after_15_minutes(app, fake_vonage, clock, auth):
    uid = auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=browser)
    fake_vonage.reset()
    clock.shift(15 * 60 + 1)
    form = browser.get(TWO_FACTOR + "/change-number")
    assert 'autocomplete="current-password"' in text(form)
    refused = browser.post(NUMBER, data={"country": "US", "phone": OTHER_NATIONAL}, headers=htmx())
    assert refused.status_code == 422
    assert "For your security, enter your password to continue." in text(refused)
    assert fake_vonage.requests == []
    # The right password is not enough any more: a code goes to the current number first.
    asked = browser.post(NUMBER, data={"country": "US", "phone": OTHER_NATIONAL, "password": PASSWORD}, headers=htmx())
    assert asked.status_code == 200 and "Confirm it's you" in text(asked)
    assert fake_vonage.sent_to(PHONE) and not fake_vonage.sent_to(OTHER_PHONE)
    sent = browser.post(TWO_FACTOR + "/reauth", data={"code": fake_vonage.last_code(PHONE)}, headers=htmx())
    assert sent.headers["HX-Redirect"] == TWO_FACTOR and fake_vonage.sent_to(OTHER_PHONE)
    assert "Confirm your new number" in text(browser.get(TWO_FACTOR))
    assert user(app, uid).phone_e164 == PHONE


# ---------------------------------------------------------------- disable


def test_disable_asks_are_you_sure_first(app, protected_client):
    partial = protected_client.get(DISABLE, headers=htmx())
    assert partial.status_code == 200 and is_partial(partial)
    body = text(partial)
    assert "Are you sure" in body and "Yes, disable" in body and ">Cancel</a>" in body
    page = protected_client.get(DISABLE)
    assert "<html" in text(page) and "Yes, disable" in text(page)
    assert user(app, protected_client.user_id).two_factor_enabled


def test_yes_disable_turns_it_off_texts_the_old_number_and_forgets_browsers(app, fake_vonage, clock, auth, twofactor):
    uid = auth.make_user(phone=PHONE)
    this = client_with_agent(app)
    auth.sign_in_fully(trust=True, phone=PHONE, client=this)
    twofactor.trusted_browser()
    assert len(device_rows(app, uid)) == 2
    fake_vonage.reset()

    response = this.post(DISABLE, headers=htmx())
    assert response.status_code == 200 and is_partial(response)
    assert "Two-factor authentication is off." in text(response) and 'class="badge off">Off' in text(response)
    assert user(app, uid).phone_e164 is None
    assert [(m["to"], m["text"]) for m in fake_vonage.messages] == [(PHONE.lstrip("+"), TURNED_OFF_NOTICE)]
    assert device_rows(app, uid) == []
    assert trust_token(this, app) is None
    assert [e.type for e in event_rows(app, uid, "2fa_disabled")] == ["2fa_disabled"]
    # The next sign-in needs only the password.
    assert auth.sign_in(client=client_with_agent(app)).headers["Location"].endswith("/account")


def test_disable_with_a_plain_form_post(app, fake_vonage, protected_client):
    response = protected_client.post(DISABLE)
    assert response.status_code == 303 and response.headers["Location"] == TWO_FACTOR
    response = protected_client.get(TWO_FACTOR)
    assert response.status_code == 200 and "<html" in text(response)
    assert "Two-factor authentication is off." in text(response)
    assert not user(app, protected_client.user_id).two_factor_enabled


def test_disable_within_15_minutes_needs_no_password(app, fake_vonage, clock, auth):
    uid = auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=browser)
    clock.shift(15 * 60)
    assert browser.post(DISABLE, headers=htmx()).status_code == 200
    assert not user(app, uid).two_factor_enabled


def test_disable_asks_for_the_password_after_15_minutes(app, fake_vonage, clock, auth):
    uid = auth.make_user(phone=PHONE)
    browser = client_with_agent(app)
    auth.sign_in_fully(phone=PHONE, client=browser)
    fake_vonage.reset()
    clock.shift(15 * 60 + 1)

    confirm = browser.get(DISABLE, headers=htmx())
    assert 'name="password"' in text(confirm) and "confirm your password" in text(confirm)
    missing = browser.post(DISABLE, headers=htmx())
    assert missing.status_code == 422 and "For your security, enter your password to continue." in text(missing)
    wrong = browser.post(DISABLE, data={"password": "Not-The-Password-99"}, headers=htmx())
    assert wrong.status_code == 422 and "That password isn't right." in text(wrong)
    assert user(app, uid).phone_e164 == PHONE and fake_vonage.messages == []

    asked = browser.post(DISABLE, data={"password": PASSWORD}, headers=htmx())
    assert asked.status_code == 200 and "Confirm it's you" in text(asked)
    assert user(app, uid).phone_e164 == PHONE
    done = browser.post(TWO_FACTOR + "/reauth", data={"code": fake_vonage.last_code(PHONE)}, headers=htmx())
    assert done.headers["HX-Redirect"] == TWO_FACTOR
    assert "Two-factor authentication is off." in text(browser.get(TWO_FACTOR))
    assert user(app, uid).phone_e164 is None
    assert fake_vonage.sent_to(PHONE)[-1]["text"] == TURNED_OFF_NOTICE


def test_disable_when_already_off_goes_back_to_the_screen(signed_in_client):
    response = signed_in_client.post(DISABLE, headers=htmx())
    assert response.headers.get("HX-Redirect") == TWO_FACTOR


def test_setup_again_after_disable_with_a_new_number(app, fake_vonage, protected_client, clock, twofactor):
    protected_client.post(DISABLE)
    clock.shift(31)
    twofactor.turn_on(OTHER_NATIONAL, e164=OTHER_PHONE, client=protected_client)
    assert user(app, protected_client.user_id).phone_e164 == OTHER_PHONE
    assert len(live_code_rows(app, protected_client.user_id)) == 0
