"""The signed-in shell: main menu on every page, My Account Settings, sign-in required, headers."""

import re
from urllib.parse import urlsplit

import pytest

from tests.support import htmx

SIGNED_IN_PAGES = ["/account", "/account/password", "/account/two-factor"]


@pytest.fixture
def signed_in(client, app, auth):
    auth.make_user()
    assert auth.sign_in().status_code == 303
    return client


def main_menu(html: str) -> str:
    found = re.search(r'<nav aria-label="Main menu".*?</nav>', html, flags=re.S)
    return found.group(0) if found else ""


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_every_signed_in_page_has_the_main_menu(signed_in, path):
    response = signed_in.get(path)
    menu = main_menu(response.get_data(as_text=True))
    assert response.status_code == 200
    assert ">My Account Settings</a>" in menu
    assert re.search(r'<form method="post" action="/signout".*?>Sign out</button>', menu, flags=re.S)


@pytest.mark.parametrize("path", ["/signin", "/signup"])
def test_anonymous_pages_have_no_main_menu(client, path):
    assert main_menu(client.get(path).get_data(as_text=True)) == ""


def test_settings_lists_two_factor_and_change_password(signed_in):
    html = signed_in.get("/account").get_data(as_text=True)
    assert "<h1>My Account Settings</h1>" in html
    two_factor = re.search(r'<a href="/account/two-factor">.*?</a>', html, flags=re.S).group(0)
    assert "Two-Factor Authentication" in two_factor and ">Off<" in two_factor
    assert re.search(r'<a href="/account/password">.*?Change password.*?</a>', html, flags=re.S)


def test_change_password_form_has_labelled_fields(signed_in):
    html = signed_in.get("/account/password").get_data(as_text=True)
    for name, label in (("current", "Current password"), ("new", "New password"), ("confirm", "Confirm new password")):
        assert f'<label for="f-{name}">{label}</label>' in html
        assert f'id="f-{name}" name="{name}" type="password"' in html


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_account_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/signin" and location.query == f"next={path}"


def test_htmx_request_without_sign_in_gets_hx_redirect(client):
    response = client.get("/account", headers=htmx())
    assert response.status_code == 200
    assert urlsplit(response.headers["HX-Redirect"]).path == "/signin"


def test_home_sends_each_person_to_the_right_place(client, app, auth):
    assert urlsplit(client.get("/").headers["Location"]).path == "/signin"
    auth.make_user()
    auth.sign_in()
    assert urlsplit(client.get("/").headers["Location"]).path == "/account"


def test_pages_carry_security_headers_and_are_not_cached(signed_in):
    response = signed_in.get("/account")
    headers = response.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "<script>" not in html and " onclick=" not in html  # nothing inline under the strict CSP
