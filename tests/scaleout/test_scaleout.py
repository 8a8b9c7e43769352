"""Two app instances sharing PostgreSQL + Redis behave as one service.

Two `create_app` apps with the same configuration stand for two app servers: they share
nothing in memory except what Flask extensions keep globally (see the rate-limit test),
so sessions and accounts can only pass between them through PostgreSQL and Redis.
"""

import os

import pytest

from tests.support import PASSWORD, PHONE, redis_prefix

pytestmark = pytest.mark.services

NEW_PASSWORD = "Green-Lantern-Harbour-77"


@pytest.fixture
def servers(app_factory):
    """Two apps on one PostgreSQL database and one Redis."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL not set: needs PostgreSQL")
    if not os.environ.get("TEST_REDIS_URL"):
        pytest.skip("TEST_REDIS_URL not set: needs Redis")

    def pair(**overrides):
        first = app_factory(**overrides)  # creates the schema
        second = app_factory(schema=False, **overrides)
        assert first is not second and first.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
        assert first.config["SESSION_TYPE"] == second.config["SESSION_TYPE"] == "redis"
        return first, second

    return pair


def move_cookies(source, target, app) -> None:
    """Give target the browser cookies of source (the same browser, another server)."""
    for name in (app.config["SESSION_COOKIE_NAME"], app.config["TRUST_COOKIE_NAME"]):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def test_password_on_one_server_code_on_the_other(servers, fake_vonage, auth):
    one, two = servers()
    auth.make_user(phone=PHONE, app=one)
    browser_on_one = one.test_client()
    response = auth.sign_in(client=browser_on_one)
    assert response.headers["Location"].endswith("/signin/verify")
    code = fake_vonage.last_code(PHONE)

    # The load balancer sends the next request to the other server.
    browser_on_two = two.test_client()
    move_cookies(browser_on_one, browser_on_two, one)
    pending_id = browser_on_one.get_cookie(one.config["SESSION_COOKIE_NAME"]).value
    page = browser_on_two.get("/signin/verify")
    assert page.status_code == 200
    assert "Verification code" in page.get_data(as_text=True) and "0123" in page.get_data(as_text=True)
    response = browser_on_two.post("/signin/verify", data={"code": code, "trust": "on"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    assert browser_on_two.get("/account").status_code == 200

    # ...and back: the regenerated session and the trust cookie work on the first server.
    move_cookies(browser_on_two, browser_on_one, one)
    assert browser_on_one.get("/account").status_code == 200
    # The pending session id was replaced at sign-in: replaying it gets nowhere on either server.
    for server in (one, two):
        replay = server.test_client()
        replay.set_cookie(one.config["SESSION_COOKIE_NAME"], pending_id)
        assert replay.get("/account").status_code in (302, 303)
        assert replay.get("/signin/verify").headers["Location"].endswith("/signin")


def test_a_finished_sign_in_cannot_be_replayed_on_the_other_server(servers, fake_vonage, auth):
    one, two = servers()
    auth.make_user(phone=PHONE, app=one)
    first, second = one.test_client(), two.test_client()
    auth.sign_in(client=first)
    move_cookies(first, second, one)
    code = fake_vonage.last_code(PHONE)
    assert first.post("/signin/verify", data={"code": code}).status_code == 303
    # Replaying the same pending session and code on the other server fails: the pending
    # record was deleted from Redis when the first server signed the browser in.
    response = second.post("/signin/verify", data={"code": code})
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin")
    assert second.get("/account").status_code in (302, 303)
    assert first.get("/account").status_code == 200


def test_password_change_on_one_server_ends_the_session_on_the_other(servers, fake_vonage, auth):
    one, two = servers()
    auth.make_user(app=one)
    laptop = one.test_client()  # signed in through server one
    phone = two.test_client()  # another device, signed in through server two
    auth.sign_in_fully(client=laptop)
    auth.sign_in_fully(client=phone)
    assert phone.get("/account").status_code == 200

    response = laptop.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    ended = phone.get("/account")
    assert ended.status_code in (302, 303) and "/signin" in ended.headers["Location"]
    # The device that changed it stays signed in, on either server.
    assert laptop.get("/account").status_code == 200
    laptop_on_two = two.test_client()
    move_cookies(laptop, laptop_on_two, one)
    assert laptop_on_two.get("/account").status_code == 200
    # The new password works through the other server.
    assert auth.sign_in(password=NEW_PASSWORD, client=two.test_client()).status_code == 303


def test_rate_limits_count_across_both_servers(servers, fake_vonage, auth):
    import redis

    one, two = servers(RATELIMIT_ENABLED=True, RATELIMIT_SIGNIN="3 per minute")
    auth.make_user(app=one)
    assert one.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    wrong = {"email": "patient@example.com", "password": "not-the-password-1"}
    statuses = [one.test_client().post("/signin", data=wrong).status_code,
                two.test_client().post("/signin", data=wrong).status_code,
                one.test_client().post("/signin", data=wrong).status_code]
    assert 429 not in statuses
    # The fourth attempt from the same address is refused, whichever server takes it.
    assert two.test_client().post("/signin", data=wrong).status_code == 429
    assert one.test_client().post("/signin", data=wrong).status_code == 429
    # The counter lives in Redis (Flask-Limiter's one limiter object is shared by both apps
    # in this process, so the Redis key is what proves the count would cross processes;
    # tests/scaleout/test_gunicorn.py shows it with two real server processes).
    client = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    keys = [k.decode() for k in client.scan_iter(match=f"*{redis_prefix()}*sign_in*")]
    client.close()
    assert keys, "no rate-limit counter found in Redis"
