"""SQL statements per scenario: deterministic counts, bounded so the hot paths stay lean."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.support import PASSWORD, PHONE, make_user

# Bounds per scenario: a whole new-device sign-in with a texted code (37 statements before
# expire_on_commit=False and the merged queries; each one left is a row some rule needs, see
# bench/RESULTS.md), and one signed-in page view (the user row with its session version, nothing else).
SMS_SIGNIN_FLOW_MAX = 20
SIGNED_IN_PAGE_MAX = 1
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


@contextmanager
def counting(app):
    """Collect every SQL statement the app sends (BEGIN/COMMIT excluded) while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        # SQLite's BEGIN is sent by the app itself, PostgreSQL's by the driver: count neither.
        if statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:
            statements.append(" ".join(statement.split())[:140])

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sms_signin_flow(client, fake_vonage, *, trust=False) -> None:
    """A new device: sign-in page, password, code screen, code, account page."""
    assert client.get("/signin").status_code == 200
    response = client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin/verify")
    assert client.get("/signin/verify").status_code == 200
    data = {"code": fake_vonage.last_code(PHONE), **({"trust": "on"} if trust else {})}
    response = client.post("/signin/verify", data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    assert client.get("/account").status_code == 200


def test_sms_signin_flow_statement_count(app, client, fake_vonage):
    make_user(app, phone=PHONE)
    with counting(app) as statements:
        sms_signin_flow(client, fake_vonage)
    print(f"\nSMS sign-in flow: {len(statements)} statements", *statements, sep="\n  ")
    assert len(statements) <= SMS_SIGNIN_FLOW_MAX, statements


def test_signed_in_page_statement_count(app, client, fake_vonage):
    make_user(app, phone=PHONE)
    sms_signin_flow(client, fake_vonage, trust=True)
    client.get("/account")  # the once-a-minute idle-clock touch, out of the way
    with counting(app) as statements:
        assert client.get("/account").status_code == 200
    print(f"\nsigned-in page: {len(statements)} statements", *statements, sep="\n  ")
    assert len(statements) <= SIGNED_IN_PAGE_MAX, statements
