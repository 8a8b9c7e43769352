"""Per-IP limit on password posts (Flask-Limiter, RATELIMIT_SIGNIN), on by RATELIMIT_ENABLED."""

import pytest
from sqlalchemy import func, select

from app.models import SecurityEvent
from tests.support import PASSWORD, htmx
from tests.security.support import LIMITS_ON


pytestmark = pytest.mark.settings(**LIMITS_ON)



def client_at(app, ip):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def failed_sign_ins(app) -> int:
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SecurityEvent)
                                 .where(SecurityEvent.type == "signin_failed"))


def test_owasp_signin_per_ip_limit_boundary(app, clock, auth):
    assert app.config["RATELIMIT_SIGNIN"] == "20 per minute"
    auth.make_user()
    spray = client_at(app, "198.51.100.7")
    # Password spraying: one guess each for many accounts, all from one address.
    for n in range(20):
        assert auth.sign_in(f"user{n}@example.com", "Wrong-Password-Entirely-1", client=spray).status_code == 422, n
    refused = auth.sign_in(client=spray)  # even the right password of a real account
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 60
    assert "Try again in 1 minute" in refused.get_data(as_text=True)
    assert failed_sign_ins(app) == 20  # the refused post never reached the password check
    assert spray.get("/account").status_code in (302, 303)
    partial = spray.post("/signin", data={"email": "x@example.com", "password": "x"}, headers=htmx())
    assert partial.status_code == 429 and "<html" not in partial.get_data(as_text=True)
    # Another address is unaffected; this one is free again when the minute is up.
    assert auth.sign_in(client=client_at(app, "198.51.100.8")).status_code == 303
    clock.shift(59)
    assert auth.sign_in(client=spray).status_code == 429
    clock.shift(1)
    assert auth.sign_in(client=spray).status_code == 303


def test_owasp_signup_per_ip_limit_boundary(app, clock):
    spray = client_at(app, "198.51.100.7")
    for n in range(20):
        response = spray.post("/signup", data={"email": f"u{n}@example.com", "password": "x", "confirm": "y"})
        assert response.status_code == 422, n
    refused = spray.post("/signup", data={"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 60
    clock.shift(59)
    assert spray.post("/signup", data={"email": "n@example.com", "password": "x", "confirm": "y"}).status_code == 429
    clock.shift(1)
    response = spray.post("/signup", data={"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303


def test_owasp_signin_pages_are_not_limited_for_reading(app, clock):
    reader = client_at(app, "198.51.100.7")
    for _ in range(40):
        assert reader.get("/signin").status_code == 200


@pytest.mark.settings(RATELIMIT_ENABLED=False)
class TestSwitchedOff:
    def test_rule_ratelimit_enabled_false_lifts_the_per_ip_limit(self, app, clock, auth):
        spray = client_at(app, "198.51.100.7")
        for n in range(25):
            assert auth.sign_in(f"user{n}@example.com", "Wrong-Password-Entirely-1", client=spray).status_code == 422
