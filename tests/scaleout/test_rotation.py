"""Rotating SECRET_KEY with SECRET_KEY_FALLBACKS: who notices what.

Two apps on the same database and session store stand for a server before and after the
new key is deployed (the README's "Rotating SECRET_KEY" steps).
"""

import pytest

from tests.support import PASSWORD, PHONE, csrf_token

OLD_KEY = "old-secret-key-" + "o" * 40
NEW_KEY = "new-secret-key-" + "n" * 40


@pytest.fixture
def before_and_after(app_factory):
    def pair(**after):
        old = app_factory(SECRET_KEY=OLD_KEY)
        new = app_factory(schema=False, SECRET_KEY=NEW_KEY, **after)
        return old, new

    return pair


def same_browser(source, target, app) -> None:
    target.set_cookie(app.config["SESSION_COOKIE_NAME"], source.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)


def test_a_code_sent_before_rotation_works_after_it(before_and_after, fake_vonage, auth):
    old, new = before_and_after(SECRET_KEY_FALLBACKS=[OLD_KEY])
    auth.make_user(phone=PHONE, app=old)
    before = old.test_client()
    assert auth.sign_in(client=before).headers["Location"].endswith("/signin/verify")
    after = new.test_client()
    same_browser(before, after, old)
    response = after.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    assert after.get("/account").status_code == 200


def test_without_the_fallback_a_code_in_flight_fails(before_and_after, fake_vonage, auth):
    old, new = before_and_after()  # the old key dropped at once: what the README warns about
    auth.make_user(phone=PHONE, app=old)
    before = old.test_client()
    auth.sign_in(client=before)
    after = new.test_client()
    same_browser(before, after, old)
    response = after.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)})
    assert response.status_code == 422
    assert after.get("/account").headers["Location"].endswith("/signin/verify")


def test_sessions_do_not_depend_on_the_key(before_and_after, fake_vonage, auth):
    old, new = before_and_after()  # session ids are random and unsigned: no fallback needed
    auth.make_user(app=old)
    before = old.test_client()
    auth.sign_in_fully(client=before)
    after = new.test_client()
    same_browser(before, after, old)
    assert after.get("/account").status_code == 200


def test_a_form_open_across_the_switch_needs_one_reload(before_and_after, auth):
    old, new = before_and_after(SECRET_KEY_FALLBACKS=[OLD_KEY], WTF_CSRF_ENABLED=True)
    auth.make_user(app=old)
    old.config["WTF_CSRF_ENABLED"] = True
    before = old.test_client()
    token = csrf_token(before)  # the sign-in form, signed with the old key
    after = new.test_client()
    same_browser(before, after, old)
    # Flask-WTF checks CSRF tokens with the current key only: the form says it expired...
    stale = after.post("/signin", data={"email": "patient@example.com", "password": PASSWORD, "csrf_token": token})
    assert stale.status_code == 400 and "Reload the page" in stale.get_data(as_text=True)
    # ...and the reloaded form works (same session, token re-signed with the new key).
    fresh = after.post("/signin", data={"email": "patient@example.com", "password": PASSWORD,
                                        "csrf_token": csrf_token(after)})
    assert fresh.status_code == 303 and fresh.headers["Location"].endswith("/account")
