"""Fixtures of the security suite: its clock starts on a fixed date."""

import pytest

from tests.security.support import START


@pytest.fixture
def clock_start():
    """Start the suite's `clock` on a fixed Monday morning, so hourly windows line up the same every run."""
    return START
