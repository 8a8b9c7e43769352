"""Sign-in: success, identical failures, the dummy hash, safe `next`, new session id, htmx."""

import re
from urllib.parse import quote, urlsplit

import pytest

from tests.support import PASSWORD, htmx, session_cookie

FAILURE = "Incorrect email or password."


def error_text(response) -> str:
    found = re.search(r'<p class="alert alert-error" role="alert">([^<]*)</p>', response.get_data(as_text=True))
    return found.group(1) if found else ""


def assert_on_this_site(location: str) -> None:
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), location
    assert parts.path.startswith("/") and not parts.path.startswith("//"), location
    assert "\\" not in location and "evil" not in parts.netloc


def test_right_password_signs_in_and_lands_on_my_account_settings(client, app, auth):
    auth.make_user()
    response = auth.sign_in()
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "My Account Settings" in page and "Signed in as patient@example.com" in page


def test_email_case_and_spaces_do_not_matter(client, app, auth):
    auth.make_user()
    assert auth.sign_in("  PATIENT@example.COM ").status_code == 303


def test_wrong_password_and_unknown_email_answer_identically(client, app, auth):
    auth.make_user()
    wrong = auth.sign_in("patient@example.com", "Not-The-Password-99")
    unknown = auth.sign_in("stranger@example.com", "Not-The-Password-99", client=app.test_client())
    assert wrong.status_code == unknown.status_code == 422
    assert error_text(wrong) == error_text(unknown) == FAILURE
    # Same page but for the echoed email and the per-session CSRF token.
    normalise = lambda r, email: re.sub(  # noqa: E731
        r'"csrf_token" value="[^"]+"|"X-CSRFToken": "[^"]+"', "TOKEN", r.get_data(as_text=True).replace(email, "EMAIL"))
    assert normalise(wrong, "patient@example.com") == normalise(unknown, "stranger@example.com")
    assert client.get("/account").status_code == 303


def test_failure_never_echoes_the_password(client, app, auth):
    auth.make_user()
    html = auth.sign_in("patient@example.com", "Not-The-Password-99").get_data(as_text=True)
    assert "Not-The-Password-99" not in html
    assert 'value="patient@example.com"' in html


def test_unknown_email_still_verifies_a_dummy_hash(client, app, monkeypatch, auth):
    from app.security import passwords

    verified: list[str] = []
    real = passwords.hasher

    class SpyHasher:
        def verify(self, stored, password):
            verified.append(stored)
            return real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "hasher", SpyHasher())
    auth.make_user()
    auth.sign_in("stranger@example.com", PASSWORD)
    assert verified == [passwords._DUMMY_HASH]
    verified.clear()
    auth.sign_in("patient@example.com", "Not-The-Password-99")
    assert len(verified) == 1 and verified[0] != passwords._DUMMY_HASH


def test_dummy_hash_never_matches_even_its_own_password(app):
    from app.security import passwords

    assert passwords.verify_password(None, "a dummy password that nobody has") is False


def test_locked_account_cannot_sign_in(client, app, auth):
    from app.extensions import db
    from app.models import User, utcnow

    uid = auth.make_user()
    with app.app_context():
        db.session.get(User, uid).locked_at = utcnow()
        db.session.commit()
    response = auth.sign_in()
    assert response.status_code == 422
    assert "contact support" in error_text(response)
    assert client.get("/account").status_code == 303


@pytest.mark.parametrize("target", ["/account/password", "/account/two-factor", "/account?tab=1"])
def test_local_next_is_honoured(client, app, target, auth):
    auth.make_user()
    response = client.post(f"/signin?next={quote(target, safe='')}", data={"email": "patient@example.com",
                                                                            "password": PASSWORD})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path + (f"?{location.query}" if location.query else "") == target


