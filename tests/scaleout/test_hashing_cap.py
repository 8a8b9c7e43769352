"""A burst of sign-ins can't exhaust memory: at most ARGON2_MAX_CONCURRENT hashes per process,
the rest wait a bounded time, then get 503 with Retry-After."""

from contextlib import contextmanager

import pytest

from app.errors import BUSY
from tests.support import PASSWORD, htmx


@contextmanager
def every_slot_taken(app):
    """Hold every hashing slot of the app, as concurrent sign-ins would."""
    slots = app.extensions["argon2_slots"]
    taken = 0
    while slots.acquire(blocking=False):
        taken += 1
    try:
        yield taken
    finally:
        for _ in range(taken):
            slots.release()


def post_password(client, **headers):
    return client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD}, headers=headers)


@pytest.mark.settings(ARGON2_MAX_CONCURRENT=2, ARGON2_MAX_WAIT_SECONDS=0)
def test_a_sign_in_beyond_the_hashing_cap_gets_503_with_retry_after(app, client, auth):
    from tests.twofactor_helpers import event_rows

    uid = auth.make_user()
    with every_slot_taken(app) as taken:
        assert taken == 2
        response = post_password(client)
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert BUSY in response.get_data(as_text=True) and "<html" in response.get_data(as_text=True)
        alert = post_password(client, **htmx())
        assert alert.status_code == 503 and alert.headers["HX-Retarget"] == "#alerts"
    # Nothing was counted against the account: no failed sign-in recorded.
    assert event_rows(app, uid, "signin_failed") == []
    assert post_password(client).status_code == 303


@pytest.mark.settings(ARGON2_MAX_CONCURRENT=1, ARGON2_MAX_WAIT_SECONDS=0)
def test_sign_up_beyond_the_hashing_cap_gets_503_too(app, client):
    with every_slot_taken(app):
        response = client.post("/signup", data={"email": "new@example.com", "password": PASSWORD,
                                                "confirm": PASSWORD})
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert client.post("/signup", data={"email": "new@example.com", "password": PASSWORD,
                                        "confirm": PASSWORD}).status_code == 303


@pytest.mark.settings(ARGON2_MAX_CONCURRENT=0)
def test_zero_turns_the_cap_off(app, client, auth):
    auth.make_user()
    assert app.extensions["argon2_slots"] is None
    assert post_password(client).status_code == 303


def test_the_default_cap_bounds_hashes_per_process(app):
    assert app.config["ARGON2_MAX_CONCURRENT"] == 2
    with every_slot_taken(app) as taken:
        assert taken == 2
