"""Staff read plain words: event names and details, and what a staff reset texts to the person."""

import html
import json
import re

import pytest

from app.admin import wording
from app.security import audit
from tests.admin.helpers import PATIENT_EMAIL, REASON, cheap_password_hashing, events
from tests.support import PHONE, htmx
from tests.twofactor_helpers import DISABLE


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    cheap_password_hashing(monkeypatch)


def seed_events(app, user_id: int) -> None:
    from app.extensions import db
    from app.models import SecurityEvent

    with app.app_context():
        for kind, details in [
            (audit.TWO_FACTOR_ENABLED, None),
            (audit.RECOVERY_CODE_FAILED, {"attempt": 1, "already_used": False}),
            (audit.CODE_SENT, {"purpose": "number_change"}),
            (audit.SIGNIN_FAILED, {"reason": "password"}),
            ("code_refused", {"reason_code": "user_cap"}),  # a type this table has no words for yet
        ]:
            db.session.add(SecurityEvent(type=kind, user_id=user_id, actor_id=user_id, ip="192.0.2.7",
                                         details=json.dumps(details) if details else None))
        db.session.commit()


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit?type=2fa_enabled", "user detail"])
def test_events_and_details_read_as_plain_words(app, fake_vonage, path, admin_helper):
    admin_helper.make_staff()
    patient = admin_helper.make_patient(phone=None)
    seed_events(app, patient)
    staff = admin_helper.staff_client()
    body = staff.get(f"/admin/users/{patient}" if path == "user detail" else path).get_data(as_text=True)
    page = html.unescape(re.sub(r"<[^>]*>", " ", body))  # what staff read, not attribute values
    assert "Two-factor turned on" in page
    for raw in ("2fa_enabled", "already_used", "False", "recovery_code_failed", "number_change"):
        assert raw not in page, raw
    if "type=" not in path:
        assert "Wrong recovery code entered" in page and "Already used: no" in page and "Wrong try number: 1" in page
        assert "For: changing the number" in page
        assert "Why: wrong password" in page or "wrong password" in page
        assert "Code refused" in page and "Reason code: user_cap" in page


def test_the_type_filter_lists_words_and_filters_by_the_type(app, fake_vonage, admin_helper):
    admin_helper.make_staff()
    patient = admin_helper.make_patient(phone=None)
    seed_events(app, patient)
    staff = admin_helper.staff_client()
    page = staff.get("/admin/audit").get_data(as_text=True)
    assert '<option value="2fa_enabled">Two-factor turned on</option>' in page
    assert '<option value="admin_reset_2fa">Support reset two-factor</option>' in page
    shown = staff.get("/admin/audit?type=2fa_enabled", headers=htmx()).get_data(as_text=True)
    assert "Two-factor turned on" in shown and "Wrong recovery code entered" not in shown


def test_every_event_type_has_its_own_words():
    labels = [wording.event_label(kind) for kind in audit.ALL_TYPES]
    assert all(kind not in wording.EVENTS or wording.EVENTS[kind] for kind in audit.ALL_TYPES)
    assert len(set(labels)) == len(labels)
    assert not [label for label in labels if "_" in label]


def test_the_csv_export_keeps_the_raw_names_for_tools(app, fake_vonage, admin_helper):
    admin_helper.make_staff()
    patient = admin_helper.make_patient(phone=None)
    seed_events(app, patient)
    exported = admin_helper.staff_client().get("/admin/audit.csv").get_data(as_text=True)
    assert ",2fa_enabled," in exported and '""already_used"": ""False""' in exported


# ---------------------------------------------------------------- what the person is texted

def test_a_staff_reset_texts_that_support_turned_it_off(app, fake_vonage, admin_helper):
    world = admin_helper.build_world()
    world.act("reset-two-factor")
    notice = fake_vonage.sent_to(PHONE)[-1]["text"]
    assert notice == ("Our support team turned off two-factor authentication for your Health Records account. "
                      "If you didn't ask for this, contact support.")
    [event] = events(app, audit.ADMIN_RESET_2FA)
    assert json.loads(event.details)["reason"] == REASON


def test_turning_it_off_yourself_texts_the_usual_words(app, client, fake_vonage, auth):

    auth.make_user(PATIENT_EMAIL, phone=PHONE)
    auth.sign_in_fully(PATIENT_EMAIL, phone=PHONE)
    assert client.post(DISABLE).status_code in (200, 303)
    notice = fake_vonage.sent_to(PHONE)[-1]["text"]
    assert notice.startswith("Two-factor authentication was turned off for your Health Records account.")
    assert "support team" not in notice
