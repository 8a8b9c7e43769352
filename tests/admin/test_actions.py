"""Staff actions: confirmation, reason and recent password first; then their effect and audit entry."""

import json
from datetime import datetime

import pytest

from app.admin import wording
from app.security import audit
from app.security.signin import LOCKED
from tests.admin.helpers import PATIENT_EMAIL, REASON, cheap_password_hashing, events, later, set_user, user_state
from tests.support import PASSWORD, PHONE, htmx


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    cheap_password_hashing(monkeypatch)


EVENT_OF = {
    "reset-two-factor": audit.ADMIN_RESET_2FA,
    "forget-browsers": audit.ADMIN_FORGET_DEVICES,
    "sign-out": audit.ADMIN_SIGNOUT_EVERYWHERE,
    "lock": audit.ADMIN_LOCK,
    "unlock": audit.ADMIN_UNLOCK,
}


@pytest.fixture
def world(app, fake_vonage, admin_helper):
    return admin_helper.build_world()


def prepare(world, slug):
    """Put the account in a state where the action applies."""
    if slug == "unlock":
        set_user(world.app, world.patient_id, locked_at=datetime(2025, 1, 1))


@pytest.mark.parametrize("slug", EVENT_OF)
def test_each_action_asks_for_confirmation_and_a_reason_first(world, slug):
    prepare(world, slug)
    page = world.staff.get(world.url(slug)).get_data(as_text=True)
    assert "<html" in page and 'name="reason"' in page and "Cancel" in page
    assert 'name="password"' not in page  # signed in moments ago
    partial = world.staff.get(world.url(slug), headers=htmx())
    assert "<html" not in partial.get_data(as_text=True) and 'id="user-action"' in partial.get_data(as_text=True)
    assert partial.headers["Vary"].startswith("HX-Request") or "HX-Request" in partial.headers["Vary"]


@pytest.mark.parametrize("slug, reason", [(slug, "") for slug in EVENT_OF] + [("lock", "  \n "), ("lock", "x" * 501)])
def test_without_a_proper_reason_nothing_changes(world, slug, reason):
    prepare(world, slug)
    before = user_state(world.app, world.patient_id)
    response = world.act(slug, reason=reason)
    assert response.status_code == 422
    assert 'id="f-reason-error"' in response.get_data(as_text=True)
    assert user_state(world.app, world.patient_id) == before
    assert events(world.app, EVENT_OF[slug]) == []
    if slug != "unlock":  # a locked account (the unlock case) has no live session to keep
        assert world.patient.get("/account").status_code == 200


@pytest.mark.parametrize("slug", EVENT_OF)
def test_without_recent_authentication_nothing_changes(world, slug):
    prepare(world, slug)
    before = user_state(world.app, world.patient_id)
    with later(16):
        page = world.staff.get(world.url(slug)).get_data(as_text=True)
        assert 'name="password"' in page and "confirm your password" in page
        response = world.act(slug)
        assert response.status_code == 422
        assert "enter your password" in response.get_data(as_text=True)
        response = world.act(slug, password="not-my-password")
        assert response.status_code == 422 and "That password isn&#39;t right." in response.get_data(as_text=True)
        assert user_state(world.app, world.patient_id) == before
        assert events(world.app, EVENT_OF[slug]) == []
        response = world.act(slug, password=PASSWORD)
        assert response.status_code == 303, response.get_data(as_text=True)
    assert user_state(world.app, world.patient_id) != before
    assert len(events(world.app, EVENT_OF[slug])) == 1


@pytest.mark.parametrize("slug", EVENT_OF)
def test_every_action_is_audited_with_actor_reason_and_ip(world, slug):
    prepare(world, slug)
    response = world.act(slug)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/users/{world.patient_id}")
    [event] = events(world.app, EVENT_OF[slug])
    assert event.user_id == world.patient_id and event.actor_id == world.staff_id
    assert event.ip == "127.0.0.1"
    assert json.loads(event.details)["reason"] == REASON
    page = world.staff.get(response.headers["Location"]).get_data(as_text=True)
    assert wording.event_label(EVENT_OF[slug]) in page and REASON in page


