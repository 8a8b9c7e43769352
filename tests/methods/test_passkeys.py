"""Passkeys: registration and sign-in checked by py_webauthn's own verification, with a software authenticator.

The relying party is PUBLIC_URL (https://localhost in tests), never the request's Host.
"""

import json

import pytest

from tests.methods.helpers import ORIGIN, add_app, add_passkey, code_at, events, page, user_row
from tests.methods.soft_authenticator import SoftAuthenticator, challenge_of
from tests.support import PASSWORD, PHONE



def register_through_screen(client, authenticator, name="MacBook Touch ID"):
    options = client.post("/account/two-factor/passkeys/options").get_json()["publicKey"]
    credential = authenticator.register(options, origin=ORIGIN)
    return client.post("/account/two-factor/passkeys", data={"name": name, "credential": credential})


def passkey_sign_in(client, authenticator, **kwargs):
    options = client.post("/signin/passkey/options").get_json()["publicKey"]
    return client.post("/signin/passkey", data={"credential": authenticator.assert_(options, origin=ORIGIN, **kwargs)})


def second_factor(client, authenticator, **kwargs):
    options = client.post("/signin/passkey-2fa/options").get_json()["publicKey"]
    return client.post("/signin/passkey-2fa", data={"credential": authenticator.assert_(options, origin=ORIGIN,
                                                                                          **kwargs)})


# ---------------------------------------------------------------- unit level: the library's checks

@pytest.mark.parametrize(("origin", "rp_id"), [("https://evil.example", None), (ORIGIN, "evil.example"),
                                               ("http://localhost", None)])
def test_registration_from_another_origin_or_rp_id_is_refused(app, origin, rp_id):
    from app.security import SecurityError, accounts, passkeys
    from app.security.audit import SYSTEM

    with app.app_context():
        user = accounts.create_user("patient@example.com", PASSWORD, SYSTEM)
        options, challenge = passkeys.registration_options(user)
        response = SoftAuthenticator().register(json.loads(options), origin=origin, rp_id=rp_id)
        with pytest.raises(SecurityError):
            passkeys.register(user, "Phone", response, challenge, SYSTEM)
        assert not user.two_factor_enabled


@pytest.mark.parametrize(("origin", "rp_id"), [("https://evil.example", None), (ORIGIN, "evil.example")])
def test_an_assertion_for_another_origin_or_rp_id_is_refused(app, auth, origin, rp_id):
    from app.security import SecurityError, passkeys
    from app.security.audit import SYSTEM

    authenticator = add_passkey(app, auth.make_user())
    with app.app_context():
        options, challenge = passkeys.authentication_options(None)
        response = authenticator.assert_(json.loads(options), origin=origin, rp_id=rp_id)
        with pytest.raises(SecurityError):
            passkeys.authenticate(response, challenge, SYSTEM)


def test_rp_id_and_origin_come_from_public_url_not_the_request(app):
    from app.security import passkeys

    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert passkeys.rp_id() == "localhost" and passkeys.origin() == ORIGIN
        options = json.loads(passkeys.authentication_options(None)[0])
        assert options["rpId"] == "localhost" and options["userVerification"] == "required"


def test_a_sign_count_that_goes_backwards_is_refused(app, auth):
    from app.security import SecurityError, passkeys
    from app.security.audit import SYSTEM

    authenticator = add_passkey(app, auth.make_user())
    with app.app_context():
        options, challenge = passkeys.authentication_options(None)
        passkeys.authenticate(authenticator.assert_(json.loads(options), origin=ORIGIN, count_step=5), challenge,
                              SYSTEM)
        from app.extensions import db
        db.session.commit()
        options, challenge = passkeys.authentication_options(None)
        cloned = authenticator.assert_(json.loads(options), origin=ORIGIN, count_step=-2)
        with pytest.raises(SecurityError):
            passkeys.authenticate(cloned, challenge, SYSTEM)


def test_passkey_sign_in_needs_user_verification(app, auth, client):
    authenticator = add_passkey(app, auth.make_user())
    authenticator.user_verified = False
    response = passkey_sign_in(client, authenticator)
    assert response.headers["Location"].startswith("/signin")
    assert client.get("/account").status_code in (302, 303)


# ---------------------------------------------------------------- through the screens

