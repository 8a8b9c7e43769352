"""Concurrent sign-ups and sign-ins on the embedded SQLite default: no "database is locked", no lost writes."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tests.support import PASSWORD

THREADS = 8


def run_together(count: int, work) -> list:
    """Run work(i) in `count` threads released at the same moment; return the results."""
    barrier = threading.Barrier(count)

    def task(i):
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def count_rows(app, model, *where) -> int:
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_concurrent_sign_ups_all_land(app, caplog):
    from app.models import SecurityEvent, User

    def sign_up(i):
        client = app.test_client()
        email = f"person{i}@example.com"
        response = client.post("/signup", data={"email": email, "password": PASSWORD, "confirm": PASSWORD})
        return response.status_code

    with caplog.at_level(logging.ERROR):
        statuses = run_together(THREADS, sign_up)
    assert statuses == [303] * THREADS
    assert count_rows(app, User) == THREADS
    assert count_rows(app, SecurityEvent, SecurityEvent.type == "signup") == THREADS
    assert "database is locked" not in caplog.text and not caplog.records


def test_concurrent_sign_ups_for_one_email_make_one_account(app, caplog):
    from app.models import User

    def sign_up(i):
        client = app.test_client()
        return client.post("/signup", data={"email": "Same@Example.com" if i % 2 else "same@example.com",
                                            "password": PASSWORD, "confirm": PASSWORD}).status_code

    with caplog.at_level(logging.ERROR):
        statuses = run_together(THREADS, sign_up)
    assert statuses == [303] * THREADS  # everyone gets the "account is ready" answer
    assert count_rows(app, User) == 1
    assert not caplog.records


def test_concurrent_sign_ins_and_page_views(app, caplog, auth):
    from app.models import SecurityEvent, User

    for i in range(THREADS):
        auth.make_user(f"person{i}@example.com")

    def visit(i):
        client = app.test_client()
        email = f"person{i}@example.com"
        statuses = [auth.sign_in(email, "Wrong-Password-000", client=client).status_code,
                    auth.sign_in(email, client=client).status_code]
        statuses += [client.get("/account").status_code for _ in range(3)]
        statuses.append(client.post("/signout").status_code)
        return statuses

    with caplog.at_level(logging.ERROR):
        results = run_together(THREADS, visit)
    assert results == [[422, 303, 200, 200, 200, 303]] * THREADS
    assert count_rows(app, SecurityEvent, SecurityEvent.type == "signin_failed") == THREADS
    assert count_rows(app, SecurityEvent, SecurityEvent.type == "signin_success") == THREADS
    assert count_rows(app, SecurityEvent, SecurityEvent.type == "signout") == THREADS
    assert count_rows(app, User, User.last_sign_in_at.is_not(None)) == THREADS
    assert not caplog.records


def test_concurrent_password_changes_for_different_users(app, caplog, auth):
    from app.models import SecurityEvent

    new_password = "Violet-Harbour-Thimble-58"
    users = THREADS // 2  # each change hashes four times; half the threads show the same thing faster
    clients = []
    for i in range(users):
        auth.make_user(f"person{i}@example.com")
        client = app.test_client()
        assert auth.sign_in(f"person{i}@example.com", client=client).status_code == 303
        clients.append(client)

    def change(i):
        return clients[i].post("/account/password", data={"current": PASSWORD, "new": new_password,
                                                          "confirm": new_password}).status_code

    with caplog.at_level(logging.ERROR):
        assert run_together(users, change) == [303] * users
    assert count_rows(app, SecurityEvent, SecurityEvent.type == "password_changed") == users
    for i in range(users):
        assert auth.sign_in(f"person{i}@example.com", new_password, client=app.test_client()).status_code == 303
    assert not caplog.records
