"""A staff reset of two-factor waits a day (the owner told by SMS and mail, one link to cancel) unless
staff record how they verified the person's identity."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from app.security import audit
from tests.admin.helpers import REASON, events, user_state
from tests.mail.support import delivered_to, verify
from tests.support import PHONE

DAY = 24 * 3600


@pytest.fixture
def world(app, admin_helper):
    world = admin_helper.build_world()
    verify(app, world.patient_id)
    return world


def schedule(world):
    return world.staff.post(world.url("reset-two-factor"), data={"reason": REASON, "identity_verified": ""})


def cancel_token(fake_vonage) -> str:
    text = fake_vonage.sent_to(PHONE)[-1]["text"]
    link = next(word for word in text.split() if word.startswith("https://"))
    return parse_qs(urlsplit(link).query)["token"][0]


def test_without_identity_verified_the_reset_waits_and_the_owner_is_told(world, fake_vonage, clock):
    response = schedule(world)
    assert response.status_code == 303
    assert "unless the person cancels it" in world.staff.get(response.headers["Location"]).get_data(as_text=True)
    assert user_state(world.app, world.patient_id)["phone"] == PHONE  # nothing changed yet
    assert world.patient.get("/account").status_code == 200
    text = fake_vonage.sent_to(PHONE)[-1]["text"]
    assert "unless you cancel it" in text and "https://localhost/two-factor/reset/cancel?token=" in text
    (mail,) = [m for m in delivered_to(world.app, "patient@example.com") if "cancel" in m.text]
    assert mail.links == [f"https://localhost/two-factor/reset/cancel?token={cancel_token(fake_vonage)}"]
    (event,) = events(world.app, audit.ADMIN_RESET_2FA_SCHEDULED)
    assert json.loads(event.details)["reason"] == REASON and event.actor_id == world.staff_id
    assert "Scheduled reset" in world.staff.get(f"/admin/users/{world.patient_id}").get_data(as_text=True)


def test_after_the_wait_it_applies_at_the_next_sign_in(world, auth, clock):
    schedule(world)
    clock.shift(DAY - 60)
    world.patient.post("/signout")
    assert auth.sign_in(client=world.patient).headers["Location"] == "/account"  # still a trusted browser: 2FA still on
    assert user_state(world.app, world.patient_id)["phone"] == PHONE
    world.patient.post("/signout")
    clock.shift(61)
    fresh = world.app.test_client()
    assert auth.sign_in(client=fresh).headers["Location"] == "/account"  # two-factor is off now: no code
    state = user_state(world.app, world.patient_id)
    assert state["phone"] is None and state["devices"] == 0 and state["recovery_codes"] == 0
    (event,) = events(world.app, audit.ADMIN_RESET_2FA)
    assert json.loads(event.details) == {"reason": REASON, "scheduled": True}


def test_after_the_wait_the_cron_command_applies_it(world, clock):
    schedule(world)
    runner = world.app.test_cli_runner()
    assert runner.invoke(args=["apply-staff-resets"]).output.strip() == "applied=0"
    clock.shift(DAY)
    assert runner.invoke(args=["apply-staff-resets"]).output.strip() == "applied=1"
    assert runner.invoke(args=["apply-staff-resets"]).output.strip() == "applied=0"
    assert user_state(world.app, world.patient_id)["phone"] is None


def test_the_owner_cancels_with_one_button_and_nothing_happens(world, fake_vonage, clock):
    schedule(world)
    token = cancel_token(fake_vonage)
    anyone = world.app.test_client()  # the owner may be signed out, on any device
    page = anyone.get(f"/two-factor/reset/cancel?token={token}")
    assert page.status_code == 200 and "Cancel the reset" in page.get_data(as_text=True)
    assert anyone.post("/two-factor/reset/cancel", data={"token": token}).status_code == 303
    assert len(events(world.app, audit.ADMIN_RESET_2FA_CANCELLED)) == 1
    clock.shift(DAY + 1)
    assert world.app.test_cli_runner().invoke(args=["apply-staff-resets"]).output.strip() == "applied=0"
    assert user_state(world.app, world.patient_id)["phone"] == PHONE
    assert anyone.post("/two-factor/reset/cancel", data={"token": token}).status_code == 410


def test_identity_verified_applies_at_once_and_is_audited(world, fake_vonage):
    response = world.staff.post(world.url("reset-two-factor"),
                                data={"reason": REASON, "identity_verified": "video call, passport checked"})
    assert response.status_code == 303
    assert user_state(world.app, world.patient_id)["phone"] is None
    (event,) = events(world.app, audit.ADMIN_RESET_2FA)
    assert json.loads(event.details) == {"reason": REASON, "identity_verified": "video call, passport checked"}
    assert "turned off two-factor" in fake_vonage.sent_to(PHONE)[-1]["text"]
    notice = delivered_to(world.app, "patient@example.com")[-1]
    assert "turned off two-factor" in notice.text


def test_identity_verified_applies_a_scheduled_one_at_once(world):
    schedule(world)
    world.act("reset-two-factor")  # with identity verified
    assert user_state(world.app, world.patient_id)["phone"] is None
    assert "Scheduled reset" not in world.staff.get(f"/admin/users/{world.patient_id}").get_data(as_text=True)


def test_one_scheduled_reset_at_a_time(world):
    schedule(world)
    again = schedule(world)
    assert again.status_code == 422 and "already scheduled" in again.get_data(as_text=True)


def test_a_cancel_racing_the_reset_being_applied_is_refused(world, fake_vonage, clock, monkeypatch):
    # The owner clicks Cancel just as the reset is applied elsewhere (cron, or their own sign-in): the
    # applied reset stands, and the owner is told the link is dead, never "cancelled".
    from app.extensions import db
    from app.models import StaffReset
    from app.security import mail_links

    schedule(world)
    token = cancel_token(fake_vonage)
    consume = mail_links.consume

    def applied_meanwhile(link):
        # Between the read and the write the row is applied, unseen by the row already loaded (on
        # PostgreSQL another transaction commits it there; SQLite's write lock serialises the two).
        db.session.execute(StaffReset.__table__.update().values(applied_at=StaffReset.created_at))
        return consume(link)

    monkeypatch.setattr(mail_links, "consume", applied_meanwhile)
    assert world.app.test_client().post("/two-factor/reset/cancel", data={"token": token}).status_code == 410
    assert events(world.app, audit.ADMIN_RESET_2FA_CANCELLED) == []
    with world.app.app_context():
        (row,) = db.session.query(StaffReset).all()
        assert row.cancelled_at is None  # (the simulated apply went with the refused request's rollback)
