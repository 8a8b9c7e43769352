"""Fixtures of the security suite: its clock starts on a fixed date; security_auth's sign-in shortcuts."""

import pytest

from tests.security.support import START, SecurityAuthActions


@pytest.fixture
def clock_start():
    """Start the suite's `clock` on a fixed Monday morning, so hourly windows line up the same every run."""
    return START


@pytest.fixture
def security_auth(auth):
    """Shortcuts: security_auth.two_factor_user(), .pending_sign_in(client=...), .signed_in() (a new browser)."""
    return SecurityAuthActions(auth)
