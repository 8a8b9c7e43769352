"""Recovery codes on the Two-Factor Authentication screen: shown once, saved, replaced."""

import hashlib
import html as htmllib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine

from tests.support import PASSWORD, PHONE, PHONE_NATIONAL, htmx

CODE_RE = re.compile(r"<li><code>([2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4})</code></li>")
START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


def turn_on_2fa(auth, client, fake_vonage, **headers):
    """Sign in, turn two-factor on; return the response that shows the codes."""
    auth.sign_in_fully(client=client)
    r = client.post("/account/two-factor/setup", data={"country": "US", "phone": PHONE_NATIONAL}, headers=headers)
    assert r.status_code == (200 if headers else 303), r.get_data(as_text=True)
    r = client.post("/account/two-factor/verify", data={"code": fake_vonage.last_code(PHONE)}, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r


def text(response) -> str:
    """The response body with HTML entities decoded, for comparing messages."""
    return htmllib.unescape(response.get_data(as_text=True))


def codes_in(html: str) -> list[str]:
    return CODE_RE.findall(html)


def forms_of(code: str) -> list[str]:
    """Every way a code could leak into a page: as shown, compact, upper case, URL-encoded."""
    compact = code.replace("-", "")
    return [code, compact, compact.upper(), quote(code)]


def assert_no_codes(html: str, codes: list[str]) -> None:
    for code in codes:
        for form in forms_of(code):
            assert form not in html, f"recovery code {code} leaked"


def db_rows(app, model, **where):
    from sqlalchemy import select

    from app.extensions import db

    with app.app_context():
        stmt = select(model).filter_by(**where)
        return list(db.session.scalars(stmt))


def test_turning_on_2fa_shows_ten_unambiguous_codes_with_tools(client, app, fake_vonage, auth):
    auth.make_user()
    r = turn_on_2fa(auth, client, fake_vonage, **htmx())
    html = r.get_data(as_text=True)
    assert "<html" not in html and "Two-factor authentication is on." in html
    codes = codes_in(html)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert not set("".join(codes)) & set("01oli")
    assert "shown only this once" in html
    # Download works without JavaScript (a data: link); Copy and Print wait for app.js to reveal them.
    download = re.search(r'href="data:text/plain;charset=utf-8,([^"]+)" download="[^"]+\.txt">Download</a>', html)
    assert download and all(quote(code) in download.group(1) for code in codes)
    assert 'data-copy-target="recovery-codes" hidden>Copy</button>' in html
    assert re.search(r'<button type="button" class="button" data-print hidden>Print</button>', html)
    assert 'id="recovery-codes"' in html and "I have saved these codes" in html


def test_finishing_needs_the_tick_and_then_the_codes_never_appear_again(client, app, fake_vonage, auth):
    auth.make_user()
    codes = codes_in(turn_on_2fa(auth, client, fake_vonage, **htmx()).get_data(as_text=True))
    r = client.post("/account/two-factor/recovery-codes/saved", data={}, headers=htmx())
    html = r.get_data(as_text=True)
    # Only the form is swapped, so the codes stay on screen above it.
    assert r.status_code == 422 and html.lstrip().startswith('<form id="recovery-ack"')
    assert "Tick “I have saved these codes” to finish." in html
    assert_no_codes(html, codes)
    r = client.post("/account/two-factor/recovery-codes/saved", data={"saved": "on"}, headers=htmx())
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/account/two-factor"
    later = [
        client.get("/account/two-factor"),
        client.get("/account"),
        client.get("/account/two-factor", headers=htmx()),
        client.get("/account/two-factor/change-number", headers=htmx()),
        client.get("/account/two-factor/disable", headers=htmx()),
        client.get("/account/password"),
        client.post("/account/two-factor/cancel", headers=htmx()),
        client.post("/account/two-factor/recovery-codes/saved", data={"saved": "on"}),
    ]
    assert "your recovery codes are saved" in later[0].get_data(as_text=True)
    assert "Recovery codes left: <strong>10</strong>" in later[0].get_data(as_text=True)
    for response in later:
        assert response.status_code in (200, 303)
        assert_no_codes(response.get_data(as_text=True), codes)


def test_without_javascript_the_flow_is_full_pages_and_a_missed_tick_never_reshows(client, app, fake_vonage, auth):
    auth.make_user()
    html = turn_on_2fa(auth, client, fake_vonage).get_data(as_text=True)
    assert "<html" in html
    codes = codes_in(html)
    assert len(codes) == 10
    # The checkbox is `required`, so browsers insist on it; a post without it still gets a clear answer.
    assert re.search(r'<input id="f-saved" type="checkbox" name="saved" value="on" required>', html)
    r = client.post("/account/two-factor/recovery-codes/saved", data={})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "<html" in page and "Tick “I have saved these codes” to finish." in page
    assert "shown once, when they were made, and can't be shown again" in htmllib.unescape(page)
    assert_no_codes(page, codes)
    # Until the tick, the screen keeps asking (without the codes) and offers new ones.
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "I have saved these codes" in page and "Generate new codes" in page
    assert_no_codes(page, codes)
    r = client.post("/account/two-factor/recovery-codes/saved", data={"saved": "on"})
    assert r.status_code == 303 and r.headers["Location"] == "/account/two-factor"
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "I have saved these codes" not in page and "Change phone number" in page


def test_only_keyed_digests_are_stored(client, app, fake_vonage, tmp_path, auth):
    from app.models import RecoveryCode, SecurityEvent

    auth.make_user()
    codes = codes_in(turn_on_2fa(auth, client, fake_vonage).get_data(as_text=True))
    rows = db_rows(app, RecoveryCode)
    assert len(rows) == 10
    stored = {row.digest for row in rows}
    for code in codes:
        compact = code.replace("-", "")
        assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in stored)
        # Not the code, and not an unkeyed hash anyone could recompute.
        assert not {code, compact, hashlib.sha256(compact.encode()).hexdigest(),
                    hashlib.sha256(code.encode()).hexdigest()} & stored
    # Nothing else keeps them either: not the audit trail, not the server-side session files.
    events = " ".join(str(e.details) for e in db_rows(app, SecurityEvent))
    assert "recovery_codes_generated" in {e.type for e in db_rows(app, SecurityEvent)}
    assert_no_codes(events, codes)
    for path in (tmp_path / "sessions").rglob("*"):
        if path.is_file():
            assert_no_codes(path.read_bytes().decode("latin-1"), codes)


