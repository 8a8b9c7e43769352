"""Walk every page and partial a person can reach, in each sign-in state, for the header and HTML checks."""

import re
from html.parser import HTMLParser

from tests.support import PHONE, PHONE_NATIONAL, AuthActions, htmx


def reachable_pages(app, fake_vonage) -> list[tuple[str, object]]:
    """Return (label, response) for every page and partial, anonymous to fully signed in."""
    found: list[tuple[str, object]] = []
    auth = AuthActions(None, fake_vonage, app=app)

    def add(label, response):
        found.append((label, response))
        return response

    anonymous = app.test_client()
    add("GET /signin", anonymous.get("/signin"))
    add("GET /signup", anonymous.get("/signup"))
    add("GET / (redirect)", anonymous.get("/"))
    add("GET /signed-out", anonymous.get("/signed-out"))
    add("GET /help/two-factor", anonymous.get("/help/two-factor"))
    add("GET /account anonymous (redirect)", anonymous.get("/account"))
    add("404 page", anonymous.get("/no-such-page"))
    add("404 partial", anonymous.get("/no-such-page", headers=htmx()))
    add("405 page", anonymous.get("/signout"))
    add("413 page", anonymous.post("/signin", data={"email": "x" * 70_000}))
    add("sign-in failed", anonymous.post("/signin", data={"email": "a@example.com", "password": "nope"}))
    add("sign-in failed partial", anonymous.post("/signin", data={"email": "a@example.com", "password": "x"},
                                                  headers=htmx()))
    add("sign-up refused", anonymous.post("/signup", data={"email": "bad", "password": "x", "confirm": "x"}))
    add("sign-up refused partial", anonymous.post("/signup", data={"email": "bad", "password": "x", "confirm": "x"},
                                                   headers=htmx()))

    auth.make_user("twofa@example.com", phone=PHONE)
    pending = app.test_client()
    add("sign-in, code needed", auth.sign_in("twofa@example.com", client=pending))
    add("GET /signin/verify", pending.get("/signin/verify"))
    add("GET /signin/recovery", pending.get("/signin/recovery"))
    add("wrong code partial", pending.post("/signin/verify", data={"code": "000000"}, headers=htmx()))
    add("wrong code page", pending.post("/signin/verify", data={"code": "abc"}))
    add("resend refused 429 partial", pending.post("/signin/resend", headers=htmx()))
    add("wrong recovery code", pending.post("/signin/recovery", data={"code": "nope"}))
    add("pending gate (redirect)", pending.get("/account"))

    auth.make_user("plain@example.com")
    user = app.test_client()
    auth.sign_in_fully("plain@example.com", client=user)
    add("GET /account", user.get("/account"))
    add("GET /account htmx", user.get("/account", headers=htmx()))
    add("GET /account/password", user.get("/account/password"))
    add("password refused partial", user.post("/account/password", data={"current": "x", "new": "y", "confirm": "z"},
                                              headers=htmx()))
    add("2FA screen: off", user.get("/account/two-factor"))
    add("2FA: bad number partial", user.post("/account/two-factor/setup", data={"country": "US", "phone": "12"},
                                             headers=htmx()))
    add("2FA screen: verify (partial)", user.post("/account/two-factor/setup",
                                                  data={"country": "US", "phone": PHONE_NATIONAL}, headers=htmx()))
    add("2FA screen: verify (page)", user.get("/account/two-factor"))
    add("2FA: resend cooldown 429", user.post("/account/two-factor/resend", headers=htmx()))
    add("2FA: wrong code", user.post("/account/two-factor/verify", data={"code": "000000"}, headers=htmx()))
    add("2FA screen: recovery codes", user.post("/account/two-factor/verify",
                                                data={"code": fake_vonage.last_code(PHONE)}, headers=htmx()))
    add("2FA screen: recovery codes (page)", user.get("/account/two-factor"))
    add("2FA: codes saved", user.post("/account/two-factor/recovery-codes/saved", data={"saved": "on"}))
    add("2FA screen: on", user.get("/account/two-factor"))
    add("2FA screen: change number", user.get("/account/two-factor/change-number"))
    add("2FA screen: change number partial", user.get("/account/two-factor/change-number", headers=htmx()))
    add("2FA screen: disable", user.get("/account/two-factor/disable"))
    add("2FA screen: disable partial", user.get("/account/two-factor/disable", headers=htmx()))
    add("settings with 2FA on", user.get("/account"))
    add("sign out", user.post("/signout"))
    add("sign-in page after sign-out", user.get("/signin"))
    return found


def full_pages(pages):
    """Only the full HTML pages (not redirects, not partials)."""
    return [(label, r) for label, r in pages
            if r.status_code not in (301, 302, 303) and "<html" in r.get_data(as_text=True)]


def html_pages(pages):
    """Every answer with an HTML body (pages and partials)."""
    return [(label, r) for label, r in pages if r.mimetype == "text/html" and r.get_data()]


class _InlineCodeFinder(HTMLParser):
    """Collect what a strict CSP would block: inline scripts, event-handler and style attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        names = {name.lower(): value for name, value in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in names.items():
            if re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"event handler {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"style= on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")


def inline_code(html: str) -> list[str]:
    """Return every construct in the HTML that needs 'unsafe-inline' (empty when none)."""
    finder = _InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]*\sstyle\s*=|<style\b", re.I)
JS_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)

