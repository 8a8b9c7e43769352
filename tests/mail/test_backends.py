"""The mail module: console, smtp (a real server) and memory backends, the send queue, production's refusal."""

import pytest

from app.bootstrap import ConfigError
from tests.mail.support import SMTP, delivered


def queue_one(app, to: str | None = "patient@example.com", link: str | None = None):
    from app import mail

    with app.test_request_context():
        mail.send(to, "password_reset", link=link or "https://localhost/password/reset?token=t", minutes=60)


@pytest.mark.settings(**SMTP)
def test_the_smtp_backend_delivers_text_and_html_to_a_real_server(app, smtp_server):
    queue_one(app, link="https://localhost/account")
    (sent,) = delivered(app, smtp_server)
    assert sent.to == "patient@example.com"
    assert sent.subject == "Reset your Health Records password"
    assert "choose a new password" in sent.text and "https://localhost/account" in sent.text
    assert "Choose a new password" in sent.html and 'href="https://localhost/account"' in sent.html
    (envelope,) = smtp_server.received.envelopes
    assert envelope.mail_from == "no-reply@localhost" and envelope.rcpt_tos == ["patient@example.com"]


@pytest.mark.settings(**SMTP)
def test_html_has_no_tracking_no_images_and_no_remote_resources(app, smtp_server):
    queue_one(app, link="https://localhost/account")
    (sent,) = delivered(app, smtp_server)
    assert "<img" not in sent.html and "<script" not in sent.html and "<link" not in sent.html
    assert set(sent.links) == {"https://localhost/account"}


@pytest.mark.settings(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=1)
def test_a_failed_send_is_logged_without_the_address_and_never_raised(app, caplog):
    from app import mail

    queue_one(app, to="secret-person@example.com")
    with app.app_context():
        mail.flush()  # the queue drains without raising
    logged = caplog.text
    assert "Mail not sent (password_reset): ConnectionRefusedError (111)" in logged and "secret-person" not in logged


@pytest.mark.settings(**SMTP)
def test_a_refused_recipient_is_logged_without_the_address(app, smtp_server, caplog):
    smtp_server.received.refuse_recipients = True
    queue_one(app, to="secret-person@example.com")
    assert delivered(app, smtp_server) == []
    assert "Mail not sent (password_reset): SMTPRecipientsRefused" in caplog.text and "secret-person" not in caplog.text


def test_the_memory_backend_keeps_messages_and_fails_on_demand(app):
    app.extensions["mailer"].fail_with = "boom"
    queue_one(app)
    assert delivered(app) == []
    app.extensions["mailer"].fail_with = None
    queue_one(app)
    assert [m.to for m in delivered(app)] == ["patient@example.com"]


def test_nothing_to_send_goes_through_the_queue_and_sends_nothing(app):
    from app import mail

    with app.test_request_context():
        mail.send(None, "password_reset", link=None, minutes=60)
    assert delivered(app) == []


@pytest.mark.settings(APP_ENV="development", MAIL_BACKEND="console", SMS_BACKEND="console")
def test_console_mail_is_printed_and_listed_on_the_dev_outbox(app, capsys):
    queue_one(app, link="https://localhost/x")
    from app import mail

    with app.app_context():
        mail.flush()
    assert "Mail to patient@example.com" in capsys.readouterr().out
    html = app.test_client().get("/dev/outbox").get_data(as_text=True)
    assert "Reset your Health Records password" in html and "choose a new password" in html
    assert app.test_client().get("/dev/outbox", environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 404


PROD = {"APP_ENV": "production", "SECRET_KEY": "k" * 64, "SMS_BACKEND": "vonage", "VONAGE_API_KEY": "key",
        "VONAGE_API_SECRET": "secret", "PUBLIC_URL": "https://records.example.org",
        "VONAGE_SMS_FROM_BY_COUNTRY": {"1": "+12015550100"}}


@pytest.mark.parametrize("backend", ["console", "memory"])
def test_production_refuses_mail_that_never_leaves_the_server(app_factory, backend):
    with pytest.raises(ConfigError, match="MAIL_BACKEND=smtp"):
        app_factory(schema=False, TESTING=False, MAIL_BACKEND=backend, **PROD)


def test_production_starts_with_smtp(app_factory):
    assert app_factory(schema=False, TESTING=False, MAIL_BACKEND="smtp", **PROD).config["MAIL_BACKEND"] == "smtp"


def test_links_come_from_public_url_never_the_request_host(app):
    from app.mail.links import public_url

    with app.test_request_context(base_url="http://evil.example"):
        assert public_url("email.reset_password", token="t") == "https://localhost/password/reset?token=t"
    with app.app_context():  # outside any request, too (the CLI, the queue)
        assert public_url("email.verify", token="t") == "https://localhost/email/verify?token=t"


@pytest.mark.settings(**SMTP)
def test_the_answer_never_waits_on_the_smtp_exchange(app, smtp_server):
    smtp_server.received.gate.clear()  # the server holds every message until released
    queue_one(app)
    assert smtp_server.received.waiting.wait(5)  # the queue is mid-transaction...
    assert smtp_server.messages == []  # ...and the caller already returned
    smtp_server.received.gate.set()
    assert len(delivered(app, smtp_server)) == 1


@pytest.fixture
def redis_queue_settings():
    import os

    from tests.support import redis_prefix

    if not os.environ.get("TEST_REDIS_URL"):
        pytest.skip("TEST_REDIS_URL not set: needs Redis")
    return {"MAIL_QUEUE": "redis", "MAIL_REDIS_URL": os.environ["TEST_REDIS_URL"],
            "MAIL_QUEUE_KEY": f"{redis_prefix()}:mail"}


def test_at_scale_the_queue_is_a_redis_list_a_worker_sends(app_factory, redis_queue_settings):
    app = app_factory(**redis_queue_settings)
    queue_one(app)
    queue_one(app, to=None)  # nothing to send still takes the same path
    assert app.extensions["mailer"].messages == []  # queued, not sent by the request
    result = app.test_cli_runner().invoke(args=["mail-worker", "--once"])
    assert result.output.strip() == "mail=2"
    assert [m.to for m in app.extensions["mailer"].messages] == ["patient@example.com"]
