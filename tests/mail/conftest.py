"""A real SMTP server (aiosmtpd on 127.0.0.1) for the app's smtp backend; messages are read from it."""

import asyncio
import email
import email.policy
import socket
import threading

import pytest


class Received:
    """What the server accepted: parsed messages, with a gate that can hold the server mid-transaction."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()
        self.refuse_recipients = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_recipients:
            return f"550 5.1.1 <{address}>: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self.gate.is_set():
            self.waiting.set()
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait)
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    # Controller's start-up check connects to the port it was given, so it can't be 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd's Controller on a free port, and what it received."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received = Received()
        self.port = _free_port()
        self.controller = Controller(self.received, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.received.messages

    def stop(self) -> None:
        """Stop answering (a test of a server that is down); safe to call twice."""
        if self.controller._thread is not None:
            self.received.gate.set()
            self.controller.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server for one test; the app talks to it with MAIL_BACKEND=smtp."""
    server = SmtpServer()
    server.controller.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    """These tests are about mail, not hashing cost: a fast argon2 hasher."""
    from tests.admin.helpers import cheap_password_hashing

    cheap_password_hashing(monkeypatch)
