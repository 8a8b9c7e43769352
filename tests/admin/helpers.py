"""Helpers shared by the support-staff (admin) tests."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import time_machine

from tests.support import PASSWORD, PHONE

STAFF_EMAIL = "staff@example.com"
STAFF_PHONE = "+12015550166"
PATIENT_EMAIL = "patient@example.com"
REASON = "Ticket 42: caller confirmed date of birth and address"


def cheap_password_hashing(monkeypatch) -> None:
    """Swap in a fast argon2 hasher: these tests are about staff rules, not hashing cost."""
    from argon2 import PasswordHasher

    from app.security import passwords

    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def full_number_shown(html: str, phone: str = PHONE) -> bool:
    """Tell whether a page shows the number in any usual spelling (E.164 or national digits)."""
    digits = re.sub(r"\D", "", html)
    national = phone[2:]  # +1 2015550123 -> 2015550123
    return phone in html or national in digits or f"{national[:3]}-{national[3:6]}-{national[6:]}" in html


def events(app, event_type: str, user_id: int | None = None) -> list:
    """Return the security events of a type (optionally about one user), oldest first."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import SecurityEvent

    with app.app_context():
        stmt = select(SecurityEvent).where(SecurityEvent.type == event_type).order_by(SecurityEvent.id)
        if user_id is not None:
            stmt = stmt.where(SecurityEvent.user_id == user_id)
        found = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return found


def user_state(app, user_id: int) -> dict:
    """Snapshot the fields staff actions change."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import RecoveryCode, TrustedDevice, User

    with app.app_context():
        user = db.session.get(User, user_id)
        count = lambda model: db.session.scalar(  # noqa: E731
            select(func.count()).select_from(model).where(model.user_id == user_id))
        return {
            "phone": user.phone_e164, "version": user.session_version, "locked_at": user.locked_at,
            "failures": user.consecutive_code_failures, "devices": count(TrustedDevice),
            "recovery_codes": count(RecoveryCode),
        }


def later(minutes: float):
    """Move the clock forward (sessions, codes and the 15-minute re-authentication follow it)."""
    return time_machine.travel(datetime.now(UTC) + timedelta(minutes=minutes))


def set_user(app, user_id: int, **values) -> None:
    """Change user columns directly."""
    from app.extensions import db
    from app.models import User

    with app.app_context():
        user = db.session.get(User, user_id)
        for key, value in values.items():
            setattr(user, key, value)
        db.session.commit()


def add_recovery_codes(app, user_id: int, count: int = 3) -> None:
    """Give the user unused recovery codes (rows only; their digests are dummies)."""
    from app.extensions import db
    from app.models import RecoveryCode

    with app.app_context():
        db.session.add_all(RecoveryCode(user_id=user_id, digest=f"{user_id}-{i}" * 8) for i in range(count))
        db.session.commit()


@dataclass
class World:
    """A patient signed in on a trusted browser, and a staff member signed in elsewhere."""

    app: object
    staff: object  # test client signed in as staff
    staff_id: int
    patient: object  # test client of the patient's trusted, signed-in browser
    patient_id: int

    def url(self, slug: str) -> str:
        return f"/admin/users/{self.patient_id}/actions/{slug}"

    def act(self, slug: str, reason: str = REASON, **data):
        return self.staff.post(self.url(slug), data={"reason": reason, **data})


class StaffActions:
    """Support staff and their patients: make them, sign staff in, build the usual admin scene."""

    def __init__(self, auth):
        self.auth = auth

    def make_staff(self, email=STAFF_EMAIL, phone=STAFF_PHONE, *, app=None) -> int:
        """Create a staff member with two-factor on; return the id."""
        return self.auth.make_user(email, PASSWORD, phone=phone, staff=True, app=app)

    def make_patient(self, email=PATIENT_EMAIL, phone=PHONE, *, app=None) -> int:
        """Create a patient (two-factor on unless phone=None); return the id."""
        return self.auth.make_user(email, PASSWORD, phone=phone, app=app)

    def staff_client(self, email=STAFF_EMAIL, phone=STAFF_PHONE, *, app=None):
        """Return a new test client fully signed in as staff (password and SMS code)."""
        client = (app or self.auth.app).test_client()
        self.auth.sign_in_fully(email, phone=phone, client=client)
        return client

    def build_world(self, *, app=None) -> World:
        """Set up the patient (two-factor on, trusted browser, recovery codes) and the staff member."""
        app = app or self.auth.app
        patient_id = self.make_patient(app=app)
        staff_id = self.make_staff(app=app)
        patient = app.test_client()
        self.auth.sign_in_fully(PATIENT_EMAIL, trust=True, phone=PHONE, client=patient)
        assert patient.get("/account").status_code == 200
        add_recovery_codes(app, patient_id)
        return World(app, self.staff_client(app=app), staff_id, patient, patient_id)
