"""A real mail server through Flask-Mail: MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS/SSL, credentials, MAIL_FROM."""

import smtplib

from flask import Flask
from flask_mail import Connection, Mail, Message

from app.mail import Email, MailSendError


class _TimedConnection(Connection):
    """Flask-Mail's connection, with a timeout so a silent server can't hold the queue forever."""

    timeout = 10

    def configure_host(self):
        state = self.mail
        cls = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = cls(state.server, state.port, timeout=self.timeout)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


class SmtpMailer:
    """Hand each message to the configured SMTP server."""

    def __init__(self, app: Flask) -> None:
        # Flask-Mail suppresses sending under TESTING; this backend exists to really send.
        self.state = Mail().init_mail({**app.config, "MAIL_SUPPRESS_SEND": False,
                                       "MAIL_DEFAULT_SENDER": app.config["MAIL_FROM"]})
        app.extensions["mail"] = self.state  # where Flask-Mail's Message looks for its settings
        self.timeout = float(app.config["MAIL_TIMEOUT"])

    def send(self, email: Email) -> None:
        message = Message(subject=email.subject, recipients=[email.to], body=email.text, html=email.html,
                          sender=self.state.default_sender)
        connection = _TimedConnection(self.state)
        connection.timeout = self.timeout
        try:
            with connection:
                connection.send(message)
        except (OSError, smtplib.SMTPException) as exc:
            # The kind of failure and the server's reply code only: SMTP errors quote the addresses.
            code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
            raise MailSendError(type(exc).__name__ + (f" ({code})" if code else "")) from None
