"""Every error status gets a clean page with the right code, and never a stack trace."""

import logging

import pytest
from flask import abort
from sqlalchemy.exc import OperationalError

from tests.support import PASSWORD, htmx

SECRET_DETAIL = "internal detail nobody should see"


@pytest.fixture
def app(app):
    """The usual app, plus routes that fail on purpose (added before its first request)."""

    @app.get("/test/abort/<int:status>")
    def abort_with(status: int):
        abort(status)

    @app.get("/test/crash")
    def crash():
        raise RuntimeError(SECRET_DETAIL)

    @app.get("/test/database-down")
    def database_down():
        raise OperationalError("SELECT 1", {}, Exception(SECRET_DETAIL))

    return app


def assert_clean_error_page(response, status: int, title: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert "<html" in html and f"<h1>{title}</h1>" in html and f"Error {status}" in html
    for leak in ("Traceback", 'File "', "werkzeug", "RuntimeError", SECRET_DETAIL, "Werkzeug Debugger"):
        assert leak not in html
    assert "Content-Security-Policy" in response.headers
    return html


@pytest.mark.parametrize(("status", "title"), [
    (400, "Bad request"),
    (403, "Not allowed"),
    (404, "Page not found"),
    (405, "Not allowed"),
    (413, "Too much data"),
    (429, "Too many requests"),
    (500, "Something went wrong"),
    (503, "Temporarily unavailable"),
])
def test_each_status_has_a_clean_page(client, status, title):
    assert_clean_error_page(client.get(f"/test/abort/{status}"), status, title)


def test_unknown_page_is_404(client):
    html = assert_clean_error_page(client.get("/no/such/page"), 404, "Page not found")
    assert "Go to your account" in html


def test_wrong_method_is_405(client):
    response = client.get("/signout")
    assert_clean_error_page(response, 405, "Not allowed")
    assert "POST" in response.headers["Allow"]


def test_oversized_body_is_413(client, app, auth):
    auth.make_user()
    response = client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD,
                                            "padding": "x" * (64 * 1024 + 1)})
    assert_clean_error_page(response, 413, "Too much data")
    assert client.get("/account").status_code == 303  # nothing happened


def test_unexpected_exception_is_500_and_logged_not_shown(client, caplog):
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        response = client.get("/test/crash")
    assert_clean_error_page(response, 500, "Something went wrong")
    assert any(record.exc_info and SECRET_DETAIL in str(record.exc_info[1]) for record in caplog.records)


def test_unexpected_exception_is_500_outside_testing_too(app):
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False, DEBUG=False)
    assert_clean_error_page(app.test_client().get("/test/crash"), 500, "Something went wrong")


def test_database_outage_is_503(client):
    assert_clean_error_page(client.get("/test/database-down"), 503, "Temporarily unavailable")


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_csrf_failure_is_a_400_page(client):
    client.get("/signup")  # a live session: without one, the form would be reloaded instead
    response = client.post("/signup", data={"email": "a@example.com"})
    html = assert_clean_error_page(response, 400, "Bad request")
    assert "Your form expired" in html


@pytest.mark.settings(RATELIMIT_ENABLED=True, RATELIMIT_SIGNIN="2 per minute")
def test_request_limit_is_a_429_page(client):
    for _ in range(2):
        assert client.post("/signin", data={"email": "a@example.com", "password": "x"}).status_code == 422
    response = client.post("/signin", data={"email": "a@example.com", "password": "x"})
    assert_clean_error_page(response, 429, "Too many requests")
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/signin").status_code == 200  # only the posts are limited


def test_htmx_errors_answer_an_alert_into_the_page(client):
    for path, status in (("/no/such/page", 404), ("/test/crash", 500)):
        response = client.get(path, headers=htmx())
        html = response.get_data(as_text=True)
        assert response.status_code == status
        assert "<html" not in html and 'role="alert"' in html and SECRET_DETAIL not in html
        assert response.headers["HX-Retarget"] == "#alerts"
