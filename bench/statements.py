"""SQL statements per request, counted in-process: deterministic, so tests bound them too."""

from collections.abc import Callable
from contextlib import contextmanager

from sqlalchemy import event

# SQLite's BEGIN is sent by the app itself, PostgreSQL's by the driver: count neither.
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


@contextmanager
def counting(engine):
    """Collect every SQL statement sent through engine (transaction control excluded) while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:
            statements.append(" ".join(statement.split())[:140])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sms_signin_steps(client, email: str, password: str, read_code: Callable[[], str]) -> list:
    """The requests of a new-device sign-in with a texted code, as (name, call) pairs; each call checks its answer."""

    def expect(response, status: int, location: str | None = None):
        assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
        if location:
            assert response.headers["Location"].endswith(location), response.headers["Location"]

    return [
        ("GET /signin", lambda: expect(client.get("/signin"), 200)),
        ("POST /signin", lambda: expect(client.post("/signin", data={"email": email, "password": password}),
                                        303, "/signin/verify")),
        ("GET /signin/verify", lambda: expect(client.get("/signin/verify"), 200)),
        ("POST /signin/verify", lambda: expect(client.post("/signin/verify", data={"code": read_code()}),
                                               303, "/account")),
        ("GET /account", lambda: expect(client.get("/account"), 200)),
    ]


def count_scenarios(app, email: str, password: str, read_code: Callable[[], str]) -> dict:
    """Count the statements of an SMS sign-in (per request) and of one more signed-in page view."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    client = app.test_client()
    per_request = {}
    for name, call in sms_signin_steps(client, email, password, read_code):
        with counting(engine) as statements:
            call()
        per_request[name] = len(statements)
    with counting(engine) as statements:
        assert client.get("/account").status_code == 200
    return {"sms_signin_flow": sum(per_request.values()), "per_request": per_request,
            "signed_in_page": len(statements)}
