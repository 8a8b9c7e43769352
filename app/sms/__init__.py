"""SMS delivery: a small protocol, backends chosen by SMS_BACKEND, and a per-process cap on sends."""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from flask import Flask, current_app

log = logging.getLogger(__name__)


class SmsSendError(Exception):
    """Raised when a message could not be handed to the provider.

    unconfirmed: the request reached the provider but no answer came (a read timeout), so the
    text may still be delivered; the caller must not treat it as certainly unsent.
    """

    def __init__(self, user_message: str, provider_detail: str = "", *, unconfirmed: bool = False) -> None:
        super().__init__(provider_detail or user_message)
        self.user_message = user_message
        self.provider_detail = provider_detail
        self.unconfirmed = unconfirmed


class SmsSender(Protocol):
    def send(self, to_e164: str, text: str) -> None:
        """Deliver text to an E.164 number or raise SmsSendError."""


GENERIC_FAILURE = "We couldn't send the code. Try again in a moment."
# The provider did not answer in VONAGE_TIMEOUT seconds: the text may or may not arrive.
UNCONFIRMED = ("We couldn't confirm that the text was sent. If it arrives, enter its code; "
               "if not, use Resend code when it becomes available.")


class SendSlotsBusy(SmsSendError):
    """Every send slot of this process is taken: nothing was sent; try again in retry_after seconds."""

    retry_after = 2

    def __init__(self) -> None:
        super().__init__(GENERIC_FAILURE, "busy: send slots full")


class SendSlots:
    """At most `size` provider calls at once in this process; more are refused at once, never queued.

    A slow provider then holds `size` request threads, not all of them: the rest keep serving pages.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._semaphore = threading.BoundedSemaphore(size) if size > 0 else None

    def acquire(self) -> bool:
        """Take a slot if one is free, without waiting."""
        return self._semaphore is None or self._semaphore.acquire(blocking=False)

    def release(self) -> None:
        """Give a slot back."""
        if self._semaphore is not None:
            self._semaphore.release()


def build_sender(app: Flask) -> SmsSender:
    """Create the backend that SMS_BACKEND names."""
    name = app.config["SMS_BACKEND"]
    if name == "console":
        from app.sms.console import ConsoleSender

        return ConsoleSender()
    if name == "memory":
        from app.sms.memory import MemorySender

        return MemorySender()
    if name == "vonage":
        from app.sms.vonage_backend import VonageSender

        return VonageSender.from_config(app.config)
    raise ValueError(f"Unknown SMS_BACKEND {name!r}")


def init_sms(app: Flask) -> None:
    """Attach the configured sender and this process's send slots to the app."""
    app.extensions["sms_sender"] = build_sender(app)
    app.extensions["sms_slots"] = SendSlots(int(app.config["SMS_MAX_CONCURRENT_SENDS"]))


def get_sender() -> SmsSender:
    """Return the current app's sender."""
    return current_app.extensions["sms_sender"]


@contextmanager
def send_slot() -> Iterator[None]:
    """Hold one of this process's send slots for the block; raise SendSlotsBusy when all are taken."""
    slots: SendSlots = current_app.extensions["sms_slots"]
    if not slots.acquire():
        log.warning("SMS not sent: all %d send slots of this process are busy", slots.size)
        raise SendSlotsBusy()
    try:
        yield
    finally:
        slots.release()


def send_text(to_e164: str, text: str) -> None:
    """Send through the app's sender within one of this process's send slots (SendSlotsBusy when none)."""
    with send_slot():
        get_sender().send(to_e164, text)
