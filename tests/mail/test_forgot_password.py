"""Forgot password: one answer for every address, links only to verified ones, a reset that signs nothing in.

Mail goes through the app's smtp backend to a real SMTP server (aiosmtpd) and is read from it.
"""

import pytest
from sqlalchemy import select

from tests.mail.support import SMTP, delivered, delivered_to, verify
from tests.support import OTHER_PHONE, PASSWORD, PHONE

pytestmark = pytest.mark.settings(**SMTP)

NEW_PASSWORD = "Green-Lantern-Harbor-77"


@pytest.fixture
def patient(app, auth):
    """A patient with two-factor on and a verified address; return the id."""
    user_id = auth.make_user(phone=PHONE)
    verify(app, user_id)
    return user_id


def ask(client, email="patient@example.com", **kwargs):
    return client.post("/password/forgot", data={"email": email}, **kwargs)


def reset_link(app, smtp_server, client, email="patient@example.com") -> str:
    ask(client, email)
    return delivered_to(app, email, smtp_server)[-1].token()


def reset(client, token, new=NEW_PASSWORD, confirm=None):
    return client.post("/password/reset", data={"token": token, "new": new, "confirm": confirm or new})


def events(app, kind):
    from app.extensions import db
    from app.models import SecurityEvent

    with app.app_context():
        return db.session.scalars(select(SecurityEvent).where(SecurityEvent.type == kind)).all()


def test_the_sign_in_page_offers_it(client):
    html = client.get("/signin").get_data(as_text=True)
    assert 'href="/password/forgot"' in html and "Forgot your password?" in html