def test_new_codes_need_a_recent_password_and_kill_the_old_set(client, app, fake_vonage, auth):
    from app.models import RecoveryCode, SecurityEvent

    auth.make_user()
    with time_machine.travel(START, tick=False) as clock:
        old = codes_in(turn_on_2fa(auth, client, fake_vonage).get_data(as_text=True))
        client.post("/account/two-factor/recovery-codes/saved", data={"saved": "on"})
        old_digests = {row.digest for row in db_rows(app, RecoveryCode)}
        clock.shift(timedelta(minutes=16))
        page = client.get("/account/two-factor").get_data(as_text=True)
        assert "For your security, confirm your password." in page
        r = client.post("/account/two-factor/recovery-codes", data={}, headers=htmx())
        assert r.status_code == 422 and "enter your password to continue" in r.get_data(as_text=True)
        r = client.post("/account/two-factor/recovery-codes", data={"password": "wrong-password-1"}, headers=htmx())
        assert r.status_code == 422 and "That password isn't right." in text(r)
        assert {row.digest for row in db_rows(app, RecoveryCode)} == old_digests
        r = client.post("/account/two-factor/recovery-codes", data={"password": PASSWORD}, headers=htmx())
        assert r.status_code == 200 and "Confirm it's you" in text(r) and codes_in(r.get_data(as_text=True)) == []
        assert {row.digest for row in db_rows(app, RecoveryCode)} == old_digests
        r = client.post("/account/two-factor/reauth", data={"code": fake_vonage.last_code(PHONE)}, headers=htmx())
        html = r.get_data(as_text=True)
        new = codes_in(html)
        assert r.status_code == 200 and len(new) == 10 and not set(new) & set(old)
        assert "The old ones no longer work." in html
        rows = db_rows(app, RecoveryCode)
        assert len(rows) == 10 and not {row.digest for row in rows} & old_digests
        # Within the re-authentication window, no password is asked again.
        clock.shift(timedelta(minutes=5))
        r = client.post("/account/two-factor/recovery-codes", data={}, headers=htmx())
        assert r.status_code == 200 and len(codes_in(r.get_data(as_text=True))) == 10
    generated = [e for e in db_rows(app, SecurityEvent) if e.type == "recovery_codes_generated"]
    assert len(generated) == 3