def test_a_successful_htmx_action_answers_hx_redirect(world):
    response = world.staff.post(world.url("sign-out"), data={"reason": REASON}, headers=htmx())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/admin/users/{world.patient_id}"
    response = world.staff.post(world.url("lock"), data={"reason": ""}, headers=htmx())
    assert response.status_code == 422 and "<html" not in response.get_data(as_text=True)


def test_reset_two_factor(world, fake_vonage, auth):
    trust_cookie = world.patient.get_cookie("trusted_device").value
    world.act("reset-two-factor")
    state = user_state(world.app, world.patient_id)
    assert state["phone"] is None and state["devices"] == 0 and state["recovery_codes"] == 0
    assert any("turned off" in m["text"] for m in fake_vonage.sent_to(PHONE))
    # The patient's session is gone; with the password alone they are in again.
    assert world.patient.get("/account").status_code in (302, 303)
    response = auth.sign_in(PATIENT_EMAIL, client=world.patient)
    assert response.status_code == 303 and response.headers["Location"].endswith("/account")
    # The old trust cookie no longer stands in for a code once two-factor is back on.
    world.patient.post("/signout")
    set_user(world.app, world.patient_id, phone_e164=PHONE, phone_last4=PHONE[-4:])
    assert world.patient.get_cookie("trusted_device").value == trust_cookie
    with later(1):
        assert auth.sign_in(PATIENT_EMAIL, client=world.patient).headers["Location"].endswith("/signin/verify")


def test_reset_when_already_off_is_refused(world):
    set_user(world.app, world.patient_id, phone_e164=None, phone_last4=None)
    response = world.act("reset-two-factor")
    assert response.status_code == 422 and "already off" in response.get_data(as_text=True)
    assert events(world.app, audit.ADMIN_RESET_2FA) == []


def test_forget_all_trusted_browsers(world, auth):
    world.act("forget-browsers")
    assert user_state(world.app, world.patient_id)["devices"] == 0
    [event] = events(world.app, audit.ADMIN_FORGET_DEVICES)
    assert json.loads(event.details)["count"] == 1
    world.patient.post("/signout")
    with later(1):
        assert auth.sign_in(PATIENT_EMAIL, client=world.patient).headers["Location"].endswith("/signin/verify")


def test_sign_out_everywhere_keeps_browsers_trusted(world, auth):
    world.act("sign-out")
    assert world.patient.get("/account").status_code in (302, 303)
    assert user_state(world.app, world.patient_id)["devices"] == 1
    assert auth.sign_in(PATIENT_EMAIL, client=world.patient).headers["Location"].endswith("/account")


def test_lock_ends_sessions_and_refuses_sign_in_neutrally(world, fake_vonage, auth):
    halfway = world.app.test_client()
    assert auth.sign_in(PATIENT_EMAIL, client=halfway).headers["Location"].endswith("/signin/verify")
    world.act("lock")
    assert world.patient.get("/account").status_code in (302, 303)
    response = auth.sign_in(PATIENT_EMAIL, client=world.patient)
    assert response.status_code == 422 and LOCKED.replace("'", "&#39;") in response.get_data(as_text=True)
    # A sign-in waiting for its code can't finish either.
    halfway.post("/signin/verify", data={"code": fake_vonage.last_code(PHONE)})
    assert halfway.get("/account").status_code in (302, 303)
    assert "Lock account" not in world.staff.get(f"/admin/users/{world.patient_id}").get_data(as_text=True)


def test_unlock_restores_sign_in_and_lifts_the_code_cap(world, fake_vonage, auth):
    world.act("lock")
    set_user(world.app, world.patient_id, consecutive_code_failures=100)
    world.act("unlock")
    state = user_state(world.app, world.patient_id)
    assert state["locked_at"] is None and state["failures"] == 0
    [event] = events(world.app, audit.ADMIN_UNLOCK)
    assert json.loads(event.details)["code_failures_cleared"] == 100
    fresh = world.app.test_client()
    with later(1):
        auth.sign_in_fully(PATIENT_EMAIL, phone=PHONE, client=fresh)
        assert fresh.get("/account").status_code == 200


