"""`flask cleanup`: expired codes and mail links (keeping the hour the caps count), devices, staff resets, sessions."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from tests.support import PHONE

ROOT = Path(__file__).resolve().parent.parent
# The command's whole output when there is nothing to do; counts are added in this order.
NOTHING = "codes=0 devices=0 challenges=0 email_tokens=0 staff_resets=0 sessions=0 audit_clients=0"


def add_code(app, user_id, *, age, ttl=timedelta(minutes=10), consumed=False, revoked=False, phone=PHONE):
    """Insert a code created `age` ago; return its id."""
    from app.extensions import db
    from app.models import VerificationCode, utcnow

    with app.app_context():
        created = utcnow() - age
        code = VerificationCode(user_id=user_id, purpose="signin", phone_e164=phone, digest="0" * 64,
                                created_at=created, expires_at=created + ttl,
                                consumed_at=created + timedelta(minutes=1) if consumed else None,
                                revoked_at=created + timedelta(minutes=1) if revoked else None)
        db.session.add(code)
        db.session.commit()
        return code.id


def add_device(app, user_id, *, expires_in):
    from app.extensions import db
    from app.models import TrustedDevice, utcnow

    with app.app_context():
        device = TrustedDevice(user_id=user_id, token_digest=os.urandom(32).hex(), name="Firefox on Linux",
                               expires_at=utcnow() + expires_in)
        db.session.add(device)
        db.session.commit()
        return device.id


def remaining(app, model) -> set[int]:
    from app.extensions import db

    with app.app_context():
        return set(db.session.scalars(select(model.id)))


def cleanup(runner) -> str:
    result = runner.invoke(args=["cleanup"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_removes_expired_codes_and_devices_and_is_idempotent(app, runner, auth):
    from app.models import TrustedDevice, VerificationCode

    uid = auth.make_user(phone=PHONE)
    old_expired = add_code(app, uid, age=timedelta(hours=2))
    old_consumed = add_code(app, uid, age=timedelta(hours=3), consumed=True)
    old_revoked = add_code(app, uid, age=timedelta(hours=1, minutes=30), revoked=True)
    recent_expired = add_code(app, uid, age=timedelta(minutes=40))  # the hourly caps still count it
    recent_consumed = add_code(app, uid, age=timedelta(minutes=20), consumed=True)
    live = add_code(app, uid, age=timedelta(minutes=2))
    long_lived = add_code(app, uid, age=timedelta(hours=2), ttl=timedelta(hours=3))  # not expired yet
    expired_device = add_device(app, uid, expires_in=-timedelta(minutes=1))
    live_device = add_device(app, uid, expires_in=timedelta(days=30))

    assert cleanup(runner).startswith("codes=3 devices=1 ")
    assert remaining(app, VerificationCode) == {recent_expired, recent_consumed, live, long_lived}
    assert not remaining(app, VerificationCode) & {old_expired, old_consumed, old_revoked}
    assert remaining(app, TrustedDevice) == {live_device}
    assert expired_device not in remaining(app, TrustedDevice)
    # Idempotent: a second run (e.g. cron on another host) finds nothing to do.
    assert cleanup(runner) == NOTHING
    assert remaining(app, VerificationCode) == {recent_expired, recent_consumed, live, long_lived}


def test_removes_expired_second_factor_challenges_only(app, runner, fake_vonage, auth):
    from app.models import SecondFactorChallenge

    auth.make_user(phone=PHONE)
    auth.sign_in(client=app.test_client())  # a pending sign-in: one challenge, expiring in ten minutes
    (old,) = remaining(app, SecondFactorChallenge)
    with time_machine.travel(timedelta(seconds=app.config["PENDING_SIGNIN_TTL_SECONDS"] + 60)):
        auth.sign_in(client=app.test_client())
        assert cleanup(runner) == NOTHING.replace("challenges=0", "challenges=1")
        assert len(remaining(app, SecondFactorChallenge)) == 1 and old not in remaining(app, SecondFactorChallenge)


def add_link(app, user_id, *, age, ttl=timedelta(hours=1), used=False, revoked=False):
    """Insert a mailed link created `age` ago; return its id."""
    from app.extensions import db
    from app.models import EmailToken, utcnow

    with app.app_context():
        created = utcnow() - age
        link = EmailToken(user_id=user_id, purpose="verify", digest=os.urandom(32).hex(), email="p@example.com",
                          created_at=created, expires_at=created + ttl,
                          used_at=created + timedelta(minutes=1) if used else None,
                          revoked_at=created + timedelta(minutes=1) if revoked else None)
        db.session.add(link)
        db.session.commit()
        return link.id


def add_staff_reset(app, user_id, *, age, applied=False, cancelled=False):
    """Insert a staff reset of two-factor scheduled `age` ago; return its id."""
    from app.extensions import db
    from app.models import StaffReset, utcnow

    with app.app_context():
        created = utcnow() - age
        done = created + timedelta(minutes=5)
        reset = StaffReset(user_id=user_id, reason="Ticket 1", created_at=created, due_at=created + timedelta(days=1),
                           applied_at=done if applied else None, cancelled_at=done if cancelled else None)
        db.session.add(reset)
        db.session.commit()
        return reset.id


def test_removes_spent_mail_links_and_finished_staff_resets(app, runner, auth):
    from app.models import EmailToken, StaffReset

    uid = auth.make_user(phone=PHONE)
    spent = {add_link(app, uid, age=timedelta(hours=2)),  # expired
             add_link(app, uid, age=timedelta(hours=2), ttl=timedelta(days=1), used=True),
             add_link(app, uid, age=timedelta(hours=2), ttl=timedelta(days=1), revoked=True)}
    kept = {add_link(app, uid, age=timedelta(minutes=30), used=True),  # the resend throttle still counts it
            add_link(app, uid, age=timedelta(hours=2), ttl=timedelta(days=1))}  # still works
    finished = {add_staff_reset(app, uid, age=timedelta(days=2), applied=True),
                add_staff_reset(app, uid, age=timedelta(days=2), cancelled=True)}
    waiting = {add_staff_reset(app, uid, age=timedelta(days=2)),  # due, not yet applied: apply-staff-resets will
               add_staff_reset(app, uid, age=timedelta(minutes=30), cancelled=True)}

    assert cleanup(runner) == NOTHING.replace("email_tokens=0 staff_resets=0", "email_tokens=3 staff_resets=2")
    assert remaining(app, EmailToken) == kept and not remaining(app, EmailToken) & spent
    assert remaining(app, StaffReset) == waiting and not remaining(app, StaffReset) & finished
    assert cleanup(runner) == NOTHING


def add_text(app, user_id, *, age, phone=PHONE):
    """Record a text sent `age` ago, as codes and notices are."""
    from app.extensions import db
    from app.models import SmsMessage, utcnow

    with app.app_context():
        db.session.add(SmsMessage(user_id=user_id, phone_e164=phone, kind="notice_two_factor_off",
                                  created_at=utcnow() - age))
        db.session.commit()


@pytest.mark.settings(SMS_MAX_PER_NUMBER_PER_HOUR=5)
def test_texts_of_the_last_hour_still_count_toward_the_caps(app, runner, auth):
    from app.extensions import db
    from app.models import SmsMessage, User
    from app.security import RateLimited, codes

    uid = auth.make_user(phone=PHONE)
    add_text(app, uid, age=timedelta(minutes=66))  # older than the caps look back: removed
    for minutes in (55, 45, 35, 25, 15):  # five texts this hour: the cap is five
        add_text(app, uid, age=timedelta(minutes=minutes))
    cleanup(runner)
    assert len(remaining(app, SmsMessage)) == 5
    with app.app_context():
        user = db.session.get(User, uid)
        with pytest.raises(RateLimited):
            codes.check_send_allowed(user, PHONE)


@pytest.mark.settings(SESSION_TYPE="cachelib")
def test_removes_expired_session_files_only(app, runner, fake_vonage, auth):
    auth.make_user()
    stale = app.test_client()
    auth.sign_in_fully(client=stale)
    directory = Path(app.config["SESSION_FILE_DIR"])
    stale_files = set(directory.iterdir())
    assert stale_files
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    with time_machine.travel(timedelta(seconds=idle + 120)):
        fresh = app.test_client()
        auth.sign_in_fully(client=fresh)
        assert cleanup(runner) == NOTHING.replace("sessions=0", f"sessions={len(stale_files)}")
        assert not stale_files & set(directory.iterdir())
        assert fresh.get("/account").status_code == 200  # the live session was kept
        assert cleanup(runner) == NOTHING


@pytest.mark.settings(SESSION_TYPE="redis", SESSION_REDIS_URL="redis://127.0.0.1:1/0")
def test_redis_sessions_are_left_to_redis(app, runner):
    # Redis expires sessions itself (key TTL): cleanup must not even connect to it.
    assert cleanup(runner) == NOTHING


def test_flask_cleanup_command_from_the_shell(app, tmp_path, auth):
    """Run `flask --app wsgi cleanup` as cron would, configured by FLASK_* variables."""
    uid = auth.make_user(phone=PHONE)
    add_code(app, uid, age=timedelta(hours=2))
    add_device(app, uid, expires_in=-timedelta(days=1))
    env = {**os.environ, "FLASK_APP_ENV": "testing", "FLASK_SECRET_KEY": app.config["SECRET_KEY"],
           "FLASK_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
           "FLASK_SESSION_TYPE": "cachelib", "FLASK_SESSION_FILE_DIR": str(tmp_path / "cron-sessions"),
           "FLASK_SMS_BACKEND": "memory"}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "cleanup"]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == NOTHING.replace("codes=0 devices=0", "codes=1 devices=1")
    from app.models import TrustedDevice, VerificationCode

    assert remaining(app, VerificationCode) == set() and remaining(app, TrustedDevice) == set()
