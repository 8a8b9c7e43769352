"""A fake Vonage SMS API over HTTPS on 127.0.0.1 for tests and bench; the app never imports it."""

import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import trustme

ERROR_TEXT = {
    "1": "Throttled",
    "2": "Missing Parameters",
    "4": "Invalid Credentials",
    "6": "Invalid Message",
    "7": "Number Barred",
    "9": "Partner Quota Violation",
    "15": "Invalid Sender Address",
    "29": "Non-Whitelisted Destination",
}


class FakeVonage:
    """Record every SMS; answer as Vonage does, or fail the way tests ask."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self.messages: list[dict] = []
        self.requests: list[dict] = []
        # None = accept; "1", "4", "9", "29"... = Vonage status; "http500"; "close"; "garbage";
        # "slow" = accept (and record the text) after slow_seconds -- above the client's timeout
        # it plays a Vonage that hangs, yet may deliver the text after the client gave up.
        self.failure: str | None = None
        self.slow_seconds = 3.0
        self._lock = threading.Lock()
        # Answers still being written; reset() waits for them so no late one leaks into the next test.
        self._inflight = 0
        self._idle = threading.Condition()
        server_cert = self.ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_cert.configure_cert(context)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeVonage":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_idle(self, timeout: float = 10) -> bool:
        """Wait until no answer is still being written (a slow one included); tell whether it came to that."""
        with self._idle:
            return self._idle.wait_for(lambda: self._inflight == 0, timeout=timeout)

    def reset(self) -> None:
        self.wait_idle()
        with self._lock:
            self.messages.clear()
            self.requests.clear()
            self.failure = None

    def failure_for(self, to: str) -> str | None:
        """Return how to answer a text to this number (digits, no "+"): self.failure unless overridden."""
        return self.failure

    def sent_to(self, number: str) -> list[dict]:
        digits = number.lstrip("+")
        return [m for m in self.messages if m["to"] == digits]

    def last_code(self, number: str | None = None) -> str:
        pool = self.sent_to(number) if number else self.messages
        for message in reversed(pool):
            found = re.search(r"verification code is (\d{6})", message["text"])
            if found:
                return found.group(1)
        raise AssertionError(f"no code was texted to {number or 'anyone'}")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                return

            def do_POST(self):
                with fake._idle:
                    fake._inflight += 1
                try:
                    self._answer()
                finally:
                    with fake._idle:
                        fake._inflight -= 1
                        fake._idle.notify_all()

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                # The SDK sends a form body; parse it as a form whatever the header says.
                form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
                with fake._lock:
                    fake.requests.append({"path": self.path, "form": form, "headers": dict(self.headers)})
                    failure = fake.failure_for(form.get("to", ""))
                if self.path != "/sms/json":
                    return self._json(404, {"error": "not found"})
                if failure == "close":
                    self.connection.close()
                    return
                if failure == "slow":
                    time.sleep(fake.slow_seconds)
                if failure == "http500":
                    return self._json(500, {"error": "server error"})
                if failure == "garbage":
                    return self._json(200, {"unexpected": True})
                if failure and failure not in ("slow",):
                    return self._json(200, {"message-count": "1", "messages": [
                        {"status": failure, "error-text": ERROR_TEXT.get(failure, "Error")}]})
                with fake._lock:
                    message_id = f"fake-{len(fake.messages) + 1:08d}"
                    fake.messages.append({"to": form.get("to"), "from": form.get("from"),
                                          "text": form.get("text", ""), "api_key": form.get("api_key")})
                return self._json(200, {"message-count": "1", "messages": [{
                    "to": form.get("to"), "message-id": message_id, "status": "0",
                    "remaining-balance": "10.0", "message-price": "0.01", "network": "12345"}]})

            def _json(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
