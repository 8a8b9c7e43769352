"""Setting up the authenticator app: QR code and key, proof with a code, re-authentication, secrets at rest."""

import pytest

from tests.methods.helpers import SECRET, add_app, code_at, enrol_app, events, page, shown_secret, user_row
from tests.support import PASSWORD, PHONE, TOTP_KEY, build_app


def test_enrolling_turns_two_factor_on_and_shows_recovery_codes(app, auth, client, clock):
    user_id = auth.make_user()
    auth.sign_in_fully()
    response = client.post("/account/two-factor/app", data={"password": PASSWORD})
    assert response.status_code == 303  # JavaScript off: Post/Redirect/Get
    page = client.get("/account/two-factor").get_data(as_text=True)
    # The QR code is inline SVG made here; the key is shown in groups of four.
    assert "<svg" in page and "otpauth" not in page.split("<svg")[0]
    secret = shown_secret(page)
    assert len(secret) == 32 and 'class="secret"' in page
    response = client.post("/account/two-factor/app/confirm", data={"code": code_at(secret)})
    assert response.status_code == 200 and "Save your recovery codes" in response.get_data(as_text=True)
    user = user_row(app, user_id)
    assert user.two_factor_enabled and user.totp_credential is not None and user.phone_e164 is None
    assert events(app, user_id, "2fa_enabled") == [{"method": "totp"}]


def test_the_secret_is_stored_encrypted_with_its_own_key(app, auth, client, clock):
    from app.security import secretbox

    user_id = auth.make_user()
    auth.sign_in_fully()
    secret = enrol_app(client)
    stored = user_row(app, user_id).totp_credential.secret_encrypted
    assert secret not in stored
    with app.app_context():
        assert secretbox.decrypt(stored) == secret
    # Not SECRET_KEY: a Fernet key from TOTP_ENCRYPTION_KEYS.
    assert app.config["TOTP_ENCRYPTION_KEYS"] == [TOTP_KEY]


def test_a_wrong_code_saves_nothing(app, auth, client, clock):
    user_id = auth.make_user()
    auth.sign_in_fully()
    client.post("/account/two-factor/app", data={"password": PASSWORD})
    secret = shown_secret(client.get("/account/two-factor").get_data(as_text=True))
    wrong = f"{(int(code_at(secret)) + 1) % 10**6:06d}"
    response = client.post("/account/two-factor/app/confirm", data={"code": wrong})
    assert response.status_code == 422 and "isn't right" in page(response)
    assert not user_row(app, user_id).two_factor_enabled
    # Still on the same step with the same key, so the person can try the next code.
    assert shown_secret(response.get_data(as_text=True)) == secret


def test_cancel_forgets_the_new_secret(app, auth, client, clock):
    auth.make_user()
    auth.sign_in_fully()
    client.post("/account/two-factor/app", data={"password": PASSWORD})
    client.post("/account/two-factor/app/cancel")
    assert 'class="secret"' not in client.get("/account/two-factor").get_data(as_text=True)
    response = client.post("/account/two-factor/app/confirm", data={"code": "123456"})
    assert "Start again" in response.get_data(as_text=True)


