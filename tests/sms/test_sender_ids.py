"""The sender id of each text follows its destination's country; production insists on a number for +1."""

import pytest

from app import create_app
from app.bootstrap import ConfigError
from tests.support import PHONE, TOTP_KEY

GB_MOBILE = "+447400123456"
US_NUMBER_SENDER = {"VONAGE_SMS_FROM_BY_COUNTRY": {"1": "+1 201 555 0100"}}


@pytest.mark.settings(**US_NUMBER_SENDER)
def test_each_text_carries_the_sender_of_its_destination_country(app, client, fake_vonage, clock, auth, twofactor):
    auth.make_user()
    auth.sign_in_fully()
    twofactor.send_setup_code("07400 123456", "GB")
    client.post("/account/two-factor/cancel")
    clock.shift(31)  # past the resend cooldown
    twofactor.send_setup_code()
    gb, us = fake_vonage.sent_to(GB_MOBILE), fake_vonage.sent_to(PHONE)
    assert [m["from"] for m in gb] == ["HealthRec"]  # the alphanumeric default elsewhere
    assert [m["from"] for m in us] == ["12015550100"]  # the number, as Vonage wants it (no "+")


def test_without_a_country_sender_every_text_has_the_default(app, client, fake_vonage, auth, twofactor):
    auth.make_user()
    auth.sign_in_fully()
    twofactor.send_setup_code()
    assert [m["from"] for m in fake_vonage.sent_to(PHONE)] == ["HealthRec"]


PROD = {"APP_ENV": "production", "SECRET_KEY": "k" * 64, "SMS_BACKEND": "vonage",
        "VONAGE_API_KEY": "key", "VONAGE_API_SECRET": "secret", "TESTING": True,
        "PUBLIC_URL": "https://records.example.org", "MAIL_BACKEND": "smtp", "TOTP_ENCRYPTION_KEYS": [TOTP_KEY]}


@pytest.fixture
def made(tmp_path):
    apps = []

    def make(**overrides):
        application = create_app({**PROD, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
                                  "SESSION_FILE_DIR": str(tmp_path / "s"), **overrides})
        apps.append(application)
        return application

    yield make
    from app.extensions import db

    for application in apps:
        with application.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("countries", ["US,CA,GB,IE,AU,NZ,DE,FR,NL,SE", "CA,GB", "GB,US"])
def test_production_refuses_plus_one_countries_without_a_numeric_sender(made, countries):
    with pytest.raises(ConfigError, match="numeric sender"):
        made(SMS_ALLOWED_COUNTRIES=countries)
    with pytest.raises(ConfigError, match="numeric sender"):
        made(SMS_ALLOWED_COUNTRIES=countries, VONAGE_SMS_FROM_BY_COUNTRY={"44": "+447700900100"})


def test_production_starts_with_a_numeric_sender_for_plus_one(made):
    assert made(**US_NUMBER_SENDER).config["VONAGE_SMS_FROM_BY_COUNTRY"] == {"1": "12015550100"}
    assert made(VONAGE_SMS_FROM="+12015550100")  # one number for every country is fine too
    assert made(SMS_ALLOWED_COUNTRIES="GB,IE,DE")  # no +1 country: the alphanumeric id serves


def test_production_reads_the_senders_from_the_environment(made, monkeypatch):
    monkeypatch.setenv("FLASK_VONAGE_SMS_FROM_BY_COUNTRY", '{"1": "+12015550100", "44": "HealthRec"}')
    assert made().config["VONAGE_SMS_FROM_BY_COUNTRY"] == {"1": "12015550100", "44": "HealthRec"}


@pytest.mark.parametrize("bad", [
    "1=+12015550100",  # not a mapping
    {"999": "+12015550100"},  # no such calling code
    {"US": "+12015550100"},  # a region, not a calling code
    {"1": "Much-Too-Long-Sender"},
    {"1": ""},
])
def test_unusable_country_senders_refuse_to_start_in_every_environment(made, bad):
    with pytest.raises(ConfigError, match="VONAGE_SMS_FROM_BY_COUNTRY"):
        made(APP_ENV="development", VONAGE_SMS_FROM_BY_COUNTRY=bad)
