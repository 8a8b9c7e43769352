"""Helpers for the mail tests: read what was sent (backend or real server) and the links in it."""

import re
from urllib.parse import parse_qs, urlsplit

from tests.support import FixtureValue

# The app's smtp backend talking to the aiosmtpd fixture.
SMTP = {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": FixtureValue("smtp_server", "port"),
        "MAIL_TIMEOUT": 5}

LINK = re.compile(r"https?://[^\s\"<>]+")


class Sent:
    """One delivered message, whichever backend carried it: to, subject, text, html."""

    def __init__(self, to: str, subject: str, text: str, html: str) -> None:
        self.to, self.subject, self.text, self.html = to, subject, text, html

    @property
    def links(self) -> list[str]:
        return LINK.findall(self.text)

    def token(self) -> str:
        (link,) = self.links
        return parse_qs(urlsplit(link).query)["token"][0]


def _from_server(message) -> Sent:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html_part = message.get_body(preferencelist=("html",))
    return Sent(str(message["To"]), str(message["Subject"]), text, html_part.get_content() if html_part else "")


def delivered(app, server=None) -> list[Sent]:
    """Wait for the send queue, then return every message delivered so far (from the server when given)."""
    with app.app_context():
        from app import mail

        mail.flush()
    if server is not None:
        return [_from_server(m) for m in server.messages]
    return [Sent(m.to, m.subject, m.text, m.html) for m in app.extensions["mailer"].messages]


def delivered_to(app, address: str, server=None) -> list[Sent]:
    """Messages delivered to one address."""
    return [m for m in delivered(app, server) if address in m.to]


def verify(app, user_id: int) -> None:
    """Mark a user's address as verified directly (tests of what follows from it)."""
    from app.extensions import db
    from app.models import User, utcnow

    with app.app_context():
        db.session.get(User, user_id).email_verified_at = utcnow()
        db.session.commit()
