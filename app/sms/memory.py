"""Test backend: record messages in memory; optionally fail on demand."""

import threading

from app.sms import GENERIC_FAILURE, SmsSendError


class MemorySender:
    """Keep every message in a list so tests can read codes."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.fail_with: str | None = None
        self._lock = threading.Lock()

    def send(self, to_e164: str, text: str) -> None:
        if self.fail_with:
            raise SmsSendError(GENERIC_FAILURE, self.fail_with)
        with self._lock:
            self.messages.append({"to": to_e164, "text": text})
