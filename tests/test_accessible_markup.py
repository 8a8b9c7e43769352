"""The markup screen readers rely on: errors tied to their fields, hints kept, no chatty live regions."""

import re

import pytest

from tests.methods.helpers import add_app, code_at, shown_secret
from tests.support import PASSWORD, PHONE, htmx
from tests.twofactor_helpers import SIGNIN_VERIFY, text


def input_tag(body: str, name: str) -> str:
    found = re.search(rf'<input id="f-{name}"[^>]*>', body)
    assert found, f"no #f-{name}"
    return found.group(0)


@pytest.fixture
def uid(auth):
    return auth.make_user(phone=PHONE)


def test_a_sign_up_error_is_described_after_the_hint_not_instead_of_it(client):
    response = client.post("/signup", data={"email": "new@example.com", "password": "short", "confirm": "short"},
                           headers=htmx())
    field = input_tag(text(response), "password")
    assert 'aria-invalid="true"' in field and 'aria-describedby="f-password-hint f-password-error"' in field
    assert 'id="f-password-hint"' in text(response) and 'id="f-password-error" role="alert"' in text(response)


@pytest.mark.parametrize("as_htmx", [True, False], ids=["htmx", "page"])
def test_a_wrong_code_at_sign_in_is_shown_at_the_code_field(twofactor, uid, as_htmx):
    response = twofactor.answer_code("000000", as_htmx=as_htmx, client=twofactor.begin_sign_in())
    body = text(response)
    assert response.status_code == 422
    field = input_tag(body, "code")
    assert 'aria-invalid="true"' in field and 'aria-describedby="code-sent f-code-error"' in field
    assert 'id="f-code-error" role="alert">That code isn\'t right.' in body
    assert body.count("That code isn't right.") == 1  # at the field, not again in a banner


def test_a_wrong_recovery_code_is_shown_at_its_field(twofactor, uid):
    browser = twofactor.begin_sign_in()
    body = text(browser.post("/signin/recovery", data={"code": "aaaa-bbbb-cccc"}, headers=htmx()))
    field = input_tag(body, "code")
    assert 'aria-invalid="true"' in field and 'aria-describedby="f-code-hint f-code-error"' in field
    assert 'class="alert' not in body


def test_the_code_screen_focuses_its_one_code_field_and_describes_the_trust_box(twofactor, uid):
    body = text(twofactor.begin_sign_in().get(SIGNIN_VERIFY))
    field = input_tag(body, "code")
    assert 'autocomplete="one-time-code"' in field and 'autofocus="autofocus"' in field
    assert 'aria-invalid' not in field and 'aria-describedby="code-sent"' in field
    assert 'aria-describedby="f-trust-hint" name="trust"' in body and 'id="f-trust-hint"' in body


def test_the_resend_countdown_is_not_a_live_region_and_the_page_has_one_announcer(twofactor, uid):
    body = text(twofactor.begin_sign_in().get(SIGNIN_VERIFY))
    assert '<span class="muted countdown">' in body
    assert body.count('aria-live="polite"') == 2  # #alerts and the announcer app.js speaks through
    assert '<div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>' in body


@pytest.mark.settings(REAUTH_MAX_AGE_SECONDS=0)
def test_a_wrong_recovery_code_when_confirming_its_you_is_shown_at_that_field(protected_client):
    client = protected_client
    client.post("/account/two-factor/disable", data={"password": PASSWORD})
    response = client.post("/account/two-factor/reauth", data={"method": "recovery", "recovery_code": "x"},
                           headers=htmx())
    body = text(response)
    field = input_tag(body, "recovery_code")
    assert 'aria-invalid="true"' in field and "f-recovery_code-error" in field
    assert 'aria-invalid' not in input_tag(body, "code")


# ---------------------------------------------------------------- email flows


def test_a_wrong_password_when_changing_the_address_is_shown_at_its_field(signed_in_client):
    response = signed_in_client.post("/account/email", data={"email": "new@example.com", "password": "Wrong-1"})
    body = text(response)
    assert response.status_code == 422
    field = input_tag(body, "password")
    assert 'aria-invalid="true"' in field and 'aria-describedby="f-password-error"' in field
    assert body.count("Your password isn't right.") == 1 and 'class="alert' not in body


def test_reset_passwords_that_differ_are_shown_at_the_second_field(app, client, auth):
    from tests.mail.support import delivered_to, verify

    verify(app, auth.make_user())
    client.post("/password/forgot", data={"email": "patient@example.com"})
    token = delivered_to(app, "patient@example.com")[-1].token()
    response = client.post("/password/reset", data={"token": token, "new": "Green-Lantern-Harbor-77",
                                                     "confirm": "Green-Lantern-Harbor-78"})
    body = text(response)
    assert response.status_code == 422
    field = input_tag(body, "confirm")
    assert 'aria-invalid="true"' in field and 'aria-describedby="f-confirm-error"' in field
    assert 'aria-invalid' not in input_tag(body, "new") and 'aria-describedby="f-new-hint"' in input_tag(body, "new")
    assert body.count("The new passwords don't match.") == 1 and 'class="alert' not in body


def test_the_identity_verified_field_keeps_its_hint_and_what_was_typed(admin_helper):
    world = admin_helper.build_world()
    response = world.act("reset-two-factor", reason="", identity_verified="video call, passport checked")
    body = text(response)
    assert response.status_code == 422
    field = input_tag(body, "identity_verified")
    assert 'aria-describedby="f-identity_verified-hint"' in field and 'aria-invalid' not in field
    assert 'value="video call, passport checked"' in field
    assert 'aria-invalid="true"' in input_tag(body.replace("<textarea", "<input"), "reason")
def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.mark.parametrize("as_htmx", [True, False], ids=["htmx", "page"])
def test_a_wrong_app_code_at_sign_in_is_shown_at_its_field(app, auth, client, clock, as_htmx):
    add_app(app, auth.make_user())
    auth.sign_in()
    response = client.post("/signin/app", data={"code": other_than(code_at())}, headers=htmx() if as_htmx else {})
    body = text(response)
    field = input_tag(body, "code")
    assert response.status_code == 422 and 'autocomplete="one-time-code"' in field
    assert 'aria-invalid="true"' in field and 'aria-describedby="app-code-how f-code-error"' in field
    assert 'class="alert' not in body and body.count('name="code"') == 1


def test_a_wrong_app_code_when_setting_the_app_up_is_shown_at_its_field(auth, client, clock):
    auth.make_user()
    auth.sign_in_fully()
    client.post("/account/two-factor/app", data={"password": PASSWORD})
    secret = shown_secret(client.get("/account/two-factor").get_data(as_text=True))
    body = text(client.post("/account/two-factor/app/confirm", data={"code": other_than(code_at(secret))},
                            headers=htmx()))
    field = input_tag(body, "code")
    assert 'aria-invalid="true"' in field and 'aria-describedby="app-enrol-how f-code-error"' in field
    assert 'class="alert alert-error' not in body
