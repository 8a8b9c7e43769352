"""SMS delivery: a small protocol and backends chosen by SMS_BACKEND."""

from typing import Protocol

from flask import Flask, current_app


class SmsSendError(Exception):
    """Raised when a message could not be handed to the provider."""

    def __init__(self, user_message: str, provider_detail: str = "") -> None:
        super().__init__(provider_detail or user_message)
        self.user_message = user_message
        self.provider_detail = provider_detail


class SmsSender(Protocol):
    def send(self, to_e164: str, text: str) -> None:
        """Deliver text to an E.164 number or raise SmsSendError."""


GENERIC_FAILURE = "We couldn't send the code. Try again in a moment."


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
    """Attach the configured sender to the app."""
    app.extensions["sms_sender"] = build_sender(app)


def get_sender() -> SmsSender:
    """Return the current app's sender."""
    return current_app.extensions["sms_sender"]
