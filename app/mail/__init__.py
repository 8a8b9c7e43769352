"""Mail: compose from templates in the request, send later through a queue and a backend (MAIL_BACKEND).

Like app/sms/: a small protocol, backends chosen by configuration (console, smtp, memory), and
nothing else in the app knows how mail leaves. Senders call `send(to, kind, **context)`; the
answer to the person never waits on SMTP, and a failed send is logged, never raised.
"""

from dataclasses import asdict, dataclass
from typing import Protocol

from flask import Flask, current_app, render_template


class MailSendError(Exception):
    """Raised by a backend when the message could not be handed to the mail server."""


@dataclass(frozen=True)
class Email:
    """One composed message: plain text and HTML parts, no tracking of any kind."""

    to: str
    subject: str
    text: str
    html: str
    kind: str = ""

    def as_dict(self) -> dict:
        """Return the message as plain data (for a queue)."""
        return asdict(self)


class Mailer(Protocol):
    def send(self, email: Email) -> None:
        """Deliver the message or raise MailSendError."""


# Subject lines; the body of each lives in app/templates/mail/<kind>.txt and .html.
SUBJECTS = {
    "verify_email": "Confirm your email address for {app}",
    "password_reset": "Reset your {app} password",
    "email_change": "Confirm your new email address for {app}",
    "email_changed": "The email address of your {app} account was changed",
    "notice": "Security notice from {app}",
}


def build_mailer(app: Flask) -> Mailer:
    """Create the backend that MAIL_BACKEND names."""
    name = app.config["MAIL_BACKEND"]
    if name == "console":
        from app.mail.console import ConsoleMailer

        return ConsoleMailer()
    if name == "memory":
        from app.mail.memory import MemoryMailer

        return MemoryMailer()
    if name == "smtp":
        from app.mail.smtp_backend import SmtpMailer

        return SmtpMailer(app)
    raise ValueError(f"Unknown MAIL_BACKEND {name!r}")


def init_mail(app: Flask) -> None:
    """Attach the configured backend and send queue to the app."""
    from app.mail.queue import build_queue

    app.extensions["mailer"] = build_mailer(app)
    app.extensions["mail_queue"] = build_queue(app)


def get_mailer() -> Mailer:
    """Return the current app's backend."""
    return current_app.extensions["mailer"]


def compose(to: str, kind: str, **context) -> Email:
    """Render the text and HTML parts of one message (links come from links.public_url)."""
    name = current_app.config["APP_NAME"]
    context.setdefault("app_name", name)
    return Email(
        to=to,
        subject=SUBJECTS[kind].format(app=name),
        text=render_template(f"mail/{kind}.txt", **context),
        html=render_template(f"mail/{kind}.html", **context),
        kind=kind,
    )


def send(to: str | None, kind: str, **context) -> None:
    """Compose a message and put it on the send queue; to=None queues nothing-to-send, at the same cost."""
    # Known and unknown addresses take the same path (the message is composed either way, then
    # queued or dropped), so the answer's timing says nothing about which one it was.
    email = compose(to or "", kind, **context)
    current_app.extensions["mail_queue"].put(email if to else None)


def flush() -> None:
    """Wait until every queued message was handed to the backend (tests, the CLI)."""
    current_app.extensions["mail_queue"].flush()