def test_register_list_rename_and_remove(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user(phone=PHONE)
    auth.sign_in_fully(phone=PHONE)
    response = register_through_screen(client, SoftAuthenticator())
    assert response.status_code == 303
    html = page(client.get("/account/two-factor"))
    assert "Your passkey was added." in html and "MacBook Touch ID" in html and "not used yet" in html
    user = user_row(app, user_id)
    credential = user.webauthn_credentials[0]
    assert credential.name == "MacBook Touch ID" and credential.transports == "internal"
    assert events(app, user_id, "2fa_method_added") == [{"method": "webauthn", "name": "MacBook Touch ID"}]
    assert "new two-factor method was added" in fake_vonage.sent_to(PHONE)[-1]["text"]
    client.post(f"/account/two-factor/passkeys/{credential.id}/rename", data={"name": "Work laptop"})
    assert user_row(app, user_id).webauthn_credentials[0].name == "Work laptop"
    client.post(f"/account/two-factor/passkeys/{credential.id}/remove")
    assert user_row(app, user_id).webauthn_credentials == []
    assert events(app, user_id, "2fa_method_removed") == [{"method": "webauthn", "name": "Work laptop"}]


def test_a_first_passkey_turns_two_factor_on(app, auth, client, clock):
    user_id = auth.make_user()
    auth.sign_in_fully()
    response = register_through_screen(client, SoftAuthenticator())
    assert response.status_code == 200 and "Save your recovery codes" in page(response)
    assert user_row(app, user_id).two_factor_enabled


def test_registering_needs_a_recent_sign_in(app, auth, client, clock):
    auth.make_user(phone=PHONE)
    auth.sign_in_fully(phone=PHONE)
    clock.shift(16 * 60)
    assert client.post("/account/two-factor/passkeys/options").status_code == 403
    html = page(client.post("/account/two-factor/passkeys/start"))
    assert "To add a passkey, enter your password first." in html


def test_a_passkey_needs_a_name(app, auth, client, clock):
    user_id = auth.make_user()
    auth.sign_in_fully()
    response = register_through_screen(client, SoftAuthenticator(), name="  ")
    assert response.status_code == 422 and "Give the passkey a name" in page(response)
    assert not user_row(app, user_id).two_factor_enabled


def test_another_users_passkey_cannot_be_renamed_or_removed(app, auth, client, clock):
    other = auth.make_user("other@example.com")
    add_passkey(app, other)
    add_app(app, other)
    auth.make_user()
    auth.sign_in_fully()
    credential_id = user_row(app, other).webauthn_credentials[0].id
    client.post(f"/account/two-factor/passkeys/{credential_id}/rename", data={"name": "Mine now"})
    client.post(f"/account/two-factor/passkeys/{credential_id}/remove")
    assert user_row(app, other).webauthn_credentials[0].name == "Phone"


def test_removing_the_only_passkey_asks_the_disable_question(app, auth, client, clock):
    user_id = auth.make_user()
    authenticator = add_passkey(app, user_id)
    passkey_sign_in(client, authenticator)
    credential_id = user_row(app, user_id).webauthn_credentials[0].id
    html = page(client.post(f"/account/two-factor/passkeys/{credential_id}/remove"))
    assert "Yes, disable" in html and user_row(app, user_id).webauthn_credentials


# ---------------------------------------------------------------- sign-in

def test_a_passkey_as_the_second_factor(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user(phone=PHONE)
    authenticator = add_passkey(app, user_id)
    texts = len(fake_vonage.sent_to(PHONE))  # the notice that a method was added
    response = client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD})
    assert response.headers["Location"].endswith("/signin/passkey-2fa")
    assert len(fake_vonage.sent_to(PHONE)) == texts  # nobody is texted who will use their passkey
    assert "Text me a code at" in page(client.get("/signin/passkey-2fa"))
    response = second_factor(client, authenticator)
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    assert events(app, user_id, "signin_success")[-1]["method"] == "webauthn"
    assert user_row(app, user_id).webauthn_credentials[0].last_used_at is not None


def test_a_passkey_alone_signs_in_fully(app, auth, client, clock):
    user_id = auth.make_user()
    authenticator = add_passkey(app, user_id)
    response = passkey_sign_in(client, authenticator)
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    assert client.get("/account").status_code == 200
    assert events(app, user_id, "signin_success")[-1]["method"] == "passkey"
    assert user_row(app, user_id).webauthn_credentials[0].sign_count == 1


