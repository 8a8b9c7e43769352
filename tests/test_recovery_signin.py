"""Signing in with a recovery code: single use, tolerant input, shared limits, notice SMS."""

import html as htmllib
import json

import pytest

from tests.support import PHONE, htmx, session_cookie
from tests.scaleout.test_concurrency import run_together

NOTICE = "A recovery code was just used to sign in"


@pytest.fixture
def codes(app, auth):
    """A user with two-factor on and a fresh set of recovery codes; return the codes."""
    from app.extensions import db
    from app.models import User
    from app.security import recovery
    from app.security.audit import SYSTEM

    uid = auth.make_user(phone=PHONE)
    with app.app_context():
        return recovery.generate(db.session.get(User, uid), SYSTEM)


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def pending(auth, client):
    """Enter the password so the sign-in waits for a second factor."""
    r = auth.sign_in(client=client)
    assert r.status_code == 303 and r.headers["Location"] == "/signin/verify"
    return r


def user_state(app):
    from app.extensions import db
    from app.models import RecoveryCode, SecurityEvent, TrustedDevice, User

    with app.app_context():
        user = db.session.query(User).filter_by(email="patient@example.com").one()
        return {
            "failures": user.consecutive_code_failures,
            "used": db.session.query(RecoveryCode).filter(RecoveryCode.used_at.isnot(None)).count(),
            "devices": db.session.query(TrustedDevice).count(),
            "events": [(e.type, json.loads(e.details or "{}")) for e in db.session.query(SecurityEvent)],
        }


def event_types(app) -> list[str]:
    return [kind for kind, _ in user_state(app)["events"]]


def test_verify_screen_offers_a_recovery_code_form(client, app, codes, auth):
    pending(auth, client)
    page = client.get("/signin/verify").get_data(as_text=True)
    assert 'hx-get="/signin/recovery">Use a recovery code instead</a>' in page
    r = client.get("/signin/recovery", headers=htmx())
    partial = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in partial and partial.startswith('\n<div id="recovery"')
    assert "Recovery code" in partial and "Trust this browser" in partial and 'href="/signin/verify"' in partial
    full = client.get("/signin/recovery").get_data(as_text=True)
    assert "<html" in full and "Verification code" in full
    # Nothing else opened up: the account is still out of reach.
    assert client.get("/account").status_code in (302, 303)


def test_recovery_form_needs_a_pending_sign_in(client, app, codes):
    r = client.post("/signin/recovery", data={"code": codes[0]})
    assert r.status_code == 303 and r.headers["Location"] == "/signin"
    assert user_state(app)["used"] == 0


def test_right_code_signs_in_once_sends_notice_and_records_it(client, app, fake_vonage, codes, auth):
    pending(auth, client)
    r = client.post("/signin/recovery", data={"code": codes[3]}, headers=htmx())
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/account"
    landing = client.get("/account")
    assert landing.status_code == 200 and "You signed in with a recovery code." in text(landing)
    # A recovery code never trusts the browser by itself.
    assert client.get_cookie(app.config["TRUST_COOKIE_NAME"]) is None
    state = user_state(app)
    assert state["used"] == 1 and state["devices"] == 0 and state["failures"] == 0
    used = [d for kind, d in state["events"] if kind == "recovery_code_used"]
    assert len(used) == 1 and used[0]["left"] == 9
    assert ("signin_success", {"method": "recovery"}) in [(k, {"method": d.get("method")}) for k, d in state["events"]]
    notices = [m for m in fake_vonage.sent_to(PHONE) if NOTICE in m["text"]]
    assert len(notices) == 1 and codes[3] not in notices[0]["text"]
    # Single use: the same code is refused on the next sign-in.
    again = app.test_client()
    pending(auth, again)
    r = again.post("/signin/recovery", data={"code": codes[3]})
    assert r.status_code == 422 and "That recovery code has already been used. 4 tries left." in text(r)
    assert again.get("/account").status_code in (302, 303)
    assert user_state(app)["failures"] == 1


def test_trust_this_browser_is_the_users_choice(client, app, codes, auth):
    pending(auth, client)
    r = client.post("/signin/recovery", data={"code": codes[0], "trust": "on"})
    assert r.status_code == 303 and r.headers["Location"] == "/account"
    assert client.get_cookie(app.config["TRUST_COOKIE_NAME"]) is not None
    assert user_state(app)["devices"] == 1


@pytest.mark.parametrize("typed", [
    lambda c: c.upper(),
    lambda c: c.replace("-", " "),
    lambda c: c.replace("-", ""),
    lambda c: f"  {c[:7].upper()} {c[7:].replace('-', ' - ')}  ",
    lambda c: c.replace("-", "\u2013"),  # a phone keyboard's en dash
])
def test_input_tolerates_case_spaces_and_dashes(client, app, codes, typed, auth):
    pending(auth, client)
    r = client.post("/signin/recovery", data={"code": typed(codes[1])})
    assert r.status_code == 303, text(r)
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize("typed", ["", "abcd", "4f7k-92mx-q3tn-xxxx", "4f7k-92mx-q3to", "4f7k-92mx-q3t1"])
def test_malformed_input_is_explained_and_not_counted(client, app, codes, typed, auth):
    pending(auth, client)
    r = client.post("/signin/recovery", data={"code": typed}, headers=htmx())
    assert r.status_code == 422 and "Enter a recovery code like 4f7k-92mx-q3tn." in text(r)
    assert "<html" not in r.get_data(as_text=True)
    assert user_state(app)["failures"] == 0


