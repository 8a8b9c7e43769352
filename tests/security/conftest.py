"""Fixtures of the security suite: its clock starts on a fixed date; security_auth's sign-in shortcuts."""

import pytest

from tests.security.support import START
from tests.support import PASSWORD, PHONE


@pytest.fixture
def clock_start():
    """Start the suite's `clock` on a fixed Monday morning, so hourly windows line up the same every run."""
    return START


class SecurityAuthActions:
    """The suite's shortcuts on top of `auth`: two-factor users, half-done and whole sign-ins."""

    def __init__(self, auth):
        self.auth = auth

    def two_factor_user(self, email="patient@example.com", phone=PHONE, *, app=None, **kwargs) -> int:
        """Create a user with two-factor on; return its id."""
        return self.auth.make_user(email=email, phone=phone, app=app, **kwargs)

    def pending_sign_in(self, email="patient@example.com", *, client=None):
        """Bring a 2FA user's browser to the "enter the code" step."""
        response = self.auth.sign_in(email, client=client)
        assert response.status_code == 303 and response.headers["Location"].endswith("/signin/verify"), \
            response.headers
        return response

    def signed_in(self, email="patient@example.com", password=PASSWORD, environ=None, *, app=None):
        """A new browser signed in (answering the code when asked)."""
        client = (app or self.auth.app).test_client()
        if environ:
            client.environ_base.update(environ)
        self.auth.sign_in_fully(email, password, client=client)
        return client


@pytest.fixture
def security_auth(auth):
    """Shortcuts: security_auth.two_factor_user(), .pending_sign_in(client=...), .signed_in() (a new browser)."""
    return SecurityAuthActions(auth)