def test_a_verified_address_gets_a_link_on_the_public_origin(app, client, patient, smtp_server):
    response = ask(client, headers={"Host": "elsewhere.example"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/password/forgot/sent")
    (sent,) = delivered(app, smtp_server)
    assert sent.to == "patient@example.com" and sent.subject == "Reset your Health Records password"
    (link,) = sent.links
    assert link.startswith("https://localhost/password/reset?token=") and "60 minutes" in sent.text


@pytest.mark.parametrize("email", ["nobody@example.com", "unverified@example.com", "not an address"])
def test_every_address_gets_the_same_answer(app, client, patient, smtp_server, auth, email):
    auth.make_user("unverified@example.com")
    known = ask(app.test_client())
    other = ask(client, email)
    assert (other.status_code, other.headers["Location"]) == (known.status_code, known.headers["Location"])
    page = client.get(other.headers["Location"]).get_data(as_text=True)
    assert "If that address belongs to an account" in page and "never confirmed yours" in page
    # Only the verified address got mail; the others went through the queue with nothing to send.
    assert [m.to for m in delivered(app, smtp_server)] == ["patient@example.com"]


def test_the_answer_never_waits_on_the_smtp_exchange(app, client, patient, smtp_server):
    smtp_server.received.gate.clear()
    assert ask(client).status_code == 303
    assert smtp_server.received.waiting.wait(5) and smtp_server.messages == []
    smtp_server.received.gate.set()
    assert len(delivered(app, smtp_server)) == 1


def test_a_failed_send_keeps_the_answer_and_the_state(app, client, patient, smtp_server):
    smtp_server.stop()
    assert ask(client).status_code == 303
    assert len(events(app, "password_reset_requested")) == 1


def test_requests_per_address_are_throttled_silently_known_or_not(app, client, patient, smtp_server):
    answers = [ask(client) for _ in range(4)] + [ask(client, "nobody@example.com") for _ in range(4)]
    assert {(a.status_code, a.headers["Location"]) for a in answers} == {(303, "/password/forgot/sent")}
    assert len(delivered(app, smtp_server)) == 3
    # Counted in rows for unknown addresses too: one per request.
    assert len(events(app, "password_reset_requested")) == 8


@pytest.mark.settings(RATELIMIT_ENABLED=True, RATELIMIT_PASSWORD_RESET="2 per hour")
def test_requests_per_ip_are_limited(client, smtp_server):
    assert [ask(client, f"p{i}@example.com").status_code for i in range(3)] == [303, 303, 429]


def test_the_reset_sets_the_password_and_signs_nothing_in(app, client, patient, smtp_server, fake_vonage, auth):
    token = reset_link(app, smtp_server, client)
    form = client.get(f"/password/reset?token={token}")
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    done = reset(client, token)
    assert done.status_code == 303 and done.headers["Location"] == "/signin"
    assert client.get("/account").status_code in (302, 303)  # not signed in
    assert auth.sign_in(password=PASSWORD).status_code == 422  # the old password is gone
    assert auth.sign_in(password=NEW_PASSWORD).headers["Location"] == "/signin/verify"  # the code, as usual
    assert len(events(app, "password_reset")) == 1


def test_the_reset_ends_every_session_and_forgets_trusted_browsers(app, client, patient, smtp_server, auth):
    elsewhere = app.test_client()
    auth.sign_in_fully(trust=True, client=elsewhere)
    assert elsewhere.get("/account").status_code == 200
    reset(client, reset_link(app, smtp_server, client))
    assert elsewhere.get("/account").status_code in (302, 303)
    # The browser that was trusted needs the code again.
    response = elsewhere.post("/signin", data={"email": "patient@example.com", "password": NEW_PASSWORD})
    assert response.headers["Location"] == "/signin/verify"


def test_the_owner_is_texted_and_mailed(app, client, patient, smtp_server, fake_vonage):
    reset(client, reset_link(app, smtp_server, client))
    assert "password of your Health Records account was reset" in fake_vonage.sent_to(PHONE)[-1]["text"]
    notice = delivered_to(app, "patient@example.com", smtp_server)[-1]
    assert notice.subject == "Security notice from Health Records" and "was reset" in notice.text


def test_the_link_works_once(app, client, patient, smtp_server):
    token = reset_link(app, smtp_server, client)
    reset(client, token)
    again = reset(client, token, new="Another-Fine-Password-9")
    assert again.status_code == 410 and "expired or was already used" in again.get_data(as_text=True)
    assert client.get(f"/password/reset?token={token}").status_code == 410


def test_the_link_expires_after_an_hour(app, client, patient, smtp_server, clock):
    token = reset_link(app, smtp_server, client)
    clock.shift(3600)
    assert reset(client, token).status_code == 410


def test_a_newer_link_kills_the_older_one(app, client, patient, smtp_server):
    first = reset_link(app, smtp_server, client)
    second = reset_link(app, smtp_server, client)
    assert reset(client, first).status_code == 410
    assert reset(client, second).status_code == 303


def test_a_password_change_by_another_route_kills_the_link(app, client, patient, smtp_server, auth):
    token = reset_link(app, smtp_server, client)
    signed_in = app.test_client()
    auth.sign_in_fully(client=signed_in)
    signed_in.post("/account/password", data={"current": PASSWORD, "new": "Purple-Mountain-Ranges-5",
                                              "confirm": "Purple-Mountain-Ranges-5"})
    assert reset(client, token).status_code == 410


def test_the_usual_password_rules_apply_and_the_link_survives_a_mistake(app, client, patient, smtp_server):
    token = reset_link(app, smtp_server, client)
    short = reset(client, token, new="short")
    assert short.status_code == 422
    mismatch = reset(client, token, new=NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    assert mismatch.status_code == 422 and "don&#39;t match" in mismatch.get_data(as_text=True)
    assert reset(client, token).status_code == 303


def test_an_unverified_address_never_gets_a_link(app, client, auth, smtp_server):
    auth.make_user(phone=OTHER_PHONE)
    ask(client)
    assert delivered(app, smtp_server) == []
    (event,) = events(app, "password_reset_requested")
    assert '"sent": false' in event.details


def test_a_link_for_an_address_the_account_no_longer_has_is_dead(app, client, patient, smtp_server):
    from app.extensions import db
    from app.models import User

    token = reset_link(app, smtp_server, client)
    with app.app_context():
        db.session.get(User, patient).email = "moved@example.com"
        db.session.commit()
    assert reset(client, token).status_code == 410


def test_a_link_of_another_kind_is_no_reset_link(app, client, smtp_server, auth):
    auth.make_user()
    auth.sign_in_fully()
    client.post("/account/email/resend")
    verification_token = delivered(app, smtp_server)[-1].token()
    assert reset(app.test_client(), verification_token).status_code == 410
    assert reset(app.test_client(), "not-a-token").status_code == 410
