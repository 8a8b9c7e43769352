"""Development backend: print messages and keep them for the /dev/outbox page."""

import sys
import threading
from collections import deque
from datetime import UTC, datetime


class ConsoleSender:
    """Print each message to the server's console; never for production."""

    def __init__(self, keep: int = 50) -> None:
        self.outbox: deque[dict] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def send(self, to_e164: str, text: str) -> None:
        with self._lock:
            self.outbox.appendleft({"to": to_e164, "text": text, "at": datetime.now(UTC)})
        # Deliberately stdout, not the logger: logs must never carry codes.
        print(f"\n--- SMS to {to_e164} ---\n{text}\n---", file=sys.stdout, flush=True)
