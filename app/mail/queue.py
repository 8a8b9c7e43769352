"""The send queue: a background thread per process (embedded default) or a Redis list (MAIL_QUEUE)."""

import json
import logging
import os
import queue
import threading

from flask import Flask

from app.mail import Email, MailSendError

log = logging.getLogger(__name__)


def deliver(app: Flask, email: Email | None) -> bool:
    """Hand one message to the backend; log a failure (never its address or links); True when sent."""
    if email is None:
        return False  # nothing to send: the request that queued it must not be told apart
    try:
        with app.app_context():
            app.extensions["mailer"].send(email)
    except Exception as exc:  # noqa: BLE001  (a bad message must not stop the queue)
        # The change the message reports is already committed; the person can ask again.
        detail = str(exc) if isinstance(exc, MailSendError) else type(exc).__name__
        log.warning("Mail not sent (%s): %s", email.kind, detail)
        return False
    return True


class ThreadQueue:
    """A queue drained by one daemon thread, started on first use in each process (so forks get theirs)."""

    IDLE_SECONDS = 30

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def put(self, email: Email | None) -> None:
        self._queue.put(email)
        self._ensure_worker()

    def flush(self) -> None:
        self._queue.join()

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="mail-queue", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                email = self._queue.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    # Quit when idle (an app built per test must not leave a thread each);
                    # a put after this starts a new one.
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                deliver(self.app, email)
            finally:
                self._queue.task_done()


class RedisQueue:
    """A Redis list shared by every app host; `flask mail-worker` sends what it holds."""

    def __init__(self, app: Flask) -> None:
        import redis

        url = app.config.get("MAIL_REDIS_URL") or app.config.get("SESSION_REDIS_URL")
        if not url:
            raise ValueError("MAIL_QUEUE=redis needs MAIL_REDIS_URL.")
        self.app = app
        self.key = app.config["MAIL_QUEUE_KEY"]
        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)

    def put(self, email: Email | None) -> None:
        self.redis.lpush(self.key, json.dumps(email.as_dict() if email else None))

    def work(self, *, wait: int = 5, once: bool = False) -> int:
        """Send queued messages until the list is empty (once) or forever; return how many were taken."""
        taken = 0
        while True:
            item = self.redis.brpop([self.key], timeout=wait) if not once else self.redis.rpop(self.key)
            if item is None:
                if once:
                    return taken
                continue
            raw = item[1] if isinstance(item, tuple | list) else item
            data = json.loads(raw)
            deliver(self.app, Email(**data) if data else None)
            taken += 1

    def flush(self) -> None:
        self.work(once=True)


def build_queue(app: Flask):
    """Create the queue MAIL_QUEUE names."""
    name = app.config["MAIL_QUEUE"]
    if name == "thread":
        return ThreadQueue(app)
    if name == "redis":
        return RedisQueue(app)
    raise ValueError(f"Unknown MAIL_QUEUE {name!r}")