def test_login_required_page_sends_back_after_sign_in(client, app, auth):
    auth.make_user()
    first = client.get("/account/password")
    assert first.status_code == 303
    signin_url = first.headers["Location"]
    assert signin_url.startswith("/signin?next=")
    form = client.get(signin_url).get_data(as_text=True)
    action = re.search(r'<form id="signin-form" method="post" action="([^"]+)"', form).group(1)
    response = client.post(action.replace("&amp;", "&"), data={"email": "patient@example.com", "password": PASSWORD})
    assert urlsplit(response.headers["Location"]).path == "/account/password"


EVIL = [
    "https://evil.example",
    "http://evil.example/account",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "http:/evil",
    "https:evil.example",
    " //evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "%2F%2Fevil.example",
    "%252F%252Fevil.example",
    "/%5Cevil.example",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
]


@pytest.mark.parametrize("target", EVIL)
def test_open_redirect_attempts_land_on_this_site(client, app, target, auth):
    auth.make_user()
    # Both as the query string (URL-encoded once) and as a form field.
    via_query = client.post("/signin?next=" + quote(target, safe=""),
                            data={"email": "patient@example.com", "password": PASSWORD})
    assert via_query.status_code == 303
    assert_on_this_site(via_query.headers["Location"])
    client.post("/signout")
    via_form = auth.sign_in(next=target)
    assert via_form.status_code == 303
    assert_on_this_site(via_form.headers["Location"])
    # Signed in already: GET /signin?next=... redirects too, and must stay here.
    again = client.get("/signin?next=" + quote(target, safe=""))
    assert_on_this_site(again.headers["Location"])


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "javascript:alert(1)"])
def test_rejected_next_is_not_put_into_the_form(client, target):
    html = client.get("/signin?next=" + quote(target, safe="")).get_data(as_text=True)
    assert "evil" not in html and "javascript" not in html


def test_session_id_changes_at_sign_in(app, auth):
    auth.make_user()
    client = app.test_client()
    # Any stored pre-sign-in session (a CSRF token, a flash) would do; seed one directly.
    with client.session_transaction() as sess:
        sess["seed"] = "before sign-in"
    before = session_cookie(client, app)
    assert before
    assert auth.sign_in(client=client).status_code == 303
    after = session_cookie(client, app)
    assert after and after != before
    # The pre-sign-in id is dead on the server: replaying it is anonymous.
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], before)
    assert replay.get("/account").status_code == 303


def test_session_fixation_with_a_planted_id_fails(app, auth):
    auth.make_user()
    attacker = app.test_client()
    with attacker.session_transaction() as sess:
        sess["seed"] = "attacker's session"
    planted = session_cookie(attacker, app)
    victim = app.test_client()
    victim.set_cookie(app.config["SESSION_COOKIE_NAME"], planted)
    assert auth.sign_in(client=victim).status_code == 303
    assert victim.get("/account").status_code == 200
    assert attacker.get("/account").status_code == 303


def test_htmx_sign_in_answers_hx_redirect(client, app, auth):
    auth.make_user()
    response = client.post("/signin", data={"email": "patient@example.com", "password": PASSWORD}, headers=htmx())
    assert response.status_code == 200
    assert urlsplit(response.headers["HX-Redirect"]).path == "/account"
    assert "HX-Request" in response.headers.get("Vary", "")
    assert client.get("/account").status_code == 200


def test_htmx_failure_answers_the_partial_with_422(client, app, auth):
    auth.make_user()
    response = client.post("/signin", data={"email": "patient@example.com", "password": "wrong-password-1"},
                           headers=htmx())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html and html.lstrip().startswith("<form") and 'id="signin-form"' in html
    assert FAILURE in html
    assert "HX-Redirect" not in response.headers
    assert "HX-Request" in response.headers.get("Vary", "")


def test_sign_in_page_is_a_full_page_without_htmx(client):
    html = client.get("/signin").get_data(as_text=True)
    assert "<html" in html and 'id="signin-form"' in html and 'method="post"' in html
