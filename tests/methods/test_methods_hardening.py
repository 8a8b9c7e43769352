"""Issue #14 hardening: app-code tries per step, the staff area's strong method per session, passkey renames
audited, and a passkey confirming it's you on its own."""

import pytest

from tests.methods.helpers import ORIGIN, add_app, add_passkey, code_at, events, page, user_row
from tests.support import PASSWORD, PHONE

STAFF = "staff@example.com"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def confirm_add_passkey(client, authenticator, **data):
    options = client.post("/account/two-factor/reauth/passkey/options").get_json()["publicKey"]
    answer = authenticator.assert_(options, origin=ORIGIN)
    return client.post("/account/two-factor/reauth/passkey", data={"credential": answer, **data})


def passkey_sign_in(client, authenticator):
    options = client.post("/signin/passkey/options").get_json()["publicKey"]
    response = client.post("/signin/passkey", data={"credential": authenticator.assert_(options, origin=ORIGIN)})
    assert response.status_code == 303 and not response.headers["Location"].endswith("/signin")
    return response


def app_sign_in(auth, client, email="patient@example.com", **extra):
    response = auth.sign_in(email, client=client)
    assert response.headers["Location"].endswith("/signin/app")
    return client.post("/signin/app", data={"code": code_at(), **extra})


# ---------------------------------------------------------------- 1. app-code tries per step


@pytest.mark.settings(CODE_MAX_ATTEMPTS=3)
def test_wrong_app_codes_end_the_sign_in_after_code_max_attempts(app, auth, client, clock):
    add_app(app, auth.make_user())
    auth.sign_in()
    for left in (2, 1):
        response = client.post("/signin/app", data={"code": wrong(code_at())})
        assert response.status_code == 422 and f"{left} {'try' if left == 1 else 'tries'} left" in page(response)
    response = client.post("/signin/app", data={"code": wrong(code_at())})
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin")
    assert "Too many wrong codes. Sign in again to start over." in page(client.get("/signin"))
    # The right code no longer finishes that sign-in; a new sign-in starts with fresh tries.
    assert client.post("/signin/app", data={"code": code_at()}).headers["Location"].endswith("/signin")
    assert client.get("/account").status_code in (302, 303)
    assert app_sign_in(auth, client).headers["Location"].endswith("/account")


@pytest.mark.settings(CODE_MAX_ATTEMPTS=3)
def test_app_and_recovery_tries_share_one_count(app, auth, client, clock):
    from tests.admin.helpers import add_recovery_codes

    user_id = auth.make_user()
    add_app(app, user_id)
    add_recovery_codes(app, user_id)
    auth.sign_in()
    client.post("/signin/app", data={"code": wrong(code_at())})
    client.post("/signin/recovery", data={"code": "aaaa-aaaa-aaaa"})
    response = client.post("/signin/app", data={"code": wrong(code_at())})
    assert response.headers["Location"].endswith("/signin")


@pytest.mark.settings(CODE_MAX_ATTEMPTS=2)
def test_wrong_app_codes_end_a_re_authentication(app, auth, client, clock):
    user_id = auth.make_user(phone=PHONE)
    add_app(app, user_id, preferred="totp")
    app_sign_in(auth, client)
    clock.shift(16 * 60)
    assert "Code from your authenticator app" in page(client.post("/account/two-factor/recovery-codes",
                                                                  data={"password": PASSWORD}))
    response = client.post("/account/two-factor/reauth", data={"method": "totp", "app_code": wrong(code_at())})
    assert "1 try left" in page(response)
    response = client.post("/account/two-factor/reauth", data={"method": "totp", "app_code": wrong(code_at())})
    assert "Too many wrong codes. Enter your password to start over." in page(response)
    # Over: even the right code is refused until the password starts a new confirmation.
    response = client.post("/account/two-factor/reauth", data={"method": "totp", "app_code": code_at()})
    assert "expired" in page(response) and len(events(app, user_id, "reauthenticated")) == 0


# ---------------------------------------------------------------- 2. the staff area: a strong method this session


@pytest.mark.settings(STAFF_REQUIRE_STRONG_METHOD=True)
def test_staff_signed_in_by_text_must_confirm_with_the_app(app, auth, client, clock, fake_vonage):
    staff_id = auth.make_user(STAFF, phone=PHONE, staff=True)
    add_app(app, staff_id, preferred="sms")
    auth.sign_in_fully(STAFF, phone=PHONE)
    response = client.get("/admin/")
    assert response.status_code in (302, 303) and response.headers["Location"].endswith("/account/confirm-strong")
    html = page(client.get("/account/confirm-strong"))
    assert "confirm with your passkey or authenticator app" in html and "trusted browser isn't enough" in html
    # A re-authentication with the app opens the area; one with a text would not.
    client.post("/account/confirm-strong", data={"password": PASSWORD})
    response = client.post("/account/two-factor/reauth", data={"method": "totp", "app_code": code_at()})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200


