"""Development backend: print messages and keep them for the /dev/outbox page."""

import sys
import threading
from collections import deque
from datetime import UTC, datetime

from app.mail import Email


class ConsoleMailer:
    """Print each message's text part to the server's console; never for production."""

    def __init__(self, keep: int = 50) -> None:
        self.outbox: deque[dict] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def send(self, email: Email) -> None:
        with self._lock:
            self.outbox.appendleft({**email.as_dict(), "at": datetime.now(UTC)})
        # Deliberately stdout, not the logger: logs must never carry links.
        print(f"\n--- Mail to {email.to}: {email.subject} ---\n{email.text}\n---", file=sys.stdout, flush=True)
