"""Two real gunicorn servers (separate processes) sharing PostgreSQL + Redis.

Nothing is shared in memory here: what one server knows, the other can only learn from
PostgreSQL and Redis. CSRF is on, as in production; one cookie jar plays the browser
behind a load balancer that alternates between the servers.
"""

import os
import re

import pytest
import requests

from tests.support import PASSWORD, PHONE, admin_execute, redis_prefix, worker_database_url

pytestmark = pytest.mark.services

NEW_PASSWORD = "Green-Lantern-Harbour-77"


@pytest.fixture(scope="module")
def servers(fake_vonage, tmp_path_factory):
    """Migrate a database of their own once, then start two gunicorn servers on it."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL not set: needs PostgreSQL")
    if not os.environ.get("TEST_REDIS_URL"):
        pytest.skip("TEST_REDIS_URL not set: needs Redis")
    from sqlalchemy.engine import make_url

    from bench.stack import Gunicorn, app_env, run_migrations

    url = make_url(worker_database_url())
    name = f"{url.database}_servers"
    base = os.environ["TEST_DATABASE_URL"]
    admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    database_url = url.set(database=name).render_as_string(hide_password=False)
    env = app_env(database_url=database_url, redis_url=os.environ["TEST_REDIS_URL"],
                  redis_prefix=f"{redis_prefix()}-servers",
                  extra={"FLASK_SMS_BACKEND": "vonage", "FLASK_VONAGE_API_KEY": "test-key",
                         "FLASK_VONAGE_API_SECRET": "test-secret", "FLASK_VONAGE_REST_HOST": fake_vonage.host,
                         "FLASK_RATELIMIT_ENABLED": "true", "FLASK_RATELIMIT_SIGNIN": "3 per minute"})
    run_migrations(env)  # once, before any server starts, as a deployment does
    logs = tmp_path_factory.mktemp("gunicorn")
    pair = [Gunicorn(env, workers=1, threads=2, log_path=logs / f"server{i}.log") for i in (1, 2)]
    try:
        for server in pair:
            server.start()
        yield database_url, pair
    finally:
        for server in pair:
            server.stop()
        admin_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def accounts(servers, app_factory, auth):
    """Create accounts straight in the servers' database."""
    database_url, _ = servers

    def create(email, phone=None):
        app = app_factory(schema=False, SQLALCHEMY_DATABASE_URI=database_url)
        auth.make_user(email=email, phone=phone, app=app)

    return create


def form_token(browser, url) -> str:
    page = browser.get(url, allow_redirects=False)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def post(browser, url, data, form_url=None):
    data = {**data, "csrf_token": form_token(browser, form_url or url)}
    return browser.post(url, data=data, allow_redirects=False)


def test_password_on_one_process_code_on_the_other(servers, accounts, fake_vonage):
    _, (one, two) = servers
    accounts("twoproc@example.com", phone=PHONE)
    browser = requests.Session()
    response = post(browser, one.url + "/signin", {"email": "twoproc@example.com", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin/verify")
    code = fake_vonage.last_code(PHONE)
    response = post(browser, two.url + "/signin/verify", {"code": code})
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    for server in (one, two):
        page = browser.get(server.url + "/account", allow_redirects=False)
        assert page.status_code == 200 and "twoproc@example.com" in page.text


def test_password_change_in_one_process_ends_the_session_in_the_other(servers, accounts, fake_vonage):
    _, (one, two) = servers
    accounts("changer@example.com")
    laptop, tablet = requests.Session(), requests.Session()
    for browser, server in ((laptop, one), (tablet, two)):
        response = post(browser, server.url + "/signin", {"email": "changer@example.com", "password": PASSWORD})
        assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    assert tablet.get(two.url + "/account", allow_redirects=False).status_code == 200
    response = post(laptop, one.url + "/account/password",
                    {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    ended = tablet.get(two.url + "/account", allow_redirects=False)
    assert ended.status_code in (302, 303) and "/signin" in ended.headers["Location"]
    assert laptop.get(two.url + "/account", allow_redirects=False).status_code == 200


def test_rate_limit_counts_across_processes(servers, accounts):
    _, (one, two) = servers
    accounts("limited@example.com")
    browser = requests.Session()
    wrong = {"email": "limited@example.com", "password": "not-the-password-1"}
    # RATELIMIT_SIGNIN is "3 per minute" per address: three tries spread over both servers...
    statuses = [post(browser, server.url + "/signin", wrong).status_code for server in (one, two, one)]
    assert 429 not in statuses and all(400 <= status < 500 for status in statuses), statuses
    # ...and the fourth is refused by either one.
    assert post(browser, two.url + "/signin", wrong).status_code == 429
    assert post(browser, one.url + "/signin", wrong).status_code == 429
