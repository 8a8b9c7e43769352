"""A private redis-server on a free 127.0.0.1 port that a test may stop and start."""

import shutil
import socket
import subprocess
import time

import pytest


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """Own redis-server process; never the shared one on 6379."""

    def __init__(self, directory, *, persistent: bool = False) -> None:
        self.binary = shutil.which("redis-server")
        if not self.binary:
            pytest.skip("redis-server is not installed: needs Redis")
        self.port = free_port()
        self.directory = str(directory)
        # With an append-only file the data survives a stop/start, like a production Redis.
        self.persistent = persistent
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "PrivateRedis":
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--dir", self.directory, "--logfile", "", "--loglevel", "warning"]
        args += ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait(up=True)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis flushes the AOF and exits
            self.process.wait(timeout=10)
        self._wait(up=False)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def _wait(self, *, up: bool) -> None:
        for _ in range(200):  # bounded: at most ~10 s
            if self._answers() == up:
                return
            time.sleep(0.05)
        raise RuntimeError(f"private redis-server did not {'start' if up else 'stop'}")
