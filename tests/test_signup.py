"""Sign-up rules: each rejection, email normalisation, uniqueness without enumeration, hashing."""

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from tests.support import PASSWORD, htmx

READY = "Your account is ready. Sign in with your email and password."


def user_count(app) -> int:
    from app.extensions import db
    from app.models import User

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def stored_hash(app, email="patient@example.com") -> str:
    from app.security import accounts

    with app.app_context():
        return accounts.find_by_email(email).password_hash


def sign_up(client, email, password, confirm=None, **kwargs):
    data = {"email": email, "password": password, "confirm": password if confirm is None else confirm}
    return client.post("/signup", data=data, **kwargs)


@pytest.mark.parametrize(
    ("email", "password", "confirm", "message"),
    [
        ("short@example.com", "Kettle-42ab", None, "Use at least 12 characters."),
        ("long@example.com", "Kettle-Orbit-" * 20 + "x" * 4, None, "Use at most 256 characters."),
        ("common@example.com", "password1234", None, "That password is on a list of common passwords."),
        ("qwerty@example.com", "qwerty123456", None, "That password is on a list of common passwords."),
        ("same.as.email@example.com", "same.as.email@example.com", None, "can&#39;t be your email address"),
        ("Same.As.Email@Example.com", "same.as.email@example.com", None, "can&#39;t be your email address"),
        ("mismatch@example.com", PASSWORD, PASSWORD + "!", "The passwords don&#39;t match."),
        ("not-an-email", PASSWORD, None, "Enter a valid email address"),
        ("nobody@localhost", PASSWORD, None, "Enter a valid email address"),
        ("", PASSWORD, None, "Enter your email address."),
    ],
    ids=["short", "too-long", "common", "common-keyboard", "equals-email", "equals-email-case",
         "mismatch", "invalid-email", "no-dot-domain", "empty-email"],
)
def test_each_rejection_explains_returns_422_and_creates_no_user(client, app, email, password, confirm, message):
    response = sign_up(client, email, password, confirm)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'aria-invalid="true"' in html  # the message sits on the field it is about
    assert user_count(app) == 0


def test_exactly_256_and_12_characters_are_accepted(client, app):
    longest = ("Kettle-Orbit-Lamp-" * 15)[:256]
    assert sign_up(client, "longest@example.com", longest).status_code == 303
    # Past zxcvbn's own 72-character limit, but within ours.
    assert sign_up(client, "longer@example.com", longest[:100]).status_code == 303
    assert sign_up(client, "shortest@example.com", "Vx7#kettleQz").status_code == 303
    assert user_count(app) == 3


def test_rejection_keeps_the_email_but_never_the_password(client):
    html = sign_up(client, "keep.me@example.com", "password1234").get_data(as_text=True)
    assert 'value="keep.me@example.com"' in html
    assert "password1234" not in html


def test_htmx_rejection_answers_with_the_partial(client, app):
    response = sign_up(client, "short@example.com", "tiny", headers=htmx())
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html and 'id="signup-form"' in html
    assert "Use at least 12 characters." in html
    assert user_count(app) == 0


def test_success_redirects_to_sign_in_with_a_message(client, app):
    response = sign_up(client, "new@example.com", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/signin")
    assert READY in client.get("/signin").get_data(as_text=True)
    assert user_count(app) == 1


def test_htmx_success_answers_hx_redirect(client, app):
    response = sign_up(client, "new@example.com", PASSWORD, headers=htmx())
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].endswith("/signin")
    assert user_count(app) == 1


def test_email_is_normalised_for_case_and_whitespace(client, app, auth):
    assert sign_up(client, "  New.Person@Example.COM \t", PASSWORD).status_code == 303
    from app.extensions import db
    from app.models import User

    with app.app_context():
        assert db.session.scalars(select(User.email)).all() == ["new.person@example.com"]
    assert auth.sign_in("NEW.PERSON@example.com ").status_code == 303


def test_taken_email_answers_exactly_like_a_new_account(client, app, auth):
    first = sign_up(client, "patient@example.com", PASSWORD)
    first_page = client.get("/signin").get_data(as_text=True)
    other = app.test_client()
    second = sign_up(other, " PATIENT@Example.com", "Another-Long-Phrase-77")
    second_page = other.get("/signin").get_data(as_text=True)
    assert (second.status_code, second.headers["Location"]) == (first.status_code, first.headers["Location"])
    assert second.get_data() == first.get_data()
    assert READY in first_page and READY in second_page
    assert user_count(app) == 1
    # The first owner's password still works; the second sign-up changed nothing.
    assert auth.sign_in("patient@example.com", "Another-Long-Phrase-77", client=app.test_client()).status_code == 422
    assert auth.sign_in("patient@example.com", PASSWORD, client=app.test_client()).status_code == 303


def test_taken_email_htmx_answer_matches_a_new_account(client, app, auth):
    auth.make_user()
    taken = sign_up(client, "patient@example.com", PASSWORD, headers=htmx())
    fresh = sign_up(app.test_client(), "fresh@example.com", PASSWORD, headers=htmx())
    assert (taken.status_code, taken.headers["HX-Redirect"]) == (fresh.status_code, fresh.headers["HX-Redirect"])
    assert user_count(app) == 2


def test_taken_email_still_pays_for_a_hash(client, app, monkeypatch, auth):
    from app.security import accounts

    auth.make_user()
    calls = []
    real = accounts.hash_password
    monkeypatch.setattr(accounts, "hash_password", lambda pw: calls.append(1) or real(pw))
    sign_up(client, "patient@example.com", PASSWORD)
    assert calls == [1]


def test_password_is_stored_as_argon2id(client, app):
    sign_up(client, "patient@example.com", PASSWORD)
    stored = stored_hash(app)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)


def test_sign_in_rehashes_when_parameters_change(client, app, monkeypatch, auth):
    from app.security import passwords

    auth.make_user()
    old = stored_hash(app)
    assert "m=47104,t=2,p=1" in old
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=3, memory_cost=19456, parallelism=1))
    assert auth.sign_in().status_code == 303
    new = stored_hash(app)
    assert new != old and new.startswith("$argon2id$") and "m=19456,t=3,p=1" in new
    # Signing in again with unchanged parameters keeps the hash.
    client.post("/signout")
    assert auth.sign_in().status_code == 303
    assert stored_hash(app) == new


def test_signed_in_user_visiting_sign_up_goes_to_account(client, app, auth):
    auth.make_user()
    auth.sign_in()
    response = client.get("/signup")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account")
