"""Load driver: virtual users on keep-alive connections, in a few processes of threads.

A virtual user is one browser: its own connection and cookie jar. Scenarios:
  baseline  GET /livez over and over (the same server stack, no work behind it)
  page      GET /account as a fully signed-in, trusted browser
  signin    the whole new-device sign-in: GET /signin, POST password, GET /signin/verify,
            read the code from the fake Vonage, POST the code, GET /account
  signin_told  the same, but a code screen saying the text couldn't be sent (or confirmed)
            is answered as a person would: read it, press Resend code (see sign_in_or_told)
Only 127.0.0.1 is ever contacted; every run is bounded by its duration.
"""

import http.client
import json
import multiprocessing
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
# "We couldn't send the code…" / "We couldn't confirm that the text was sent…", however escaped.
TOLD = re.compile(r"couldn(?:'|&#39;|&#x27;|\u2019)t (send|confirm)")
READING_SECONDS = 1.0
GIVE_UP_SECONDS = 5.0
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


class FlowError(Exception):
    """A response that a real browser would have seen as a failure."""


class Browser:
    """One keep-alive connection to the server plus a cookie jar."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        assert parts.hostname in ("127.0.0.1", "localhost"), "load only ever targets 127.0.0.1"
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.server_errors = 0  # 5xx answers seen

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnect on the next request
            raise
        if response.status >= 500:
            self.server_errors += 1
        for raw in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, dict(response.headers), data

    def get_token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        if status != 200:
            raise FlowError(f"GET {path} -> {status}")
        found = TOKEN.search(page)
        if not found:
            raise FlowError(f"no CSRF token on {path}")
        return found.group(1)

    def post_form(self, path: str, form: dict, token_from: str | None = None, expect: str | None = None) -> str:
        form = {**form, "csrf_token": self.get_token(token_from or path)}
        status, headers, _ = self.request("POST", path, form)
        location = headers.get("Location", "")
        if status != 303 or (expect and not location.endswith(expect)):
            raise FlowError(f"POST {path} -> {status} {location}")
        return location

    def close(self) -> None:
        self.conn.close()


class CodeDesk:
    """Reads the latest code texted to a number from the bench's fake Vonage."""

    def __init__(self, desk_url: str) -> None:
        parts = urlsplit(desk_url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def latest(self, phone: str) -> str | None:
        """Return the latest code texted to phone, or None."""
        try:
            return self.code_for(phone)
        except FlowError:
            return None

    def code_for(self, phone: str) -> str:
        self.conn.request("GET", "/code?" + urlencode({"to": phone}))
        response = self.conn.getresponse()
        data = json.loads(response.read())
        if not data.get("code"):
            raise FlowError(f"no code texted to {phone}")
        return data["code"]


def sign_in(browser: Browser, desk: CodeDesk, user: dict, *, trust: bool) -> None:
    """Sign in as a new device: password, then the texted code; end on /account."""
    browser.cookies.pop("session", None)
    browser.post_form("/signin", {"email": user["email"], "password": user["password"]},
                      expect="/signin/verify")
    token = browser.get_token("/signin/verify")  # the session id changed: a fresh token
    form = {"code": desk.code_for(user["phone"]), "csrf_token": token}
    if trust:
        form["trust"] = "on"
    status, headers, _ = browser.request("POST", "/signin/verify", form)
    if status != 303 or not headers.get("Location", "").endswith("/account"):
        raise FlowError(f"POST /signin/verify -> {status}")
    view_account(browser)


def sign_in_or_told(browser: Browser, desk: CodeDesk, user: dict) -> str:
    """Sign in as a new device, behaving as a person does when the code screen says the text
    couldn't be sent: read it (1 s), press Resend code (no password again), up to 3 times; when it
    couldn't be confirmed, wait up to 5 s for the text. Return the outcome: "code" (first try),
    "code_after_resend", "code_late" or "gave_up"."""
    browser.cookies.pop("session", None)
    before = desk.latest(user["phone"])
    browser.post_form("/signin", {"email": user["email"], "password": user["password"]},
                      expect="/signin/verify")
    outcome = "code"
    status, _, page = browser.request("GET", "/signin/verify")
    for resends in range(4):
        if status not in (200, 429, 503):
            raise FlowError(f"code screen -> {status}")
        told = TOLD.search(page)
        if not told:
            break
        if resends == 3:
            time.sleep(GIVE_UP_SECONDS)  # told four times: the person gives up, comes back later
            return "gave_up"
        time.sleep(READING_SECONDS)
        if told.group(1) == "confirm" and _await_new_code(desk, user["phone"], before):
            outcome = "code_late"  # it came after all
            break
        token = TOKEN.search(page)
        if not token:
            raise FlowError("no CSRF token on the code screen")
        status, _, page = browser.request("POST", "/signin/resend", {"csrf_token": token.group(1)})
        if status == 303:
            status, _, page = browser.request("GET", "/signin/verify")
        outcome = "code_after_resend"
    code = desk.latest(user["phone"])
    if code is None or code == before:
        raise FlowError("the code screen showed no message, yet no new code was texted")
    status, headers, _ = browser.request("POST", "/signin/verify", {"code": code, "csrf_token":
                                                                    browser.get_token("/signin/verify")})
    if status != 303 or not headers.get("Location", "").endswith("/account"):
        raise FlowError(f"POST /signin/verify -> {status}")
    view_account(browser)
    return outcome


def _await_new_code(desk: "CodeDesk", phone: str, before: str | None, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        latest = desk.latest(phone)
        if latest is not None and latest != before:
            return True
        time.sleep(0.25)
    return False


def view_account(browser: Browser) -> None:
    status, _, page = browser.request("GET", "/account")
    if status != 200 or "My Account Settings" not in page:
        raise FlowError(f"GET /account -> {status}")


def get_livez(browser: Browser) -> None:
    status, _, _ = browser.request("GET", "/livez")
    if status != 200:
        raise FlowError(f"GET /livez -> {status}")


@dataclass
class Tally:
    """What one process measured."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    server_errors: int = 0

    def error(self, exc: Exception) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{type(exc).__name__}: {exc}"[:200])


def _virtual_user(scenario, base_url, desk_url, user, ready, go, window, tally, lock) -> None:
    browser, desk = Browser(base_url), CodeDesk(desk_url)
    try:
        if scenario == "page":
            sign_in(browser, desk, user, trust=True)  # setup, not measured
            step = lambda: view_account(browser)  # noqa: E731
        elif scenario == "signin":
            step = lambda: sign_in(browser, desk, user, trust=False)  # noqa: E731
        elif scenario == "signin_told":
            step = lambda: sign_in_or_told(browser, desk, user)  # noqa: E731
        else:
            step = lambda: get_livez(browser)  # noqa: E731
    except Exception as exc:  # setup failed: count it and still meet the others at the barrier
        with lock:
            tally.error(exc)
        step = None
    ready.wait()
    go.wait()
    start = time.monotonic()
    warm_until, stop_at = start + window[0], start + window[0] + window[1]
    while step is not None and time.monotonic() < stop_at:
        began = time.monotonic()
        errors_before = browser.server_errors
        try:
            outcome = step()
            ok = True
        except Exception as exc:
            ok = False
            if warm_until <= time.monotonic() <= stop_at:
                with lock:
                    tally.error(exc)
            time.sleep(0.05)  # don't spin on a failing server
        ended = time.monotonic()
        # Throughput counts what completed inside the window, whenever it began.
        if warm_until <= ended <= stop_at:
            with lock:
                tally.server_errors += browser.server_errors - errors_before
                if ok:
                    tally.latencies.append(ended - began)
                    if outcome:
                        tally.outcomes[outcome] = tally.outcomes.get(outcome, 0) + 1
    browser.close()


def _process_main(scenario, base_url, desk_url, users, window, barrier, results) -> None:
    tally, lock = Tally(), threading.Lock()
    ready, go = threading.Barrier(len(users) + 1), threading.Event()
    threads = [threading.Thread(target=_virtual_user,
                                args=(scenario, base_url, desk_url, user, ready, go, window, tally, lock))
               for user in users]
    for thread in threads:
        thread.start()
    ready.wait()  # every virtual user of this process is set up...
    barrier.wait(timeout=600)  # ...and so is every other process:
    go.set()  # go
    for thread in threads:
        thread.join()
    results.put({"latencies": tally.latencies, "errors": tally.errors, "error_samples": tally.error_samples,
                 "outcomes": tally.outcomes, "server_errors": tally.server_errors})


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def run(scenario: str, base_url: str, desk_url: str, users: list[dict], *, warmup: float, duration: float,
        processes: int = 2, cpu_probe=None) -> dict:
    """Drive len(users) virtual users for warmup + duration seconds; return the figures.

    cpu_probe() -> the server's CPU seconds so far; sampled around the measured window it
    gives the server's CPU cost per request, which the load driver's own CPU use (on the
    same machine) does not distort."""
    ctx = multiprocessing.get_context("spawn")
    processes = max(1, min(processes, len(users)))
    groups = [users[i::processes] for i in range(processes)]
    barrier, results = ctx.Barrier(processes + 1), ctx.Queue()  # + this process
    workers = [ctx.Process(target=_process_main,
                           args=(scenario, base_url, desk_url, group, (warmup, duration), barrier, results))
               for group in groups]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=600)  # every virtual user is set up: the window starts now
    cpu = None
    if cpu_probe is not None:
        time.sleep(warmup)
        before = cpu_probe()
        time.sleep(duration)
        cpu = cpu_probe() - before
    collected = [results.get(timeout=warmup + duration + 300) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    latencies = [x for c in collected for x in c["latencies"]]
    errors = sum(c["errors"] for c in collected)
    samples = [s for c in collected for s in c["error_samples"]][:5]
    outcomes: dict[str, int] = {}
    for c in collected:
        for name, count in c["outcomes"].items():
            outcomes[name] = outcomes.get(name, 0) + count
    rate = len(latencies) / duration
    figures = {"scenario": scenario, "users": len(users), "completed": len(latencies),
               "per_second": round(rate, 1),
               "p50_ms": round(percentile(latencies, 50) * 1000, 1),
               "p95_ms": round(percentile(latencies, 95) * 1000, 1),
               "p99_ms": round(percentile(latencies, 99) * 1000, 1),
               "errors": errors, "server_errors": sum(c["server_errors"] for c in collected)}
    if outcomes:
        figures["outcomes"] = outcomes
    if cpu is not None and latencies:
        figures["server_cpu_ms"] = round(cpu * 1000 / len(latencies), 3)
    if samples:
        figures["error_samples"] = samples
    return figures