def test_wrong_codes_share_the_failure_counter_with_sms_codes(client, app, fake_vonage, codes, auth):
    pending(auth, client)
    sms = fake_vonage.last_code(PHONE)
    wrong_sms = f"{(int(sms) + 1) % 10**6:06d}"
    assert client.post("/signin/verify", data={"code": wrong_sms}).status_code == 422
    r = client.post("/signin/recovery", data={"code": "2345-6789-abcd"})
    assert r.status_code == 422 and "That recovery code isn't right. 4 tries left." in text(r)
    assert user_state(app)["failures"] == 2
    assert "recovery_code_failed" in event_types(app)
    # Success with either kind resets the shared counter.
    r = client.post("/signin/recovery", data={"code": codes[0]})
    assert r.status_code == 303 and user_state(app)["failures"] == 0


@pytest.mark.settings(CODE_FAILURE_CAP=4)
def test_failure_cap_refuses_recovery_and_sms_codes_alike(client, app, fake_vonage, codes, auth):
    pending(auth, client)
    for _ in range(3):
        assert client.post("/signin/recovery", data={"code": "2345-6789-abcd"}).status_code == 422
    assert client.post("/signin/verify", data={"code": "000000"}).status_code == 422
    assert user_state(app)["failures"] == 4
    r = client.post("/signin/recovery", data={"code": codes[0]})
    assert r.status_code == 422 and "Contact support to get back in." in text(r)
    r = client.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)})
    assert r.status_code == 422 and "Contact support to get back in." in text(r)
    assert client.get("/account").status_code in (302, 303)
    assert user_state(app)["used"] == 0


def test_five_wrong_recovery_codes_end_the_pending_sign_in(client, app, codes, auth):
    pending(auth, client)
    for left in (4, 3, 2, 1):
        r = client.post("/signin/recovery", data={"code": "2345-6789-abcd"}, headers=htmx())
        assert r.status_code == 422 and f"{left} tr" in text(r)
    r = client.post("/signin/recovery", data={"code": "2345-6789-abcd"}, headers=htmx())
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/signin"
    assert "Sign in again to start over." in text(client.get("/signin"))
    # The half sign-in is gone: even a right code now needs the password first.
    r = client.post("/signin/recovery", data={"code": codes[0]})
    assert r.status_code == 303 and r.headers["Location"] == "/signin"
    assert user_state(app)["used"] == 0 and user_state(app)["failures"] == 5
    pending(auth, client)
    assert client.post("/signin/recovery", data={"code": codes[0]}).status_code == 303
    assert client.get("/account").status_code == 200


def test_parallel_wrong_recovery_codes_on_one_session_count_at_most_the_tries_and_end_the_sign_in(
        client, app, fake_vonage, codes, auth):
    """20 requests sharing one half-signed-in session, released at once: the count lives in the database."""
    pending(auth, client)
    sid, cookie = session_cookie(client, app), app.config["SESSION_COOKIE_NAME"]
    max_tries = app.config["CODE_MAX_ATTEMPTS"]

    def same_session():
        browser = app.test_client()
        browser.set_cookie(cookie, sid)
        return browser

    def wrong_code(_):
        response = same_session().post("/signin/recovery", data={"code": "2345-6789-abcd"})
        return response.status_code, response.headers.get("Location")

    results = run_together(20, wrong_code)
    state = user_state(app)
    tried = [d["attempt"] for kind, d in state["events"] if kind == "recovery_code_failed"]
    assert sorted(tried) == list(range(1, max_tries + 1))
    assert state["failures"] == max_tries
    # Four are told how many tries are left; every other one is sent back to the password.
    assert sorted(results) == [(303, "/signin")] * (20 - max_tries + 1) + [(422, None)] * (max_tries - 1)
    # The sign-in is over for anyone holding that session: no recovery code, no texted code.
    r = same_session().post("/signin/recovery", data={"code": codes[0]})
    assert r.status_code == 303 and r.headers["Location"] == "/signin"
    r = same_session().post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)})
    assert r.status_code == 303 and r.headers["Location"] == "/signin"
    assert user_state(app)["used"] == 0 and same_session().get("/account").status_code in (302, 303)


def test_phone_lost_sign_in_still_succeeds_when_the_notice_cannot_be_sent(client, app, fake_vonage, codes, auth):
    fake_vonage.failure = "http500"
    pending(auth, client)
    verify = client.get("/signin/verify").get_data(as_text=True)
    assert "Use a recovery code instead" in verify
    r = client.post("/signin/recovery", data={"code": codes[0]})
    assert r.status_code == 303 and client.get("/account").status_code == 200
    tried = [req for req in fake_vonage.requests if NOTICE in req["form"].get("text", "")]
    assert len(tried) == 1 and fake_vonage.messages == []
    assert "recovery_code_used" in event_types(app)


def test_codes_from_another_account_do_not_work(client, app, codes, auth):
    from app.extensions import db
    from app.models import User
    from app.security import recovery
    from app.security.audit import SYSTEM

    other_id = auth.make_user(email="other@example.com", phone="+12015550188")
    with app.app_context():
        foreign = recovery.generate(db.session.get(User, other_id), SYSTEM)
    pending(auth, client)
    r = client.post("/signin/recovery", data={"code": foreign[0]})
    assert r.status_code == 422 and "isn't right" in text(r)


def test_codes_survive_a_secret_key_rotation(client, app, codes, auth):
    old = app.config["SECRET_KEY"]
    app.config.update(SECRET_KEY="rotated-secret-key-" + "y" * 40, SECRET_KEY_FALLBACKS=[old])
    pending(auth, client)
    assert client.post("/signin/recovery", data={"code": codes[2]}).status_code == 303
