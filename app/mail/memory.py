"""Test backend: record messages in memory; optionally fail on demand."""

import threading

from app.mail import Email, MailSendError


class MemoryMailer:
    """Keep every message in a list so tests can read links."""

    def __init__(self) -> None:
        self.messages: list[Email] = []
        self.fail_with: str | None = None
        self._lock = threading.Lock()

    def send(self, email: Email) -> None:
        if self.fail_with:
            raise MailSendError(self.fail_with)
        with self._lock:
            self.messages.append(email)
