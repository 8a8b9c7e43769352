"""Change email address: the new address is verified before it replaces the old one, which is told."""

import pytest
from sqlalchemy import select

from tests.mail.support import delivered, delivered_to, verify
from tests.support import PASSWORD

NEW = "new.me@example.com"


@pytest.fixture
def patient(app, auth):
    user_id = auth.make_user()
    verify(app, user_id)
    auth.sign_in_fully()
    return user_id


def email_of(app, user_id):
    from app.extensions import db
    from app.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        return user.email, user.email_verified_at is not None


def ask(client, email=NEW, password=PASSWORD):
    return client.post("/account/email", data={"email": email, "password": password})


def test_settings_offer_it(client, patient):
    html = client.get("/account").get_data(as_text=True)
    assert 'href="/account/email"' in html and "Change email address" in html


def test_the_new_address_must_be_verified_before_it_replaces_the_old(app, client, patient):
    assert ask(client).status_code == 303
    assert email_of(app, patient) == ("patient@example.com", True)  # nothing changed yet
    (sent,) = delivered_to(app, NEW)
    assert sent.links[0].startswith("https://localhost/email/change/confirm?token=")
    assert client.post("/email/change/confirm", data={"token": sent.token()}).status_code == 303
    assert email_of(app, patient) == (NEW, True)
    (told,) = delivered_to(app, "patient@example.com")
    assert "changed to new.me@example.com" in told.text and told.links == []
    # The link is single use.
    assert client.post("/email/change/confirm", data={"token": sent.token()}).status_code == 410


def test_the_password_is_needed(app, client, patient):
    response = ask(client, password="wrong-password-here")
    assert response.status_code == 422 and delivered(app) == []


def test_a_taken_address_gets_the_same_answer_and_no_mail(app, client, patient, auth):
    auth.make_user("someone@example.com")
    response = ask(client, "someone@example.com")
    assert response.status_code == 303
    assert delivered(app) == []


def test_an_address_taken_meanwhile_kills_the_link(app, client, patient, auth):
    ask(client)
    token = delivered_to(app, NEW)[0].token()
    auth.make_user(NEW)
    assert client.post("/email/change/confirm", data={"token": token}).status_code == 410
    assert email_of(app, patient)[0] == "patient@example.com"


def test_a_reset_link_sent_to_the_old_address_dies_with_the_change(app, client, patient):
    app.test_client().post("/password/forgot", data={"email": "patient@example.com"})
    reset_token = delivered_to(app, "patient@example.com")[0].token()
    ask(client)
    client.post("/email/change/confirm", data={"token": delivered_to(app, NEW)[0].token()})
    response = app.test_client().post("/password/reset", data={"token": reset_token, "new": "Green-Lantern-77x",
                                                               "confirm": "Green-Lantern-77x"})
    assert response.status_code == 410


def test_the_link_lasts_24_hours(app, client, patient, clock):
    ask(client)
    token = delivered_to(app, NEW)[0].token()
    clock.shift(24 * 3600)
    assert app.test_client().post("/email/change/confirm", data={"token": token}).status_code == 410


def test_it_is_audited(app, client, patient):
    from app.extensions import db
    from app.models import SecurityEvent

    ask(client)
    client.post("/email/change/confirm", data={"token": delivered_to(app, NEW)[0].token()})
    with app.app_context():
        kinds = db.session.scalars(select(SecurityEvent.type).where(SecurityEvent.user_id == patient)).all()
    assert "email_change_requested" in kinds and "email_changed" in kinds