def test_unlock_lifts_the_code_cap_of_an_unlocked_account(world):
    page = world.staff.get(f"/admin/users/{world.patient_id}").get_data(as_text=True)
    assert "Unlock account" not in page
    assert world.act("unlock").status_code == 422
    set_user(world.app, world.patient_id, consecutive_code_failures=100)
    page = world.staff.get(f"/admin/users/{world.patient_id}").get_data(as_text=True)
    assert "Code checks stopped" in page and "Unlock account" in page
    assert world.act("unlock").status_code == 303
    assert user_state(world.app, world.patient_id)["failures"] == 0


def test_staff_cannot_act_on_their_own_account(world):
    before = user_state(world.app, world.staff_id)
    response = world.staff.post(f"/admin/users/{world.staff_id}/actions/lock", data={"reason": REASON})
    assert response.status_code == 422 and "My Account Settings" in response.get_data(as_text=True)
    assert user_state(world.app, world.staff_id) == before


def test_unknown_user_or_action_is_404(world):
    assert world.staff.get("/admin/users/999").status_code == 404
    assert world.staff.post("/admin/users/999/actions/lock", data={"reason": REASON}).status_code == 404
    assert world.staff.post(world.url("delete"), data={"reason": REASON}).status_code == 404


# ---------------------------------------------------------------- staff accounts are the command line's

@pytest.fixture
def colleague(world, fake_vonage, admin_helper):
    """Another staff member (two-factor on), signed in on their own browser."""

    uid = admin_helper.make_staff("colleague@example.com", "+12015550155", app=world.app)
    return uid, admin_helper.staff_client("colleague@example.com", "+12015550155", app=world.app)


@pytest.mark.parametrize("slug", EVENT_OF)
@pytest.mark.parametrize("as_htmx", [False, True], ids=["no-js", "htmx"])
def test_staff_cannot_act_on_other_staff(world, colleague, slug, as_htmx):
    uid, their_browser = colleague
    if slug == "unlock":
        set_user(world.app, uid, locked_at=datetime(2025, 1, 1))
    before = user_state(world.app, uid)
    before_events = {kind: len(events(world.app, kind, uid)) for kind in EVENT_OF.values()}
    url = f"/admin/users/{uid}/actions/{slug}"
    headers = htmx() if as_htmx else {}
    shown = world.staff.get(url, headers=headers)
    assert shown.status_code == 403 and "command line" in shown.get_data(as_text=True)
    assert 'name="reason"' not in shown.get_data(as_text=True)  # no form for what will be refused
    response = world.staff.post(url, data={"reason": REASON, "password": PASSWORD}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and "Staff accounts can&#39;t be changed from the support area" in html
    assert user_state(world.app, uid) == before
    assert {kind: len(events(world.app, kind, uid)) for kind in EVENT_OF.values()} == before_events
    if slug != "unlock":
        assert their_browser.get("/admin/").status_code == 200  # still signed in, still staff


def test_a_staff_account_page_offers_no_actions(world, colleague):
    uid, _ = colleague
    html = world.staff.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert "This is a staff account" in html
    assert f"/admin/users/{uid}/actions/" not in html


def test_staff_services_refuse_staff_targets(world, colleague):
    from app.extensions import db
    from app.models import User
    from app.security import admin
    from app.security.audit import SYSTEM

    uid, _ = colleague
    with world.app.app_context():
        target, staff = db.session.get(User, uid), db.session.get(User, world.staff_id)
        for run in (admin.reset_two_factor, admin.forget_browsers, admin.sign_out_everywhere, admin.lock, admin.unlock):
            with pytest.raises(admin.StaffAccountRefused):
                run(target, staff, REASON, SYSTEM)