def test_regenerating_needs_2fa_on(client, app, fake_vonage, auth):
    auth.make_user()
    auth.sign_in_fully()
    r = client.post("/account/two-factor/recovery-codes", data={"password": PASSWORD}, headers=htmx())
    assert r.status_code == 422 and "Turn on two-factor authentication first." in r.get_data(as_text=True)
    assert codes_in(r.get_data(as_text=True)) == []


@pytest.mark.parametrize("used, warned", [(7, False), (8, True), (10, True)])
def test_banner_after_sign_in_when_fewer_than_three_remain(client, app, fake_vonage, used, warned, auth):
    from app.extensions import db
    from app.models import RecoveryCode, User, utcnow
    from app.security import recovery
    from app.security.audit import SYSTEM

    uid = auth.make_user(phone=PHONE)
    with app.app_context():
        recovery.generate(db.session.get(User, uid), SYSTEM)
        for row in db.session.query(RecoveryCode).limit(used):
            row.used_at = utcnow()
        db.session.commit()
    r = auth.sign_in_fully()
    landing = client.get(r.headers["Location"]).get_data(as_text=True)
    screen = client.get("/account/two-factor").get_data(as_text=True)
    left = 10 - used
    assert f"Recovery codes left: <strong>{left}</strong>" in screen
    if warned:
        text = "You have no recovery codes left." if left == 0 else f"You have only {left} recovery code"
        assert text in landing and "Generate new ones" in landing
        assert text in screen and "alert-warning" in screen
    else:
        assert "recovery code" not in landing.lower() and "alert-warning" not in screen


def test_staff_reset_of_2fa_invalidates_recovery_codes(client, app, fake_vonage, auth):
    from app.extensions import db
    from app.models import RecoveryCode, User
    from app.security import recovery, twofactor
    from app.security.audit import SYSTEM

    uid = auth.make_user(phone=PHONE)
    staff_id = auth.make_user(email="staff@example.com", staff=True)
    with app.app_context():
        user = db.session.get(User, uid)
        codes = recovery.generate(user, SYSTEM)
        assert recovery.remaining(user) == 10
        twofactor.disable(user, SYSTEM, actor=db.session.get(User, staff_id), reason="lost phone")
        assert recovery.remaining(user) == 0
        assert db.session.query(RecoveryCode).filter_by(user_id=uid).count() == 0
    # The old codes are worth nothing even once 2FA is back on.
    with app.app_context():
        user = db.session.get(User, uid)
        user.phone_e164, user.phone_last4 = PHONE, PHONE[-4:]
        db.session.commit()
    other = app.test_client()
    assert auth.sign_in(client=other).headers["Location"] == "/signin/verify"
    r = other.post("/signin/recovery", data={"code": codes[0]})
    assert r.status_code == 422 and "isn't right" in text(r)
    assert other.get("/account").status_code in (302, 303)


def test_remaining_counts_unused_codes_only(app, auth):
    from app.extensions import db
    from app.models import RecoveryCode, User, utcnow
    from app.security import recovery
    from app.security.audit import SYSTEM

    uid = auth.make_user(phone=PHONE)
    with app.app_context():
        user = db.session.get(User, uid)
        assert recovery.remaining(user) == 0
        recovery.generate(user, SYSTEM)
        db.session.query(RecoveryCode).filter_by(user_id=uid).limit(1).one().used_at = utcnow()
        db.session.commit()
        assert recovery.remaining(user) == 9
