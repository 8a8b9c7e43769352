"""Store outages: Redis stopped answers 503 with nothing half-written; database errors roll back."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests.support import PASSWORD, PHONE, PHONE_NATIONAL, csrf_token, htmx
from tests.private_redis import PrivateRedis

UNAVAILABLE = "Temporarily unavailable"


@pytest.fixture
def redis_server(tmp_path):
    """A private, persistent redis-server: its data survives a stop and start."""
    server = PrivateRedis(tmp_path / "redis", persistent=True)
    (tmp_path / "redis").mkdir()
    server.start()
    yield server
    server.stop()


def row_counts(app) -> dict[str, int]:
    """Count the rows of every table."""
    from app.extensions import db

    with app.app_context():
        return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def code_row(app):
    from app.extensions import db
    from app.models import VerificationCode

    with app.app_context():
        return db.session.scalars(select(VerificationCode).order_by(VerificationCode.id.desc())).first()


def user_row(app, email="patient@example.com"):
    from app.extensions import db
    from app.models import User

    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def assert_clear_503(response):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert UNAVAILABLE in page and "Try again in a minute" in page
    assert "Traceback" not in page


# ------------------------------------------------------------------ Redis outages

def test_redis_stopped_mid_challenge_answers_503_writes_nothing_and_resumes(app_factory, redis_server, fake_vonage,
                                                                            auth):
    app = app_factory(SESSION_TYPE="redis", SESSION_REDIS_URL=redis_server.url, SESSION_KEY_PREFIX="session:",
                      PROPAGATE_EXCEPTIONS=False)
    auth.make_user(phone=PHONE, app=app)
    browser = app.test_client()
    assert auth.sign_in(client=browser).headers["Location"].endswith("/signin/verify")
    code = fake_vonage.last_code(PHONE)
    before, texts = row_counts(app), len(fake_vonage.messages)

    redis_server.stop()
    assert_clear_503(browser.post("/signin/verify", data={"code": code, "trust": "on"}))
    assert_clear_503(browser.get("/signin/verify"))
    assert_clear_503(browser.post("/signin", data={"email": "patient@example.com", "password": PASSWORD}))
    partial = browser.post("/signin/verify", data={"code": code}, headers=htmx())
    assert partial.status_code == 503 and "<html" not in partial.get_data(as_text=True)
    assert partial.headers["HX-Retarget"] == "#alerts"
    newcomer = app.test_client()
    assert_clear_503(newcomer.get("/signin"))
    assert_clear_503(newcomer.get("/signup"))
    # Nothing reached the database or the SMS provider; the code is still unused.
    assert row_counts(app) == before
    assert len(fake_vonage.messages) == texts
    assert code_row(app).consumed_at is None

    redis_server.start()
    # The pending sign-in survived in Redis: the same code finishes it.
    response = browser.post("/signin/verify", data={"code": code})
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    assert browser.get("/account").status_code == 200
    assert newcomer.get("/signin").status_code == 200


def test_redis_stopped_with_csrf_on_answers_503_not_form_expired(app_factory, redis_server, fake_vonage, auth):
    app = app_factory(SESSION_TYPE="redis", SESSION_REDIS_URL=redis_server.url, SESSION_KEY_PREFIX="session:",
                      WTF_CSRF_ENABLED=True, PROPAGATE_EXCEPTIONS=False)
    auth.make_user(phone=PHONE, app=app)
    browser = app.test_client()
    token = csrf_token(browser)
    before = row_counts(app)
    redis_server.stop()
    response = browser.post("/signin", data={"email": "patient@example.com", "password": PASSWORD,
                                             "csrf_token": token})
    assert_clear_503(response)
    assert row_counts(app) == before and fake_vonage.messages == []
    redis_server.start()
    response = browser.post("/signin", data={"email": "patient@example.com", "password": PASSWORD,
                                             "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin/verify")


def test_rate_limit_storage_down_answers_503_and_resumes(app_factory, redis_server, fake_vonage, auth):
    app = app_factory(SESSION_TYPE="cachelib", RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_server.url,
                      PROPAGATE_EXCEPTIONS=False)
    auth.make_user(app=app)
    browser = app.test_client()
    before = row_counts(app)
    redis_server.stop()
    assert_clear_503(auth.sign_in(client=browser))
    assert row_counts(app) == before  # not even a failed-sign-in audit row
    redis_server.start()
    response = auth.sign_in(client=browser)
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")


# ------------------------------------------------------------------ database errors mid-flow

def fail_on_event(monkeypatch, event_type: str) -> None:
    """Make the audit write of event_type fail like a dropped connection, after a flush."""
    from app.extensions import db
    from app.security import audit

    real = audit.record

    def record(kind, *args, **kwargs):
        if kind == event_type:
            db.session.flush()  # earlier changes reach the database first, then it fails
            raise OperationalError("INSERT INTO security_events", {}, Exception("server closed the connection"))
        return real(kind, *args, **kwargs)

    monkeypatch.setattr(audit, "record", record)


def test_database_error_while_finishing_sign_in_rolls_back(app, client, fake_vonage, monkeypatch, auth):
    auth.make_user(phone=PHONE)
    assert auth.sign_in().headers["Location"].endswith("/signin/verify")
    code = fake_vonage.last_code(PHONE)
    before = row_counts(app)
    with monkeypatch.context() as patch:
        from app.security import audit

        fail_on_event(patch, audit.SIGNIN_SUCCESS)
        assert_clear_503(client.post("/signin/verify", data={"code": code, "trust": "on"}))
    # The code, the trusted browser and the sign-in time were all rolled back.
    assert row_counts(app) == before
    assert code_row(app).consumed_at is None
    assert user_row(app).last_sign_in_at is None
    assert client.get_cookie(app.config["TRUST_COOKIE_NAME"]) is None
    # Still half signed in: nothing else is reachable, and the same code now works.
    assert client.get("/account").headers["Location"].endswith("/signin/verify")
    response = client.post("/signin/verify", data={"code": code})
    assert response.status_code == 303 and client.get("/account").status_code == 200


def test_database_error_during_sign_up_leaves_no_account(app, client, monkeypatch):
    from app.security import audit

    with monkeypatch.context() as patch:
        fail_on_event(patch, audit.SIGNUP)
        response = client.post("/signup", data={"email": "new@example.com", "password": PASSWORD,
                                                "confirm": PASSWORD})
        assert_clear_503(response)
    assert user_row(app, "new@example.com") is None
    assert row_counts(app)["users"] == 0
    response = client.post("/signup", data={"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303 and user_row(app, "new@example.com") is not None


def test_database_error_while_turning_on_two_factor_rolls_back(app, client, fake_vonage, monkeypatch, auth):
    from app.security import audit

    auth.make_user()
    auth.sign_in_fully()
    response = client.post("/account/two-factor/setup", data={"country": "US", "phone": PHONE_NATIONAL})
    assert response.status_code == 303
    code = fake_vonage.last_code(PHONE)
    before = row_counts(app)
    with monkeypatch.context() as patch:
        fail_on_event(patch, audit.TWO_FACTOR_ENABLED)
        assert_clear_503(client.post("/account/two-factor/verify", data={"code": code}))
    assert row_counts(app) == before
    assert user_row(app).phone_e164 is None
    assert code_row(app).consumed_at is None
    response = client.post("/account/two-factor/verify", data={"code": code})
    assert response.status_code == 200
    assert user_row(app).phone_e164 == PHONE
