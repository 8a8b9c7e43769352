"""Behind a load balancer: PROXY_FIX_X_FOR decides whose address the app sees."""

import pytest
from sqlalchemy import select


WRONG = {"email": "patient@example.com", "password": "not-the-password-1"}


def failed_sign_in_ips(app) -> list[str | None]:
    from app.extensions import db
    from app.models import SecurityEvent

    with app.app_context():
        return list(db.session.scalars(select(SecurityEvent.ip).where(SecurityEvent.type == "signin_failed")))


@pytest.mark.settings(PROXY_FIX_X_FOR=1)
def test_behind_one_proxy_the_client_address_comes_from_x_forwarded_for(app, client, auth):
    auth.make_user()
    client.post("/signin", data=WRONG, headers={"X-Forwarded-For": "198.51.100.7"},
                environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert failed_sign_in_ips(app) == ["198.51.100.7"]


def test_without_proxies_the_header_is_ignored(app, client, auth):
    # Nobody may pick their own address (and so dodge per-IP limits) by sending the header.
    auth.make_user()
    client.post("/signin", data=WRONG, headers={"X-Forwarded-For": "198.51.100.7"},
                environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert failed_sign_in_ips(app) == ["10.0.0.2"]


@pytest.mark.settings(PROXY_FIX_X_FOR=1, RATELIMIT_ENABLED=True, RATELIMIT_SIGNIN="2 per minute")
def test_per_ip_limits_count_each_client_not_the_load_balancer(app, client, auth):
    auth.make_user()

    def attempt(address):
        return client.post("/signin", data=WRONG, headers={"X-Forwarded-For": address},
                           environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code

    assert [attempt("198.51.100.7") for _ in range(3)][-1] == 429
    assert attempt("203.0.113.9") != 429  # another client behind the same balancer
