"""Staff send a password reset link from the user detail: to the confirmed address only, with a reason, audited."""

import json

import pytest

from app.security import audit
from tests.admin.helpers import REASON, events
from tests.mail.support import delivered_to, verify


@pytest.fixture
def world(admin_helper):
    return admin_helper.build_world()


def test_a_confirmed_address_gets_a_link_and_staff_never_see_it(world):
    verify(world.app, world.patient_id)
    assert "Send password reset link" in world.staff.get(f"/admin/users/{world.patient_id}").get_data(as_text=True)
    response = world.act("send-reset-link")
    assert response.status_code == 303
    page = world.staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "reset link was sent" in page
    (sent,) = delivered_to(world.app, "patient@example.com")
    assert sent.token() not in page
    (event,) = events(world.app, audit.ADMIN_SEND_RESET_LINK)
    details = json.loads(event.details)
    assert details["reason"] == REASON and details["sent"] is True and event.actor_id == world.staff_id
    assert world.app.test_client().post("/password/reset", data={
        "token": sent.token(), "new": "Green-Lantern-Harbor-77", "confirm": "Green-Lantern-Harbor-77"}
    ).status_code == 303


def test_an_unconfirmed_address_is_not_offered_and_is_refused(world):
    html = world.staff.get(f"/admin/users/{world.patient_id}").get_data(as_text=True)
    assert "Send password reset link" not in html and "Not confirmed" in html
    response = world.act("send-reset-link")
    assert response.status_code == 422 and "isn&#39;t confirmed" in response.get_data(as_text=True)
    assert delivered_to(world.app, "patient@example.com") == []


def test_a_reason_is_required(world):
    verify(world.app, world.patient_id)
    assert world.act("send-reset-link", reason="").status_code == 422
    assert delivered_to(world.app, "patient@example.com") == []