def test_adding_beside_sms_needs_both_factors_after_fifteen_minutes(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user(phone=PHONE)
    auth.sign_in_fully(phone=PHONE)
    clock.shift(16 * 60)
    # The button carries no password: it is asked for first, then a texted code.
    response = client.post("/account/two-factor/app")
    assert "Confirm it's you" in page(response) and 'name="password"' in page(response)
    sent = len(fake_vonage.sent_to(PHONE))
    response = client.post("/account/two-factor/app", data={"password": "wrong-password"})
    assert "That password isn't right." in page(response)
    assert len(fake_vonage.sent_to(PHONE)) == sent
    response = client.post("/account/two-factor/app", data={"password": PASSWORD})
    assert "we need a second factor" in response.get_data(as_text=True)
    response = client.post("/account/two-factor/reauth", data={"method": "sms", "code": fake_vonage.last_code(PHONE)})
    assert response.status_code == 303
    secret = shown_secret(client.get("/account/two-factor").get_data(as_text=True))
    response = client.post("/account/two-factor/app/confirm", data={"code": code_at(secret)})
    assert response.status_code == 303
    assert "Your authenticator app is set up." in client.get("/account/two-factor").get_data(as_text=True)
    assert events(app, user_id, "2fa_method_added") == [{"method": "totp"}]
    # Adding a method is told to the number in force, as every change to two-factor is.
    assert "new two-factor method was added" in fake_vonage.sent_to(PHONE)[-1]["text"]


def test_removing_the_app_keeps_sms_and_tells_the_number(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user(phone=PHONE)
    add_app(app, user_id, preferred="sms")
    auth.sign_in_fully(phone=PHONE)
    response = client.post("/account/two-factor/app/remove")
    assert response.status_code == 303
    user = user_row(app, user_id)
    assert user.totp_credential is None and user.two_factor_enabled
    assert events(app, user_id, "2fa_method_removed") == [{"method": "totp"}]
    assert "two-factor method was removed" in fake_vonage.sent_to(PHONE)[-1]["text"]


def test_removing_the_last_method_asks_the_disable_question(app, auth, client, clock):
    user_id = auth.make_user()
    auth.sign_in_fully()
    enrol_app(client)
    response = client.post("/account/two-factor/app/remove")
    page = response.get_data(as_text=True)
    assert "Are you sure you want to disable two-factor authentication?" in page and "Yes, disable" in page
    assert user_row(app, user_id).totp_credential is not None


def test_a_second_app_is_refused(app, auth, client, clock):
    user_id = auth.make_user()
    add_app(app, user_id)
    client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD})
    client.post("/signin/app", data={"code": code_at()})
    response = client.post("/account/two-factor/app")
    assert "already set up" in response.get_data(as_text=True)


def test_rotate_keys_re_encrypts_with_the_newest_key(tmp_path, fake_vonage):
    from app.extensions import db
    from app.models import TotpCredential
    from app.security import secretbox

    old = TOTP_KEY
    app = build_app(tmp_path, fake_vonage, TOTP_ENCRYPTION_KEYS=[old])
    with app.app_context():
        from app.security import accounts
        from app.security.audit import SYSTEM

        user = accounts.create_user("patient@example.com", PASSWORD, SYSTEM)
        db.session.add(TotpCredential(user_id=user.id, secret_encrypted=secretbox.encrypt(SECRET)))
        db.session.commit()
    new = secretbox.new_key()
    app.config["TOTP_ENCRYPTION_KEYS"] = [new, old]  # newest first: it encrypts, both decrypt
    result = app.test_cli_runner().invoke(args=["totp", "rotate-keys"])
    assert result.exit_code == 0 and "Re-encrypted 1 secret" in result.output
    app.config["TOTP_ENCRYPTION_KEYS"] = [new]  # the old key can go
    with app.app_context():
        assert secretbox.decrypt(db.session.query(TotpCredential).one().secret_encrypted) == SECRET
    app.config["TOTP_ENCRYPTION_KEYS"] = [secretbox.new_key()]  # a key that never made it: refused, not garbage
    result = app.test_cli_runner().invoke(args=["totp", "rotate-keys"])
    assert result.exit_code != 0 and "TOTP_ENCRYPTION_KEYS" in result.output


def test_keys_come_from_a_comma_separated_environment_value(tmp_path, fake_vonage):
    from app.security import secretbox

    first, second = secretbox.new_key(), secretbox.new_key()
    app = build_app(tmp_path, fake_vonage, TOTP_ENCRYPTION_KEYS=f"{first}, {second}")
    assert app.config["TOTP_ENCRYPTION_KEYS"] == [first, second]


def test_production_refuses_to_start_without_totp_keys(tmp_path, fake_vonage):
    from app.bootstrap import ConfigError
    from tests.support import US_SENDER

    with pytest.raises(ConfigError, match="TOTP_ENCRYPTION_KEYS"):
        build_app(tmp_path, fake_vonage, APP_ENV="production", SECRET_KEY="p" * 48, TOTP_ENCRYPTION_KEYS=[],
                  **US_SENDER)


def test_development_generates_a_key_once_into_the_instance_config(tmp_path, monkeypatch):
    from app import create_app

    instance = tmp_path / "instance"
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(instance))
    config = {"SECRET_KEY": "s" * 40, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/dev.db"}
    first = create_app(dict(config)).config["TOTP_ENCRYPTION_KEYS"]
    assert "TOTP_ENCRYPTION_KEYS = [" in (instance / "config.py").read_text()
    assert create_app(dict(config)).config["TOTP_ENCRYPTION_KEYS"] == first
