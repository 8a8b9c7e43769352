"""Shared helpers for the two-factor tests: database peeks, flows over HTTP."""

import html
import re

from sqlalchemy import select

from tests.support import PHONE, PHONE_NATIONAL, htmx

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"

TWO_FACTOR = "/account/two-factor"
SETUP = TWO_FACTOR + "/setup"
NUMBER = TWO_FACTOR + "/number"
VERIFY = TWO_FACTOR + "/verify"
RESEND = TWO_FACTOR + "/resend"
DISABLE = TWO_FACTOR + "/disable"
SIGNIN_VERIFY = "/signin/verify"
SIGNIN_RESEND = "/signin/resend"

COULD_NOT_SEND = "We couldn't send the code. Try again in a moment."
BAD_NUMBER = "We couldn't send a text message to that number. Check it, or use another mobile number."


def text(response) -> str:
    """Return the response body as text, HTML entities decoded (so "isn't" reads as typed)."""
    return html.unescape(response.get_data(as_text=True))


def is_partial(response) -> bool:
    """Tell whether htmx got a fragment rather than a whole page."""
    body = text(response)
    return "<html" not in body and "<body" not in body


def redirects_to(response, path: str) -> bool:
    """Tell whether a plain request was sent to path (303) or htmx was told to go there."""
    location = response.headers.get("HX-Redirect") or response.headers.get("Location") or ""
    return location.split("?")[0].endswith(path)


def client_with_agent(app, user_agent: str = CHROME_LINUX):
    """A new browser (its own cookies) with a given User-Agent."""
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = user_agent
    return browser


def trust_token(client, app) -> str | None:
    """Return the device-trust cookie this browser holds."""
    cookie = client.get_cookie(app.config["TRUST_COOKIE_NAME"])
    return cookie.value if cookie else None


def signed_in(browser) -> bool:
    """Tell whether this browser reaches My Account Settings."""
    return browser.get("/account").status_code == 200


def wrong_code(right: str) -> str:
    """Return a six-digit code that is not the right one."""
    return f"{(int(right) + 1) % 10**6:06d}"


def codes_in(fake_vonage) -> list[str]:
    """Every code the fake Vonage has texted, oldest first."""
    return [m for msg in fake_vonage.messages for m in re.findall(r"verification code is (\d{6})", msg["text"])]


# ---------------------------------------------------------------- database peeks


def _detached(app, query):
    from app.extensions import db

    with app.app_context():
        rows = db.session.scalars(query).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def user(app, user_id: int):
    """Load a user row as it is in the database now."""
    from app.models import User

    return _detached(app, select(User).where(User.id == user_id))[0]


def code_rows(app, user_id: int | None = None, purpose: str | None = None):
    """All verification-code rows, oldest first."""
    from app.models import VerificationCode

    query = select(VerificationCode).order_by(VerificationCode.id)
    if user_id is not None:
        query = query.where(VerificationCode.user_id == user_id)
    if purpose is not None:
        query = query.where(VerificationCode.purpose == purpose)
    return _detached(app, query)


def live_code_rows(app, user_id: int, purpose: str | None = None):
    """Code rows nobody has used or replaced yet."""
    return [c for c in code_rows(app, user_id, purpose) if c.consumed_at is None and c.revoked_at is None]


def device_rows(app, user_id: int | None = None):
    """Trusted-device rows, oldest first."""
    from app.models import TrustedDevice

    query = select(TrustedDevice).order_by(TrustedDevice.id)
    if user_id is not None:
        query = query.where(TrustedDevice.user_id == user_id)
    return _detached(app, query)


def event_rows(app, user_id: int | None = None, event_type: str | None = None):
    """Audit rows, oldest first."""
    from app.models import SecurityEvent

    query = select(SecurityEvent).order_by(SecurityEvent.id)
    if user_id is not None:
        query = query.where(SecurityEvent.user_id == user_id)
    if event_type is not None:
        query = query.where(SecurityEvent.type == event_type)
    return _detached(app, query)


# ---------------------------------------------------------------- flows over HTTP (the `twofactor` fixture)


class TwoFactorActions:
    """Two-factor flows over HTTP: set it up, begin a sign-in that asks for a code, answer it."""

    def __init__(self, auth):
        self.auth = auth

    def send_setup_code(self, phone=PHONE_NATIONAL, country="US", *, as_htmx=False, client=None):
        """Ask for a setup code to be texted to phone (a plain form follows its redirect to the screen)."""
        return (client or self.auth.client).post(SETUP, data={"country": country, "phone": phone},
                                                 headers=htmx() if as_htmx else {}, follow_redirects=not as_htmx)

    def turn_on(self, phone=PHONE_NATIONAL, country="US", e164=PHONE, trust=True, *, client=None):
        """Set up two-factor on a signed-in browser with the texted code; return the verify response."""
        client = client or self.auth.client
        sent = self.send_setup_code(phone, country, client=client)
        assert sent.status_code == 200, text(sent)[:500]
        code = self.auth.fake_vonage.last_code(e164)
        done = client.post(VERIFY, data={"code": code, **({"trust": "on"} if trust else {})})
        assert done.status_code == 200 and "Two-factor authentication is on." in text(done), text(done)[:800]
        return done

    def begin_sign_in(self, email="patient@example.com", user_agent=CHROME_LINUX, *, app=None):
        """A new browser that has entered the right password; asserts it must now give a code."""
        browser = client_with_agent(app or self.auth.app, user_agent)
        response = self.auth.sign_in(email, client=browser)
        assert response.status_code == 303 and redirects_to(response, SIGNIN_VERIFY), text(response)[:500]
        return browser

    def answer_code(self, code, *, trust=False, as_htmx=False, client=None):
        """Post a code to the sign-in Verification code screen."""
        data = {"code": code, **({"trust": "on"} if trust else {})}
        return (client or self.auth.client).post(SIGNIN_VERIFY, data=data, headers=htmx() if as_htmx else {})

    def trusted_browser(self, email="patient@example.com", phone=PHONE, user_agent=CHROME_LINUX, *, app=None):
        """Sign a new browser in with a texted code and Trust this browser ticked (each sign-in is its own flow)."""
        app = app or self.auth.app
        browser = self.begin_sign_in(email, user_agent, app=app)
        response = self.answer_code(self.auth.fake_vonage.last_code(phone), trust=True, client=browser)
        assert response.status_code == 303 and trust_token(browser, app), text(response)[:500]
        return browser
