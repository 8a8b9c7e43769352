"""GET /healthz: no auth, no session cookie, JSON 200 or 503 naming what is down."""

import os
import shutil

import pytest

from tests.private_redis import PrivateRedis, free_port


def _assert_no_session_cookie(response, app):
    cookies = response.headers.getlist("Set-Cookie")
    assert not [c for c in cookies if c.startswith(app.config["SESSION_COOKIE_NAME"] + "=")], cookies


def test_healthy_answers_json_200_without_auth_or_cookie(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "sessions": "ok"}}
    _assert_no_session_cookie(response, app)
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_during_a_pending_sign_in(client, app, fake_vonage, auth):
    from tests.support import PHONE

    auth.make_user(phone=PHONE)
    assert auth.sign_in().headers["Location"].endswith("/signin/verify")
    response = client.get("/healthz")
    # The pending-sign-in gate sends every other page to /signin/verify.
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


def test_healthz_needs_no_sign_in_but_works_for_signed_in_people(client, app, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["checks"]["sessions"] == "ok"


def test_database_down_answers_503(tmp_path, app_factory):
    # A database file that cannot be opened: its directory does not exist.
    missing = tmp_path / "no-such-directory" / "app.db"
    app = app_factory(schema=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("error: OperationalError")
    assert body["checks"]["sessions"] == "ok"
    _assert_no_session_cookie(response, app)


def test_postgresql_down_answers_503(app_factory):
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL not set: needs PostgreSQL")
    # Nothing listens on this port: the driver's connection is refused.
    uri = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    app = app_factory(schema=False, SQLALCHEMY_DATABASE_URI=uri)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("error: OperationalError")


def test_session_files_unwritable_answers_503(app_factory):
    app = app_factory(SESSION_TYPE="cachelib")
    directory = app.config["SESSION_FILE_DIR"]
    shutil.rmtree(directory)
    with open(directory, "w") as fh:  # a file where the directory was: every write fails
        fh.write("not a directory")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "sessions": "error: RuntimeError"}


def test_redis_down_answers_503_and_recovers(tmp_path, app_factory):
    redis_server = PrivateRedis(tmp_path).start()
    try:
        app = app_factory(SESSION_TYPE="redis", SESSION_REDIS_URL=redis_server.url, SESSION_KEY_PREFIX="session:")
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        redis_server.stop()
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["checks"] == {"database": "ok", "sessions": "error: ConnectionError"}
        _assert_no_session_cookie(response, app)
        redis_server.start()
        response = client.get("/healthz")
        assert response.status_code == 200 and response.get_json()["status"] == "ok"
    finally:
        redis_server.stop()


def test_unreachable_redis_with_a_session_cookie_still_answers_json(app_factory):
    # A load balancer may forward a cookie; /healthz must report, not show the error page.
    app = app_factory(SESSION_TYPE="redis", SESSION_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], "some-session-id")
    response = client.get("/healthz")
    assert response.status_code == 503 and response.is_json
    assert response.get_json()["checks"]["sessions"] == "error: ConnectionError"



def test_livez_answers_without_touching_the_stores(app_factory, tmp_path):
    # Liveness only: a database outage must not make a supervisor restart the process.
    missing = tmp_path / "no-such-directory" / "app.db"
    app = app_factory(schema=False, SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}")
    response = app.test_client().get("/livez")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert app.test_client().get("/healthz").status_code == 503
