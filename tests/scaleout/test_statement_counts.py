"""SQL statements per scenario: deterministic counts, bounded so the hot paths stay lean
(the same counting as `make bench` reports, bench/statements.py)."""

import pytest

from bench.statements import count_scenarios, counting, sms_signin_steps
from tests.support import PASSWORD, PHONE

# A whole new-device sign-in with a texted code: 37 statements before rows stopped being reloaded
# after each commit and the throttle, budget and challenge queries were merged (20); 29 once mail
# and the other methods landed, 17 since the methods' existence, a waiting staff reset, the
# pending code and the recovery-code count come with the user's query. Each one left is a row
# some rule needs (see bench/RESULTS.md). PostgreSQL adds the two budget locks (row + advisory)
# and sends the sign-in's two audit rows as one INSERT.
SMS_SIGNIN_FLOW_MAX = 17
# A signed-in page view: the user row with its session version (and whether each method exists), nothing else.
SIGNED_IN_PAGE_MAX = 1


@pytest.fixture
def counts(app, fake_vonage, auth):
    auth.make_user(phone=PHONE)
    return count_scenarios(app, "patient@example.com", PASSWORD, lambda: fake_vonage.last_code(PHONE))


def test_sms_signin_flow_statement_count(app, counts):
    # PostgreSQL: + the two budget locks, - one INSERT (the two audit rows batched).
    extra = 1 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else 0
    assert counts["sms_signin_flow"] <= SMS_SIGNIN_FLOW_MAX + extra, counts


def test_signed_in_page_statement_count(counts):
    assert counts["signed_in_page"] <= SIGNED_IN_PAGE_MAX, counts


def test_a_signed_in_page_sends_only_the_user_query(app, client, fake_vonage, auth):
    from app.extensions import db

    auth.make_user(phone=PHONE)
    for _, step in sms_signin_steps(client, "patient@example.com", PASSWORD, lambda: fake_vonage.last_code(PHONE)):
        step()
    with app.app_context():
        engine = db.engine
    with counting(engine) as statements:
        assert client.get("/account").status_code == 200
    (only,) = statements
    assert only.startswith("SELECT users.") and "session_version" in only
