"""Configuration layers (defaults → instance/config.py → FLASK_* → test_config) and the safety checks."""

import os
import stat

import pytest
from flask import Flask

from app import create_app
from app.bootstrap import ConfigError
from tests.support import TOTP_KEY, US_SENDER

PROD_KEY = "k" * 64


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A throwaway instance folder, and no FLASK_* variables from the surrounding shell."""
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(folder))
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)
    return folder


@pytest.fixture
def made(request):
    """Create apps and dispose of their database engines afterwards."""
    apps = []

    def make(test_config=None):
        application = create_app(test_config)
        apps.append(application)
        return application

    yield make
    from app.extensions import db

    for application in apps:
        with application.app_context():
            db.engine.dispose()


def write_instance_config(instance, text: str) -> None:
    (instance / "config.py").write_text(text, encoding="utf-8")


def test_defaults_apply_when_nothing_else_is_set(instance, made):
    app = made({"SECRET_KEY": "s" * 40})
    assert app.instance_path == str(instance)
    assert app.config["APP_NAME"] == "Health Records"
    assert app.config["CODE_TTL_SECONDS"] == 600
    assert app.config["SESSION_IDLE_TIMEOUT"] == 1800 and app.config["SESSION_ABSOLUTE_TIMEOUT"] == 43200
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(instance / "app.db")
    assert app.config["SESSION_TYPE"] == "cachelib"
    assert app.config["SESSION_FILE_DIR"] == str(instance / "sessions")
    assert app.config["SMS_BACKEND"] == "console"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_each_layer_overrides_the_one_before(instance, made, monkeypatch):
    write_instance_config(instance, (
        "SECRET_KEY = 'instance-key-" + "i" * 40 + "'\n"
        "APP_NAME = 'From Instance'\n"
        "CODE_TTL_SECONDS = 111\n"
        "CODE_MAX_ATTEMPTS = 7\n"
        "DEFAULT_COUNTRY = 'GB'\n"
    ))
    app = made()
    assert (app.config["APP_NAME"], app.config["CODE_TTL_SECONDS"]) == ("From Instance", 111)
    assert app.config["SECRET_KEY"].startswith("instance-key-")

    monkeypatch.setenv("FLASK_APP_NAME", "From Env")
    monkeypatch.setenv("FLASK_CODE_TTL_SECONDS", "300")
    monkeypatch.setenv("FLASK_RATELIMIT_ENABLED", "false")
    app = made()
    assert app.config["APP_NAME"] == "From Env"
    assert app.config["CODE_TTL_SECONDS"] == 300  # parsed as JSON, so a number
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["CODE_MAX_ATTEMPTS"] == 7  # the instance file still counts where env is silent

    app = made({"APP_NAME": "From Test", "SECRET_KEY": "t" * 40})
    assert app.config["APP_NAME"] == "From Test"
    assert app.config["CODE_TTL_SECONDS"] == 300
    assert app.config["DEFAULT_COUNTRY"] == "GB"  # untouched layers shine through
    assert app.config["SECRET_KEY"] == "t" * 40


def test_environment_chooses_database_and_session_store(instance, made, monkeypatch, tmp_path):
    from app.extensions import db

    other = tmp_path / "elsewhere.db"
    monkeypatch.setenv("FLASK_SECRET_KEY", "e" * 40)
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{other}")
    monkeypatch.setenv("FLASK_SESSION_TYPE", "redis")
    monkeypatch.setenv("FLASK_SESSION_REDIS_URL", "redis://127.0.0.1:6399/3")
    app = made()
    with app.app_context():
        assert db.engine.url.database == str(other)
    assert app.config["SESSION_TYPE"] == "redis"
    assert app.config["SESSION_REDIS"].connection_pool.connection_kwargs["db"] == 3


def test_redis_sessions_without_a_url_refuse_to_start(instance, made):
    with pytest.raises(ConfigError, match="SESSION_REDIS_URL"):
        made({"SECRET_KEY": "s" * 40, "SESSION_TYPE": "redis"})


def test_unknown_session_type_refuses_to_start(instance, made):
    with pytest.raises(ConfigError, match="SESSION_TYPE"):
        made({"SECRET_KEY": "s" * 40, "SESSION_TYPE": "filesystem-please"})


def production(**overrides) -> dict:
    config = {"APP_ENV": "production", "SECRET_KEY": PROD_KEY, "SMS_BACKEND": "vonage",
              "VONAGE_API_KEY": "key", "VONAGE_API_SECRET": "secret", "PUBLIC_URL": "https://records.example.org",
              "MAIL_BACKEND": "smtp", "TOTP_ENCRYPTION_KEYS": [TOTP_KEY], **US_SENDER}
    config.update(overrides)
    return {k: v for k, v in config.items() if v is not None}


def test_production_refuses_to_start_without_a_secret_key(instance, made):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        made(production(SECRET_KEY=None))
    assert not (instance / "config.py").exists()  # nothing was generated


def test_production_from_the_environment_refuses_to_start_without_a_secret_key(instance, made, monkeypatch):
    monkeypatch.setenv("FLASK_APP_ENV", "production")
    monkeypatch.setenv("FLASK_SMS_BACKEND", "vonage")
    monkeypatch.setenv("FLASK_VONAGE_API_KEY", "key")
    monkeypatch.setenv("FLASK_VONAGE_API_SECRET", "secret")
    monkeypatch.setenv("FLASK_PUBLIC_URL", "https://records.example.org")
    monkeypatch.setenv("FLASK_VONAGE_SMS_FROM_BY_COUNTRY", '{"1": "+12015550100"}')
    monkeypatch.setenv("FLASK_MAIL_BACKEND", "smtp")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        made()
    monkeypatch.setenv("FLASK_SECRET_KEY", PROD_KEY)
    monkeypatch.setenv("FLASK_TOTP_ENCRYPTION_KEYS", TOTP_KEY)
    assert made().config["APP_ENV"] == "production"


def test_production_refuses_a_short_secret_key(instance, made):
    with pytest.raises(ConfigError, match="at least 32"):
        made(production(SECRET_KEY="changeme"))


@pytest.mark.parametrize("backend", ["console", "memory"])
def test_production_refuses_a_non_vonage_sms_backend(instance, made, backend):
    with pytest.raises(ConfigError, match="SMS_BACKEND=vonage"):
        made(production(SMS_BACKEND=backend))


def test_production_refuses_vonage_without_credentials(instance, made):
    with pytest.raises(ConfigError, match="VONAGE_API_KEY"):
        made(production(VONAGE_API_SECRET=None))


def test_production_turns_on_secure_cookies(instance, made):
    app = made(production())
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert app.config["TRUST_COOKIE_NAME"] == "__Host-trusted_device"
    assert app.config["LOG_JSON"] is True
    assert "dev" not in app.blueprints  # the development outbox does not exist in production


def test_development_generates_a_secret_key_once_and_reuses_it(instance, made):
    write_instance_config(instance, "APP_NAME = 'Kept'\n")
    first = made()
    key = first.config["SECRET_KEY"]
    assert len(key) >= 64
    text = (instance / "config.py").read_text(encoding="utf-8")
    assert "APP_NAME = 'Kept'" in text and text.count("SECRET_KEY") == 1 and key in text
    assert stat.S_IMODE(os.stat(instance / "config.py").st_mode) == 0o600
    second = made()
    assert second.config["SECRET_KEY"] == key
    assert (instance / "config.py").read_text(encoding="utf-8") == text
    assert second.config["APP_NAME"] == "Kept"


def test_development_generates_the_instance_file_when_absent(instance, made):
    key = made().config["SECRET_KEY"]
    assert key in (instance / "config.py").read_text(encoding="utf-8")
    assert "dev" in made().blueprints  # the development outbox is served in development


def test_an_environment_secret_key_is_not_written_down(instance, made, monkeypatch):
    monkeypatch.setenv("FLASK_SECRET_KEY", "from-the-environment-" + "e" * 30)
    app = made()
    assert app.config["SECRET_KEY"].startswith("from-the-environment-")
    # Only the generated TOTP_ENCRYPTION_KEYS may be written there.
    assert "SECRET_KEY =" not in ((instance / "config.py").read_text() if (instance / "config.py").exists() else "")


# ---------------------------------------------------------------- PUBLIC_URL and trusted hosts

def test_production_refuses_to_start_without_a_public_url(instance, made):
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        made(production(PUBLIC_URL=None))


@pytest.mark.parametrize("bad", ["http://records.example.org", "https://203.0.113.9", "https://[2001:db8::1]"])
def test_production_needs_an_https_public_url_naming_a_host(instance, made, bad):
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        made(production(PUBLIC_URL=bad))


@pytest.mark.parametrize("bad", ["records.example.org", "ftp://records.example.org", "https://records.example.org/app",
                                 "https://user:pw@records.example.org", "https://records.example.org/?next=/",
                                 "https://records.example.org:99999", "https://evil example.org"])
def test_a_public_url_that_is_not_an_origin_refuses_to_start(instance, made, bad):
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        made({"SECRET_KEY": "s" * 40, "PUBLIC_URL": bad})


def test_production_trusts_the_public_host_unless_told_otherwise(instance, made):
    app = made(production(PUBLIC_URL="https://Records.Example.org:8443/"))
    assert app.config["PUBLIC_URL"] == "https://records.example.org:8443"
    assert app.config["TRUSTED_HOSTS"] == ["records.example.org"]
    app = made(production(TRUSTED_HOSTS=["records.example.org", "www.records.example.org"]))
    assert app.config["TRUSTED_HOSTS"] == ["records.example.org", "www.records.example.org"]


def test_development_public_url_is_localhost_on_the_run_port(instance, made, monkeypatch):
    from app.web import webotp_host

    app = made({"SECRET_KEY": "s" * 40})
    assert app.config["PUBLIC_URL"] == "http://localhost:5000"
    assert app.config["TRUSTED_HOSTS"] is None  # development serves any host (e.g. a phone on the LAN)
    monkeypatch.setenv("FLASK_RUN_PORT", "8123")
    app = made({"SECRET_KEY": "s" * 40})
    assert app.config["PUBLIC_URL"] == "http://localhost:8123"
    with app.app_context():
        assert webotp_host() == "localhost"