def test_a_challenge_is_used_once(app, auth, client, clock):
    authenticator = add_passkey(app, auth.make_user())
    options = client.post("/signin/passkey/options").get_json()["publicKey"]
    answer = authenticator.assert_(options, origin=ORIGIN)
    assert client.post("/signin/passkey", data={"credential": answer}).headers["Location"].endswith("/account")
    client.post("/signout")
    response = client.post("/signin/passkey", data={"credential": answer})
    assert response.headers["Location"].startswith("/signin")


def test_user_as_passkey_cannot_finish_user_bs_sign_in(app, auth, client, clock):
    alice = auth.make_user("alice@example.com")
    alice_key = add_passkey(app, alice)
    bob = auth.make_user("bob@example.com")
    add_passkey(app, bob)
    client.post("/signin", data={"email": "bob@example.com", "password": PASSWORD})
    response = second_factor(client, alice_key)
    assert response.status_code == 422 and "isn't registered with this account" in page(response)
    assert client.get("/account").status_code in (302, 303)


def test_guessing_caps_never_block_a_passkey(app, auth, client, clock):
    user_id = auth.make_user()
    authenticator = add_passkey(app, user_id)
    from app.extensions import db
    from app.models import User

    with app.app_context():
        db.session.get(User, user_id).consecutive_code_failures = app.config["CODE_FAILURE_CAP"]
        db.session.commit()
    assert passkey_sign_in(client, authenticator).headers["Location"].endswith("/account")
    client.post("/signout")
    client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD})
    assert second_factor(client, authenticator).headers["Location"].endswith("/account")


def test_a_staff_lock_blocks_passkeys(app, auth, client, clock):
    from app.extensions import db
    from app.models import User, utcnow

    user_id = auth.make_user()
    authenticator = add_passkey(app, user_id)
    with app.app_context():
        db.session.get(User, user_id).locked_at = utcnow()
        db.session.commit()
    response = passkey_sign_in(client, authenticator)
    assert response.headers["Location"].startswith("/signin")
    assert client.get("/account").status_code in (302, 303)


def test_app_and_passkey_together_offer_each_other(app, auth, client, clock):
    user_id = auth.make_user()
    add_passkey(app, user_id)
    add_app(app, user_id)
    client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD})
    assert "Use my authenticator app" in page(client.get("/signin/passkey-2fa"))
    assert client.post("/signin/app", data={"code": code_at()}).headers["Location"].endswith("/account")


def test_a_passkey_confirms_it_is_you_in_place_of_password_and_code(app, auth, client, clock):
    user_id = auth.make_user()
    authenticator = add_passkey(app, user_id)
    add_app(app, user_id)
    passkey_sign_in(client, authenticator)
    clock.shift(16 * 60)
    html = page(client.post("/account/two-factor/app/remove"))
    assert "Confirm with a passkey" in html and 'name="action" value="remove_app"' in html
    options = client.post("/account/two-factor/reauth/passkey/options").get_json()["publicKey"]
    assert options["userVerification"] == "required"
    answer = authenticator.assert_(options, origin=ORIGIN)
    response = client.post("/account/two-factor/reauth/passkey", data={"credential": answer, "action": "remove_app"})
    assert response.status_code == 303
    assert user_row(app, user_id).totp_credential is None
    assert events(app, user_id, "reauthenticated")[-1]["method"] == "webauthn"


def test_without_user_verification_a_passkey_does_not_confirm_it_is_you(app, auth, client, clock):
    user_id = auth.make_user()
    authenticator = add_passkey(app, user_id)
    add_app(app, user_id)
    passkey_sign_in(client, authenticator)
    clock.shift(16 * 60)
    authenticator.user_verified = False
    options = client.post("/account/two-factor/reauth/passkey/options").get_json()["publicKey"]
    answer = authenticator.assert_(options, origin=ORIGIN)
    response = client.post("/account/two-factor/reauth/passkey", data={"credential": answer, "action": "remove_app"})
    assert response.status_code == 422 and user_row(app, user_id).totp_credential is not None


def test_an_app_only_sign_in_never_reaches_the_sms_step(app, auth, client, clock, fake_vonage):
    add_app(app, auth.make_user())
    client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD})
    assert client.get("/signin/verify").headers["Location"].endswith("/signin/another-way")
    response = client.post("/signin/resend")
    assert response.status_code < 500 and fake_vonage.messages == []
