"""The server stack for benchmarks and process-level tests: gunicorn, a fake Vonage, backends.

Everything listens on 127.0.0.1 only. Used by bench/run.py and tests/scaleout/test_gunicorn.py.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.dev.fake_vonage import FakeVonage  # noqa: E402  (the same fake the tests use)

SECRET_KEY = "bench-secret-key-" + "b" * 48


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class KeepAliveVonage(FakeVonage):
    """The tests' fake Vonage, speaking HTTP/1.1 so the SDK's pool reuses connections (as with Vonage).

    only_to: when set, self.failure applies to texts to these numbers only (the others are answered
    at once), so a benchmark can make sign-ins slow while its page users signed in normally.
    """

    only_to: frozenset[str] | None = None

    def failure_for(self, to: str) -> str | None:
        if self.only_to is not None and to not in self.only_to:
            return None
        return self.failure

    def _handler(self):
        base = super()._handler()

        class Handler(base):
            protocol_version = "HTTP/1.1"

        return Handler


class Vonage:
    """A fake Vonage (HTTPS) plus a plain-HTTP desk on which load drivers read the codes."""

    def __init__(self, workdir: Path) -> None:
        self.fake = KeepAliveVonage().start()
        self.ca_bundle = str(workdir / "fake-vonage-ca.pem")
        self.fake.ca.cert_pem.write_to_path(self.ca_bundle)
        fake = self.fake

        class Desk(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                return

            def do_GET(self):
                to = parse_qs(urlsplit(self.path).query).get("to", [""])[0]
                try:
                    body = json.dumps({"code": fake.last_code(to)}).encode()
                    status = 200
                except AssertionError:
                    body, status = b'{"code": null}', 404
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.desk = ThreadingHTTPServer(("127.0.0.1", 0), Desk)
        self.desk.daemon_threads = True
        threading.Thread(target=self.desk.serve_forever, daemon=True).start()

    @property
    def desk_url(self) -> str:
        return f"http://127.0.0.1:{self.desk.server_address[1]}"

    def server_env(self) -> dict[str, str]:
        """Environment that points the app's real Vonage SDK at the fake."""
        return {"REQUESTS_CA_BUNDLE": self.ca_bundle, "FLASK_SMS_BACKEND": "vonage",
                "FLASK_VONAGE_API_KEY": "bench-key", "FLASK_VONAGE_API_SECRET": "bench-secret",
                "FLASK_VONAGE_REST_HOST": self.fake.host}

    def stop(self) -> None:
        self.desk.shutdown()
        self.fake.stop()


def app_env(*, database_url: str, redis_url: str | None = None, redis_prefix: str = "bench",
            session_dir: str | None = None, extra: dict | None = None) -> dict[str, str]:
    """FLASK_* configuration for a server process on the embedded default or on PostgreSQL + Redis."""
    env = {"FLASK_APP_ENV": "testing", "FLASK_SECRET_KEY": SECRET_KEY,
           "FLASK_SQLALCHEMY_DATABASE_URI": database_url}
    if redis_url:
        env.update(FLASK_SESSION_TYPE="redis", FLASK_SESSION_REDIS_URL=redis_url,
                   FLASK_SESSION_KEY_PREFIX=f"{redis_prefix}:session:",
                   FLASK_RATELIMIT_STORAGE_URI=redis_url, FLASK_RATELIMIT_KEY_PREFIX=redis_prefix)
    else:
        env.update(FLASK_SESSION_TYPE="cachelib", FLASK_SESSION_FILE_DIR=session_dir or "")
    env.update(extra or {})
    return env


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a free 127.0.0.1 port."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, threads: int = 4, log_path: Path | None = None):
        self.port = free_port()
        self.env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads),
                    "GUNICORN_ACCESSLOG": "off"}
        self.env.pop("GUNICORN_CONTROL_SOCKET", None)
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "Gunicorn":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # bounded readiness poll
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {self.log_path}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/livez", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the master and its workers."""
        ticks, total = os.sysconf("SC_CLK_TCK"), 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if self.process.pid in (int(entry), int(fields[1])):  # the master, or its child
                total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / ticks

    def worker_peak_rss_mb(self) -> list[float]:
        """Return the peak resident memory (VmHWM) of each worker process so far, in MiB."""
        peaks = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parent = int(fh.read().rsplit(")", 1)[1].split()[1])
                if parent != self.process.pid:
                    continue
                with open(f"/proc/{entry}/status") as fh:
                    for line in fh:
                        if line.startswith("VmHWM:"):
                            peaks.append(round(int(line.split()[1]) / 1024, 1))
            except OSError:
                continue
        return sorted(peaks)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # graceful: workers finish their requests
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def run_migrations(env: dict[str, str]) -> None:
    """`flask --app wsgi db upgrade`, as a deployment runs it once."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env={**os.environ, **env}, check=True, capture_output=True, timeout=300)
