"""Verified addresses: a link at sign-up (single use, 24 hours), a banner with resend until then."""

from sqlalchemy import select

from tests.mail.support import delivered, delivered_to, verify
from tests.support import PASSWORD

BANNER = "Please confirm your email address"


def sign_up(client, email="new@example.com"):
    return client.post("/signup", data={"email": email, "password": PASSWORD, "confirm": PASSWORD})


def user_row(app, email="new@example.com"):
    from app.extensions import db
    from app.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def test_sign_up_mails_a_verification_link_on_the_public_origin(app, client):
    assert sign_up(client).status_code == 303
    (sent,) = delivered_to(app, "new@example.com")
    assert sent.subject == "Confirm your email address for Health Records"
    (link,) = sent.links
    assert link.startswith("https://localhost/email/verify?token=")
    assert "24 hours" in sent.text and link in sent.html
    assert user_row(app).email_verified_at is None


def test_the_link_asks_first_then_verifies_once(app, client):
    sign_up(client)
    token = delivered(app)[0].token()
    # Opening the link (a mail scanner does) changes nothing: a button posts it.
    page = client.get(f"/email/verify?token={token}")
    assert page.status_code == 200 and "Confirm my email address" in page.get_data(as_text=True)
    assert user_row(app).email_verified_at is None
    done = client.post("/email/verify", data={"token": token})
    assert done.status_code == 303 and user_row(app).email_verified_at is not None
    again = client.post("/email/verify", data={"token": token})
    assert again.status_code == 410 and "expired or was already used" in again.get_data(as_text=True)


def test_only_a_digest_of_the_token_is_stored(app, client):
    from app.extensions import db
    from app.models import EmailToken

    sign_up(client)
    token = delivered(app)[0].token()
    with app.app_context():
        (row,) = db.session.scalars(select(EmailToken)).all()
        assert token not in (row.digest, row.email) and len(row.digest) == 64


def test_the_link_dies_after_24_hours(app, client, clock):
    sign_up(client)
    token = delivered(app)[0].token()
    clock.shift(24 * 3600 + 1)
    assert client.get(f"/email/verify?token={token}").status_code == 410
    assert client.post("/email/verify", data={"token": token}).status_code == 410
    assert user_row(app).email_verified_at is None


def test_a_taken_address_gets_the_same_answer_and_no_mail(app, client, auth):
    auth.make_user("taken@example.com")
    first = sign_up(client, "taken@example.com")
    second = sign_up(app.test_client(), "fresh@example.com")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert [m.to for m in delivered(app)] == ["fresh@example.com"]


def test_a_taken_address_takes_the_same_mail_path(app, client, auth, monkeypatch):
    # The message is composed and queued as for a new account; only the queue drops it.
    from app import mail

    auth.make_user("taken@example.com")
    composed = []
    real = mail.compose
    monkeypatch.setattr(mail, "compose", lambda to, kind, **context: composed.append(kind) or real(to, kind, **context))
    sign_up(client, "taken@example.com")
    sign_up(app.test_client(), "fresh@example.com")
    assert composed == ["verify_email", "verify_email"]
    assert [m.to for m in delivered(app)] == ["fresh@example.com"]


def test_existing_accounts_start_unverified_and_see_the_banner_with_resend(app, client, auth):
    auth.make_user()
    auth.sign_in_fully()
    html = client.get("/account").get_data(as_text=True)
    assert BANNER in html and "Resend the link" in html and "Not confirmed" in html
    response = client.post("/account/email/resend")
    assert response.status_code == 303
    (sent,) = delivered_to(app, "patient@example.com")
    client.post("/email/verify", data={"token": sent.token()})
    html = client.get("/account").get_data(as_text=True)
    assert BANNER not in html and "Confirmed" in html


def test_a_newer_link_kills_the_older_one(app, client, auth):
    auth.make_user()
    auth.sign_in_fully()
    client.post("/account/email/resend")
    client.post("/account/email/resend")
    first, second = delivered_to(app, "patient@example.com")
    assert client.post("/email/verify", data={"token": first.token()}).status_code == 410
    assert client.post("/email/verify", data={"token": second.token()}).status_code == 303


def test_resending_is_capped_per_hour(app, client, auth, clock):
    auth.make_user()
    auth.sign_in_fully()
    for _ in range(3):
        client.post("/account/email/resend")
    client.post("/account/email/resend")
    assert len(delivered(app)) == 3
    assert "several links this hour" in client.get("/account").get_data(as_text=True)
    clock.shift(3601)
    auth.sign_in_fully()  # the session timed out meanwhile
    client.post("/account/email/resend")
    assert len(delivered(app)) == 4


def test_a_verified_account_is_told_so_instead_of_a_new_link(app, client, auth):
    user_id = auth.make_user()
    verify(app, user_id)
    auth.sign_in_fully()
    client.post("/account/email/resend")
    assert delivered(app) == []
    assert "already confirmed" in client.get("/account").get_data(as_text=True)


def test_staff_see_whether_the_address_is_confirmed(app, admin_helper):
    patient = admin_helper.make_patient()
    admin_helper.make_staff()
    staff = admin_helper.staff_client()
    assert "Not confirmed" in staff.get(f"/admin/users/{patient}").get_data(as_text=True)
    verify(app, patient)
    assert "Confirmed</span> on" in staff.get(f"/admin/users/{patient}").get_data(as_text=True)
