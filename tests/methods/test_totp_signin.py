"""Signing in with the authenticator app: ±1 step, each step once, shared failure cap, no text sent."""

import pytest

from tests.methods.helpers import add_app, code_at, events, page, user_row
from tests.support import PASSWORD, PHONE


@pytest.fixture
def app_user(app, auth):
    """A user whose only method is an authenticator app."""
    user_id = auth.make_user()
    add_app(app, user_id)
    return user_id


def password_step(client):
    response = client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD})
    assert response.status_code == 303
    return response


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_app_step_comes_after_the_password_and_signs_in(app, client, app_user, clock, fake_vonage):
    assert password_step(client).headers["Location"].endswith("/signin/app")
    assert client.get("/account").status_code in (302, 303)  # half signed in: no account yet
    response = client.post("/signin/app", data={"code": code_at()})
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    assert fake_vonage.messages == []
    assert events(app, app_user, "signin_success")[-1]["method"] == "totp"
    assert user_row(app, app_user).totp_credential.last_used_at is not None


def test_a_code_works_once(client, app_user, clock):
    code = code_at()
    password_step(client)
    assert client.post("/signin/app", data={"code": code}).status_code == 303
    client.post("/signout")
    password_step(client)
    response = client.post("/signin/app", data={"code": code})
    assert response.status_code == 422 and "already used" in page(response)
    # Nor does an older step: the one before was within the window too.
    response = client.post("/signin/app", data={"code": code_at(offset_steps=-1)})
    assert response.status_code == 422
    clock.shift(30)
    assert client.post("/signin/app", data={"code": code_at()}).status_code == 303


@pytest.mark.parametrize("offset", [-1, 1])
def test_one_step_early_or_late_is_accepted(client, app_user, clock, offset):
    password_step(client)
    assert client.post("/signin/app", data={"code": code_at(offset_steps=offset)}).status_code == 303


@pytest.mark.parametrize("offset", [-2, 2])
def test_two_steps_away_is_refused(app, client, app_user, clock, offset):
    password_step(client)
    response = client.post("/signin/app", data={"code": code_at(offset_steps=offset)})
    assert response.status_code == 422 and "isn't right" in page(response)
    assert user_row(app, app_user).consecutive_code_failures == 1


def test_a_moved_phone_clock_is_refused_until_it_is_right(client, app_user, clock):
    password_step(client)
    late = code_at(offset_steps=-2)  # the phone runs a minute slow
    clock.shift(0)
    assert client.post("/signin/app", data={"code": late}).status_code == 422
    clock.shift(-30)  # now the same code is one step old: within the window
    assert client.post("/signin/app", data={"code": late}).status_code == 303


def test_wrong_codes_count_toward_the_shared_counter(app, client, app_user, clock):
    password_step(client)
    for _ in range(2):
        assert client.post("/signin/app", data={"code": wrong(code_at())}).status_code == 422
    assert user_row(app, app_user).consecutive_code_failures == 2
    assert [e["method"] for e in events(app, app_user, "code_failed")] == ["totp", "totp"]
    # Malformed input is not a guess: not counted.
    assert client.post("/signin/app", data={"code": "12ab"}).status_code == 422
    assert user_row(app, app_user).consecutive_code_failures == 2
    assert client.post("/signin/app", data={"code": code_at()}).status_code == 303
    assert user_row(app, app_user).consecutive_code_failures == 0


@pytest.mark.settings(CODE_FAILURE_CAP=3)
def test_the_cap_stops_app_codes_texted_codes_and_recovery_codes_alike(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user(phone=PHONE)
    add_app(app, user_id)
    password_step(client)
    client.post("/signin/app", data={"code": wrong(code_at())})
    client.post("/signin/text-me")
    client.post("/signin/verify", data={"code": wrong(fake_vonage.last_code(PHONE))})
    client.post("/signin/recovery", data={"code": "2222-3333-4444"})
    assert user_row(app, user_id).consecutive_code_failures == 3
    response = client.post("/signin/app", data={"code": code_at()})
    assert response.status_code == 422 and "Too many wrong codes on this account" in page(response)


def test_trust_this_browser_works_with_the_app(client, app_user, clock):
    password_step(client)
    client.post("/signin/app", data={"code": code_at(), "trust": "on"})
    client.post("/signout")
    assert password_step(client).headers["Location"].endswith("/account")


def test_the_app_step_works_with_htmx(client, app_user, clock):
    password_step(client)
    response = client.post("/signin/app", data={"code": wrong(code_at())}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and "<html" not in page(response) and 'id="app-code"' in page(response)
    response = client.post("/signin/app", data={"code": code_at()}, headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].endswith("/account")


def test_a_locked_account_cannot_use_the_app(app, client, app_user, clock):
    from app.extensions import db
    from app.models import User, utcnow

    password_step(client)
    with app.app_context():
        db.session.get(User, app_user).locked_at = utcnow()
        db.session.commit()
    response = client.post("/signin/app", data={"code": code_at()})
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin")
