"""Issue 11 item 3: SMS caps hold under parallel requests across accounts (PostgreSQL) and per IP (Redis)."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.admin.helpers import cheap_password_hashing
from tests.twofactor_helpers import SETUP

PARALLEL = 20
ROUNDS = 3
# These tests are about the caps under parallel requests, not the per-process send slots
# (tests/sms/test_slow_vonage.py): all twenty may be texting at once.
pytestmark = pytest.mark.settings(SMS_MAX_CONCURRENT_SENDS=0)


def together(clients, work) -> list:
    """Run work(client) for every client in its own thread, all released at once by a barrier."""
    barrier = threading.Barrier(len(clients))

    def task(client):
        barrier.wait(timeout=60)
        return work(client)

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(task, clients))


def number(n: int) -> tuple[str, str]:
    """The n-th test mobile number: (national, E.164)."""
    return f"201-555-{n:04d}", f"+1201555{n:04d}"


@pytest.fixture
def needs_postgres():
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL not set: needs PostgreSQL (SQLite serialises writers with BEGIN IMMEDIATE)")


@pytest.fixture
def needs_redis():
    if not os.environ.get("TEST_REDIS_URL"):
        pytest.skip("TEST_REDIS_URL not set: needs Redis as the rate-limit storage")


@pytest.mark.settings(SMS_MAX_PER_NUMBER_PER_HOUR=5)
def test_twenty_accounts_texting_one_number_at_once_get_at_most_the_cap(needs_postgres, app, fake_vonage,
                                                                         monkeypatch, auth):
    cheap_password_hashing(monkeypatch)
    clients = []
    for i in range(PARALLEL):
        auth.make_user(email=f"p{i}@example.com")
        client = app.test_client()
        auth.sign_in_fully(f"p{i}@example.com", client=client)
        clients.append(client)
    for round_ in range(ROUNDS):
        national, e164 = number(100 + round_)
        statuses = together(clients, lambda c: c.post(SETUP, data={"country": "US", "phone": national}).status_code)
        assert sorted(statuses) == [303] * 5 + [429] * (PARALLEL - 5), statuses
        assert len(fake_vonage.sent_to(e164)) == 5


@pytest.mark.settings(RATELIMIT_ENABLED=True, RATELIMIT_SMS_PER_IP="3 per hour")
def test_twenty_sign_ins_from_one_address_at_once_text_at_most_the_per_ip_allowance(needs_redis, app,
                                                                                     fake_vonage, monkeypatch, auth):
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    cheap_password_hashing(monkeypatch)
    for i in range(PARALLEL):
        auth.make_user(email=f"p{i}@example.com", phone=number(100 + i)[1])
    for round_ in range(ROUNDS):
        clients = []
        for i in range(PARALLEL):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"198.51.100.{10 + round_}"
            clients.append((client, f"p{i}@example.com"))
        before = len(fake_vonage.messages)
        statuses = together(clients, lambda pair: auth.sign_in(pair[1], client=pair[0]).status_code)
        assert statuses == [303] * PARALLEL
        assert len(fake_vonage.messages) - before == 3