@pytest.mark.settings(STAFF_REQUIRE_STRONG_METHOD=True)
def test_a_text_re_authentication_does_not_open_the_staff_area(app, auth, client, clock, fake_vonage):
    staff_id = auth.make_user(STAFF, phone=PHONE, staff=True)
    add_app(app, staff_id, preferred="sms")
    auth.sign_in_fully(STAFF, phone=PHONE)
    client.post("/account/confirm-strong", data={"password": PASSWORD})
    response = client.post("/account/two-factor/reauth", data={"code": fake_vonage.last_code(PHONE)})
    assert response.status_code == 303
    assert client.get("/admin/").headers["Location"].endswith("/account/confirm-strong")


@pytest.mark.settings(STAFF_REQUIRE_STRONG_METHOD=True)
def test_staff_signed_in_with_the_app_enter_but_not_through_a_trusted_browser(app, auth, client, clock):
    staff_id = auth.make_user(STAFF, phone=PHONE, staff=True)
    add_app(app, staff_id, preferred="totp")
    assert app_sign_in(auth, client, STAFF, trust="on").status_code == 303
    assert client.get("/admin/").status_code == 200
    client.post("/signout")
    clock.shift(31)
    # The browser is trusted (no second factor asked), so this session proved no strong method.
    assert auth.sign_in(STAFF).headers["Location"].endswith("/account")
    assert client.get("/admin/").headers["Location"].endswith("/account/confirm-strong")


@pytest.mark.settings(STAFF_REQUIRE_STRONG_METHOD=True)
def test_a_passkey_confirms_staff_on_its_own(app, auth, client, clock, fake_vonage):
    staff_id = auth.make_user(STAFF, phone=PHONE, staff=True)
    authenticator = add_passkey(app, staff_id)
    from tests.admin.helpers import set_user

    set_user(app, staff_id, preferred_method="sms")
    auth.sign_in_fully(STAFF, phone=PHONE)
    assert client.get("/admin/").headers["Location"].endswith("/account/confirm-strong")
    assert "Confirm with a passkey" in page(client.get("/account/confirm-strong"))
    response = confirm_add_passkey(client, authenticator, action="staff")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200


@pytest.mark.settings(STAFF_REQUIRE_STRONG_METHOD=True)
def test_a_passkey_sign_in_opens_the_staff_area(app, auth, client, clock):
    passkey_sign_in(client, add_passkey(app, auth.make_user(STAFF, staff=True)))
    assert client.get("/admin/").status_code == 200


# ---------------------------------------------------------------- 3. renaming a passkey is audited


def test_renaming_a_passkey_is_audited(app, auth, client, clock):
    user_id = auth.make_user()
    authenticator = add_passkey(app, user_id, name="Phone")
    passkey_sign_in(client, authenticator)
    credential_id = user_row(app, user_id).webauthn_credentials[0].id
    client.post(f"/account/two-factor/passkeys/{credential_id}/rename", data={"name": "Work laptop"})
    assert events(app, user_id, "passkey_renamed") == [
        {"passkey_id": credential_id, "old_name": "Phone", "new_name": "Work laptop"}]
    from app.admin import wording
    from app.security import audit

    assert wording.EVENTS[audit.PASSKEY_RENAMED] == "Passkey renamed"


# ---------------------------------------------------------------- 4. a passkey confirms it's you without the password


@pytest.mark.parametrize("action", ["disable", "recovery", "remove_sms", "app"])
def test_a_passkey_alone_confirms_a_change(app, auth, client, clock, fake_vonage, action):
    user_id = auth.make_user(phone=PHONE)
    authenticator = add_passkey(app, user_id)
    passkey_sign_in(client, authenticator)
    clock.shift(16 * 60)
    # The screens asking for the password offer the passkey too (the button shows with JavaScript).
    assert "Confirm with a passkey" in page(client.get("/account/two-factor"))  # the recovery codes' form
    assert "Confirm with a passkey" in page(client.get("/account/two-factor/disable"))
    response = confirm_add_passkey(client, authenticator, action=action)  # no password typed
    assert response.status_code in (200, 303)
    user = user_row(app, user_id)
    if action == "disable":
        assert not user.two_factor_enabled
    elif action == "recovery":
        assert "The old ones no longer work" in page(response)
    elif action == "remove_sms":
        assert user.phone_e164 is None
    else:
        assert "Set up an authenticator app" in page(client.get("/account/two-factor"))
    assert events(app, user_id, "reauthenticated")[-1]["method"] == "webauthn"


@pytest.mark.settings(STAFF_REQUIRE_STRONG_METHOD=True)
def test_a_wrong_password_on_the_staff_confirmation_is_shown_on_that_page(app, auth, client, clock, fake_vonage):
    staff_id = auth.make_user(STAFF, phone=PHONE, staff=True)
    add_app(app, staff_id, preferred="sms")
    auth.sign_in_fully(STAFF, phone=PHONE)
    response = client.post("/account/confirm-strong", data={"password": "Not-the-password-1"})
    html = page(response)
    assert response.status_code == 422
    assert "To enter the support area" in html and "That password isn't right." in html
    assert 'aria-invalid="true"' in html and "Two-Factor Authentication</h1>" not in html
    assert client.get("/admin/").headers["Location"].endswith("/account/confirm-strong")  # nothing changed
